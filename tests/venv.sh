#!/usr/bin/env bash
# Creates (once) and prints the path of a virtualenv under build/venv/ so that no suite
# installs anything into the machine's Python.
#   tests/venv.sh test [3.11|3.12|3.13]   pytest + confluent-kafka (tests/requirements.txt)
#   tests/venv.sh released                 glean-klient 0.1.2 from PyPI (Python >= 3.12)
# Prints the venv's python executable on stdout; progress goes to stderr.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kind="${1:?usage: tests/venv.sh test|released [python-version]}"
ver="${2:-}"

# A Python of the wanted minor version: python3.X on PATH, else pyenv's copy.
find_python() {
  local v="$1" p
  if command -v pyenv >/dev/null 2>&1; then
    for p in "$(pyenv root)"/versions/"$v".*/bin/python"$v"; do
      [[ -x "$p" ]] && { echo "$p"; return; }
    done
  fi
  # pyenv's shims answer `command -v` without working: run the candidate to be sure
  p="$(command -v "python$v" 2>/dev/null)" && "$p" -c '' 2>/dev/null && { echo "$p"; return; }
  return 1
}

case "$kind" in
  test) ver="${ver:-3.12}"; req="$ROOT/tests/requirements.txt" ;;
  released) ver="${ver:-3.12}"; req="$ROOT/tests/compat/requirements-released.txt" ;;
  *) echo "tests/venv.sh: unknown kind $kind" >&2; exit 2 ;;
esac
dir="$ROOT/build/venv/$kind-$ver"
stamp="$dir/.requirements"
if [[ -x "$dir/bin/python" ]] && cmp -s "$req" "$stamp"; then
  echo "$dir/bin/python"; exit 0
fi
py="$(find_python "$ver")" || { echo "tests/venv.sh: no Python $ver found (PATH or pyenv)" >&2; exit 1; }
echo "tests/venv.sh: creating $dir with $py" >&2
rm -rf "$dir"
"$py" -m venv "$dir"
"$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
cp "$req" "$stamp"
echo "$dir/bin/python"
