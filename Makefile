# klient top-level Makefile.
#   make build        librdkafka.so.1, build/bin/klient, build/lib/libklient.so (+ Python _lib copies)
#   make test         deps + build + broker-up + tests/run-all.sh + broker-down (always)
#   make broker-up    start the single-node Kafka test broker (address in build/broker.env)
#   make broker-down  stop it
#   make demo         build + broker-up + build/demo.sh (leaves the broker running)
#   make bench        benchmarks side by side (tests/bench/run.py; ARGS=--quick for a < 3 min smoke run)
#   make bench-quick  the same with --quick
#   make wheel        build/wheel/klient-*-py3-none-manylinux_*_x86_64.whl (build/wheel.sh)
#   make clean        remove build outputs (keeps the Kafka jar cache; see distclean)

SHELL := /bin/bash
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
RDKAFKA := $(ROOT)/build/rdkafka
export PKG_CONFIG_PATH := $(RDKAFKA)/pkgconfig$(if $(PKG_CONFIG_PATH),:$(PKG_CONFIG_PATH))
GO ?= go
PYLIB := bindings/python/klient/_lib
PREFIX ?= /usr/local
KLIENT_VERSION := $(shell sed -n 's/^\#define KLIENT_VERSION_STRING "\(.*\)"/\1/p' capi/capi.h)
# libklient.so (for -lklient) -> libklient.so.0 (the SONAME executables record: bump it
# only when the C ABI breaks) -> libklient.so.$(KLIENT_VERSION) (the file).
LIBKLIENT_SONAME := libklient.so.0
LIBKLIENT_REAL := libklient.so.$(KLIENT_VERSION)

.PHONY: all build wheel deps go-deps rdkafka broker-up broker-down broker-status test demo clean distclean

all: build

deps:
	build/deps.sh

go-deps:
	$(GO) mod download

rdkafka: go-deps
	build/librdkafka.sh

build: go-deps rdkafka
	@mkdir -p build/bin build/lib
	@# set -e in each block: a failed go build must fail make, not leave the last
	@# build's library in place for the tests to run against.
	@set -e; if [ -d cmd/klient ]; then \
	  echo "go build -o build/bin/klient ./cmd/klient"; \
	  $(GO) build -o build/bin/klient ./cmd/klient; \
	fi
	@set -e; if [ -d capi ]; then \
	  echo "go build -tags dynamic -buildmode=c-shared -o build/lib/$(LIBKLIENT_REAL) ./capi"; \
	  $(GO) build -tags dynamic -buildmode=c-shared \
	    -ldflags '-extldflags "-Wl,-soname,$(LIBKLIENT_SONAME) -Wl,-rpath,$$ORIGIN/klient:$$ORIGIN"' \
	    -o build/lib/$(LIBKLIENT_REAL) ./capi; \
	  rm -f build/lib/libklient.h build/lib/$(basename $(LIBKLIENT_REAL)).h; \
	  ln -sfn $(LIBKLIENT_REAL) build/lib/$(LIBKLIENT_SONAME); \
	  ln -sfn $(LIBKLIENT_SONAME) build/lib/libklient.so; \
	fi
	cp -f build/rdkafka/lib/librdkafka.so.1 build/lib/
	@set -e; if [ -d bindings/python/klient ] && [ -f build/lib/libklient.so ]; then \
	  mkdir -p $(PYLIB); \
	  for f in build/lib/libklient.so build/lib/librdkafka.so.1 build/bin/klient; do \
	    [ -f $$f ] || continue; \
	    cp -f $$f $(PYLIB)/.$$(basename $$f).tmp && mv -f $(PYLIB)/.$$(basename $$f).tmp $(PYLIB)/$$(basename $$f); \
	  done; \
	  echo "copied libklient.so, librdkafka.so.1 and the klient CLI into $(PYLIB)/ (renamed into place: running processes keep their copy)"; \
	fi

wheel: build
	build/wheel.sh

broker-up:
	build/kafka.sh up
	@cat build/broker.env

broker-down:
	build/kafka.sh down

broker-status:
	build/kafka.sh status

# The broker is stopped whatever happens to the suites; make exits with the suites' status.
test:
	build/deps.sh
	$(MAKE) --no-print-directory build
	build/kafka.sh up
	@rc=0; trap 'build/kafka.sh down' EXIT; trap 'exit 130' INT TERM; \
	  tests/run-all.sh || rc=$$?; exit $$rc

demo: build broker-up
	@if [ -x build/demo.sh ]; then build/demo.sh; \
	  else echo "build/demo.sh does not exist yet"; fi
	@echo; echo "The broker is still running ($$(grep KLIENT_TEST_BOOTSTRAP build/broker.env))."; \
	  echo "Stop it with: make broker-down"

