#!/usr/bin/env bash
# The deploy part of `make demo`: two load balancers serve last quarter's certificate (a default
# certificate and an SNI domain); `slbcert deploy` puts the renewal on all of them, verified by TLS
# handshakes, and `slbcert rollback` undoes it. What each listener serves is shown with openssl
# s_client against the emulator's data plane (every load balancer has its own loopback address).
#
#   scripts/demo-deploy.sh ENDPOINT   use a running emulator: the credentials, the region and
#                                     ALIBABA_CLOUD_CA_BUNDLE come from the environment, as
#                                     scripts/demo.sh exports them
#   scripts/demo-deploy.sh            start an emulator of its own for the demo, and stop it after
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-build/venv/bin/python}
slbcert=${SLBCERT:-build/bin/slbcert}
work=build/demo-deploy
rm -rf "$work" && mkdir -p "$work/pki"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

endpoint=${1:-}
if [ -z "$endpoint" ]; then
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
  export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tDemo ALIBABA_CLOUD_ACCESS_KEY_SECRET=demo-secret-not-for-production
  export ALIBABA_CLOUD_REGION_ID=cn-hangzhou ALIBABA_CLOUD_CA_BUNDLE="$PWD/$work/tls/ca.pem"
fi
export SLBCERT_ENDPOINT=$endpoint SLBCERT_STATE_DIR="$PWD/$work/state"

step "Two certificates for www.shop.example and api.shop.example: last quarter's (old) and its renewal (new)"
(
  cd "$work/pki"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 -subj "/CN=Deploy Demo CA" 2>/dev/null
  printf 'subjectAltName=DNS:www.shop.example,DNS:api.shop.example\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > leaf.ext
  for name in old new; do
    days=$([ "$name" = old ] && echo 30 || echo 90)
    openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=www.shop.example" 2>/dev/null
    openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$name.crt" -days "$days" \
      -extfile leaf.ext 2>/dev/null
    cat "$name.crt" ca.pem > "$name.pem"
  done
  # CLB (and so the emulator's seed) takes PKCS#1 keys; slbcert converts the PKCS#8 one itself.
  openssl rsa -in old.key -traditional -out old-pkcs1.key 2>/dev/null
)

step "Two load balancers use the old one: LB1's default certificate and its SNI domain api.shop.example, LB2's default"
"$python" - "$endpoint" "$work" <<'PY' > "$work/lbs"
import json, os, socket, ssl, sys, urllib.error, urllib.request
endpoint, work = sys.argv[1], sys.argv[2]
def pem(name): return open(f"{work}/pki/{name}").read()
def port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]
doc = {"AccessKeyId": os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"], "RegionId": os.environ["ALIBABA_CLOUD_REGION_ID"],
       "Certificates": [{"Ref": "old", "ServerCertificate": pem("old.pem"), "PrivateKey": pem("old-pkcs1.key")}],
       "LoadBalancers": [
           {"LoadBalancerName": "shop-1", "LoadBalancerSpec": "slb.s2.small", "Listeners": [
               {"ListenerPort": port(), "ServerCertificate": "old",
                "DomainExtensions": [{"Domain": "api.shop.example", "ServerCertificate": "old"}]}]},
           {"LoadBalancerName": "shop-2", "LoadBalancerSpec": "slb.s2.small", "Listeners": [
               {"ListenerPort": port(), "ServerCertificate": "old"}]}]}
context = ssl.create_default_context(cafile=os.environ["ALIBABA_CLOUD_CA_BUNDLE"])
request = urllib.request.Request(endpoint + "/_emulator/seed", data=json.dumps(doc).encode(),
                                 headers={"Content-Type": "application/json"})
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
try:
    answer = json.loads(opener.open(request, timeout=10).read())
except urllib.error.HTTPError as error:
    sys.exit(f"seeding failed: {error.read().decode()}")
for lb in answer["LoadBalancers"]:
    print(lb["LoadBalancerId"], lb["Address"], lb["Listeners"][0]["ListenerPort"])
PY
cat "$work/lbs"

served() {
  while read -r id address port; do
    for name in www.shop.example api.shop.example; do
      printf '  %s %s:%s %-17s ' "$id" "$address" "$port" "$name"
      openssl s_client -connect "$address:$port" -servername "$name" </dev/null 2>/dev/null |
        openssl x509 -noout -fingerprint -sha1 | sed 's/.*=//'
    done
  done < "$work/lbs"
}
echo "old: $(openssl x509 -in "$work/pki/old.crt" -noout -fingerprint -sha1 | sed 's/.*=//')"
echo "new: $(openssl x509 -in "$work/pki/new.crt" -noout -fingerprint -sha1 | sed 's/.*=//')"
echo "What openssl s_client is served now:"
served

step "slbcert deploy --dry-run: the plan, nothing changes"
$slbcert deploy --cert "$work/pki/new.pem" --key "$work/pki/new.key" --dry-run

step "slbcert deploy --verify-tls: upload, switch each binding, read each back, check each by TLS handshake"
$slbcert deploy --cert "$work/pki/new.pem" --key "$work/pki/new.key" --name shop-2026q2 --verify-tls | tee "$work/report"
echo "What openssl s_client is served now:"
served

step "slbcert deploy again: nothing to switch (exit status $($slbcert deploy --cert "$work/pki/new.pem" --key "$work/pki/new.key" >/dev/null 2>&1; echo $?))"
$slbcert deploy --cert "$work/pki/new.pem" --key "$work/pki/new.key" | tail -n1

step "slbcert rollback JOURNAL: back to the old certificate everywhere"
journal=$(sed -n 's/^Journal *//p' "$work/report")
$slbcert rollback "$journal" | tail -n1
served

step "slbcert deploy --delete-old: deployed again, and the old certificate deleted once nothing uses it"
$slbcert deploy --cert "$work/pki/new.pem" --key "$work/pki/new.key" --delete-old | grep -E '^(Deleted|Deployed)'
$slbcert list
