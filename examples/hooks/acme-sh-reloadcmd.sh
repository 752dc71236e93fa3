#!/bin/sh
# acme.sh reload command: upload an issued or renewed certificate to Alibaba Cloud SLB (CLB) with slbcert.
#
#   acme.sh --issue -d example.com --keylength 2048 ...
#   acme.sh --install-cert -d example.com \
#       --reloadcmd "SLBCERT_REGION=cn-hangzhou /usr/libexec/slbcert/acme-sh-reloadcmd.sh"
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
# The settings (SLBCERT_REGION, SLBCERT_PROFILE, SLBCERT_ENDPOINT, SLBCERT_CA_BUNDLE, SLBCERT_BIN)
# are described in slbcert-hook-common.sh, which this script reads from its own directory (a
# symlink to the script is followed). Put them in front of the command as above: acme.sh keeps them
# in the saved command.
#
# The certificate is named after the domain and the UTC date of the upload, e.g.
# example.com-20260401 (a wildcard *.example.com becomes wildcard.example.com-20260401). The upload
# is duplicate-safe: when the region already holds a certificate with the same fingerprint,
# nothing is uploaded and the command succeeds.
#
# Logs one line on stdout when it succeeds. On failure slbcert's error (and hint) goes to stderr
# and the script exits with slbcert's status (2 certificate/key refused, 3 service error,
# 4 network/TLS, 5 credentials; 1 usage or setup); acme.sh then logs "Reload error for: <domain>".
#
# With SLBCERT_DEPLOY=1 the script also puts the certificate on every HTTPS listener and SNI domain
# that uses a certificate it replaces (slbcert deploy), and exits with its status as well: 6 nothing
# to deploy, 7 a step failed and every change was rolled back, 8 the rollback is incomplete (see
# slbcert-hook-common.sh).
set -u
slbcert_hook="slbcert acme-sh-reloadcmd"

slbcert_common=$(dirname "$(readlink -f "$0" 2>/dev/null || printf '%s' "$0")")/slbcert-hook-common.sh
if [ ! -r "$slbcert_common" ]; then
    echo "$slbcert_hook: cannot read $slbcert_common (it belongs beside this script)" >&2
    exit 1
fi
. "$slbcert_common"

fullchain=${CERT_FULLCHAIN_PATH:-}
key=${CERT_KEY_PATH:-}
if [ -z "$fullchain" ] || [ -z "$key" ]; then
    echo "$slbcert_hook: CERT_FULLCHAIN_PATH and CERT_KEY_PATH must be set (acme.sh exports them to --reloadcmd)" >&2
    exit 1
fi

# The domain: Le_Domain, else the name of acme.sh's directory for it (without its _ecc suffix).
domain=${Le_Domain:-}
if [ -z "$domain" ]; then
    domain=$(dirname "$fullchain")
    domain=${domain##*/}
    domain=${domain%_ecc}
fi

slbcert_hook_run "$domain" "$fullchain" "$key"
