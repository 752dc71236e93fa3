#!/usr/bin/env bash
# `make install` then `make uninstall`, the way a user runs them (PREFIX=/usr/local, no DESTDIR):
# right after install a C program finds libslbcert.so.1 with no LD_LIBRARY_PATH and no manual
# ldconfig; after uninstall every installed file is gone and the loader no longer lists the library.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=/usr/local
if [ "$(id -u)" -ne 0 ]; then echo "install-test: needs root (it installs into $prefix); skipped"; exit 0; fi
if [ -e "$prefix/lib/libslbcert.so.1" ] && [ -z "${SLBCERT_INSTALL_TEST_FORCE:-}" ]; then
  echo "install-test: $prefix already holds a libslbcert.so.1; not touching it"; exit 1
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fail() { echo "install-test: FAIL: $*"; exit 1; }

before=$(find "$prefix" -xdev | sort)
make -s install PREFIX="$prefix" >/dev/null
after=$(find "$prefix" -xdev | sort)
installed=$(comm -13 <(echo "$before") <(echo "$after"))
echo "install-test: installed $(echo "$installed" | grep -c .) new paths"

ldconfig -p | grep -q 'libslbcert.so.1 ' || fail "the loader's cache does not list libslbcert.so.1 after make install"
cat > "$work/probe.c" <<'C'
#include <slbcert.h>
#include <stdio.h>
int main(void) { printf("%s\n", slbcert_version()); return slbcert_version_number() == SLBCERT_VERSION_NUMBER ? 0 : 1; }
C
cc "$work/probe.c" -o "$work/probe" $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs slbcert)
env -u LD_LIBRARY_PATH "$work/probe" >/dev/null || fail "a program built against the installed library does not run"
"$prefix/bin/slbcert" --version >/dev/null || fail "the installed CLI does not run"

make -s uninstall PREFIX="$prefix" >/dev/null
left=$(comm -13 <(echo "$before") <(find "$prefix" -xdev | sort) | while read -r path; do [ -d "$path" ] || echo "$path"; done)
[ -z "$left" ] || fail "make uninstall left: $left"
ldconfig -p | grep -q 'libslbcert.so.1 ' && fail "the loader still lists libslbcert.so.1 after make uninstall"
echo "install-test: 3 passed, 0 failed"
