#!/usr/bin/env bash
# `make demo`: starts the emulator on loopback over HTTPS, makes a certificate chain and key the way a
# CA would, uploads them through the library (the slbcert CLI), uploads again to show the duplicate is
# skipped, lists what the region holds, and stops the emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
python=build/venv/bin/python
slbcert=build/bin/slbcert
work=build/demo
rm -rf "$work" && mkdir -p "$work/pki"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Starting the SLB emulator on 127.0.0.1 (HTTPS, test CA)"
"$python" -m slbcert_emulator.devcerts --out "$work/tls" >/dev/null
"$python" -m slbcert_emulator --host 127.0.0.1 --port 0 --data-dir "$work/data" \
  --access-key LTAI5tDemo:demo-secret-not-for-production \
  --tls-cert "$work/tls/server.pem" --tls-key "$work/tls/server-key.pem" > "$work/url" 2> "$work/emulator.log" &
emulator=$!
trap 'kill $emulator 2>/dev/null; wait $emulator 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.1; done
endpoint=$(head -n1 "$work/url")
[ -n "$endpoint" ] || { echo "the emulator did not start:"; cat "$work/emulator.log"; exit 1; }
echo "emulator at $endpoint"

step "Making a certificate chain (root -> intermediate -> www.demo.example) with openssl"
(
  cd "$work/pki"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem -days 3650 -subj "/CN=Demo Root CA" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout int.key -out int.csr -subj "/CN=Demo Intermediate CA" 2>/dev/null
  printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' > ca.ext
  openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -out int.pem -days 1825 -extfile ca.ext 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout privkey.pem -out leaf.csr -subj "/CN=www.demo.example" 2>/dev/null
  printf 'subjectAltName=DNS:www.demo.example,DNS:demo.example\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > leaf.ext
  openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -CAcreateserial -out cert.pem -days 90 -extfile leaf.ext 2>/dev/null
  # As certbot leaves it: fullchain.pem (leaf + intermediate) and a PKCS#8 privkey.pem.
  cat cert.pem int.pem > fullchain.pem
)
pki="$work/pki"

export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tDemo ALIBABA_CLOUD_ACCESS_KEY_SECRET=demo-secret-not-for-production
export ALIBABA_CLOUD_REGION_ID=cn-hangzhou ALIBABA_CLOUD_CA_BUNDLE="$PWD/$work/tls/ca.pem"

step "slbcert inspect: what the service will report, checked before anything is sent"
$slbcert inspect --cert "$pki/fullchain.pem" --key "$pki/privkey.pem"

step "slbcert upload (duplicate-safe): the first upload stores the certificate"
$slbcert upload --cert "$pki/fullchain.pem" --key "$pki/privkey.pem" --name www-demo --tag env=demo --endpoint "$endpoint"

step "slbcert upload again: the same fingerprint is already there, so nothing is uploaded"
$slbcert upload --cert "$pki/fullchain.pem" --key "$pki/privkey.pem" --name www-demo --endpoint "$endpoint"

step "slbcert list"
$slbcert list --endpoint "$endpoint"

step "Done: the emulator stops now (its data was in $work/data)"
