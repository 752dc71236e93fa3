#!/usr/bin/env bash
# The deploy part of `make demo` (scripts/demo.sh runs it with the emulator up and SLBCERT_ENDPOINT,
# SLBCERT_CA_BUNDLE, the AccessKey and the region in the environment): two load balancers serve last
# quarter's certificate (a default certificate and an SNI domain); `slbcert deploy` puts the renewal
# on all of them, verified by TLS handshakes; `slbcert rollback` undoes it; `--delete-old` finishes.
# What each listener serves is shown with openssl s_client against the emulator's data plane (every
# load balancer has its own loopback address).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-build/venv/bin/python}
slbcert=${SLBCERT:-build/bin/slbcert}
work=build/demo/deploy
: "${SLBCERT_ENDPOINT:?run this through scripts/demo.sh (make demo)}"
rm -rf "$work" && mkdir -p "$work"
export SLBCERT_STATE_DIR="$PWD/$work/state"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
testing() { "$python" -m slbcert_emulator.testing "$@"; }

step "Two certificates for www.shop.example and api.shop.example: last quarter's (old) and its renewal (new)"
testing pki --out "$work/pki" --only intermediate >/dev/null
for name in old new; do
  testing pki issue-leaf --pki "$work/pki" --name "$name" --key rsa2048 --cn www.shop.example \
    --dns www.shop.example --dns api.shop.example --days "$([ $name = old ] && echo 30 || echo 90)" >/dev/null
done

step "Two load balancers use the old one: LB1's default certificate and its SNI domain api.shop.example, LB2's default"
"$python" - "$work/pki" > "$work/seed.json" <<'PY'
import json, os, socket, sys
from slbcert_emulator.testing import TestPKI
old = TestPKI(sys.argv[1])["old"]
def port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]
print(json.dumps({"AccessKeyId": os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"], "RegionId": os.environ["ALIBABA_CLOUD_REGION_ID"],
    "Certificates": [{"Ref": "old", "ServerCertificate": old.chain_pem.decode(), "PrivateKey": old.key_bytes("pkcs1").decode()}],
    "LoadBalancers": [
        {"LoadBalancerName": "shop-1", "LoadBalancerSpec": "slb.s2.small", "Listeners": [
            {"ListenerPort": port(), "ServerCertificate": "old",
             "DomainExtensions": [{"Domain": "api.shop.example", "ServerCertificate": "old"}]}]},
        {"LoadBalancerName": "shop-2", "LoadBalancerSpec": "slb.s2.small", "Listeners": [
            {"ListenerPort": port(), "ServerCertificate": "old"}]}]}))
PY
testing admin POST seed "$(cat "$work/seed.json")" | "$python" -c '
import json, sys
for lb in json.load(sys.stdin)["LoadBalancers"]:
    print(lb["LoadBalancerId"], lb["Address"], lb["Listeners"][0]["ListenerPort"])' > "$work/lbs"
cat "$work/lbs"

fingerprint() { openssl x509 -noout -fingerprint -sha1 | sed 's/.*=//'; }
served() {
  while read -r id address port; do
    for name in www.shop.example api.shop.example; do
      printf '  %s %s:%s %-17s ' "$id" "$address" "$port" "$name"
      openssl s_client -connect "$address:$port" -servername "$name" </dev/null 2>/dev/null | fingerprint
    done
  done < "$work/lbs"
}
echo "old: $(fingerprint < "$work/pki/old.pem")"
echo "new: $(fingerprint < "$work/pki/new.pem")"
echo "What openssl s_client is served now:"
served

new=("--cert" "$work/pki/new.chain.pem" "--key" "$work/pki/new.key")
step "slbcert deploy --dry-run: the plan; nothing changes"
$slbcert deploy "${new[@]}" --dry-run

step "slbcert deploy --verify-tls: upload, switch each binding, read each back, check each by TLS handshake"
$slbcert deploy "${new[@]}" --name shop-2026q2 --verify-tls | tee "$work/report"
echo "What openssl s_client is served now:"
served

step "slbcert deploy again: nothing to switch (exit status $($slbcert deploy "${new[@]}" >/dev/null 2>&1; echo $?))"
$slbcert deploy "${new[@]}" | tail -n1

step "slbcert rollback JOURNAL: back to the old certificate everywhere"
journal=$(sed -n 's/^Journal *//p' "$work/report")
$slbcert rollback "$journal" | tail -n1
served

step "slbcert deploy --delete-old: deployed again, and the old certificate deleted once nothing uses it"
$slbcert deploy "${new[@]}" --delete-old | grep -E '^(Deleted|Deployed)'
$slbcert list
