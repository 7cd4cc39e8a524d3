"""``python -m klient ...`` (also the ``klient`` and ``glean-kafka`` scripts): the command line.

It execs the native CLI bundled with the package (``klient/_lib/klient``, the same
binary as ``build/bin/klient``), so help, output, signal handling and exit codes are
exactly the native CLI's. Without the binary it runs the same CLI in-process through
``klient_cli_main``.

One exception: ``relay stream ... -x/--transform EXPR`` runs here, in Python, because
the released CLI evaluates EXPR as a Python expression (``eval`` with ``value`` in
scope); the native binary evaluates it as Starlark. This relay follows the released
algorithm and prints the same lines.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

# The released CLI's global options: (names, takes a value).
_GLOBAL_OPTS = {
    "-b": "bootstrap", "--bootstrap-servers": "bootstrap", "-e": "env", "--env": "env",
    "--producer-env": "producer_env", "--consumer-env": "consumer_env", "--admin-env": "admin_env",
    "-C": "config_file", "--config-file": "config_file", "-o": "output_file", "--output-file": "output_file",
    "-f": "filter", "--filter": "filter", "-X": "property", "--property": "property", "--format": "format",
}
_GLOBAL_FLAGS = {"--json", "--pretty-json", "--compact-json", "-v", "--verbose", "--show-config", "--version"}

# relay stream's options: option -> (key, converter).
_RELAY_OPTS: dict[str, tuple[str, Any]] = {
    "-g": ("group", str), "--group": ("group", str),
    "--transactional-id": ("tx_id", str), "--tx-id": ("tx_id", str),
    "-b": ("batch_size", int), "--batch-size": ("batch_size", int), "--max-batches": ("max_batches", int),
    "--max-in-flight": ("max_in_flight", int), "-t": ("timeout", float), "--timeout": ("timeout", float),
    "--grace-period": ("grace_period", float), "--isolation": ("isolation", str),
    "-x": ("transform", str), "--transform": ("transform", str), "--events": ("events", str),
    "--max-batch-time": ("max_batch_time", float), "--metrics-addr": ("metrics_addr", str),
}
_RELAY_FLAGS = {"--keep-headers": "keep_headers"}


class _Usage(Exception):
    """A command-line mistake (exit 2, as the native CLI)."""


def _binary() -> Path | None:
    here = Path(__file__).resolve().parent
    for cand in (here / "_lib" / "klient", here.parents[2] / "build" / "bin" / "klient"):
        if cand.is_file() and os.access(cand, os.X_OK):
            return cand
    return None


def _split_opt(tok: str) -> tuple[str, str | None]:
    if tok.startswith("--") and "=" in tok:
        name, val = tok.split("=", 1)
        return name, val
    return tok, None


def _python_relay_args(args: list[str]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(globals, relay options) when args are ``[globals] relay stream ... -x EXPR``."""
    g: dict[str, Any] = {"property": []}
    i = 0
    while i < len(args) and args[i].startswith("-"):
        name, val = _split_opt(args[i])
        if name in _GLOBAL_FLAGS:
            g[name.lstrip("-")] = True
            i += 1
            continue
        if name not in _GLOBAL_OPTS:
            return None
        if val is None:
            if i + 1 >= len(args):
                return None
            val, i = args[i + 1], i + 1
        key = _GLOBAL_OPTS[name]
        if key == "property":
            g["property"].append(val)
        else:
            g[key] = val
        i += 1
    if args[i:i + 2] != ["relay", "stream"]:
        return None
    opts: dict[str, Any] = {"group": "cli-relay", "tx_id": "cli-relay-tx", "batch_size": 25, "max_batches": None,
                            "timeout": 0.5, "grace_period": 2.0, "isolation": "read_committed", "transform": None,
                            "events": "stdout", "keep_headers": False, "positional": []}
    rest = args[i + 2:]
    j = 0
    while j < len(rest):
        name, val = _split_opt(rest[j])
        if name == "--":
            opts["positional"] += rest[j + 1:]
            break
        if name in _RELAY_FLAGS:
            opts[_RELAY_FLAGS[name]] = True
        elif name in _RELAY_OPTS:
            key, conv = _RELAY_OPTS[name]
            if val is None:
                if j + 1 >= len(rest):
                    return None  # the native CLI reports the missing value
                val, j = rest[j + 1], j + 1
            try:
                opts[key] = conv(val)
            except ValueError:
                return None
        elif name.startswith("-") and name != "-":
            return None  # help, global options after the command, mistakes: the native CLI
        else:
            opts["positional"].append(rest[j])
        j += 1
    if not opts["transform"] or len(opts["positional"]) != 2:
        return None
    return g, opts


