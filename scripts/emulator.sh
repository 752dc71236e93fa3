#!/usr/bin/env bash
# `make emulator`: the local SLB certificate service in the foreground, over HTTPS with a generated
# test CA, for testing your own scripts offline. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-build/venv/bin/python}"
port="${EMULATOR_PORT:-8443}"
dir=build/emulator
mkdir -p "$dir"
"$python" -m slbcert_emulator.devcerts --out "$dir/tls" >/dev/null
cat <<MSG
slbcert emulator: https://127.0.0.1:$port (data in $dir/data, request log $dir/data/requests.log)
Use it with:
  export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tLocalEmulator
  export ALIBABA_CLOUD_ACCESS_KEY_SECRET=local-emulator-secret
  export ALIBABA_CLOUD_REGION_ID=cn-hangzhou
  export ALIBABA_CLOUD_CA_BUNDLE=$PWD/$dir/tls/ca.pem
  slbcert list --endpoint https://127.0.0.1:$port
Admin API: curl --cacert $dir/tls/ca.pem https://127.0.0.1:$port/_emulator/certificates
MSG
exec "$python" -m slbcert_emulator --host 127.0.0.1 --port "$port" --data-dir "$dir/data" \
  --access-key LTAI5tLocalEmulator:local-emulator-secret \
  --tls-cert "$dir/tls/server.pem" --tls-key "$dir/tls/server-key.pem"
