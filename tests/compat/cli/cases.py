"""The command lines of the CLI differential suite (see test_cli.py).

Each Case runs under the released CLI (`python -m klient` in build/venv/released-3.12),
klient's native CLI (build/bin/klient) and `python -m klient` from bindings/python.
Placeholders in argv and stdin: {BOOTSTRAP}, {TOPIC}, {TOPIC2}, {ID} (unique per run),
{TMP} (a scratch directory; `files` are written there first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Case:
    name: str
    argv: list[str]
    topics: int = 1                     # fresh topics {TOPIC}, {TOPIC2}, ...
    partitions: int = 1
    seed: list[dict[str, Any]] = field(default_factory=list)  # records put into {TOPIC} first: {key, value, headers, partition}
    stdin: str | None = None
    files: dict[str, str] = field(default_factory=dict)       # name -> content, written into {TMP}
    stdout: str = "exact"               # "exact" | "json" (parsed, compared as documents) | "lines-sorted" | "ignore"
    normalize: list[tuple[str, str]] = field(default_factory=list)  # regex -> replacement, applied to stdout of all three
    differs: str | None = None          # an id in docs/COMPATIBILITY.md: stdout is not compared (exit code and Kafka are)
    exit_differs: str | None = None     # an id in docs/COMPATIBILITY.md: klient's exit code may differ (stdout not compared)
    timeout: float = 60.0


# Cases are added per area by the CLI work; keep names unique.
CASES: list[Case] = [
    Case("admin-list-topics-json", ["-b", "{BOOTSTRAP}", "--json", "admin", "list-topics"], stdout="ignore"),
]