# Benchmarks: kcat is installed here only; the driver runs in the build/venv python that
# tests/bench/deps.sh prints (it has the pinned confluent-kafka-python: nothing goes into
# the machine's Python). The driver starts the broker if it is not running and leaves it running.
.PHONY: bench bench-quick
bench: build
	py="$$(tests/bench/deps.sh)" && "$$py" tests/bench/run.py $(ARGS)

bench-quick:
	@$(MAKE) --no-print-directory bench ARGS="--quick $(ARGS)"

clean:
	rm -rf build/bin build/lib build/rdkafka build/wheel
	rm -f $(PYLIB)/libklient.so $(PYLIB)/librdkafka.so.1 $(PYLIB)/klient

distclean: clean
	rm -rf build/.cache

# --- C ABI (capi/, include/klient.h) -------------------------------------------------
.PHONY: install test-valgrind bench-abi

# Installs, under $(DESTDIR)$(PREFIX):
#   lib/libklient.so.$(KLIENT_VERSION) + the symlinks libklient.so.0 and libklient.so
#   lib/klient/librdkafka.so.1   a private directory (libklient's RUNPATH is $$ORIGIN/klient),
#                                so it never replaces or shadows a system librdkafka.so.1
#   include/klient.h, lib/pkgconfig/klient.pc, lib/cmake/klient/klientConfig*.cmake
# so that `cc app.c $(pkg-config --cflags --libs klient)` (PKG_CONFIG_PATH=$(PREFIX)/lib/pkgconfig)
# and CMake's find_package(klient CONFIG) (CMAKE_PREFIX_PATH=$(PREFIX)) both work.
CMAKEDIR = $(DESTDIR)$(PREFIX)/lib/cmake/klient
install: build
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/lib/klient \
	  $(DESTDIR)$(PREFIX)/include $(CMAKEDIR)
	install -m 0755 build/lib/$(LIBKLIENT_REAL) $(DESTDIR)$(PREFIX)/lib/
	ln -sfn $(LIBKLIENT_REAL) $(DESTDIR)$(PREFIX)/lib/$(LIBKLIENT_SONAME)
	ln -sfn $(LIBKLIENT_SONAME) $(DESTDIR)$(PREFIX)/lib/libklient.so
	install -m 0755 build/lib/librdkafka.so.1 $(DESTDIR)$(PREFIX)/lib/klient/
	install -m 0644 include/klient.h $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(KLIENT_VERSION)|' capi/klient.pc.in \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/klient.pc
	sed -e 's|@LIBKLIENT_REAL@|$(LIBKLIENT_REAL)|g' -e 's|@LIBKLIENT_SONAME@|$(LIBKLIENT_SONAME)|g' \
	  -e 's|@VERSION@|$(KLIENT_VERSION)|g' capi/klientConfig.cmake.in > $(CMAKEDIR)/klientConfig.cmake
	sed -e 's|@VERSION@|$(KLIENT_VERSION)|g' -e 's|@MAJOR@|$(firstword $(subst ., ,$(KLIENT_VERSION)))|g' \
	  capi/klientConfigVersion.cmake.in > $(CMAKEDIR)/klientConfigVersion.cmake
	@echo "installed klient $(KLIENT_VERSION) into $(DESTDIR)$(PREFIX)"

# The C test under valgrind (needs the broker: make broker-up).
test-valgrind: build
	tests/c/valgrind.sh

# One no-op ABI call, and 1,000,000 x 100-byte messages: batch vs one call each.
bench-abi: build
	tests/c/bench_abi.sh

# --- reliability (tests/faults, docs/RELIABILITY.md) ---------------------------------
.PHONY: test-faults fuzz
# Fault injection against private brokers (the shared one is only needed for its address
# checks; it is started if absent and left running). CI runs it after `make test`.
test-faults: build
	build/kafka.sh up
	tests/faults/run.sh

# Each fuzz target for 60 s (FUZZTIME=10s for a quick pass). Failing inputs are written
# to the package's testdata/fuzz/ and then run by every `go test` as regressions.
# FuzzProduce needs the test broker (source build/broker.env), like make test.
FUZZTIME ?= 60s
FUZZ_TARGETS := ./core/config:FuzzParse ./core:FuzzProduce ./core/cli:FuzzParseRecords ./core/cli:FuzzFilter ./core/cli:FuzzTransform
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; fn=$${t##*:}; echo "=== fuzz $$pkg $$fn ($(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done
