#!/usr/bin/env bash
# C ABI suite: the C test program (every function group and error path against the
# real broker) and the C++ header check. Prints "N passed, N failed" last.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

if [[ -z "${KLIENT_TEST_BOOTSTRAP:-}" && -f build/broker.env ]]; then
  set -a; source build/broker.env; set +a
fi
if [[ -z "${KLIENT_TEST_BOOTSTRAP:-}" ]]; then
  echo "tests/c: KLIENT_TEST_BOOTSTRAP is not set (make broker-up; source build/broker.env)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
export KLIENT_TEST_BOOTSTRAP

lib=build/lib/libklient.so
if [[ ! -f $lib || -n "$(find capi include core -newer "$lib" -name '*.go' -o -newer "$lib" -name '*.h' 2>/dev/null | head -1)" ]]; then
  make --no-print-directory build >/dev/null || { echo "tests/c: make build failed"; echo "0 passed, 1 failed"; exit 1; }
fi

out=build/tests-c
mkdir -p "$out"
CFLAGS=(-Iinclude -Wall -Wextra -Werror -g)
LDFLAGS=(-Lbuild/lib -lklient -Wl,-rpath,"$ROOT/build/lib" -lpthread)
total_pass=0 total_fail=0

run() { # name, command...
  local name=$1; shift
  local log="$out/$name.log"
  "$@" >"$log" 2>&1
  local rc=$?
  local line; line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
  local p=0 f=0
  if [[ -n $line ]]; then read -r p _ f _ <<<"$line"; fi
  if [[ $rc -ne 0 && $f -eq 0 ]]; then f=1; fi
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
  echo "tests/c: $name: ${line:-no result line} (exit $rc)"
  if [[ $f -ne 0 ]]; then sed 's/^/    /' "$log" | grep -v '^    [0-9]* passed' | tail -40; fi
}

build_ok=1
gcc -std=c11 "${CFLAGS[@]}" tests/c/test_klient.c -o "$out/test_klient" "${LDFLAGS[@]}" || build_ok=0
g++ -std=c++17 "${CFLAGS[@]}" tests/c/test_header.cpp -o "$out/test_header" "${LDFLAGS[@]}" || build_ok=0
# The header alone, pedantic C11 and C++11.
echo '#include "klient.h"' | gcc -std=c11 -pedantic "${CFLAGS[@]}" -x c -fsyntax-only - || build_ok=0
echo '#include "klient.h"' | g++ -std=c++11 -pedantic "${CFLAGS[@]}" -x c++ -fsyntax-only - || build_ok=0
if [[ $build_ok -ne 1 ]]; then total_fail=$((total_fail + 1)); echo "tests/c: compile failed"; fi

[[ -x $out/test_klient ]] && run c-test timeout 600 "$out/test_klient"
[[ -x $out/test_header ]] && run cxx-header timeout 60 "$out/test_header"

# make install + pkg-config: the example builds and runs from an installed prefix.
example_check() {
  local prefix="$ROOT/$out/prefix" topic="ctest-example-$$-$RANDOM"
  rm -rf "$prefix"
  make --no-print-directory install PREFIX="$prefix" >/dev/null || { echo "make install failed"; return 1; }
  export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
  local flags; flags=$(pkg-config --cflags --libs klient) || { echo "pkg-config klient failed"; return 1; }
  # shellcheck disable=SC2086
  cc -std=c11 -Wall -Wextra -Werror examples/c/produce_consume.c $flags -o "$out/produce_consume" || return 1
  # The rpath comes from klient.pc: no LD_LIBRARY_PATH needed.
  local rc=0
  env -u LD_LIBRARY_PATH "$out/produce_consume" "$KLIENT_TEST_BOOTSTRAP" "$topic" || rc=$?
  [[ -x build/bin/klient ]] && build/bin/klient admin delete-topic --bootstrap-servers "$KLIENT_TEST_BOOTSTRAP" "$topic" >/dev/null 2>&1
  if [[ $rc -eq 0 ]]; then echo "1 passed, 0 failed"; else echo "example exited $rc"; echo "0 passed, 1 failed"; fi
  return $rc
}
run example-pkg-config example_check

