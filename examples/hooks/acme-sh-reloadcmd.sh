#!/bin/sh
# acme.sh reload command: upload an issued or renewed certificate to Alibaba Cloud SLB (CLB) with slbcert.
#
#   acme.sh --issue -d example.com --keylength 2048 ...
#   acme.sh --install-cert -d example.com \
#       --reloadcmd "SLBCERT_REGION=cn-hangzhou /usr/local/libexec/slbcert/acme-sh-reloadcmd.sh"
#
# acme.sh saves the reload command and runs it after every renewal. CLB accepts RSA keys only
# (1024, 2048 or 4096 bits) and acme.sh issues ECDSA (ec-256) keys by default: issue with
# --keylength 2048 (or 4096).
#
# acme.sh runs the command with these variables exported (acme.sh's _installcert), in the
# domain's directory (~/.acme.sh/example.com):
#   CERT_FULLCHAIN_PATH  the full chain (leaf first), e.g. ~/.acme.sh/example.com/fullchain.cer
#   CERT_KEY_PATH        the private key, e.g. ~/.acme.sh/example.com/example.com.key
#   Le_Domain            the main domain, e.g. example.com
#   (also CERT_PATH and CA_CERT_PATH, which this script does not need)
# Settings, all optional, from the environment (put them in front of the command as above; acme.sh
# keeps them in the saved command):
#   SLBCERT_REGION     the region of the load balancers (else ALIBABA_CLOUD_REGION_ID, then the
#                      profile's region_id)
#   SLBCERT_PROFILE    a profile of ~/.aliyun/config.json or ~/.alibabacloud/credentials
#   SLBCERT_ENDPOINT   the API endpoint URL (default: the region's)
#   SLBCERT_CA_BUNDLE  a CA bundle to verify the endpoint with
#   SLBCERT_BIN        the slbcert executable (default: slbcert on PATH)
# Credentials come from slbcert's usual chain (ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET, the profile
# files, the ECS instance role), never from arguments.
#
# The certificate is named after the domain and the UTC date of the upload, e.g.
# example.com-20260401 (a wildcard *.example.com becomes wildcard.example.com-20260401). The upload
# is duplicate-safe: when the region already holds a certificate with the same fingerprint,
# nothing is uploaded and the command succeeds.
#
# Logs one line on stdout when it succeeds. On failure slbcert's error (and hint) goes to stderr
# and the script exits with slbcert's status (2 certificate/key refused, 3 service error,
# 4 network/TLS, 5 credentials; 1 usage); acme.sh then logs "Reload error for: <domain>".
set -u
me="slbcert acme-sh-reloadcmd"

fullchain=${CERT_FULLCHAIN_PATH:-}
key=${CERT_KEY_PATH:-}
if [ -z "$fullchain" ] || [ -z "$key" ]; then
    echo "$me: CERT_FULLCHAIN_PATH and CERT_KEY_PATH must be set (acme.sh exports them to --reloadcmd)" >&2
    exit 1
fi

# The domain: Le_Domain, else the name of acme.sh's directory for it (without its _ecc suffix).
domain=${Le_Domain:-}
if [ -z "$domain" ]; then
    domain=$(dirname "$fullchain")
    domain=${domain##*/}
    domain=${domain%_ecc}
fi

# <domain>-<YYYYMMDD>: characters CLB does not allow become "-", a name that does not start with a
# letter gets "cert-" in front, and the result is at most 80 characters.
certificate_name() {
    base=$(printf '%s' "$1" | sed 's/^\*\./wildcard./' | LC_ALL=C tr -c 'A-Za-z0-9._-' '-')
    case $base in
        [A-Za-z]*) ;;
        *) base="cert-$base" ;;
    esac
    printf '%s-%s' "$(printf '%s' "$base" | cut -c1-71)" "$(date -u +%Y%m%d)"
}

name=$(certificate_name "$domain")

set -- upload --cert "$fullchain" --key "$key" --name "$name"
if [ -n "${SLBCERT_REGION:-}" ]; then set -- "$@" --region "$SLBCERT_REGION"; fi
if [ -n "${SLBCERT_PROFILE:-}" ]; then set -- "$@" --profile "$SLBCERT_PROFILE"; fi
if [ -n "${SLBCERT_ENDPOINT:-}" ]; then set -- "$@" --endpoint "$SLBCERT_ENDPOINT"; fi
if [ -n "${SLBCERT_CA_BUNDLE:-}" ]; then set -- "$@" --ca-bundle "$SLBCERT_CA_BUNDLE"; fi

output=$("${SLBCERT_BIN:-slbcert}" "$@")
status=$?
if [ "$status" -ne 0 ]; then
    echo "$me: $domain: slbcert upload failed (exit status $status)" >&2
    exit "$status"
fi

# slbcert's first line: "Uploaded <id>" or "Already present as <id>; nothing uploaded".
result=$(printf '%s\n' "$output" | sed -n '1{s/; nothing uploaded$//;p;}')
stored_name=$(printf '%s\n' "$output" | sed -n 's/^ *Name: *//p')
region=$(printf '%s\n' "$output" | sed -n 's/^ *Region: *\([^ ]*\).*/\1/p')
echo "$me: $domain: $result (name $stored_name, region $region)"
