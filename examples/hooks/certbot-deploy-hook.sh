#!/bin/sh
# certbot deploy hook: upload a renewed certificate to Alibaba Cloud SLB (CLB) with slbcert.
#
#   certbot certonly --key-type rsa --rsa-key-size 2048 -d example.com \
#       --deploy-hook /usr/local/libexec/slbcert/certbot-deploy-hook.sh
#   (or copy it into /etc/letsencrypt/renewal-hooks/deploy/, which runs it for every lineage)
#
# CLB accepts RSA keys only (1024, 2048 or 4096 bits): since certbot 2.0 the default key type is
# ECDSA, so ask for RSA as above. The PKCS#8 privkey.pem certbot writes is converted to the PKCS#1
# form CLB wants by slbcert itself.
#
# certbot runs the hook once per renewed certificate with RENEWED_LINEAGE set to its live
# directory (e.g. /etc/letsencrypt/live/example.com). Outside certbot (a systemd timer, by hand),
# set SLBCERT_LINEAGE instead. Settings, all optional, from the environment:
#   SLBCERT_REGION     the region of the load balancers (else ALIBABA_CLOUD_REGION_ID, then the
#                      profile's region_id)
#   SLBCERT_PROFILE    a profile of ~/.aliyun/config.json or ~/.alibabacloud/credentials
#   SLBCERT_ENDPOINT   the API endpoint URL (default: the region's)
#   SLBCERT_CA_BUNDLE  a CA bundle to verify the endpoint with
#   SLBCERT_BIN        the slbcert executable (default: slbcert on PATH)
# Credentials come from slbcert's usual chain (ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET, the profile
# files, the ECS instance role), never from arguments.
#
# The certificate is named after the lineage and the UTC date of the upload, e.g.
# example.com-20260401 (CLB names: 1-80 characters, starting with a letter; letters, digits, . _ -).
# The upload is duplicate-safe: when the region already holds a certificate with the same
# fingerprint, nothing is uploaded and the hook succeeds, so running it again is harmless.
#
# Logs one line on stdout when it succeeds. On failure slbcert's error (and hint) goes to stderr
# and the hook exits with slbcert's status (2 certificate/key refused, 3 service error,
# 4 network/TLS, 5 credentials; 1 usage), so certbot reports the failed hook.
set -u
me="slbcert certbot-deploy-hook"

lineage=${RENEWED_LINEAGE:-${SLBCERT_LINEAGE:-}}
if [ -z "$lineage" ]; then
    echo "$me: RENEWED_LINEAGE is not set (certbot sets it; elsewhere set SLBCERT_LINEAGE)" >&2
    exit 1
fi
lineage=${lineage%/}

# <lineage name>-<YYYYMMDD>: characters CLB does not allow become "-", a name that does not start
# with a letter gets "cert-" in front, and the result is at most 80 characters.
certificate_name() {
    base=$(printf '%s' "$1" | sed 's/^\*\./wildcard./' | LC_ALL=C tr -c 'A-Za-z0-9._-' '-')
    case $base in
        [A-Za-z]*) ;;
        *) base="cert-$base" ;;
    esac
    printf '%s-%s' "$(printf '%s' "$base" | cut -c1-71)" "$(date -u +%Y%m%d)"
}

domain=${lineage##*/}
name=$(certificate_name "$domain")

set -- upload --cert "$lineage/fullchain.pem" --key "$lineage/privkey.pem" --name "$name"
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
