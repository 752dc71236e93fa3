#!/bin/sh
# certbot deploy hook: upload a renewed certificate to Alibaba Cloud SLB (CLB) with slbcert.
#
#   certbot certonly --key-type rsa --rsa-key-size 2048 -d example.com \
#       --deploy-hook /usr/libexec/slbcert/certbot-deploy-hook.sh
#   (or, for every lineage: ln -s /usr/libexec/slbcert/certbot-deploy-hook.sh \
#        /etc/letsencrypt/renewal-hooks/deploy/slbcert)
#
# CLB accepts RSA keys only (1024, 2048 or 4096 bits): since certbot 2.0 the default key type is
# ECDSA, so ask for RSA as above. The PKCS#8 privkey.pem certbot writes is converted to the PKCS#1
# form CLB wants by slbcert itself.
#
# certbot runs the hook once per renewed certificate with RENEWED_LINEAGE set to its live
# directory (e.g. /etc/letsencrypt/live/example.com), whose fullchain.pem and privkey.pem are
# uploaded. Outside certbot (a systemd timer, by hand), set SLBCERT_LINEAGE instead. The other
# settings (SLBCERT_REGION, SLBCERT_PROFILE, SLBCERT_ENDPOINT, SLBCERT_CA_BUNDLE, SLBCERT_BIN) are
# described in slbcert-hook-common.sh, which this hook reads from its own directory (a symlink to
# the hook is followed).
#
# The certificate is named after the lineage and the UTC date of the upload, e.g.
# example.com-20260401. The upload is duplicate-safe: when the region already holds a certificate
# with the same fingerprint, nothing is uploaded and the hook succeeds, so running it again is
# harmless.
#
# Logs one line on stdout when it succeeds. On failure slbcert's error (and hint) goes to stderr
# and the hook exits with slbcert's status (2 certificate/key refused, 3 service error,
# 4 network/TLS, 5 credentials; 1 usage or setup), so certbot reports the failed hook.
#
# With SLBCERT_DEPLOY=1 the hook also puts the certificate on every HTTPS listener and SNI domain
# that uses a certificate it replaces (slbcert deploy), and exits with its status as well: 6 nothing
# to deploy, 7 a step failed and every change was rolled back, 8 the rollback is incomplete (see
# slbcert-hook-common.sh).
set -u
slbcert_hook="slbcert certbot-deploy-hook"

slbcert_common=$(dirname "$(readlink -f "$0" 2>/dev/null || printf '%s' "$0")")/slbcert-hook-common.sh
if [ ! -r "$slbcert_common" ]; then
    echo "$slbcert_hook: cannot read $slbcert_common (it belongs beside this hook)" >&2
    exit 1
fi
. "$slbcert_common"

lineage=${RENEWED_LINEAGE:-${SLBCERT_LINEAGE:-}}
if [ -z "$lineage" ]; then
    echo "$slbcert_hook: RENEWED_LINEAGE is not set (certbot sets it; elsewhere set SLBCERT_LINEAGE)" >&2
    exit 1
fi
lineage=${lineage%/}

slbcert_hook_run "${lineage##*/}" "$lineage/fullchain.pem" "$lineage/privkey.pem"
