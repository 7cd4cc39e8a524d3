#!/usr/bin/env bash
# make test-valgrind: the C test under valgrind --leak-check=full. It fails when a
# definitely-lost block was allocated by klient (the capi package, or the C library
# called directly from it), and lists, without failing, blocks lost inside
# confluent-kafka-go (its admin calls leak the C.CString topic names they pass to
# rd_kafka_NewTopic_new / rd_kafka_DeleteTopic_new, which copy them).
# Valgrind's other reports about the Go runtime (stack copying, vectorised string
# scans) are expected noise for a Go shared library and are not counted.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
if [[ -z "${KLIENT_TEST_BOOTSTRAP:-}" && -f build/broker.env ]]; then set -a; source build/broker.env; set +a; fi
[[ -n "${KLIENT_TEST_BOOTSTRAP:-}" ]] || { echo "KLIENT_TEST_BOOTSTRAP is not set"; exit 1; }
export KLIENT_TEST_BOOTSTRAP
command -v valgrind >/dev/null || { echo "valgrind is not installed"; exit 1; }

out=build/tests-c
mkdir -p "$out"
[[ -f build/lib/libklient.so ]] || make --no-print-directory build >/dev/null
gcc -std=c11 -g -Iinclude -Wall -Wextra -Werror tests/c/test_klient.c -o "$out/test_klient" \
  -Lbuild/lib -lklient -Wl,-rpath,"$ROOT/build/lib" -lpthread || exit 1

# The capi package's cgo symbol prefix is the one that carries its own C helpers.
capi_prefix=$(nm -D --defined-only build/lib/libklient.so 2>/dev/null | grep -o '_cgo_[0-9a-f]*_Cfunc_klient__h2p' | head -1 | sed 's/_Cfunc_klient__h2p//')
[[ -z $capi_prefix ]] && capi_prefix=$(nm build/lib/libklient.so | grep -o '_cgo_[0-9a-f]*_Cfunc_klient__h2p' | head -1 | sed 's/_Cfunc_klient__h2p//')

log="$out/valgrind.log"
timeout 1800 valgrind --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
  --num-callers=40 --log-file="$log" "$out/test_klient" >"$out/valgrind.stdout" 2>&1
rc=$?
tail -1 "$out/valgrind.stdout"

python3 - "$log" "$capi_prefix" <<'PY'
import re, sys
log, capi = sys.argv[1], sys.argv[2]
text = open(log).read()
records = re.split(r'\n==\d+== \n', text)
ours, upstream = [], []
for r in records:
    if 'definitely lost in loss record' not in r:
        continue
    frames = re.findall(r'(?:at|by) 0x[0-9A-F]+: (\S+)', r)
    alloc = next((f for f in frames if f not in ('malloc', 'calloc', 'realloc', 'strdup')), '')
    head = next(l for l in r.splitlines() if 'definitely lost' in l).split('== ', 1)[-1]
    m = re.match(r'_cgo_([0-9a-f]+)_Cfunc__C(malloc|CString)', alloc)
    if m and capi and not alloc.startswith(capi):
        upstream.append(head + '  [' + alloc + ' in confluent-kafka-go]')
    else:
        ours.append(r.strip())
for u in upstream:
    print('upstream (not klient):', u)
for o in ours:
    print('KLIENT LEAK:\n' + o)
print(f'valgrind: {len(ours)} definitely-lost blocks from klient, {len(upstream)} from confluent-kafka-go')
sys.exit(1 if ours else 0)
PY
leak=$?
if [[ $rc -ne 0 && $rc -ne 1 ]]; then echo "test under valgrind exited $rc"; fi
grep -q ' 0 failed$' "$out/valgrind.stdout" || { echo "the C test failed under valgrind"; exit 1; }
exit $leak
