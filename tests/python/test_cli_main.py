"""``python -m klient relay stream ... -x EXPR``: the released CLI's Python transform runs
in the Python process (klient/__main__.py); everything else goes to the native CLI."""

from __future__ import annotations

import json
import signal

import pytest

import klient
from klient import __main__ as cli

from conftest import read_all, uid


def seed(bootstrap: str, topic: str, n: int) -> None:
    p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=bootstrap))
    for i in range(n):
        p.produce(topic=topic, key=f"k{i}", value=f"v{i}", headers={"h": "1"})
    p.flush()
    p.close()


def test_only_relay_with_transform_runs_in_python() -> None:
    parsed = cli._python_relay_args(["-b", "h:1", "-X", "a=b", "--compact-json", "relay", "stream", "s", "d", "-x", "value",
                                     "--batch-size=3", "--max-batches", "2", "--keep-headers"])
    assert parsed is not None
    g, o = parsed
    assert g["bootstrap"] == "h:1" and g["property"] == ["a=b"] and g["compact-json"] is True
    assert o["positional"] == ["s", "d"] and o["batch_size"] == 3 and o["max_batches"] == 2 and o["keep_headers"]
    assert (o["group"], o["tx_id"], o["timeout"], o["grace_period"]) == ("cli-relay", "cli-relay-tx", 0.5, 2.0)
    for argv in (["relay", "stream", "s", "d"],                       # no transform: native
                 ["relay", "stream", "s", "d", "-x", "v", "--help"],  # help: native
                 ["relay", "stream", "s", "-x", "v"],                 # one topic: the native usage error
                 ["relay", "stream", "s", "d", "-b", "many", "-x", "v"],
                 ["relay", "stream", "s", "d", "-x"],
                 ["--nope", "relay", "stream", "s", "d", "-x", "v"],
                 ["produce", "send", "t", "-v", "x"]):
        assert cli._python_relay_args(argv) is None, argv


def test_relay_python_expression(bootstrap: str, make_topic, capsys: pytest.CaptureFixture[str]) -> None:
    src, dst = make_topic(1), make_topic(1)
    seed(bootstrap, src, 5)
    # An f-string: Python, not Starlark. Only full batches are relayed (2 x 2 of 5).
    handlers = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    rc = cli.main(["-b", bootstrap, "relay", "stream", src, dst, "-x", 'f"{value}!" * 2', "-b", "2", "--max-batches", "2",
                   "-g", uid("g"), "--tx-id", uid("tx"), "-t", "0.2"])
    out = capsys.readouterr().out.splitlines()
    assert rc == 0
    # Its Ctrl-C/SIGTERM handlers end with it (this process must stay killable).
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers
    docs = [json.loads(line) for line in out]
    assert [d["event"] for d in docs] == ["relay_batch_committed", "relay_batch_committed", "relay_stream_ended"]
    assert docs[0]["count"] == 2 and out[2].startswith(f'{{"event": "relay_stream_ended", "source": "{src}", "target": "{dst}"')
    got = read_all(bootstrap, dst, 4)
    assert [(m.key, m.value) for m in got] == [(f"k{i}".encode(), f"v{i}!v{i}!".encode()) for i in range(4)]
    assert all(not m.headers for m in got)  # the released relay does not copy headers


def test_relay_keep_headers_and_events_stderr(bootstrap: str, make_topic, capsys: pytest.CaptureFixture[str]) -> None:
    src, dst = make_topic(1), make_topic(1)
    seed(bootstrap, src, 2)
    rc = cli.main(["-b", bootstrap, "relay", "stream", src, dst, "--transform", "len(value)", "--batch-size", "2",
                   "--max-batches", "1", "--keep-headers", "--events", "stderr", "--group", uid("g")])
    cap = capsys.readouterr()
    assert rc == 0 and cap.out == "" and '"relay_batch_committed"' in cap.err
    got = read_all(bootstrap, dst, 2)
    assert [m.value for m in got] == [b"2", b"2"] and got[0].headers == {"h": b"1"}


def test_relay_usage_and_transform_errors(bootstrap: str, make_topic, capsys: pytest.CaptureFixture[str]) -> None:
    src, dst = make_topic(1), make_topic(1)
    base = ["-b", bootstrap, "relay", "stream", src, dst]
    assert cli.main([*base, "-x", "value.upper("]) == 2
    assert "does not compile" in capsys.readouterr().err
    assert cli.main([*base, "-x", "value", "--isolation", "dirty"]) == 2
    assert "'dirty' is not one of" in capsys.readouterr().err
    assert cli.main([*base, "-x", "value", "--events", "nowhere"]) == 2
    assert cli.main(["-C", "/no/such/config.json", "relay", "stream", src, dst, "-x", "value"]) == 2
    assert cli.main(["-X", "novalue", *base, "-x", "value"]) == 2
    capsys.readouterr()
    assert cli.main(["-b", bootstrap, "relay", "stream", uid("missing"), dst, "-x", "value"]) == 1
    assert "does not exist" in capsys.readouterr().err
    # A failing expression ends the run with exit 1; nothing is relayed or committed.
    seed(bootstrap, src, 2)
    g = uid("g")
    assert cli.main([*base, "-x", "value.nosuch()", "-b", "2", "-g", g]) == 1
    assert "transform expression failed" in capsys.readouterr().err
    assert read_all(bootstrap, dst, 1, timeout=2) == []
