#!/usr/bin/env bash
# Tests the Debian packages as a user gets them: builds them (make deb), checks them with lintian (any
# E: or W: tag fails), installs them on this machine with apt-get, runs the autopkgtest scripts of
# debian/tests against the installed files in a clean environment (no Swift toolchain, no virtualenv,
# no pyenv on PATH), and removes the packages again, also when something fails.
# Usage: scripts/deb-test.sh [--no-build]   (--no-build: test the packages already in build/deb/)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
out=build/deb
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
APT=(env DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 -y -q)
say() { printf '\n== deb-test: %s\n' "$*"; }

if [ "${1:-}" != "--no-build" ]; then
    say "building the packages (make deb)"
    start=$SECONDS
    make --no-print-directory deb
    echo "make deb took $((SECONDS - start)) s"
fi
changes=$(ls "$out"/*.changes)
debs=(); packages=()
for deb in "$out"/*.deb; do
    case "$deb" in *-dbgsym_*) continue ;; esac    # debug symbols: built and checked, not installed
    debs+=("$deb"); packages+=("$(dpkg-deb -f "$deb" Package)")
done
echo "packages: ${packages[*]}"

say "lintian"
# Lintian warns when it runs as root; that line is not about the packages.
lintian --display-info --tag-display-limit 0 "$changes" 2>&1 | grep -v '^running with root privileges' \
    | tee "$out/lintian.txt" || true
if grep -q '^[EW]:' "$out/lintian.txt"; then
    echo "deb-test: lintian reports errors or warnings (above, and in $out/lintian.txt)" >&2
    exit 1
fi
echo "lintian: no errors, no warnings"

# Refuse to replace packages somebody installed on purpose: what this script installs, it removes.
for package in "${packages[@]}"; do
    if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        echo "deb-test: $package is already installed on this machine; remove it first (apt-get purge $package)" >&2
        exit 1
    fi
done

remove_packages() {
    local installed=()
    for package in "${packages[@]}"; do
        local state
        state=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
        [ -n "$state" ] && [ "$state" != not-installed ] && installed+=("$package")
    done
    if [ ${#installed[@]} -gt 0 ]; then
        say "removing ${installed[*]}"
        "${APT[@]}" purge "${installed[@]}" >/dev/null
    fi
}
trap remove_packages EXIT

# The tests' own dependencies that are not packages of this build (gcc, pkgconf, openssl, ...), when
# missing: one already installed is left as it is (apt-get would upgrade it).
test_depends=""
for package in $(awk -F': *' '/^Depends:/ {print $2}' debian/tests/control | tr ',' '\n' | sed 's/^ *//; s/ .*//' \
                 | grep -v '^$' | sort -u | grep -vxF -f <(printf '%s\n' "${packages[@]}") || true); do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || test_depends+=" $package"
done
say "installing ${packages[*]}$test_depends"
if ! "${APT[@]}" install --no-install-recommends "${debs[@]/#/./}" $test_depends >"$out/apt-install.log" 2>&1; then
    cat "$out/apt-install.log" >&2
    exit 1
fi
grep -E '^(Setting up|Inst|The following|[0-9]+ upgraded)' "$out/apt-install.log" || true

say "running debian/tests against the installed packages"
passed=0; failed=0; failures=()
# Paragraphs of debian/tests/control: "Tests: a b" and "Restrictions: ...".
while IFS='|' read -r tests restrictions; do
    for test in $tests; do
        work=$(mktemp -d)
        set +e
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$work" LANG=C.UTF-8 AUTOPKGTEST_TMP="$work" \
            "$top/debian/tests/$test" >"$work.stdout" 2>"$work.stderr"
        status=$?
        set -e
        sed "s/^/  $test: /" "$work.stdout"
        sed "s/^/  $test (stderr): /" "$work.stderr"
        if [ $status -ne 0 ]; then
            result="FAIL (exit status $status)"
        elif [ -s "$work.stderr" ] && [[ " $restrictions " != *" allow-stderr "* ]]; then
            result="FAIL (output on stderr)"
        else
            result="ok"
        fi
        echo "$test: $result"
        if [ "$result" = ok ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$test"); fi
        rm -rf "$work" "$work.stdout" "$work.stderr"
    done
done < <(awk '
    function flush() { if (tests != "") print tests "|" restrictions; tests = ""; restrictions = "" }
    /^[ \t]*$/ { flush(); next }
    /^#/ { next }
    /^Tests:/ { sub(/^Tests:[ \t]*/, ""); gsub(/,/, " "); tests = $0; next }
    /^Restrictions:/ { sub(/^Restrictions:[ \t]*/, ""); gsub(/,/, " "); restrictions = $0; next }
    END { flush() }' debian/tests/control)

echo
[ $failed -eq 0 ] || echo "failed: ${failures[*]}"
echo "deb-test: $passed passed, $failed failed"
[ $failed -eq 0 ]
