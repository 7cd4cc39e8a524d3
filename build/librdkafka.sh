#!/usr/bin/env bash
# Turn the static librdkafka bundled with confluent-kafka-go into a shared library.
#
# Why: by default confluent-kafka-go links librdkafka_glibc_linux_amd64.a statically.
# A Go -buildmode=c-shared library built that way carries librdkafka (and its bundled
# OpenSSL etc.) inside it, with a large initial-exec TLS block that ctypes.CDLL /
# dlopen() cannot always place. Building Go with `-tags dynamic` against this
# librdkafka.so.1 instead keeps libklient.so small and lets the dynamic loader
# allocate librdkafka's TLS normally.
#
# Output (all under build/rdkafka/):
#   lib/librdkafka.so.1, lib/librdkafka.so -> librdkafka.so.1
#   include/librdkafka/rdkafka.h, include/librdkafka/rdkafka_mock.h
#   pkgconfig/rdkafka.pc
#
# Use: PKG_CONFIG_PATH=$PWD/build/rdkafka/pkgconfig go build -tags dynamic ...
# Idempotent: does nothing when the outputs are newer than the vendored archive.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/build/rdkafka"
MOD=github.com/confluentinc/confluent-kafka-go/v2

cd "$ROOT"
dir="$(go list -m -f '{{.Dir}}' "$MOD" 2>/dev/null || true)"
if [[ -z "$dir" || ! -d "$dir" ]]; then
  go mod download "$MOD"
  dir="$(go list -m -f '{{.Dir}}' "$MOD")"
fi
vendor="$dir/kafka/librdkafka_vendor"

case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "librdkafka.sh: unsupported arch $(uname -m)" >&2; exit 1 ;;
esac
libc=glibc
if ldd --version 2>&1 | grep -qi musl; then libc=musl; fi
archive="$vendor/librdkafka_${libc}_linux_${arch}.a"
[[ -f "$archive" ]] || { echo "librdkafka.sh: $archive not found" >&2; exit 1; }

so="$OUT/lib/librdkafka.so.1"
pc="$OUT/pkgconfig/rdkafka.pc"
hdr="$OUT/include/librdkafka/rdkafka.h"

# The .pc embeds the absolute prefix; rebuild it if the checkout moved.
up_to_date() {
  [[ -f "$so" && -f "$pc" && -f "$hdr" && -f "$OUT/include/librdkafka/rdkafka_mock.h" ]] || return 1
  [[ "$so" -nt "$archive" && "$hdr" -nt "$vendor/rdkafka.h" && "$so" -nt "${BASH_SOURCE[0]}" ]] || return 1
  grep -qxF "prefix=$OUT" "$pc"
}
if up_to_date; then
  exit 0
fi

echo "librdkafka.sh: building $so from $(basename "$archive")" >&2
mkdir -p "$OUT/lib" "$OUT/include/librdkafka" "$OUT/pkgconfig"
tmp="$so.tmp.$$"
# Only librdkafka's API (rd_kafka_*, the mock cluster's included) is exported: the
# archive bundles OpenSSL, curl, zstd, lz4 and SASL, and with their symbols local
# --gc-sections drops what librdkafka does not call (9.75 -> 8.33 MB stripped; the
# wheel's 25 MB limit). libklient.so only needs rd_kafka_* (checked by the tests).
map="$OUT/lib/librdkafka.map"
printf '{ global: rd_kafka_*; local: *; };\n' >"$map"
gcc -shared -o "$tmp" -Wl,-soname,librdkafka.so.1 \
  -Wl,--version-script="$map" -Wl,--gc-sections \
  -Wl,--whole-archive "$archive" -Wl,--no-whole-archive \
  -lm -ldl -lpthread -lrt
mv -f "$tmp" "$so"
ln -sfn librdkafka.so.1 "$OUT/lib/librdkafka.so"

install -m 0644 "$vendor/rdkafka.h" "$vendor/rdkafka_mock.h" "$OUT/include/librdkafka/"

version="$(sed -n 's/^#define RD_KAFKA_VERSION *0x\([0-9a-fA-F]*\).*/\1/p' "$vendor/rdkafka.h" | head -n1)"
if [[ -n "$version" ]]; then
  version="$((16#${version:0:2})).$((16#${version:2:2})).$((16#${version:4:2}))"
else
  version=0
fi

cat >"$pc.tmp" <<EOF
prefix=$OUT
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: librdkafka
Description: librdkafka (shared build of the archive vendored by confluent-kafka-go)
Version: $version
Libs: -L\${libdir} -lrdkafka
Cflags: -I\${includedir}
EOF
mv -f "$pc.tmp" "$pc"
touch "$hdr" "$so"
echo "librdkafka.sh: ok ($version)" >&2
