#!/usr/bin/env bash
# Proves that the ABI check (abi/abi-check.sh) tells compatible changes from breaks: it is run on
# doctored copies of include/slbcert.h and on doctored libraries, and must pass exactly the changes
# docs/ABI.md allows and fail every other one with abidiff's report naming what broke.
# Usage: Tests/abi/test-abi-check.sh LIBRARY WORKDIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
library=$(realpath "$1"); work=$2
rm -rf "$work" && mkdir -p "$work"
work=$(cd "$work" && pwd)
passed=0; failed=0

# tree NAME EDIT...: a copy of the public header and version script, with sed EDITs applied to the header.
tree() {
    local dir=$work/$1; shift
    mkdir -p "$dir/include"
    cp "$root/include/slbcert.h" "$dir/include/"
    cp "$root/libslbcert.map" "$dir/"
    local edit
    for edit in "$@"; do
        cp "$dir/include/slbcert.h" "$dir/before.h"
        sed -i -E "$edit" "$dir/include/slbcert.h"
        if cmp -s "$dir/before.h" "$dir/include/slbcert.h"; then
            echo "test-abi-check: the edit '$edit' changed nothing in include/slbcert.h: update this test" >&2
            exit 2
        fi
    done
    echo "$dir"
}

# fake_library NAME SONAME MAP: a library exporting the functions of the current header, built from the
# probe abi-dump.sh wrote for the unchanged tree, with another SONAME or version script.
fake_library() {
    gcc -std=c2x -shared -fPIC -I"$root/include" "$work/unchanged/check/current/probe.c" \
        -Wl,-soname,"$2" -Wl,--version-script="$3" -o "$work/$1.so"
    echo "$work/$1.so"
}

# expect pass|fail NAME SOURCE_DIR LIBRARY [TEXT]: runs the check; a failure must quote TEXT.
expect() {
    local want=$1 name=$2 src=$3 lib=$4 text=${5:-} log=$work/$2.log got
    if "$root/abi/abi-check.sh" "$src" "$lib" "$src/check" >"$log" 2>&1; then got=pass; else got=fail; fi
    if [ "$got" != "$want" ]; then
        echo "FAIL: $name: expected the check to $want, it did $got:"; sed 's/^/    /' "$log"; failed=$((failed + 1))
    elif [ -n "$text" ] && ! grep -qF -- "$text" "$log"; then
        echo "FAIL: $name: the check failed, but its report does not mention '$text':"; sed 's/^/    /' "$log"
        failed=$((failed + 1))
    else
        echo "ok: $name: the check $([ "$want" = pass ] && echo passes || echo fails)${text:+ (the report names '$text')}"; passed=$((passed + 1))
    fi
}

# Compatible changes.
expect pass unchanged "$(tree unchanged)" "$library"
expect pass options-field-appended \
    "$(tree options-field-appended 's/^(    int send_as_is; .*)$/\1\n    int appended_flag;/')" "$library"
expect pass status-appended \
    "$(tree status-appended 's/^(    SLBCERT_EUNCONFIRMED = -13)( .*)$/\1,\2/' \
        's/^\} slbcert_status;$/    SLBCERT_EAPPENDED = -99\n} slbcert_status;/')" "$library"
expect pass function-and-enum-added \
    "$(tree function-and-enum-added \
        's/^(void slbcert_string_free\(char \*string\);)$/\1\ntypedef enum slbcert_added { SLBCERT_ADDED = 1 } slbcert_added;\nint slbcert_added_function(const char *name, long *value);/')" \
    "$library"

# Breaks of the header's types and functions.
expect fail enum-value-changed "$(tree enum-value-changed 's/SLBCERT_ERANGE = -11,/SLBCERT_ERANGE = -21,/')" \
    "$library" "SLBCERT_ERANGE"
expect fail enumerator-renamed "$(tree enumerator-renamed 's/SLBCERT_ERANGE = -11,/SLBCERT_EOUTOFRANGE = -11,/')" \
    "$library" "enumerator deletion"
expect fail field-inserted-in-the-middle \
    "$(tree field-inserted-in-the-middle 's/^(    long connect_timeout_ms; .*)$/    long inserted_ms;\n\1/')" \
    "$library" "inserted_ms"
expect fail field-type-changed "$(tree field-type-changed 's/^    int max_attempts;( .*)$/    long max_attempts;\1/')" \
    "$library" "max_attempts"
expect fail field-removed "$(tree field-removed '/^    int log_level; /d')" "$library" "log_level"
expect fail field-appended-and-another-changed \
    "$(tree field-appended-and-another-changed 's/^(    int send_as_is; .*)$/\1\n    int appended_flag;/' \
        's/^    int no_ensure;( .*)$/    long no_ensure;\1/')" \
    "$library" "no_ensure"
expect fail options-struct-shrunk "$(tree options-struct-shrunk '/^    int v1_legacy_signature_type; /d')" \
    "$library" "v1_legacy_signature_type"
expect fail parameter-type-changed \
    "$(tree parameter-type-changed 's/^(int slbcert_redact\(char \*\*out, const char \*text, )size_t length\);$/\1int length);/')" \
    "$library" "slbcert_redact"
expect fail return-type-changed \
    "$(tree return-type-changed 's/^int64_t (slbcert_certificate_not_after_ms\()/int \1/')" \
    "$library" "slbcert_certificate_not_after_ms"
expect fail function-removed "$(tree function-removed '/^void slbcert_last_error_clear\(void\);$/d')" \
    "$library" "slbcert_last_error_clear"

# Breaks of the built library: its symbols, their version node, its SONAME.
sed 's/^\(    local: \)\*;$/\1slbcert_strerror; *;/' "$root/libslbcert.map" >"$work/without-strerror.map"
expect fail symbol-removed "$work/unchanged" "$(fake_library symbol-removed libslbcert.so.1 "$work/without-strerror.map")" \
    "slbcert_strerror@@SLBCERT_1"
sed 's/SLBCERT_1/SLBCERT_2/' "$root/libslbcert.map" >"$work/node-renamed.map"
expect fail version-node-renamed "$work/unchanged" \
    "$(fake_library version-node-renamed libslbcert.so.1 "$work/node-renamed.map")" "@@SLBCERT_1"
expect fail soname-changed "$work/unchanged" "$(fake_library soname-changed libslbcert.so.2 "$root/libslbcert.map")" \
    "SONAME changed from 'libslbcert.so.1' to 'libslbcert.so.2'"

echo "test-abi-check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