def _configs(g: dict[str, Any], group: str, isolation: str, tx_id: str) -> tuple[Any, Any]:
    """The consumer and producer configurations the released CLI builds (build_consumer,
    build_producer), plus klient's -X properties and $KLIENT_BOOTSTRAP_SERVERS."""
    from . import ConsumerConfig, ProducerConfig, extract_bootstrap, resolve_env_config, split_env_config

    cfile = g.get("config_file")
    if cfile and not os.path.isfile(cfile):
        raise _Usage(f"config file {cfile} does not exist (check --config-file)")

    def role(name: str | None) -> dict[str, Any]:
        return resolve_env_config(name or g.get("env"), cfile) or {}

    prod, _, _ = split_env_config(role(g.get("producer_env")))
    _, cons, _ = split_env_config(role(g.get("consumer_env")))
    _, _, adm = split_env_config(role(g.get("admin_env")))
    props: dict[str, str] = {}
    for kv in g["property"]:
        if "=" not in kv:
            raise _Usage(f"-X {kv!r}: expected prop=value")
        k, v = kv.split("=", 1)
        props[k] = v
    bootstrap = (props.pop("bootstrap.servers", None) or g.get("bootstrap") or os.environ.get("KLIENT_BOOTSTRAP_SERVERS")
                 or extract_bootstrap([prod, cons, adm]) or "localhost:9092")
    cons = {**(cons or {}), **props}
    prod = {**(prod or {}), **props}
    env_group = cons.get("group.id")
    if env_group and group.startswith("cli-"):
        group = str(env_group)
    for k in ("bootstrap.servers", "group.id"):
        cons.pop(k, None)
    if "transactional.id" in prod:
        prod.pop("transactional.id")
    prod.pop("bootstrap.servers", None)
    cc = ConsumerConfig(bootstrap_servers=bootstrap, group_id=group, isolation_level=isolation,
                        enable_auto_commit=False, additional_config=cons)
    pc = ProducerConfig(bootstrap_servers=bootstrap, transactional_id=tx_id, additional_config=prod)
    return cc, pc


def _line(out: Any, **doc: Any) -> None:
    """One of the released CLI's event lines (json.dumps, keys in the released order)."""
    out.write(json.dumps(doc) + "\n")
    out.flush()


