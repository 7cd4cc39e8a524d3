#!/usr/bin/env bash
# Wheel suite: `make wheel`, then for each of Python 3.11, 3.12, 3.13 a fresh venv
# outside the repository with no Go on PATH, plain `pip install` of the wheel (it has no
# dependencies, so no index is needed), and there: the produce/consume smoke program
# against the broker, `klient --version` and `glean-kafka --help`. Then a fresh clone
# without Go: its sdist builds and the wheel build from it fails with a clear message.
# Prints "N passed, N failed" last.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
if [[ -z "${KLIENT_TEST_BOOTSTRAP:-}" && -f build/broker.env ]]; then
  set -a; source build/broker.env; set +a
fi
: "${KLIENT_TEST_BOOTSTRAP:?KLIENT_TEST_BOOTSTRAP not set (make broker-up; source build/broker.env)}"

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
finish() { echo "$pass passed, $fail failed"; [[ $fail -eq 0 ]]; exit; }

work=$(mktemp -d /tmp/klient-wheel-XXXXXX)
trap 'rm -rf "$work"' EXIT
make --no-print-directory wheel >"$work/make-wheel.log" 2>&1 || { tail -30 "$work/make-wheel.log"; bad "make wheel"; finish; }
whl=$(ls build/wheel/*.whl)
ok "make wheel: $(basename "$whl")"
cp "$whl" "$work/" && cp tests/wheel/smoke.py "$work/"
# A PATH without Go (nor anything else from the build machine but the basics).
clean_path=/usr/bin:/bin
if PATH=$clean_path command -v go >/dev/null; then bad "go is on $clean_path: the no-Go check means nothing"; fi

for ver in 3.11 3.12 3.13; do
  py=""
  for cand in "$(pyenv root 2>/dev/null)"/versions/"$ver".*/bin/python"$ver"; do [[ -x $cand ]] && py=$cand; done
  [[ -n $py ]] || { bad "no Python $ver (pyenv)"; continue; }
  venv="$work/venv-$ver"
  "$py" -m venv "$venv" || { bad "$ver: venv"; continue; }
  run_in() { (cd "$work" && env -u PYTHONPATH -u KLIENT_LIBRARY PATH="$venv/bin:$clean_path" "$@"); }
  if ! run_in pip install --quiet --disable-pip-version-check --no-index "$work/$(basename "$whl")"; then
    bad "$ver: pip install"; continue
  fi
  ok "$ver: pip install $(basename "$whl")"
  size=$(du -sb "$venv/lib/python$ver/site-packages/klient" | cut -f1)
  (( size <= 25 * 1000 * 1000 )) && ok "$ver: installed size $((size / 1000000)) MB <= 25 MB" || bad "$ver: installed size $size bytes"
  topic="wheel-smoke-${ver/./}-$$-$RANDOM"
  out=$(run_in timeout 120 python smoke.py "$KLIENT_TEST_BOOTSTRAP" "$topic" 2>&1) \
    && ok "$ver: $out" || bad "$ver: smoke program: $out"
  want=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' bindings/python/klient/_version.py)
  out=$(run_in timeout 60 klient --version 2>&1) && [[ $out == *"$want"* ]] \
    && ok "$ver: klient --version: $out" || bad "$ver: klient --version: $out"
  out=$(run_in timeout 60 glean-kafka --help 2>&1) && [[ $out == *[Uu]sage* ]] \
    && ok "$ver: glean-kafka --help" || bad "$ver: glean-kafka --help: $out"
done

# A fresh clone (the committed tree) without Go: `python -m build` (sdist, then the wheel
# from it) must stop with the message naming Go, not a traceback from deep in make.
if git clone --quiet --depth 1 "file://$ROOT" "$work/clone" 2>"$work/clone.log"; then
  out=$(cd "$work/clone" && env -u PYTHONPATH PATH="$ROOT/build/venv/wheel-build/bin:$clean_path" \
    timeout 120 python -m build --no-isolation --outdir "$work/sdist-out" bindings/python 2>&1)
  rc=$?
  if [[ $rc -ne 0 && $out == *"klient: building libklient.so from source needs Go"* ]] && ls "$work"/sdist-out/*.tar.gz >/dev/null 2>&1; then
    ok "fresh clone, no Go: sdist built, wheel from it stops with: $(grep -o 'klient: building.*(not found)' <<<"$out")"
  else
    bad "fresh clone, no Go: exit $rc, output: $(tail -5 <<<"$out")"
  fi
else
  bad "git clone: $(cat "$work/clone.log")"
fi
finish
