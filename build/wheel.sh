#!/usr/bin/env bash
# make wheel: build/wheel/klient-<version>-py3-none-manylinux_<glibc>_x86_64.whl
#
# One wheel for every CPython >= 3.11: the package is pure Python over ctypes (tag
# py3-none, set in bindings/python/setup.py) with two native files in klient/_lib/,
# libklient.so and librdkafka.so.1, stripped. auditwheel (in a pinned build venv) checks
# every ELF file in the wheel against the manylinux policies and gives the wheel the
# most compatible platform tag; librdkafka.so.1 resolves inside the wheel (libklient's
# RUNPATH $ORIGIN), so nothing is grafted and each native file is shipped once. The
# checks at the end fail the build if that ever stops being true.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT=build/wheel
req=bindings/python/requirements-wheel.txt
venv=build/venv/wheel-build

if [[ ! -x $venv/bin/python ]] || ! cmp -s "$req" "$venv/.requirements"; then
  py=$(command -v python3)
  for cand in "$(pyenv root 2>/dev/null)"/versions/3.12.*/bin/python3.12; do [[ -x $cand ]] && py=$cand; done
  echo "wheel.sh: creating $venv with $py" >&2
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
  cp "$req" "$venv/.requirements"
fi

# Stale setuptools outputs would leak old files into the wheel.
rm -rf "$OUT" bindings/python/build bindings/python/klient.egg-info
mkdir -p "$OUT/raw"
"$venv/bin/python" -m build --wheel --no-isolation --outdir "$OUT/raw" bindings/python >"$OUT/build.log" 2>&1 \
  || { tail -30 "$OUT/build.log" >&2; exit 1; }
raw=("$OUT"/raw/*.whl)
[[ ${#raw[@]} -eq 1 ]] || { echo "wheel.sh: expected one wheel, got ${raw[*]}" >&2; exit 1; }
PATH="$ROOT/$venv/bin:$PATH" auditwheel repair --wheel-dir "$OUT" "${raw[0]}" >"$OUT/auditwheel.log" 2>&1 \
  || { cat "$OUT/auditwheel.log" >&2; exit 1; }
rm -rf "$OUT/raw" bindings/python/build bindings/python/klient.egg-info

whl=("$OUT"/*.whl)
[[ ${#whl[@]} -eq 1 ]] || { echo "wheel.sh: expected one repaired wheel, got ${whl[*]}" >&2; exit 1; }
"$venv/bin/python" - "${whl[0]}" <<'PY'
import re, sys, zipfile
whl = sys.argv[1]
if not re.search(r"-py3-none-manylinux_2_\d+_x86_64\.whl$", whl):
    sys.exit(f"wheel.sh: unexpected tag: {whl}")
names = zipfile.ZipFile(whl).namelist()
native = sorted(n for n in names if ("/_lib/" in n or ".libs/" in n) and not n.endswith("/"))
want = ["klient/_lib/libklient.so", "klient/_lib/librdkafka.so.1"]
if native != want:
    sys.exit(f"wheel.sh: native files {native}, want exactly {want}")
size = sum(i.file_size for i in zipfile.ZipFile(whl).infolist())
print(f"{whl}: {len(names)} files, {size / 1e6:.1f} MB installed")
if size > 25e6:
    sys.exit("wheel.sh: installed size over 25 MB")
PY
