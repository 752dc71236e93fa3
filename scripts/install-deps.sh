#!/usr/bin/env bash
# Installs what building and testing slbcert needs, and only what is missing:
# Debian packages through apt (apt-get update first), Python packages into build/venv.
# Usage: scripts/install-deps.sh [build|test|docs|deb]
set -euo pipefail
cd "$(dirname "$0")/.."
want="${1:-test}"

packages=(libssl-dev libcurl4-openssl-dev pkg-config python3-venv)
case "$want" in
  # abigail-tools: abidw/abidiff for the ABI check (mk/abi.mk); doxygen: `make docs` (mk/docs.mk);
  # zsh, fish: the completion tests load the generated scripts into them (Tests/cli/test_completion.py);
  # time, curl: bench-load reads peak RSS from GNU time and compares with the curl CLI.
  test) packages+=(valgrind openssl abigail-tools doxygen zsh fish time curl) ;;
  docs) packages+=(doxygen) ;;
  deb)  packages+=(debhelper dh-python pybuild-plugin-pyproject python3-all python3-setuptools python3-cryptography
                  help2man git pkgconf dpkg-dev lintian gcc libc6-dev openssl doxygen) ;;
esac

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

case "$want" in build|docs) exit 0 ;; esac

# The test virtualenv: the emulator's dependency, pytest, and Alibaba's own SDKs (pinned to the versions
# docs/protocol.md was read from) as independent clients.
venv=build/venv
stamp="$venv/.installed-$(cat scripts/python-requirements.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "install-deps: preparing $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r scripts/python-requirements.txt
  touch "$stamp"
fi
# The project's own Python packages, reinstalled each time so the venv runs the working tree's code.
"$venv/bin/pip" install -q --disable-pip-version-check --no-deps --force-reinstall ./emulator ./bindings/python >/dev/null