def _relay(g: dict[str, Any], o: dict[str, Any]) -> int:
    """relay stream with a Python --transform, as the released CLI runs it: poll one
    message at a time, relay each full batch in one transaction, then commit the source
    offsets; --max-batches ends the run."""
    from . import AdminConfig, KafkaAdmin, KafkaConsumer, KafkaProducer, KafkaTransactionError

    src, dst = o["positional"]
    if o["isolation"] not in ("read_committed", "read_uncommitted"):
        raise _Usage(f"Invalid value for '--isolation': '{o['isolation']}' is not one of 'read_committed', 'read_uncommitted'.")
    if o["events"] not in ("stdout", "stderr"):
        raise _Usage(f"--events must be stdout or stderr, got {o['events']!r}")
    try:
        code = compile(o["transform"], "<transform>", "eval")
    except SyntaxError as e:
        raise _Usage(f"--transform {o['transform']!r} does not compile: {e.msg}") from None
    out = sys.stdout if o["events"] == "stdout" else sys.stderr
    cc, pc = _configs(g, o["group"], o["isolation"], o["tx_id"])
    # A missing topic is an error before anything runs (as in the native CLI), not an
    # endless wait for an assignment.
    admin = KafkaAdmin(AdminConfig(bootstrap_servers=cc.bootstrap_servers, additional_config=dict(cc.additional_config)))
    try:
        names = set(admin.list_topics())
    finally:
        admin.close()
    for t in (src, dst):
        if t not in names:
            print(f"klient: error: consume: topic {t!r} does not exist (create it with: klient admin create-topic {t})",
                  file=sys.stderr)
            return 1
    batch_size = max(o["batch_size"], 1)
    consumer = KafkaConsumer(cc)
    consumer.subscribe([src])
    producer = KafkaProducer(pc)
    start = time.time()
    stop = {"at": None}

    def on_signal(signum: int, _frame: Any) -> None:
        if stop["at"] is None:
            stop["at"] = time.time()
            _line(out, event="shutdown_requested", signal=signum, source=src, target=dst)

    # Restored when the relay ends: main() may run inside a longer-lived process (tests
    # run it in pytest's), which must not go on swallowing SIGTERM.
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    batch: list[Any] = []
    committed = 0
    try:
        while True:
            if stop["at"] is not None:
                if time.time() - start >= o["grace_period"]:
                    break
                time.sleep(min(0.05, o["grace_period"]))
                continue
            msg = consumer.poll_message(timeout=o["timeout"])
            if msg is None:
                if o["max_batches"] and committed >= o["max_batches"]:
                    break
                time.sleep(0.01)
                continue
            batch.append(msg)
            if len(batch) < batch_size:
                continue
            try:
                producer.begin_transaction()
                for m in batch:
                    raw = m.value.decode("utf-8", "replace") if m.value else ""
                    try:
                        new = eval(code, {}, {"value": raw})  # noqa: S307 - the released CLI's contract
                    except Exception as e:  # noqa: BLE001 - any failure of the user's expression
                        raise RuntimeError(f"transform expression failed: {e}") from None
                    headers = dict(m.headers) if o["keep_headers"] and m.headers else None
                    producer.produce(topic=dst, key=m.key.decode("utf-8", "replace") if m.key else None,
                                     value=str(new).encode(), headers=headers, flush=False)
                res = producer.commit_transaction()
                consumer.commit()
                _line(out, event="relay_batch_committed", count=len(batch), duration_ms=res.duration_ms)
                committed += 1
            except KafkaTransactionError as e:
                # A failed transaction is reported and the run goes on (the released CLI).
                _line(out, event="relay_batch_aborted", error=str(e), count=len(batch))
                try:
                    if producer.in_transaction:
                        producer.abort_transaction()
                except Exception:  # noqa: BLE001
                    pass
            except BaseException:
                if producer.in_transaction:
                    producer.abort_transaction()
                raise
            finally:
                batch.clear()
            if o["max_batches"] and committed >= o["max_batches"]:
                break
    except Exception as e:  # noqa: BLE001 - the transform's or the client's failure ends the run
        print(f"klient: error: {e}", file=sys.stderr)
        return 1
    finally:
        try:
            consumer.stop()
        finally:
            producer.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            try:
                _line(out, event="relay_stream_ended", source=src, target=dst, duration_s=round(time.time() - start, 3))
            except BrokenPipeError:
                pass
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    parsed = _python_relay_args(args)
    if parsed is not None:
        try:
            return _relay(*parsed)
        except _Usage as e:
            print(f"klient: {e}", file=sys.stderr)
            return 2
    exe = _binary()
    if exe is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(str(exe), ["klient", *args])
    # Fallback: the CLI linked into libklient (same code, same exit codes).
    import ctypes

    from . import _native

    argv_c = (ctypes.c_char_p * (len(args) + 2))(b"klient", *[a.encode() for a in args], None)
    return int(_native.lib.klient_cli_main(len(args) + 1, argv_c))


if __name__ == "__main__":
    sys.exit(main())
