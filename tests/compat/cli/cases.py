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

# --- global, admin, info, load ---
# Config files used by several cases (written into {TMP}; the released loader reads JSON
# as Python does, so only integers and strings: klient normalises both the same way).
_CFG = """{
  "default": {"bootstrap.servers": "{BOOTSTRAP}", "client.id": "app-base", "linger.ms": 3},
  "prod": {"client.id": "prod-app", "compression.type": "lz4"},
  "prod-producer": {"bootstrap.servers": "{BOOTSTRAP}", "acks": "1", "transactional.id": "tx-from-file"},
  "prod-consumer": {"group.id": "group-from-file", "fetch.max.bytes": 5242880},
  "prod-admin": {"request.timeout.ms": 20000}
}"""
_CFG_SECTIONS = """{
  "default": {"common": {"bootstrap.servers": "{BOOTSTRAP}", "client.id": "common-app"},
              "producer": {"linger.ms": 7}, "consumer": {"group.id": "g-sections"}, "admin": {"client.id": "admin-app"}}
}"""
_CFG_FLAT = """{"bootstrap.servers": "{BOOTSTRAP}", "client.id": "flat-app"}"""
_CFG_SECRET = """{"default": {"bootstrap.servers": "{BOOTSTRAP}", "sasl.username": "svc", "sasl.password": "s3cr3t"}}"""
_B = ["-b", "{BOOTSTRAP}"]
_CF = {"c.json": _CFG}

