#!/usr/bin/env bash
# `make emulator`: the local SLB certificate service in the foreground, over HTTPS with a generated
# test CA, for testing your own scripts offline (slbcert_emulator.testing serve). It prints the
# environment that points slbcert, and programs that use it, at the emulator. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-build/venv/bin/python}"
dir=build/emulator
mkdir -p "$dir"
# The AccessKey in an owner-only options file (@FILE), not on the command line that `ps` shows everyone.
(umask 077 && printf -- '--access-key=%s\n' LTAI5tLocalEmulator:local-emulator-secret > "$dir/credentials.args")
echo "slbcert emulator: data in $dir/data, request log $dir/data/requests.log. Use it with:"
"$python" -m slbcert_emulator.testing serve --data-dir "$dir/data" --tls-dir "$dir/tls" \
    --port "${EMULATOR_PORT:-8443}" "@$dir/credentials.args" |
  while IFS= read -r line; do
    case "$line" in
      "") echo "  slbcert list"
          echo "Admin API: curl --cacert $dir/tls/ca.pem $endpoint/_emulator/certificates"
          echo "Ctrl-C stops it." ;;
      SLBCERT_ENDPOINT=*) endpoint=${line#*=}; echo "  export $line" ;;
      *) echo "  export $line" ;;
    esac
  done
