#!/usr/bin/env bash
# Builds examples/c/upload and runs it against the SLB emulator on loopback over HTTPS:
#   1. the first upload of a fresh chain + encrypted key (passphrase from a file argument) says "uploaded";
#   2. the second (passphrase from SLBCERT_PASSPHRASE_FILE, settings from options, request log on) says
#      "already present";
#   3. a mismatched key is refused locally (exit 3) and nothing reaches the emulator;
#   4. a wrong AccessKeySecret shows the documented error report (code, request id, hint).
# Exits non-zero on any failure. Every wait is bounded; the emulator listens on 127.0.0.1 only.
#
# Environment:
#   VALGRIND=1          run the example under valgrind (definite leaks and errors fail the run)
#   PYTHON              an interpreter that can run the emulator (default: build/venv/bin/python, then python3)
#   SLBCERT_PKGCONFIG   directory of slbcert.pc (default: the build tree's build/lib/pkgconfig)
#   KEEP_WORKDIR=1      keep the temporary directory for a look afterwards
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
pkgconfig_dir="${SLBCERT_PKGCONFIG:-$repo/build/lib/pkgconfig}"
startup_timeout=30   # seconds for the emulator to print its URL
run_timeout=120      # seconds per example run (valgrind: 600)

if [ -z "${PYTHON:-}" ]; then
  if [ -x "$repo/build/venv/bin/python" ]; then PYTHON="$repo/build/venv/bin/python"; else PYTHON=python3; fi
fi
# The emulator from the repository when the interpreter has no installed copy.
if ! "$PYTHON" -c 'import slbcert_emulator' 2>/dev/null; then
  export PYTHONPATH="$repo/emulator${PYTHONPATH:+:$PYTHONPATH}"
fi

runner=()
if [ "${VALGRIND:-0}" = 1 ]; then
  runner=(valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 --num-callers=40)
  run_timeout=600
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/slbcert-example.XXXXXX")"
emulator_pid=""

log() { printf 'run-against-emulator: %s\n' "$*"; }
fail() {
  printf 'run-against-emulator: FAIL: %s\n' "$*" >&2
  exit 1
}

stop_emulator() {
  [ -n "$emulator_pid" ] || return 0
  if kill -0 "$emulator_pid" 2>/dev/null; then
    kill -TERM "$emulator_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do                       # up to 10 s for a clean stop
      kill -0 "$emulator_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$emulator_pid" 2>/dev/null; then
      kill -KILL "$emulator_pid" 2>/dev/null || true
    fi
  fi
  wait "$emulator_pid" 2>/dev/null || true
  emulator_pid=""
}

cleanup() {
  local status=$?
  stop_emulator
  if [ "$status" -ne 0 ] && [ -f "$work/emulator.err" ]; then
    echo "--- emulator stderr (tail) ---" >&2
    tail -n 20 "$work/emulator.err" >&2 || true
  fi
  if [ "${KEEP_WORKDIR:-0}" = 1 ]; then
    echo "run-against-emulator: work directory kept: $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------- emulator
if [ "${VALGRIND:-0}" = 1 ]; then log "valgrind: no suppressions; definite leaks and errors fail the run"; fi
log "starting the emulator ($PYTHON)"
"$PYTHON" -m slbcert_emulator.devcerts --out "$work/tls" >/dev/null
"$PYTHON" -m slbcert_emulator --host 127.0.0.1 --port 0 --data-dir "$work/data" \
  --access-key exampleid:examplesecret \
  --tls-cert "$work/tls/server.pem" --tls-key "$work/tls/server-key.pem" \
  >"$work/emulator.out" 2>"$work/emulator.err" </dev/null &
emulator_pid=$!

url=""
for _ in $(seq 1 $((startup_timeout * 10))); do
  url="$(head -n 1 "$work/emulator.out" 2>/dev/null || true)"
  [ -n "$url" ] && break
  kill -0 "$emulator_pid" 2>/dev/null || fail "the emulator exited before printing its URL"
  sleep 0.1
done
case "$url" in
  https://127.0.0.1:*) log "emulator at $url" ;;
  *) fail "the emulator printed no URL within ${startup_timeout}s (got '${url}')" ;;
esac

# --------------------------------------------------------------------------------- certificates
log "making a chain and an encrypted key with openssl"
(
  cd "$work"
  quiet() { "$@" >/dev/null 2>&1 || { echo "openssl failed: $*" >&2; exit 1; }; }
  quiet openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem -days 3650 \
    -subj "/CN=slbcert example root" \
    -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign"
  quiet openssl req -newkey rsa:2048 -nodes -keyout intermediate.key -out intermediate.csr \
    -subj "/CN=slbcert example intermediate"
  printf 'basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' > ca.ext
  quiet openssl x509 -req -in intermediate.csr -CA root.pem -CAkey root.key -CAcreateserial \
    -out intermediate.pem -days 1825 -extfile ca.ext
  quiet openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj "/CN=www.example.test"
  printf 'basicConstraints=critical,CA:false\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:www.example.test,DNS:example.test\n' > leaf.ext
  quiet openssl x509 -req -in leaf.csr -CA intermediate.pem -CAkey intermediate.key -CAcreateserial \
    -out leaf.pem -days 90 -extfile leaf.ext
  cat leaf.pem intermediate.pem > fullchain.pem
  printf 'correct horse battery staple\n' > passphrase.txt
  chmod 600 passphrase.txt leaf.key
  quiet openssl pkcs8 -topk8 -v2 aes-256-cbc -in leaf.key -out leaf-encrypted.key -passout file:passphrase.txt
  quiet openssl req -newkey rsa:2048 -nodes -keyout other.key -out other.csr -subj "/CN=other"
)
fingerprint="$(openssl x509 -in "$work/leaf.pem" -noout -fingerprint -sha1 | cut -d= -f2 | tr 'A-F' 'a-f')"
[ -n "$fingerprint" ] || fail "could not compute the leaf's fingerprint"

