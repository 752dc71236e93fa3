# shellcheck shell=sh
# slbcert-hook-common.sh: what the certbot and acme.sh hooks share. It is sourced, not run: each hook
# reads it from its own directory (/usr/libexec/slbcert/ as the slbcert package installs them,
# examples/hooks/ in a source checkout), sets slbcert_hook to its name for log lines, and calls
#
#   slbcert_hook_run DOMAIN FULLCHAIN KEY
#
# which names the certificate after DOMAIN and the date, uploads the pair with `slbcert upload --json`
# (duplicate-safe: a certificate the region already holds is not uploaded again), reads the result
# from the JSON and logs one line. It returns 0, or slbcert's exit status when the upload failed.
# With SLBCERT_DEPLOY=1 it then puts the certificate on every HTTPS listener and SNI domain that
# uses a certificate it replaces (`slbcert deploy --json`) and logs a second line; it returns
# slbcert deploy's exit status: 0 deployed (or already deployed), 6 nothing to deploy (no listener
# uses a certificate this one replaces: bind it once by hand, later renewals follow it), 7 a step
# failed and every change was rolled back (the listeners keep the old certificate), 8 a step failed
# and the rollback is incomplete (the line names the journal for `slbcert rollback`).
#
# Settings, all optional, from the environment:
#   SLBCERT_REGION     the region of the load balancers (else ALIBABA_CLOUD_REGION_ID, then the
#                      profile's region_id)
#   SLBCERT_PROFILE    a profile of ~/.aliyun/config.json or ~/.alibabacloud/credentials
#   SLBCERT_ENDPOINT   the API endpoint URL (default: the region's)
#   SLBCERT_CA_BUNDLE  a CA bundle to verify the endpoint with
#   SLBCERT_BIN        the slbcert executable (default: slbcert on PATH)
#   SLBCERT_DEPLOY     1: also deploy the certificate (see above)
#   SLBCERT_DEPLOY_LOAD_BALANCERS  with SLBCERT_DEPLOY: only these load balancer ids (space-separated)
#   SLBCERT_DEPLOY_DELETE_OLD      1: afterwards delete the replaced certificates nothing uses any more
#   SLBCERT_DEPLOY_VERIFY_TLS      1: also check each listener by TLS handshake
#   SLBCERT_STATE_DIR  where slbcert keeps its deploy journals (default: systemd's STATE_DIRECTORY,
#                      then ~/.local/state/slbcert)
# Credentials come from slbcert's usual chain (ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET, the profile
# files, the ECS instance role), never from arguments.
#
# Only POSIX sh and sed are needed: nothing beyond what the slbcert package depends on and every
# Debian system has (sed is Essential). Every name defined here starts with slbcert_.

: "${slbcert_hook:=slbcert hook}"

# slbcert_name_for DOMAIN: DOMAIN-YYYYMMDD (the UTC date), made to fit CLB's names: a
# wildcard "*." becomes "wildcard.", other characters CLB does not allow become "-", a name that does
# not start with a letter gets "cert-" in front, and the result is at most 80 characters.
slbcert_name_for() {
    slbcert_base=$(printf '%s' "$1" | sed 's/^\*\./wildcard./' | LC_ALL=C tr -c 'A-Za-z0-9._-' '-')
    case $slbcert_base in
        [A-Za-z]*) ;;
        *) slbcert_base="cert-$slbcert_base" ;;
    esac
    printf '%s-%s' "$(printf '%s' "$slbcert_base" | cut -c1-71)" "$(date -u +%Y%m%d)"
}

# slbcert_json_member NAME: the value of the top-level member NAME of the JSON document on stdin, as
# `slbcert ... --json` prints it; nothing when there is no such member. A string comes without its
# quotes and with its escapes as written (the ids, names and regions read here never have any);
# true, false and numbers as they are. This relies on the CLI's layout: one member per line,
# top-level members indented by exactly two spaces, nested ones by more, and every string on one
# line (a newline inside a value is written as \n). So a line that starts with two spaces and a
# quote is a top-level member, and no value, not even a certificate's CN, can forge one. The layout
# is that of the CLI the hooks come with; Tests/cli/test_hooks.py checks this reader against it.
slbcert_json_member() {
    sed -n "s/^  \"$1\": \(.*\)/\1/p" | sed -e 's/,$//' -e 's/^"\(.*\)"$/\1/'
}

