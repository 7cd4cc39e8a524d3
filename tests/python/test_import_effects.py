"""`import klient` changes nothing process-wide: no mallopt() on the host's allocator,
no event sink in libklient, no signal handler beyond the Go runtime's own (which
include/klient.h lists). All are observed from outside the package: mallopt through an
LD_PRELOAD shim that records every call, the sink by whether libklient's events reach
the "klient" logger, handlers through sigaction()."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import uid

SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
/* Records each mallopt(param, value) in $MALLOPT_LOG, then calls glibc's. */
int mallopt(int param, int value) {
    const char *path = getenv("MALLOPT_LOG");
    FILE *f = path ? fopen(path, "a") : NULL;
    if (f) { fprintf(f, "%d %d\n", param, value); fclose(f); }
    int (*real)(int, int) = (int (*)(int, int))dlsym(RTLD_NEXT, "mallopt");
    return real ? real(param, value) : 0;
}
"""


def _run(tmp_path: Path, code: str, **env: str) -> tuple[str, str]:
    shim = tmp_path / "shim.so"
    if not shim.exists():
        (tmp_path / "shim.c").write_text(SHIM)
        subprocess.run(["cc", "-shared", "-fPIC", "-o", str(shim), str(tmp_path / "shim.c"), "-ldl"], check=True, timeout=60)
    log = tmp_path / f"mallopt-{uid('run')}.log"
    full = dict(os.environ, LD_PRELOAD=str(shim), MALLOPT_LOG=str(log), **env)
    full.pop("MALLOC_ARENA_MAX", None)
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=full, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout, log.read_text() if log.exists() else ""


def test_import_calls_no_mallopt(tmp_path: Path) -> None:
    _, calls = _run(tmp_path, "import klient")
    assert calls == ""
    # The shim works: asking for it is observed (M_ARENA_MAX is -8).
    _, calls = _run(tmp_path, "import klient; klient.limit_malloc_arenas(3)")
    assert calls == "-8 3\n"
    _, calls = _run(tmp_path, "import klient", KLIENT_MALLOC_ARENA_MAX="2")
    assert calls == "-8 2\n"


def test_limit_malloc_arenas_rejects_bad_input() -> None:
    import klient

    for bad in (0, -1, "2", True):
        with pytest.raises(ValueError):
            klient.limit_malloc_arenas(bad)  # type: ignore[arg-type]


# A transaction emits transaction_begin / transaction_commit events. The producer is
# created through the raw C ABI so that no klient Python object asks for the sink.
_TXN = """
import json, logging, sys
from ctypes import byref, c_void_p
import klient
from klient import _native
lines = []
class Keep(logging.Handler):
    def emit(self, r):
        if hasattr(r, "event"): lines.append(r.event)  # klient's events, not librdkafka's lines
logging.getLogger("klient").addHandler(Keep()); logging.getLogger("klient").setLevel(logging.INFO)
lib = _native.lib
cfg = json.dumps({"bootstrap.servers": sys.argv[1], "transactional.id": sys.argv[2]}).encode()
h = c_void_p()
assert lib.klient_producer_new(cfg, byref(h), None) == 0
def txn():
    assert lib.klient_producer_begin_transaction(h, None, None) == 0
    assert lib.klient_producer_commit_transaction(h, 30000, None, None) == 0
txn()
print("before:", sorted(set(lines)))
ASK
txn()
print("after:", sorted(set(lines)))
lib.klient_producer_destroy(h)
"""


@pytest.mark.parametrize("ask", ["klient.enable_event_logging()", "klient.KafkaAdmin(klient.AdminConfig(bootstrap_servers=sys.argv[1])).list_topics()"])
def test_import_installs_no_event_sink(bootstrap: str, ask: str) -> None:
    code = _TXN.replace("ASK", ask)
    out = subprocess.run([sys.executable, "-c", code, bootstrap, uid("tx")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "before: []" in out.stdout, out.stdout
    assert "after: ['transaction_begin', 'transaction_commit']" in out.stdout, out.stdout


def test_arenas_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    from klient import _native

    calls: list[int] = []
    monkeypatch.setattr(_native, "limit_malloc_arenas", calls.append)
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    for value in ("", "0"):
        monkeypatch.setenv("KLIENT_MALLOC_ARENA_MAX", value)
        _native._arenas_from_env()
    monkeypatch.setenv("KLIENT_MALLOC_ARENA_MAX", "4")
    monkeypatch.setenv("MALLOC_ARENA_MAX", "1")  # glibc reads it itself: it wins
    _native._arenas_from_env()
    assert calls == []
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    _native._arenas_from_env()
    assert calls == [4]
    monkeypatch.setenv("KLIENT_MALLOC_ARENA_MAX", "two")
    with pytest.raises(ImportError, match="KLIENT_MALLOC_ARENA_MAX must be an int, got 'two'"):
        _native._arenas_from_env()


def test_limit_malloc_arenas_in_process() -> None:
    import klient

    klient.limit_malloc_arenas(8)  # a cap this test process does not feel


# What include/klient.h says loading the library does: the Go runtime's own handlers
# (they pass signals not meant for Go code on to the handlers installed before).
_GO_RUNTIME_SIGNALS = {"SIGSEGV", "SIGBUS", "SIGFPE", "SIGPIPE", "SIGURG"}

_SIGNALS = """
import ctypes, json, os, signal
libc = ctypes.CDLL(None)
def handler(sig):
    buf = (ctypes.c_char * 256)()  # >= sizeof(struct sigaction); sa_handler comes first
    return ctypes.c_void_p.from_buffer(buf).value if libc.sigaction(sig, None, buf) == 0 else None
sigs = [s for s in signal.Signals if s not in (signal.SIGKILL, signal.SIGSTOP)]
before = {s: handler(s) for s in sigs}
import klient
p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=os.environ["KLIENT_TEST_BOOTSTRAP"]))
p.produce(os.environ["TOPIC"], b"x")
p.close()
print(json.dumps(sorted(s.name for s in sigs if handler(s) != before[s])))
"""


def test_signal_handlers_are_the_go_runtime_s_only(topic: str) -> None:
    out = subprocess.run([sys.executable, "-c", _SIGNALS], env=dict(os.environ, TOPIC=topic), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    changed = set(json.loads(out.stdout))
    assert changed <= _GO_RUNTIME_SIGNALS and "SIGSEGV" in changed, changed
