"""Runs every program in programs/ under glean-klient 0.1.2 and under klient and compares
what each observed (stdout, see programs/_compat.py) and what landed in Kafka (read by an
independent confluent-kafka consumer).

A program's header comments set up its run:
    # topics: N         fresh topics, passed as COMPAT_TOPIC, COMPAT_TOPIC2, ... (default 1)
    # partitions: N     partitions of each (default 1)
    # timeout: S        seconds before the run counts as hung (default 60)
    # exit: N           the exit code both runs must end with (default 0)
"""

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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import KLIENT_PYTHONPATH, ROOT, create_topic, read_topic  # noqa: E402

PROGRAMS = sorted(p for p in (Path(__file__).parent / "programs").glob("*.py") if not p.name.startswith("_"))
COMPAT_DOC = ROOT / "docs" / "COMPATIBILITY.md"


def header(path: Path) -> dict[str, int]:
    meta = {"topics": 1, "partitions": 1, "timeout": 60, "exit": 0}
    for line in path.read_text().splitlines()[:30]:
        m = re.match(r"#\s*(topics|partitions|timeout|exit):\s*(\d+)", line)
        if m:
            meta[m.group(1)] = int(m.group(2))
    return meta


def run(program: Path, python: str, impl: str, bootstrap: str, kafka_admin: Any, tmp_path: Path) -> dict[str, Any]:
    meta = header(program)
    run_id = uuid.uuid4().hex[:10]
    topics = [create_topic(kafka_admin, f"compat-{impl}-{program.stem}-{run_id}-{i}", meta["partitions"])
              for i in range(meta["topics"])]
    home = tmp_path / f"home-{impl}"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KLIENT_", "PYTHON"))}
    env.update({"COMPAT_BOOTSTRAP": bootstrap, "COMPAT_ID": run_id, "HOME": str(home),
                "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    for i, t in enumerate(topics):
        env["COMPAT_TOPIC" if i == 0 else f"COMPAT_TOPIC{i + 1}"] = t
    if impl == "klient":
        env["PYTHONPATH"] = KLIENT_PYTHONPATH
    try:
        proc = subprocess.run([python, str(program)], cwd=str(program.parent), env=env, capture_output=True,
                              text=True, timeout=meta["timeout"])
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{program.name} hung under {impl} (> {meta['timeout']}s); stdout so far:\n{e.stdout}")
    assert proc.returncode == meta["exit"], (
        f"{program.name} exited {proc.returncode} under {impl} (expected {meta['exit']})\n"
        f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-4000:]}")
    text = proc.stdout
    for i, t in enumerate(topics):
        text = text.replace(t, f"<TOPIC{i + 1}>")
    text = text.replace(run_id, "<ID>")
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    kafka = [read_topic(bootstrap, t, meta["partitions"]) for t in topics]
    for recs in kafka:
        for r in recs:
            r.pop("offset")  # transactional markers shift offsets; order is kept by the sort
    return {"lines": lines, "kafka": kafka, "stderr": proc.stderr}


def compare(released: list[dict[str, Any]], ours: list[dict[str, Any]], name: str) -> None:
    documented = COMPAT_DOC.read_text() if COMPAT_DOC.exists() else ""
    assert len(released) == len(ours), (
        f"{name}: {len(released)} observations under glean-klient, {len(ours)} under klient\n"
        f"released: {json.dumps(released, indent=1)[:3000]}\nklient: {json.dumps(ours, indent=1)[:3000]}")
    for i, (r, o) in enumerate(zip(released, ours)):
        assert r["label"] == o["label"], f"{name}: observation {i}: label {r['label']!r} vs {o['label']!r}"
        if "differs" in r or "differs" in o:
            cid = r.get("differs") or o.get("differs")
            assert cid == o.get("differs") == r.get("differs"), f"{name}: {r['label']}: differs id mismatch"
            assert f"| {cid} |" in documented, f"{name}: deliberate difference {cid} is not in docs/COMPATIBILITY.md"
            continue
        rv, ov = r["value"], o["value"]
        if isinstance(rv, dict) and "exc" in rv:
            assert isinstance(ov, dict) and "exc" in ov, f"{name}: {r['label']}: released raised {rv}, klient gave {ov}"
            missing = [c for c in rv["exc"] if c not in ov["exc"]]
            assert not missing, f"{name}: {r['label']}: klient's exception {ov['exc']} is not a {missing}"
            continue
        assert rv == ov, f"{name}: {r['label']}:\n  glean-klient: {json.dumps(rv)}\n  klient:       {json.dumps(ov)}"


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_program(program: Path, released_python: str, klient_python: str, bootstrap: str, kafka_admin: Any,
                 tmp_path: Path) -> None:
    released = run(program, released_python, "released", bootstrap, kafka_admin, tmp_path)
    ours = run(program, klient_python, "klient", bootstrap, kafka_admin, tmp_path)
    compare(released["lines"], ours["lines"], program.name)
    assert released["kafka"] == ours["kafka"], (
        f"{program.name}: Kafka contents differ\n  glean-klient: {released['kafka']!r:.3000}\n  klient: {ours['kafka']!r:.3000}")


def test_enough_programs() -> None:
    assert len(PROGRAMS) >= 60, f"only {len(PROGRAMS)} differential programs; the issue asks for at least 60"