# slbcert_upload DOMAIN FULLCHAIN KEY: runs `slbcert upload --json` and sets, from its answer,
# slbcert_certificate_id, slbcert_uploaded (true, or false when the certificate was already there),
# slbcert_stored_name and slbcert_region.
slbcert_upload() {
    slbcert_domain=$1
    set -- upload --json --cert "$2" --key "$3" --name "$(slbcert_name_for "$1")"
    if [ -n "${SLBCERT_REGION:-}" ]; then set -- "$@" --region "$SLBCERT_REGION"; fi
    if [ -n "${SLBCERT_PROFILE:-}" ]; then set -- "$@" --profile "$SLBCERT_PROFILE"; fi
    if [ -n "${SLBCERT_ENDPOINT:-}" ]; then set -- "$@" --endpoint "$SLBCERT_ENDPOINT"; fi
    if [ -n "${SLBCERT_CA_BUNDLE:-}" ]; then set -- "$@" --ca-bundle "$SLBCERT_CA_BUNDLE"; fi

    # stdout is the JSON answer; slbcert's warnings and errors (with their hints) go to stderr as
    # they are.
    slbcert_answer=$("${SLBCERT_BIN:-slbcert}" "$@")
    slbcert_status=$?
    if [ "$slbcert_status" -ne 0 ]; then
        echo "$slbcert_hook: $slbcert_domain: slbcert upload failed (exit status $slbcert_status)" >&2
        return "$slbcert_status"
    fi
    slbcert_certificate_id=$(printf '%s\n' "$slbcert_answer" | slbcert_json_member ServerCertificateId)
    slbcert_uploaded=$(printf '%s\n' "$slbcert_answer" | slbcert_json_member Uploaded)
    slbcert_stored_name=$(printf '%s\n' "$slbcert_answer" | slbcert_json_member ServerCertificateName)
    slbcert_region=$(printf '%s\n' "$slbcert_answer" | slbcert_json_member RegionId)
    case $slbcert_uploaded in
        true | false) ;;
        *) slbcert_certificate_id= ;;
    esac
    if [ -z "$slbcert_certificate_id" ]; then
        echo "$slbcert_hook: $slbcert_domain: slbcert upload succeeded, but its --json answer has no" \
             "ServerCertificateId and Uploaded (is ${SLBCERT_BIN:-slbcert} the slbcert these hooks came with?)" >&2
        return 1
    fi
}

# slbcert_deploy DOMAIN FULLCHAIN KEY: runs `slbcert deploy --json` and sets slbcert_outcome and
# slbcert_journal from its report. Returns slbcert deploy's exit status.
slbcert_deploy() {
    slbcert_domain=$1
    set -- deploy --json --cert "$2" --key "$3" --name "$(slbcert_name_for "$1")"
    if [ -n "${SLBCERT_REGION:-}" ]; then set -- "$@" --region "$SLBCERT_REGION"; fi
    if [ -n "${SLBCERT_PROFILE:-}" ]; then set -- "$@" --profile "$SLBCERT_PROFILE"; fi
    if [ -n "${SLBCERT_ENDPOINT:-}" ]; then set -- "$@" --endpoint "$SLBCERT_ENDPOINT"; fi
    if [ -n "${SLBCERT_CA_BUNDLE:-}" ]; then set -- "$@" --ca-bundle "$SLBCERT_CA_BUNDLE"; fi
    for slbcert_lb in ${SLBCERT_DEPLOY_LOAD_BALANCERS:-}; do set -- "$@" --load-balancer "$slbcert_lb"; done
    if [ "${SLBCERT_DEPLOY_DELETE_OLD:-}" = 1 ]; then set -- "$@" --delete-old; fi
    if [ "${SLBCERT_DEPLOY_VERIFY_TLS:-}" = 1 ]; then set -- "$@" --verify-tls; fi

    # The report is on stdout whatever the outcome (6, 7 and 8 included); errors and warnings on stderr.
    slbcert_answer=$("${SLBCERT_BIN:-slbcert}" "$@")
    slbcert_status=$?
    slbcert_outcome=$(printf '%s\n' "$slbcert_answer" | slbcert_json_member Outcome)
    slbcert_journal=$(printf '%s\n' "$slbcert_answer" | slbcert_json_member Journal)
    if [ "$slbcert_journal" = null ]; then slbcert_journal=; fi
    return "$slbcert_status"
}

# slbcert_hook_run DOMAIN FULLCHAIN KEY: upload, then log one line on stdout; with SLBCERT_DEPLOY=1,
# deploy and log a second line (or a line on stderr when the deploy did not succeed).
slbcert_hook_run() {
    slbcert_upload "$1" "$2" "$3" || return
    if [ "$slbcert_uploaded" = true ]; then
        slbcert_result="Uploaded $slbcert_certificate_id"
    else
        slbcert_result="Already present as $slbcert_certificate_id"
    fi
    echo "$slbcert_hook: $1: $slbcert_result (name $slbcert_stored_name, region $slbcert_region)"
    [ "${SLBCERT_DEPLOY:-}" = 1 ] || return 0

    slbcert_deploy "$1" "$2" "$3"
    slbcert_status=$?
    slbcert_where=${slbcert_journal:+ (journal $slbcert_journal)}
    case $slbcert_status in
        0)
            if [ "$slbcert_outcome" = already-deployed ]; then
                echo "$slbcert_hook: $1: already deployed: every listener and SNI domain that needs it uses $slbcert_certificate_id"
            else
                echo "$slbcert_hook: $1: deployed $slbcert_certificate_id to every listener and SNI domain that used a certificate it replaces$slbcert_where"
            fi ;;
        6) echo "$slbcert_hook: $1: nothing to deploy: no listener or SNI domain uses a certificate $slbcert_certificate_id replaces; bind it once by hand (later renewals follow it)" >&2 ;;
        7) echo "$slbcert_hook: $1: slbcert deploy failed and rolled every change back; the listeners keep their old certificate$slbcert_where" >&2 ;;
        8) echo "$slbcert_hook: $1: slbcert deploy failed and could not roll everything back: run slbcert rollback ${slbcert_journal:-JOURNAL} to finish" >&2 ;;
        *) echo "$slbcert_hook: $1: slbcert deploy failed (exit status $slbcert_status)" >&2 ;;
    esac
    return "$slbcert_status"
}
