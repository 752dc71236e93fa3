#!/usr/bin/env bash
# Writes abi/baseline/ from a released commit: checks it out into a scratch worktree, builds its library
# there with its own `make lib`, and dumps both corpora (abi/abi-dump.sh). Run it when a release is
# tagged, never for an unreleased change (docs/ABI.md, "Releasing").
# Usage: abi/update-baseline.sh VERSION COMMIT     e.g. abi/update-baseline.sh 1.0.0 0bf1752
set -euo pipefail
cd "$(dirname "$0")/.."
version=$1; commit=$(git rev-parse --verify "$2^{commit}")
scratch=$(mktemp -d)
trap 'git worktree remove --force "$scratch/tree" 2>/dev/null || true; rm -rf "$scratch"' EXIT

git worktree add --detach "$scratch/tree" "$commit"
make -C "$scratch/tree" lib
abi/abi-dump.sh "$scratch/tree" "$scratch/tree/build/lib/libslbcert.so.1" "$scratch/dump"
mkdir -p abi/baseline
cp "$scratch/dump/libslbcert.so.1.abi" "$scratch/dump/slbcert.h.abi" abi/baseline/
echo "$version $commit" >abi/baseline/RELEASE
echo "update-baseline: abi/baseline/ is now $version ($commit); review and commit it"
