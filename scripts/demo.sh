#!/usr/bin/env bash
# `make demo`: takes a certificate chain and key from the test PKI (as a CA would issue them), starts
# the emulator on loopback over HTTPS, uploads them through the library (the slbcert CLI), uploads
# again to show the duplicate is skipped, lists what the region holds, deploys a renewal onto two load
# balancers (scripts/demo-deploy.sh), and stops the emulator.
# The emulator and the PKI come from slbcert_emulator.testing (`run` starts the emulator, runs the
# rest of this script with SLBCERT_ENDPOINT, SLBCERT_CA_BUNDLE and the AccessKey set, and stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
python=build/venv/bin/python
slbcert=build/bin/slbcert
work=build/demo
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

if [ -z "${SLBCERT_DEMO_STARTED:-}" ]; then
  rm -rf "$work" && mkdir -p "$work"
  step "Making a certificate chain (test root -> test intermediate -> www.demo.example)"
  "$python" -m slbcert_emulator.testing pki --out "$work/pki" --only intermediate >/dev/null
  "$python" -m slbcert_emulator.testing pki issue-leaf --pki "$work/pki" --name www-demo --key rsa2048 \
    --cn www.demo.example --dns www.demo.example --dns demo.example --days 90 >/dev/null
  # As certbot leaves it: fullchain.pem (leaf + intermediate) and a PKCS#8 privkey.pem.
  cp "$work/pki/www-demo.chain.pem" "$work/pki/fullchain.pem"
  cp "$work/pki/www-demo.key" "$work/pki/privkey.pem"
  step "Starting the SLB emulator on 127.0.0.1 (HTTPS, test CA)"
  exec "$python" -m slbcert_emulator.testing run --data-dir "$work/data" \
    --access-key LTAI5tDemo:demo-secret-not-for-production -- env SLBCERT_DEMO_STARTED=1 "$0"
fi

pki="$work/pki"
echo "emulator at $SLBCERT_ENDPOINT (SLBCERT_ENDPOINT and SLBCERT_CA_BUNDLE point slbcert at it)"

step "slbcert inspect: what the service will report, checked before anything is sent"
$slbcert inspect --cert "$pki/fullchain.pem" --key "$pki/privkey.pem"

step "slbcert upload (duplicate-safe): the first upload stores the certificate"
$slbcert upload --cert "$pki/fullchain.pem" --key "$pki/privkey.pem" --name www-demo --tag env=demo

step "slbcert upload again: the same fingerprint is already there, so nothing is uploaded"
$slbcert upload --cert "$pki/fullchain.pem" --key "$pki/privkey.pem" --name www-demo

step "slbcert list"
$slbcert list

PYTHON="$python" SLBCERT="$slbcert" scripts/demo-deploy.sh

step "Done: the emulator stops now (its data was in $work/data)"