# Packaging: the SONAME and its symlinks in build/lib, then a CMake project using
# find_package(klient CONFIG) against a `make install DESTDIR=...` tree (the config finds
# its files relative to itself), linked and run against the broker with no LD_LIBRARY_PATH.
packaging_check() {
  local fails=0 passes=0
  ok() { passes=$((passes + 1)); echo "ok: $1"; }
  bad() { fails=$((fails + 1)); echo "FAIL: $1"; }
  local soname; soname=$(readelf -d build/lib/libklient.so | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  [[ $soname == libklient.so.0 ]] && ok "SONAME $soname" || bad "SONAME is '$soname', want libklient.so.0"
  [[ $(readlink build/lib/libklient.so) == libklient.so.0 && -f build/lib/libklient.so.0 ]] \
    && ok "libklient.so -> libklient.so.0 -> $(readlink build/lib/libklient.so.0)" || bad "build/lib symlinks"
  readelf -d "$out/test_klient" | grep -q 'NEEDED.*\[libklient.so.0\]' \
    && ok "executables record NEEDED libklient.so.0" || bad "test_klient does not record libklient.so.0"

  local destdir="$ROOT/$out/destdir" prefix=/opt/klient topic="ctest-cmake-$$-$RANDOM"
  rm -rf "$destdir" "$out/cmake-build"
  make --no-print-directory install DESTDIR="$destdir" PREFIX="$prefix" >/dev/null || { bad "make install DESTDIR"; echo "$passes passed, $fails failed"; return 1; }
  local tree="$destdir$prefix"
  [[ -f $tree/lib/klient/librdkafka.so.1 && ! -e $tree/lib/librdkafka.so.1 ]] \
    && ok "bundled librdkafka.so.1 in the private lib/klient/" || bad "librdkafka.so.1 not (only) in lib/klient/"
  [[ -f $tree/lib/cmake/klient/klientConfig.cmake && -f $tree/lib/cmake/klient/klientConfigVersion.cmake && -f $tree/lib/pkgconfig/klient.pc ]] \
    && ok "CMake config + version file beside klient.pc" || bad "CMake config files missing"
  if cmake -S tests/c/cmake -B "$out/cmake-build" -DCMAKE_PREFIX_PATH="$tree" >"$out/cmake-configure.log" 2>&1 \
    && cmake --build "$out/cmake-build" >"$out/cmake-build.log" 2>&1; then
    ok "find_package(klient CONFIG) project builds"
    if env -u LD_LIBRARY_PATH "$out/cmake-build/produce_consume" "$KLIENT_TEST_BOOTSTRAP" "$topic"; then
      ok "CMake-built program runs against the broker"
    else
      bad "CMake-built program failed"
    fi
    ldd "$out/cmake-build/produce_consume" | grep -q "librdkafka.so.1 => $tree/lib/klient/librdkafka.so.1" \
      && ok "librdkafka resolved from lib/klient/ through libklient's RUNPATH" || { bad "librdkafka resolved elsewhere"; ldd "$out/cmake-build/produce_consume"; }
  else
    bad "CMake project"; tail -20 "$out/cmake-configure.log" "$out/cmake-build.log"
  fi
  # A version the tree cannot satisfy is refused by klientConfigVersion.cmake.
  mkdir -p "$out/cmake-v9"
  printf 'cmake_minimum_required(VERSION 3.16)\nproject(v9 C)\nfind_package(klient 9 CONFIG REQUIRED)\n' >"$out/cmake-v9/CMakeLists.txt"
  if cmake -S "$out/cmake-v9" -B "$out/cmake-v9/build" -DCMAKE_PREFIX_PATH="$tree" >"$out/cmake-v9.log" 2>&1; then
    bad "find_package(klient 9) accepted version $(sed -n 's/^#define KLIENT_VERSION_STRING "\(.*\)"/\1/p' capi/capi.h)"
  else
    grep -q 'requested version "9"' "$out/cmake-v9.log" && ok "find_package(klient 9) refused" || bad "find_package(klient 9) failed for another reason"
  fi
  [[ -x build/bin/klient ]] && build/bin/klient admin delete-topic --bootstrap-servers "$KLIENT_TEST_BOOTSTRAP" "$topic" >/dev/null 2>&1
  echo "$passes passed, $fails failed"
  [[ $fails -eq 0 ]]
}
run packaging-cmake packaging_check

echo "$total_pass passed, $total_fail failed"
[[ $total_fail -eq 0 ]]
