"""Runs every command line of cases.py under the released CLI (glean-klient 0.1.2's
`python -m klient`), klient's native CLI and klient's `python -m klient`, against the same
broker, and compares exit codes, normalized stdout and what landed in Kafka (read by an
independent confluent-kafka consumer)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, Producer

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cases import CASES, Case  # noqa: E402
from conftest import KLIENT_PYTHONPATH, NATIVE_CLI, ROOT, create_topic, read_topic  # noqa: E402

COMPAT_DOC = ROOT / "docs" / "COMPATIBILITY.md"
IMPLS = ("released", "native", "pymod")


def _seed(bootstrap: str, topic: str, records: list[dict[str, Any]]) -> None:
    if not records:
        return
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
    for r in records:
        kw: dict[str, Any] = {}
        if r.get("partition") is not None:
            kw["partition"] = r["partition"]
        p.produce(topic, value=r.get("value"), key=r.get("key"), headers=r.get("headers"), **kw)
        p.flush(30)  # one at a time: the order in the topic is the order of the list
    assert p.flush(30) == 0


def run(case: Case, impl: str, python: dict[str, str], bootstrap: str, kafka_admin: Any, tmp: Path) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:10]
    topics = [create_topic(kafka_admin, f"compat-cli-{impl}-{run_id}-{i}", case.partitions) for i in range(case.topics)]
    if topics:
        _seed(bootstrap, topics[0], case.seed)
    scratch = tmp / impl
    scratch.mkdir()
    home = scratch / "home"
    home.mkdir()
    subst = {"{BOOTSTRAP}": bootstrap, "{ID}": run_id, "{TMP}": str(scratch)}
    for i, t in enumerate(topics):
        subst["{TOPIC}" if i == 0 else f"{{TOPIC{i + 1}}}"] = t

    def fill(s: str) -> str:
        for k, v in subst.items():
            s = s.replace(k, v)
        return s

    for name, content in case.files.items():
        (scratch / name).parent.mkdir(parents=True, exist_ok=True)  # e.g. home/.kafka/config.json
        (scratch / name).write_text(fill(content))
    argv = [fill(a) for a in case.argv]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KLIENT_", "PYTHON"))}
    env.update({"HOME": str(home), "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "200"})
    if impl == "released":
        cmd = [python["released"], "-m", "klient", *argv]
    elif impl == "native":
        cmd = [NATIVE_CLI, *argv]
    else:
        cmd = [python["klient"], "-m", "klient", *argv]
        env["PYTHONPATH"] = KLIENT_PYTHONPATH
    try:
        proc = subprocess.run(cmd, cwd=str(scratch), env=env, input=fill(case.stdin) if case.stdin is not None else None,
                              capture_output=True, text=True, timeout=case.timeout)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{case.name} hung under {impl} (> {case.timeout}s): {cmd}\nstdout so far:\n{e.stdout}")
    out = proc.stdout
    for i, t in enumerate(topics):
        out = out.replace(t, f"<TOPIC{i + 1}>")
    out = out.replace(run_id, "<ID>").replace(bootstrap, "<BOOTSTRAP>").replace(str(scratch), "<TMP>")
    for pat, rep in case.normalize:
        out = re.sub(pat, rep, out)
    kafka = [_contents(bootstrap, t, case.partitions) for t in topics]
    for recs in kafka:
        for r in recs if isinstance(recs, list) else []:
            r.pop("offset")
    return {"rc": proc.returncode, "stdout": out, "stderr": proc.stderr, "kafka": kafka, "cmd": cmd}


def _contents(bootstrap: str, topic: str, partitions: int) -> Any:
    """The topic's records, or "deleted" when the command deleted it."""
    try:
        return read_topic(bootstrap, topic, partitions)
    except KafkaException as e:
        if e.args[0].code() == KafkaError._UNKNOWN_PARTITION:
            return "deleted"
        raise


def _documented(cid: str) -> None:
    text = COMPAT_DOC.read_text() if COMPAT_DOC.exists() else ""
    assert f"| {cid} |" in text, f"deliberate difference {cid} is not in docs/COMPATIBILITY.md"


def _stdout_view(case: Case, out: str) -> Any:
    if case.stdout == "json":
        try:
            return json.loads(out)
        except ValueError:
            return [json.loads(line) for line in out.splitlines() if line.strip()]
    if case.stdout == "lines-sorted":
        return sorted(out.splitlines())
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli(case: Case, released_python: str, klient_python: str, bootstrap: str, kafka_admin: Any,
             tmp_path: Path) -> None:
    py = {"released": released_python, "klient": klient_python}
    res = {impl: run(case, impl, py, bootstrap, kafka_admin, tmp_path) for impl in IMPLS}
    rel = res["released"]
    for impl in ("native", "pymod"):
        got = res[impl]
        ctx = (f"{case.name} [{impl}]\n  released rc={rel['rc']} stdout:\n{rel['stdout'][:2000]}\n  stderr: {rel['stderr'][-1500:]}"
               f"\n  {impl} rc={got['rc']} stdout:\n{got['stdout'][:2000]}\n  stderr: {got['stderr'][-1500:]}")
        if case.exit_differs:
            _documented(case.exit_differs)
            assert got["rc"] != 0 or rel["rc"] != 0, ctx
        else:
            assert got["rc"] == rel["rc"], "exit codes differ: " + ctx
            if case.differs:
                _documented(case.differs)
            elif case.stdout != "ignore":
                assert _stdout_view(case, got["stdout"]) == _stdout_view(case, rel["stdout"]), "stdout differs: " + ctx
        assert got["kafka"] == rel["kafka"], f"Kafka contents differ: {ctx}\n  released: {rel['kafka']!r:.2000}\n  {impl}: {got['kafka']!r:.2000}"


def test_enough_cases() -> None:
    assert len(CASES) >= 80, f"only {len(CASES)} command lines; the issue asks for at least 80"
    assert len({c.name for c in CASES}) == len(CASES), "case names must be unique"