CASES += [
    # The group itself: help, unknown commands, missing subcommands.
    Case("g-help", ["--help"], topics=0, stdout="ignore"),
    Case("g-admin-help", ["admin", "--help"], topics=0, stdout="ignore"),
    Case("g-create-topic-help", ["admin", "create-topic", "--help"], topics=0, stdout="ignore"),
    Case("g-no-command", [], topics=0, stdout="ignore"),
    Case("g-unknown-command", ["nope"], topics=0, stdout="ignore"),
    Case("g-admin-no-subcommand", ["admin"], topics=0, stdout="ignore"),
    Case("g-unknown-option", ["--nope", "info", "version"], topics=0, stdout="ignore"),
    Case("g-missing-config-file", ["-C", "{TMP}/none.json", "info", "config-dump"], topics=0),
    Case("g-output-file-dir", ["-o", "{TMP}", *_B, "info", "config-dump"], topics=0),
    Case("g-version-flag", ["--version"], topics=0, exit_differs="CLI-A4"),
    Case("g-options-after-command", [*_B, "info", "config-dump", "--compact-json"], topics=0, exit_differs="CLI-A4"),
    Case("g-X-property", [*_B, "-X", "client.id=x", "info", "config-dump"], topics=0, exit_differs="CLI-A4"),
    Case("g-format-table", [*_B, "--format", "table", "info", "version"], topics=0, exit_differs="CLI-A4"),
    # admin
    Case("admin-list-topics-output-file", [*_B, "-o", "{TMP}/topics.json", "admin", "list-topics"]),
    Case("admin-list-topics-filter-nomatch", [*_B, "-f", "^no-such-topic-anywhere$", "admin", "list-topics"]),
    Case("admin-list-topics-compact", ["--bootstrap-servers", "{BOOTSTRAP}", "--compact-json", "admin", "list-topics"],
         stdout="ignore", differs="CLI-A6"),
    Case("admin-describe", [*_B, "admin", "describe-topic", "{TOPIC}"], partitions=3),
    Case("admin-describe-json", [*_B, "--json", "admin", "describe-topic", "{TOPIC}"], partitions=2),
    Case("admin-describe-compact", [*_B, "--compact-json", "admin", "describe-topic", "{TOPIC}"], stdout="json"),
    Case("admin-describe-filter-name", [*_B, "-f", "name:compat-cli", "admin", "describe-topic", "{TOPIC}"]),
    Case("admin-describe-filter-name-nomatch", [*_B, "-f", "name:zzz", "admin", "describe-topic", "{TOPIC}"]),
    Case("admin-describe-filter-partitions", [*_B, "--filter", "partitions:^2$", "admin", "describe-topic", "{TOPIC}"], partitions=2),
    Case("admin-describe-filter-config-key", [*_B, "-f", "cleanup.policy:compact", "admin", "describe-topic", "{TOPIC}"]),
    Case("admin-describe-missing", [*_B, "admin", "describe-topic", "no-such-topic-{ID}"], topics=0),
    Case("admin-create", [*_B, "admin", "create-topic", "compat-cli-new-{ID}"], topics=0),
    Case("admin-create-short", [*_B, "admin", "create-topic", "compat-cli-new-{ID}", "-p", "2", "-r", "1",
                                "-c", "retention.ms=60000", "-c", "cleanup.policy=compact"], topics=0),
    Case("admin-create-long", [*_B, "admin", "create-topic", "compat-cli-new-{ID}", "--partitions", "3",
                               "--replication", "1", "--config", "retention.ms=1000"], topics=0),
    Case("admin-create-existing", [*_B, "admin", "create-topic", "{TOPIC}"]),
    Case("admin-create-bad-config", [*_B, "admin", "create-topic", "compat-cli-new-{ID}", "-c", "novalue"], topics=0),
    Case("admin-create-json", [*_B, "--json", "admin", "create-topic", "compat-cli-new-{ID}"], topics=0),
    Case("admin-create-compact", [*_B, "--compact-json", "admin", "create-topic", "compat-cli-new-{ID}"], topics=0),
    Case("admin-create-filter-text", [*_B, "-f", "created", "admin", "create-topic", "compat-cli-new-{ID}"], topics=0),
    Case("admin-create-json-filter-text", [*_B, "--json", "-f", "created", "admin", "create-topic", "compat-cli-new-{ID}"], topics=0),
    Case("admin-create-filter-key-false", [*_B, "-f", "created:false", "admin", "create-topic", "compat-cli-new-{ID}"], topics=0),
    Case("admin-create-output-file", [*_B, "-o", "{TMP}/created.json", "admin", "create-topic", "compat-cli-new-{ID}"], topics=0),
    Case("admin-create-several", [*_B, "admin", "create-topic", "compat-cli-a-{ID}", "compat-cli-b-{ID}"], topics=0,
         exit_differs="CLI-A4"),
    Case("admin-create-zero-partitions", [*_B, "admin", "create-topic", "compat-cli-new-{ID}", "-p", "0"], topics=0,
         exit_differs="CLI-A7"),
    Case("admin-create-unreachable", ["-b", "127.0.0.1:1", "admin", "create-topic", "compat-cli-new-{ID}"], topics=0,
         exit_differs="CLI-A2", timeout=120),
    Case("admin-delete", [*_B, "admin", "delete-topic", "{TOPIC}"]),
    Case("admin-delete-missing", [*_B, "admin", "delete-topic", "no-such-topic-{ID}"], topics=0),
    Case("admin-delete-compact", [*_B, "--compact-json", "admin", "delete-topic", "{TOPIC}"]),
    Case("admin-cluster-metadata", [*_B, "admin", "cluster-metadata"], stdout="ignore", differs="CLI-A6"),
    Case("admin-cluster-metadata-output-file", [*_B, "-o", "{TMP}/meta.json", "admin", "cluster-metadata"]),
    Case("admin-cluster-metadata-filter-nomatch", [*_B, "-f", "^nothing-matches-this$", "admin", "cluster-metadata"]),
    # load
    Case("load-test-data", [*_B, "load", "test-data", "{TOPIC}"], partitions=3),
    Case("load-test-data-n-prefix", [*_B, "load", "test-data", "{TOPIC}", "-n", "5", "--prefix", "demo"], partitions=2),
    Case("load-test-data-count", [*_B, "load", "test-data", "{TOPIC}", "--count", "3"]),
    Case("load-test-data-zero", [*_B, "load", "test-data", "{TOPIC}", "-n", "0"]),
    Case("load-test-data-compact", [*_B, "--compact-json", "load", "test-data", "{TOPIC}", "-n", "2"]),
    Case("load-test-data-config-file", ["-C", "{TMP}/c.json", "load", "test-data", "{TOPIC}", "-n", "4"], files=_CF),
    # info
    Case("info-version", ["info", "version"], topics=0),
    Case("info-version-json-filter", ["--json", "-f", "nomatch", "info", "version"], topics=0),
    Case("info-config-dump", [*_B, "info", "config-dump"], topics=0),
    Case("info-config-dump-tx-id", [*_B, "info", "config-dump", "--tx-id", "tx-{ID}"], topics=0),
    Case("info-config-dump-transactional-id", [*_B, "info", "config-dump", "--transactional-id", "tx-{ID}"], topics=0),
    Case("info-config-dump-compact", [*_B, "--compact-json", "info", "config-dump"], topics=0),
    Case("info-config-dump-pretty-wins", [*_B, "--compact-json", "--pretty-json", "info", "config-dump"], topics=0),
    Case("info-config-dump-json", [*_B, "--json", "info", "config-dump"], topics=0),
    Case("info-config-dump-file", ["-C", "{TMP}/c.json", "info", "config-dump"], topics=0, files=_CF),
    Case("info-config-dump-file-compact", ["--config-file", "{TMP}/c.json", "--compact-json", "info", "config-dump"], topics=0, files=_CF),
    Case("info-config-dump-env", ["-C", "{TMP}/c.json", "-e", "prod", "info", "config-dump"], topics=0, files=_CF),
    Case("info-config-dump-producer-env", ["-C", "{TMP}/c.json", "--producer-env", "prod-producer", "info", "config-dump"], topics=0, files=_CF),
    Case("info-config-dump-consumer-env", ["-C", "{TMP}/c.json", "--env", "prod", "--consumer-env", "prod-consumer", "info", "config-dump"],
         topics=0, files=_CF),
    Case("info-config-dump-admin-env", ["-C", "{TMP}/c.json", "--admin-env", "prod-admin", "info", "config-dump"], topics=0, files=_CF),
    Case("info-config-dump-b-over-file", ["-C", "{TMP}/c.json", "-b", "override:1", "info", "config-dump"], topics=0, files=_CF),
    Case("info-config-dump-sections", ["-C", "{TMP}/s.json", "info", "config-dump"], topics=0, files={"s.json": _CFG_SECTIONS}),
    Case("info-config-dump-flat", ["-C", "{TMP}/f.json", "info", "config-dump"], topics=0, files={"f.json": _CFG_FLAT}),
    Case("info-config-dump-home", ["info", "config-dump"], topics=0, files={"home/.kafka/config.json": _CFG}),
    Case("info-config-dump-home-env", ["-e", "prod", "info", "config-dump"], topics=0, files={"home/.kafka/config.json": _CFG}),
    Case("info-config-dump-legacy-env-file", ["-e", "qa", "info", "config-dump"], topics=0,
         files={"home/.kafka/qa.json": _CFG_FLAT}),
    Case("info-config-dump-verbose", ["-v", "-C", "{TMP}/c.json", "info", "config-dump"], topics=0, files=_CF),
    Case("info-config-dump-filter-key", ["-C", "{TMP}/c.json", "-f", "client.id:prod", "info", "config-dump"], topics=0, files=_CF),
    Case("info-config-dump-filter-key-match", ["-C", "{TMP}/c.json", "-e", "prod", "-f", "client.id:PROD", "info", "config-dump"],
         topics=0, files=_CF),
    Case("info-config-dump-filter-text", ["-C", "{TMP}/c.json", "--filter", "app-base", "info", "config-dump"], topics=0, files=_CF),
    Case("info-config-dump-filter-text-nomatch", [*_B, "-f", "no-such-text", "info", "config-dump"], topics=0),
    Case("info-config-dump-filter-bad-regex", [*_B, "-f", "acks:(", "info", "config-dump"], topics=0),
    Case("info-config-dump-output-file", [*_B, "-o", "{TMP}/dump.json", "info", "config-dump"], topics=0),
    Case("info-config-dump-unknown-env", ["-C", "{TMP}/c.json", "-e", "nope", "info", "config-dump"], topics=0, files=_CF,
         exit_differs="CLI-A1"),
    Case("info-config-dump-secret", ["-C", "{TMP}/p.json", "info", "config-dump"], topics=0, files={"p.json": _CFG_SECRET},
         differs="CLI-A3"),
    Case("info-config-dump-show-config", [*_B, "--show-config", "info", "config-dump"], topics=0),
]
