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
run_timeout=120      # seconds per example run (valgrind: 600)

if [ -z "${PYTHON:-}" ]; then
  if [ -x "$repo/build/venv/bin/python" ]; then PYTHON="$repo/build/venv/bin/python"; else PYTHON=python3; fi
fi
# The emulator from the repository when the interpreter has no installed copy.
if ! "$PYTHON" -c 'import slbcert_emulator.testing' 2>/dev/null; then
  export PYTHONPATH="$repo/emulator${PYTHONPATH:+:$PYTHONPATH}"
fi

# Phase 1: slbcert_emulator.testing `run` starts the emulator (HTTPS, its test CA, a free port, bounded
# waits), runs phase 2 (this script again) with SLBCERT_ENDPOINT and SLBCERT_CA_BUNDLE set, and stops it.
if [ -z "${RUN_AGAINST_EMULATOR_WORK:-}" ]; then
  work="$(mktemp -d "${TMPDIR:-/tmp}/slbcert-example.XXXXXX")"
  status=0
  printf 'run-against-emulator: starting the emulator (%s)\n' "$PYTHON"
  RUN_AGAINST_EMULATOR_WORK="$work" "$PYTHON" -m slbcert_emulator.testing run --data-dir "$work/emulator" \
    --access-key exampleid:examplesecret -- "$here/$(basename "$0")" "$@" </dev/null || status=$?
  if [ "$status" -ne 0 ] && [ -s "$work/emulator/emulator.stderr" ]; then
    echo "--- emulator stderr (tail) ---" >&2
    tail -n 20 "$work/emulator/emulator.stderr" >&2 || true
  fi
  if [ "${KEEP_WORKDIR:-0}" = 1 ]; then
    echo "run-against-emulator: work directory kept: $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$status"
fi

# Phase 2: the emulator is up.
work="$RUN_AGAINST_EMULATOR_WORK"
url="$SLBCERT_ENDPOINT"
ca="$SLBCERT_CA_BUNDLE"

runner=()
if [ "${VALGRIND:-0}" = 1 ]; then
  runner=(valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 --num-callers=40)
  run_timeout=600
fi

log() { printf 'run-against-emulator: %s\n' "$*"; }
fail() {
  printf 'run-against-emulator: FAIL: %s\n' "$*" >&2
  exit 1
}

if [ "${VALGRIND:-0}" = 1 ]; then log "valgrind: no suppressions; definite leaks and errors fail the run"; fi
case "$url" in
  https://127.0.0.1:*) log "emulator at $url" ;;
  *) fail "the emulator is not on https://127.0.0.1 (got '${url}')" ;;
esac

# --------------------------------------------------------------------------------- certificates
log "taking a chain, an encrypted key and a stray key from the test PKI"
pki="$work/pki"
"$PYTHON" -m slbcert_emulator.testing pki --out "$pki" --only leaf --only stray >/dev/null \
  || fail "could not write the test PKI"
fingerprint="$("$PYTHON" -m slbcert_emulator.testing pki get --pki "$pki" leaf fingerprint_sha1)"
[ -n "$fingerprint" ] || fail "could not read the leaf's fingerprint"

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
extra_env=(SLBCERT_ENDPOINT="$url" ALIBABA_CLOUD_REGION_ID=cn-hangzhou ALIBABA_CLOUD_CA_BUNDLE="$ca")
run_example first 0 "$pki/leaf.chain.pem" "$pki/leaf.pkcs8-enc.key" "$pki/passphrase.txt"
expect_in "$work/first.out" "result:      uploaded"
expect_in "$work/first.out" "fingerprint: $fingerprint"
first_id="$(sed -n 's/^id: *//p' "$work/first.out")"
[ -n "$first_id" ] || fail "run 1 printed no id"

log "run 2: the same certificate again (settings from options, SLBCERT_PASSPHRASE_FILE)"
extra_env=(SLBCERT_PASSPHRASE_FILE="$pki/passphrase.txt")
run_example second 0 --verbose --region cn-hangzhou --endpoint "$url" --ca-bundle "$ca" \
  "$pki/leaf.chain.pem" "$pki/leaf.pkcs8-enc.key"
expect_in "$work/second.err" "slbcert info: action=DescribeServerCertificates endpoint=$url attempt=1 status=200"
if grep -qF examplesecret "$work/second.err"; then fail "the secret appears in a log line"; fi
expect_in "$work/second.out" "already present"
expect_in "$work/second.out" "id:          $first_id"
expect_in "$work/second.out" "fingerprint: $fingerprint"

log "run 3: a key that does not belong to the certificate is refused before anything is sent"
extra_env=(SLBCERT_ENDPOINT="$url" ALIBABA_CLOUD_REGION_ID=cn-hangzhou ALIBABA_CLOUD_CA_BUNDLE="$ca")
run_example mismatch 3 "$pki/leaf.chain.pem" "$pki/stray.key"
expect_in "$work/mismatch.out" "error KEY_MISMATCH"
expect_in "$work/mismatch.err" "nothing was sent"

log "run 4: a wrong AccessKeySecret shows the service's error"
EXAMPLE_SECRET=wrong-secret run_example badsecret 1 "$pki/leaf.chain.pem" "$pki/leaf.key"
expect_in "$work/badsecret.err" "SLBCERT_ESERVICE"
expect_in "$work/badsecret.err" "code:       SignatureDoesNotMatch"
expect_in "$work/badsecret.err" "request id: "
expect_in "$work/badsecret.err" "hint:       "
if grep -qF wrong-secret "$work/badsecret.err"; then fail "the secret appears in the error report"; fi

stored="$("$PYTHON" -m slbcert_emulator.testing admin GET certificates \
  | "$PYTHON" -c 'import json, sys; print(len(json.load(sys.stdin)["Certificates"]))')"
[ "$stored" = 1 ] || fail "the emulator holds $stored certificates, expected exactly 1"

log "OK: uploaded $first_id once, found it again, refused a mismatched key, reported a service error$([ "${VALGRIND:-0}" = 1 ] && echo " (valgrind: clean)")"
