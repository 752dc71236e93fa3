#!/usr/bin/env bash
# Compares the ABI of a build with the baseline of the last release (abi/baseline/, see docs/ABI.md) and
# fails on anything the promise does not allow: a removed function or symbol, a changed SONAME, symbol
# version, parameter or return type, enum value or struct layout. Additions pass (new functions, new
# enums, enumerators appended, fields appended to a versioned options struct: abi/libslbcert.abignore).
# Usage: abi/abi-check.sh SOURCE_DIR LIBRARY WORKDIR
#   SOURCE_DIR  the tree whose include/slbcert.h and libslbcert.map built LIBRARY
#   WORKDIR     where the build's corpora are written (WORKDIR/current)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
baseline=$here/baseline
src=$1; library=$2; work=$3

"$here/abi-dump.sh" "$src" "$library" "$work/current"
echo "abi-check: against the baseline of $(cat "$baseline/RELEASE")"

# --no-added-syms: additions are allowed, so they are not changes. Harmless changes (an enumerator
# added at the end of an enum) are filtered by abidiff itself.
status=0
echo "--- symbols of $library (abidiff $baseline/libslbcert.so.1.abi)"
abidiff --no-added-syms "$baseline/libslbcert.so.1.abi" "$work/current/libslbcert.so.1.abi" || status=$?
library_status=$status
echo "--- types of include/slbcert.h (abidiff --suppressions abi/libslbcert.abignore $baseline/slbcert.h.abi)"
abidiff --no-added-syms --suppressions "$here/libslbcert.abignore" \
    "$baseline/slbcert.h.abi" "$work/current/slbcert.h.abi" || status=$?
echo "--- the versioned options structs only grew at their end (abi/options-prefix.py)"
python3 "$here/options-prefix.py" "$here/libslbcert.abignore" "$baseline/slbcert.h.abi" \
    "$work/current/slbcert.h.abi" || status=1

if [ "$library_status" -ne 0 ] || [ "$status" -ne 0 ]; then
    echo "abi-check: FAIL: the ABI of libslbcert.so.1 changed incompatibly since $(cut -d' ' -f1 "$baseline/RELEASE") (abidiff's report above; docs/ABI.md says what may change)" >&2
    exit 1
fi
echo "abi-check: ok: compatible with $(cut -d' ' -f1 "$baseline/RELEASE")"
