#!/usr/bin/env bash
# Install the system packages the test suites need, only those that are missing.
# Called by `make test` (and so by .ci/run). Python packages: none needed yet.
set -euo pipefail

APT_PACKAGES=(pkg-config valgrind cmake)  # cmake: the find_package(klient) check in tests/c

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "deps.sh: installing ${missing[*]}" >&2
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
  "${sudo[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

# Python packages are never installed here: each suite makes its venv under build/venv (tests/venv.sh).
