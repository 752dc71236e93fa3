#!/usr/bin/env bash
# Checks that debian/libslbcert1.symbols lists exactly what the built library exports, with the same
# version node: the package build fails otherwise (DPKG_GENSYMBOLS_CHECK_LEVEL=4), and this says so
# in `make test`, before anyone builds a package.
# Usage: Tests/abi/check-symbols-file.sh LIBRARY SYMBOLS_FILE
set -euo pipefail
library=$1; symbols=$2
# nm -D prints exported names as NAME@@NODE (and the node itself as NODE@@NODE, type A); the symbols
# file writes NAME@NODE, one per line after a space.
exported=$(nm -D --defined-only "$library" | awk '$2 == "A" {print $3 "@" $3; next} $2 ~ /^[A-Z]$/ {print $3}' |
    sed 's/@@/@/' | LC_ALL=C sort -u)
listed=$(sed -n 's/^ \([^ ]*\) .*/\1/p' "$symbols" | LC_ALL=C sort -u)
if [ "$exported" = "$listed" ]; then
    echo "ok: $symbols lists the $(wc -l <<<"$exported") symbols $library exports"
    exit 0
fi
echo "FAIL: $symbols and the symbols $library exports differ:"
diff <(echo "$listed") <(echo "$exported") | sed -n 's/^</  listed, not exported:/p; s/^>/  exported, not listed:/p'
echo "  After adding a function: run debian/update-symbols, review the diff and commit it (docs/ABI.md)."
exit 1