# ------------------------------------------------------------------------------------------ build
log "building the example with pkg-config ($pkgconfig_dir)"
make -s -C "$here" PKG_CONFIG_PATH="$pkgconfig_dir" RPATH=1 BIN="$work/upload" >"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; fail "the example did not build"; }

# ------------------------------------------------------------------------------------------- runs
mkdir -p "$work/home"
run_example() {  # run_example NAME EXPECTED_EXIT ARGS... : output in $work/NAME.out / .err
  local name="$1" expected="$2" status=0
  shift 2
  env -i PATH="$PATH" HOME="$work/home" LANG=C.UTF-8 \
    ALIBABA_CLOUD_ACCESS_KEY_ID=exampleid ALIBABA_CLOUD_ACCESS_KEY_SECRET="${EXAMPLE_SECRET:-examplesecret}" \
    ALIBABA_CLOUD_ECS_METADATA_DISABLED=true NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost \
    "${extra_env[@]}" \
    timeout "$run_timeout" "${runner[@]}" "$work/upload" "$@" >"$work/$name.out" 2>"$work/$name.err" || status=$?
  sed 's/^/    /' "$work/$name.out"
  if [ "$status" -ne "$expected" ]; then
    sed 's/^/    stderr: /' "$work/$name.err" >&2
    fail "$name: exit status $status, expected $expected"
  fi
}
expect_in() {  # expect_in FILE TEXT
  grep -qF -- "$2" "$1" || { sed 's/^/    /' "$1" >&2; fail "'$2' not found in $(basename "$1")"; }
}

log "run 1: first upload (settings from the environment, passphrase file as an argument)"
extra_env=(SLBCERT_ENDPOINT="$url" ALIBABA_CLOUD_REGION_ID=cn-hangzhou ALIBABA_CLOUD_CA_BUNDLE="$work/tls/ca.pem")
run_example first 0 "$work/fullchain.pem" "$work/leaf-encrypted.key" "$work/passphrase.txt"
expect_in "$work/first.out" "result:      uploaded"
expect_in "$work/first.out" "fingerprint: $fingerprint"
first_id="$(sed -n 's/^id: *//p' "$work/first.out")"
[ -n "$first_id" ] || fail "run 1 printed no id"

log "run 2: the same certificate again (settings from options, SLBCERT_PASSPHRASE_FILE)"
extra_env=(SLBCERT_PASSPHRASE_FILE="$work/passphrase.txt")
run_example second 0 --verbose --region cn-hangzhou --endpoint "$url" --ca-bundle "$work/tls/ca.pem" \
  "$work/fullchain.pem" "$work/leaf-encrypted.key"
expect_in "$work/second.err" "slbcert info: action=DescribeServerCertificates endpoint=$url attempt=1 status=200"
if grep -qF examplesecret "$work/second.err"; then fail "the secret appears in a log line"; fi
expect_in "$work/second.out" "already present"
expect_in "$work/second.out" "id:          $first_id"
expect_in "$work/second.out" "fingerprint: $fingerprint"

log "run 3: a key that does not belong to the certificate is refused before anything is sent"
extra_env=(SLBCERT_ENDPOINT="$url" ALIBABA_CLOUD_REGION_ID=cn-hangzhou ALIBABA_CLOUD_CA_BUNDLE="$work/tls/ca.pem")
run_example mismatch 3 "$work/fullchain.pem" "$work/other.key"
expect_in "$work/mismatch.out" "error KEY_MISMATCH"
expect_in "$work/mismatch.err" "nothing was sent"

log "run 4: a wrong AccessKeySecret shows the service's error"
EXAMPLE_SECRET=wrong-secret run_example badsecret 1 "$work/fullchain.pem" "$work/leaf.key"
expect_in "$work/badsecret.err" "SLBCERT_ESERVICE"
expect_in "$work/badsecret.err" "code:       SignatureDoesNotMatch"
expect_in "$work/badsecret.err" "request id: "
expect_in "$work/badsecret.err" "hint:       "
if grep -qF wrong-secret "$work/badsecret.err"; then fail "the secret appears in the error report"; fi

stored="$("$PYTHON" - "$url" "$work/tls/ca.pem" <<'PY'
import json, ssl, sys, urllib.request
context = ssl.create_default_context(cafile=sys.argv[2])
with urllib.request.urlopen(sys.argv[1] + "/_emulator/certificates", context=context, timeout=10) as answer:
    print(len(json.load(answer)["Certificates"]))
PY
)"
[ "$stored" = 1 ] || fail "the emulator holds $stored certificates, expected exactly 1"

stop_emulator
log "OK: uploaded $first_id once, found it again, refused a mismatched key, reported a service error$([ "${VALGRIND:-0}" = 1 ] && echo " (valgrind: clean)")"
