#!/usr/bin/env bash
# Checks the built library is an ordinary C library: SONAME, no RUNPATH, immediate binding, no Swift
# runtime dependency, never unloaded, and exports exactly the functions the header declares.
set -euo pipefail
lib="$1"; header="$2"
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }

dynamic=$(readelf -d "$lib")
check "SONAME is libslbcert.so.1" 'grep -q "SONAME.*\[libslbcert.so.1\]" <<<"$dynamic"'
check "no RPATH/RUNPATH" '! grep -qE "RPATH|RUNPATH" <<<"$dynamic"'
check "immediate binding (-z now)" 'grep -qE "BIND_NOW|FLAGS_1.*NOW" <<<"$dynamic"'
# The static Swift runtime and OpenSSL keep thread-local destructors: an unloaded copy would leave
# them pointing at unmapped code, so dlclose() must never unmap it (Tests/c/test_unload.c).
check "never unloaded (-z nodelete)" 'grep -qE "FLAGS_1.*NODELETE" <<<"$dynamic"'
check "no Swift library among the dependencies" '! ldd "$lib" | grep -qi swift'

exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sed 's/@.*//' | sort -u)
check "every exported symbol starts with slbcert_" '! grep -v "^slbcert_" <<<"$exported" | grep -q .'
# Declarations of the header with comments removed (doc comments name functions too).
declared=$(gcc -fpreprocessed -dD -E -P "$header" 2>/dev/null | grep -oE '\bslbcert_[a-z0-9_]+\s*\(' | tr -d '( ' | sort -u)
if [ "$exported" = "$declared" ]; then
  echo "ok: exported symbols == header declarations ($(wc -l <<<"$declared") functions)"
else
  echo "FAIL: exported symbols and header declarations differ:"
  diff <(echo "$declared") <(echo "$exported") | sed 's/^</  declared, not exported:/; s/^>/  exported, not declared:/' | grep -v '^[0-9]'
  fail=1
fi
exit $fail
