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
    Case("g-config-file-dir", ["-C", "{TMP}", "info", "config-dump"], topics=0),
    Case("g-verbose-no-file", ["-v", *_B, "info", "config-dump"], topics=0),
    Case("g-admin-env-unknown", ["-C", "{TMP}/c.json", "--admin-env", "nope", "info", "config-dump"], topics=0, files=_CF,
         exit_differs="CLI-A1"),
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
    Case("info-config-dump-bad-json", ["-C", "{TMP}/bad.json", "info", "config-dump"], topics=0, files={"bad.json": '{"default": '}),
    Case("info-config-dump-array-file", ["-C", "{TMP}/a.json", *_B, "info", "config-dump"], topics=0, files={"a.json": "[1]"},
         exit_differs="CLI-A10"),
]

# --- produce, consume, relay ---
# Timings differ between runs: they are normalised away.
_DUR = [(r'"duration_(ms|s)": [0-9.e+-]+', r'"duration_\1": 0'), (r'"duration_(ms|s)":[0-9.e+-]+', r'"duration_\1":0')]
_FF = """[{"id": 1, "name": "Ada", "shard": 0, "meta": {"type": "user", "v": 2}},
 {"id": "u2", "name": "caf\\u00e9 \u20ac", "score": 1.50, "big": 12345678901234567890, "tiny": 1e-7, "huge": 1e22,
  "nested": {"a": [1, 2.0, null, true]}, "shard": 1},
 "not an object", 7, null,
 {"id": null, "empty": {}, "list": [], "quote": "a\\"b\\\\c\\n", "shard": 1},
 {"a": 1, "a": 2, "b": 3, "shard": 0}]"""
_JSONS = [{"key": "k1", "value": '{"a": 1, "b": {"c": [1, 2]}}'}, {"key": "k2", "value": "plain text"},
          {"key": "k3", "value": "42"}, {"key": None, "value": '"quoted"'}, {"key": "k5", "value": "[]"},
          {"key": "k6", "value": '{"u": "\\u00e9", "f": 1.0}'}]
_THREE = [{"key": "k1", "value": "v1", "headers": [("h", b"1")]}, {"key": "k2", "value": "v2"}, {"key": "k3", "value": "v3"}]
_SIX = [{"key": f"k{i}", "value": f"value-{i}", "headers": [("src", b"x")]} for i in range(6)]

CASES += [
    # produce send
    Case("ps-basic", [*_B, "produce", "send", "{TOPIC}", "-v", "hello"]),
    Case("ps-key-headers", [*_B, "produce", "send", "{TOPIC}", "-k", "k1", "-v", "v1", "-H", "a=1", "-H", "b=2"]),
    Case("ps-long-options", [*_B, "produce", "send", "{TOPIC}", "--key", "k", "--value", "v", "--header", "x=y", "--partition", "1"],
         partitions=2),
    Case("ps-short-partition", [*_B, "produce", "send", "{TOPIC}", "-v", "p0", "-p", "0"], partitions=2),
    Case("ps-duplicate-header", [*_B, "produce", "send", "{TOPIC}", "-v", "v", "-H", "a=1", "-H", "b=x", "-H", "a=2"]),
    Case("ps-header-equals-in-value", [*_B, "produce", "send", "{TOPIC}", "-v", "v", "-H", "a=b=c", "-H", "e="]),
    Case("ps-empty-key", [*_B, "produce", "send", "{TOPIC}", "-k", "", "-v", "v"]),
    Case("ps-empty-value", [*_B, "produce", "send", "{TOPIC}", "-v", ""]),
    Case("ps-json-value", [*_B, "produce", "send", "{TOPIC}", "-v", '{"a": 1, "b": [true, null]}']),
    Case("ps-unicode", [*_B, "produce", "send", "{TOPIC}", "-k", "clé", "-v", "café €", "-H", "h=ü"]),
    Case("ps-no-flush", [*_B, "produce", "send", "{TOPIC}", "-v", "nf", "--no-flush"]),
    Case("ps-flush", [*_B, "produce", "send", "{TOPIC}", "-v", "f", "--flush"]),
    Case("ps-tx-id", [*_B, "produce", "send", "{TOPIC}", "-v", "in-tx", "--tx-id", "tx-{ID}"]),
    Case("ps-transactional-id", [*_B, "produce", "send", "{TOPIC}", "-k", "k", "-v", "in-tx", "--transactional-id", "tx-{ID}"]),
    Case("ps-missing-value", [*_B, "produce", "send", "{TOPIC}", "-k", "k"]),
    Case("ps-bad-header", [*_B, "produce", "send", "{TOPIC}", "-v", "v", "-H", "novalue"]),
    Case("ps-compact", [*_B, "--compact-json", "produce", "send", "{TOPIC}", "-v", "c"]),
    Case("ps-filter-key", [*_B, "-f", "status:sent", "produce", "send", "{TOPIC}", "-v", "f"]),
    Case("ps-filter-nomatch", [*_B, "-f", "status:nope", "produce", "send", "{TOPIC}", "-v", "f"]),
    Case("ps-output-file", [*_B, "-o", "{TMP}/sent.json", "produce", "send", "{TOPIC}", "-v", "o"]),
    Case("ps-verbose-and-value", [*_B, "-v", "produce", "send", "{TOPIC}", "-v", "verbose-then-value"]),
    # produce transaction
    Case("pt-default-count", [*_B, "produce", "transaction", "{TOPIC}", "--tx-id", "tx-{ID}"], normalize=_DUR),
    Case("pt-count-short", [*_B, "produce", "transaction", "{TOPIC}", "-n", "3", "--transactional-id", "tx-{ID}"], normalize=_DUR),
    Case("pt-count-long", [*_B, "produce", "transaction", "{TOPIC}", "--count", "2", "--tx-id", "tx-{ID}"], normalize=_DUR,
         partitions=2, stdout="ignore"),
    Case("pt-zero", [*_B, "produce", "transaction", "{TOPIC}", "-n", "0", "--tx-id", "tx-{ID}"], normalize=_DUR),
    Case("pt-missing-tx-id", [*_B, "produce", "transaction", "{TOPIC}"]),
    Case("pt-compact", [*_B, "--compact-json", "produce", "transaction", "{TOPIC}", "-n", "1", "--tx-id", "tx-{ID}"], normalize=_DUR),
    # produce from-file: values are json.dumps of each object, byte for byte
    Case("ff-fields", [*_B, "produce", "from-file", "{TOPIC}", "{TMP}/in.json", "--key-field", "id",
                       "--partition-field", "shard", "--headers-field", "meta"], partitions=2, files={"in.json": _FF}),
    Case("ff-plain", [*_B, "produce", "from-file", "{TOPIC}", "{TMP}/in.json"], files={"in.json": _FF}),
    Case("ff-tx-batches", [*_B, "produce", "from-file", "{TOPIC}", "{TMP}/in.json", "--tx-id", "tx-{ID}", "-b", "2"],
         files={"in.json": _FF}),
    Case("ff-tx-long", [*_B, "produce", "from-file", "{TOPIC}", "{TMP}/in.json", "--transactional-id", "tx-{ID}",
                        "--batch-size", "1", "--key-field", "name"], files={"in.json": _FF}),
    Case("ff-all-skipped", [*_B, "produce", "from-file", "{TOPIC}", "{TMP}/in.json"], files={"in.json": "[1, \"x\", [2]]"}),
    Case("ff-empty-array", [*_B, "produce", "from-file", "{TOPIC}", "{TMP}/in.json"], files={"in.json": "[]"}),
    Case("ff-not-array", [*_B, "produce", "from-file", "{TOPIC}", "{TMP}/in.json"], files={"in.json": '{"a": 1}'}),
    Case("ff-invalid-json", [*_B, "produce", "from-file", "{TOPIC}", "{TMP}/in.json"], files={"in.json": '[{"a": 1},'}),
    Case("ff-missing-file", [*_B, "produce", "from-file", "{TOPIC}", "{TMP}/none.json"]),
    Case("ff-bad-partition-field", [*_B, "produce", "from-file", "{TOPIC}", "{TMP}/in.json", "--partition-field", "p"],
         files={"in.json": '[{"p": "x", "v": 1}, {"p": " 0 ", "v": 2}, {"p": 0.9, "v": 3}, {"p": false, "v": 4}, {"p": null}]'}),
    Case("ff-headers-not-object", [*_B, "produce", "from-file", "{TOPIC}", "{TMP}/in.json", "--headers-field", "h"],
         files={"in.json": '[{"h": "text", "v": 1}, {"h": {"n": 1, "b": false, "z": null, "l": [1]}, "v": 2}]'}),
    Case("ff-key-types", [*_B, "produce", "from-file", "{TOPIC}", "{TMP}/in.json", "--key-field", "k"],
         files={"in.json": '[{"k": 1.0}, {"k": true}, {"k": [1, "a"]}, {"k": {"x": "y"}}, {"k": ""}, {"v": 0}]'}),
    Case("ff-compact", [*_B, "--compact-json", "produce", "from-file", "{TOPIC}", "{TMP}/in.json"], files={"in.json": '[{"a": 1}]'}),
    # consume poll / batch
    Case("cp-poll", [*_B, "consume", "poll", "{TOPIC}", "-t", "15"], seed=_THREE),
    Case("cp-poll-long", [*_B, "consume", "poll", "{TOPIC}", "--group", "g-{ID}", "--timeout", "15",
                          "--isolation", "read_uncommitted"], seed=_THREE),
    Case("cp-poll-empty", [*_B, "consume", "poll", "{TOPIC}", "-t", "1"]),
    Case("cp-poll-compact", [*_B, "--compact-json", "consume", "poll", "{TOPIC}", "-g", "g-{ID}", "-t", "15"], seed=_THREE),
    Case("cp-poll-null-key-value", [*_B, "consume", "poll", "{TOPIC}", "-t", "15"], seed=[{"key": "", "value": None}]),
    Case("cp-batch", [*_B, "consume", "batch", "{TOPIC}", "-n", "3", "-t", "15"], seed=_THREE),
    Case("cp-batch-long", [*_B, "consume", "batch", "{TOPIC}", "--count", "6", "--timeout", "15", "--group", "g-{ID}"], seed=_JSONS),
    Case("cp-batch-empty", [*_B, "consume", "batch", "{TOPIC}", "-t", "2"]),
    Case("cp-batch-filter-key", [*_B, "-f", "key:k2", "consume", "batch", "{TOPIC}", "-n", "3", "-t", "15"], seed=_THREE),
    Case("cp-batch-filter-text", [*_B, "--filter", "v3", "consume", "batch", "{TOPIC}", "-n", "3", "-t", "15"], seed=_THREE),
    Case("cp-batch-output-file", [*_B, "-o", "{TMP}/batch.json", "consume", "batch", "{TOPIC}", "-n", "3", "-t", "15"], seed=_THREE),
    Case("cp-seek-partition-alone", [*_B, "consume", "poll", "{TOPIC}", "--seek-to-partition", "0"]),
    Case("cp-bad-isolation", [*_B, "consume", "poll", "{TOPIC}", "--isolation", "dirty"]),
    Case("cp-missing-topic", [*_B, "consume", "poll", "compat-cli-none-{ID}", "-t", "2"], topics=0),
    Case("cs-missing-topic", [*_B, "consume", "stream", "compat-cli-none-{ID}", "-l", "1"], topics=0, stdout="ignore"),
    Case("cb-bad-count", [*_B, "consume", "batch", "{TOPIC}", "-n", "many"]),
    Case("rs-missing-source", [*_B, "relay", "stream", "compat-cli-none-{ID}", "{TOPIC}", "-x", "value", "--max-batches", "1"],
         stdout="ignore"),
    Case("cp-seek-to-offset", [*_B, "consume", "poll", "{TOPIC}", "--seek-to-offset", "1", "-t", "15"], seed=_THREE,
         exit_differs="CLI-B3"),
    # consume stream: TOPIC[P]@OFFSET: VALUE lines, JSON values re-printed
    Case("cs-limit", [*_B, "consume", "stream", "{TOPIC}", "-l", "3"], seed=_THREE, normalize=_DUR),
    Case("cs-json-values", [*_B, "consume", "stream", "{TOPIC}", "--limit", "6", "-g", "g-{ID}"], seed=_JSONS, normalize=_DUR),
    Case("cs-json-values-compact", [*_B, "--compact-json", "consume", "stream", "{TOPIC}", "-l", "6"], seed=_JSONS, normalize=_DUR),
    Case("cs-filter-not-counted", [*_B, "-f", "a:5", "consume", "stream", "{TOPIC}", "-l", "1"],
         seed=[{"value": '{"a": 1}'}, {"value": '{"a": 5}'}, {"value": '{"a": 6}'}], normalize=_DUR),
    Case("cs-filter-text", [*_B, "-f", "b", "consume", "stream", "{TOPIC}", "-l", "2", "-t", "0.5"], seed=_JSONS, normalize=_DUR),
    Case("cs-empty-values", [*_B, "consume", "stream", "{TOPIC}", "-l", "2"], seed=[{"value": None}, {"value": ""}], normalize=_DUR),
    Case("cs-options", [*_B, "consume", "stream", "{TOPIC}", "--group", "g-{ID}", "--timeout", "0.2", "--grace-period", "1",
                        "--isolation", "read_committed", "-l", "2"], seed=_THREE, normalize=_DUR),
    # relay stream: full batches, keys kept, headers dropped, --max-batches
    Case("rs-max-batches", [*_B, "relay", "stream", "{TOPIC}", "{TOPIC2}", "-b", "2", "--max-batches", "2"], topics=2,
         seed=_SIX, normalize=_DUR),
    Case("rs-long-options", [*_B, "relay", "stream", "{TOPIC}", "{TOPIC2}", "--group", "g-{ID}", "--tx-id", "tx-{ID}",
                             "--batch-size", "3", "--max-batches", "1", "--timeout", "0.2", "--isolation", "read_committed"],
         topics=2, seed=_SIX, normalize=_DUR),
    Case("rs-transform-upper", [*_B, "relay", "stream", "{TOPIC}", "{TOPIC2}", "-x", "value.upper()", "-b", "3",
                                "--max-batches", "2"], topics=2, seed=_SIX, normalize=_DUR),
    Case("rs-transform-concat", [*_B, "relay", "stream", "{TOPIC}", "{TOPIC2}", "--transform", "value + '!' + value[-1]",
                                 "-b", "6", "--max-batches", "1", "--transactional-id", "tx-{ID}"], topics=2, seed=_SIX, normalize=_DUR),
    Case("rs-transform-not-str", [*_B, "relay", "stream", "{TOPIC}", "{TOPIC2}", "-x", "len(value)", "-b", "2", "--max-batches", "1"],
         topics=2, seed=_SIX, normalize=_DUR),
    Case("rs-null-key-value", [*_B, "relay", "stream", "{TOPIC}", "{TOPIC2}", "-b", "2", "--max-batches", "1"], topics=2,
         seed=[{"key": "", "value": None}, {"key": None, "value": ""}], normalize=_DUR),
]
