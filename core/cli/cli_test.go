package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
	"github.com/klient-dev/klient/core/metrics"
	"github.com/spf13/pflag"
)

// These tests need no broker: they cover parsing, filtering, transforms and config.

func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := RunIO(args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// TestFilter covers --filter on klient's tables (--format table): line by line, KEY:REGEX
// on lines that mention KEY; an invalid regex is reported (the caller warns).
func TestFilter(t *testing.T) {
	f, err := compileFilter("server:prod")
	if err != nil || f.key != "server" || !f.line("a.bootstrap_servers = prod:9092") || f.line("a.bootstrap.servers = dev:9092") || f.line("c = prod") {
		t.Fatalf("key filter: %v %+v", err, f)
	}
	f, _ = compileFilter("prod.*server")
	if !f.line("PROD bootstrap SERVER") || f.line("dev server") || f.key != "" {
		t.Fatal("text filter")
	}
	f, _ = compileFilter("localhost:9092") // not a key form: "localhost" contains no regex, so it is one
	if !f.line("bootstrap = localhost:9092") || f.line("bootstrap = other:9092") {
		t.Fatal("colon in a text pattern")
	}
	var nilF *filter
	if !nilF.line("x") {
		t.Fatal("no filter keeps everything")
	}
	for _, bad := range []string{"([x", "name:(", "a:*"} {
		if _, err := compileFilter(bad); err == nil || !strings.Contains(err.Error(), "bad --filter regex") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	var out, errb bytes.Buffer
	if code := RunIO([]string{"--format", "table", "-f", "(", "info", "version"}, nil, &out, &errb); code != 0 || out.String() != ReleasedVersion+"\n" {
		t.Fatalf("table mode with a bad regex: %d %q %q", code, out.String(), errb.String())
	}
}

func msg(value, key string) *klient.ConsumedMessage {
	m := &klient.ConsumedMessage{Topic: "t", Partition: 2, Offset: 7, Value: []byte(value), Headers: []klient.Header{{Key: "h", Value: []byte("hv")}}}
	if key != "" {
		m.Key = []byte(key)
	}
	return m
}

func TestTransform(t *testing.T) {
	cases := []struct {
		expr, value, key, want string
		keep                   bool
	}{
		{"value.upper()", "abc", "", "ABC", true},
		{"value + '|' + key + '|' + topic + str(partition) + str(offset) + headers['h']", "v", "k", "v|k|t27hv", true},
		{"None if key == None else value", "v", "", "", false},
		{"b'raw'", "v", "", "raw", true},
		{"value if int(value) % 2 else None", "4", "", "", false},
		{"value if int(value) % 2 else None", "5", "", "5", true},
		{"len(value) * 2", "abc", "", "6", true}, // str() of a non-str result, as the released CLI
	}
	for _, c := range cases {
		tr, err := compileTransform(c.expr)
		if err != nil {
			t.Fatalf("%q: %v", c.expr, err)
		}
		v, keep, err := tr.apply(msg(c.value, c.key))
		if err != nil || keep != c.keep || string(v) != c.want {
			t.Errorf("%q: got %q keep=%v err=%v", c.expr, v, keep, err)
		}
	}
	for expr, hint := range map[string]string{
		"":                       "empty",
		"value.upper(":           "does not compile",
		"value), (1":             "does not compile",
		"nosuch(value)":          "undefined: nosuch",
		"load('x.star', 'y')":    "does not compile",
		"open('/etc/passwd')":    "undefined: open",
		"[x for x in value] = 1": "does not compile",
	} {
		_, err := compileTransform(expr)
		var ue *usageError
		if err == nil || !strings.Contains(err.Error(), hint) || !asUsage(err, &ue) {
			t.Errorf("%q: want a usage error mentioning %q, got %v", expr, hint, err)
		}
	}
	// Runaway expressions hit the step limit instead of spinning.
	tr, _ := compileTransform("str(len([x for x in range(100000000)]))")
	start := time.Now()
	if _, _, err := tr.apply(msg("v", "")); err == nil || !strings.Contains(err.Error(), "steps") {
		t.Fatalf("step limit: %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("step limit too slow")
	}
	// A result too large for Kafka is refused rather than handed to the producer.
	tr, _ = compileTransform("value * 20000000")
	if _, _, err := tr.apply(msg("v", "")); err == nil || !strings.Contains(err.Error(), "the limit is") {
		t.Fatalf("result size limit: %v", err)
	}
	// Few but slow steps are cancelled by the time limit.
	tr, _ = compileTransform("str(len([1 for s in [value * 2000000] * 20000 if s.upper()]))")
	start = time.Now()
	if _, _, err := tr.apply(msg("v", "")); err == nil || !strings.Contains(err.Error(), "took longer") {
		t.Fatalf("time limit: %v after %v", err, time.Since(start))
	}
	if time.Since(start) > transformMaxTime+3*time.Second {
		t.Fatalf("time limit applied late: %v", time.Since(start))
	}
}

func asUsage(err error, ue **usageError) bool {
	u, ok := err.(*usageError)
	*ue = u
	return ok
}

func TestParseRecords(t *testing.T) {
	spec := recordSpec{topic: "t", keyField: "user_id", partField: "shard", hdrField: "metadata"}
	data := []byte(`[{"user_id":"u1","data":"x","shard":1,"metadata":{"type":"event","v":2}},{"user_id":7,"data":"y", "n": 1.50, "u": "\u00e9"}, 3, {"shard": "x"}]`)
	recs, err := parseRecords("f.json", data, spec)
	if err != nil || len(recs.msgs) != 3 {
		t.Fatal(err, recs)
	}
	msgs := recs.msgs
	// The value is json.dumps of what remains: Python's separators, key order and
	// ASCII escapes, byte for byte.
	if string(msgs[0].Key) != "u1" || msgs[0].Partition != 1 || string(msgs[0].Value) != `{"data": "x"}` ||
		len(msgs[0].Headers) != 2 || msgs[0].Headers[0].Key != "type" || string(msgs[0].Headers[1].Value) != "2" {
		t.Fatalf("record 0: %+v", msgs[0])
	}
	if string(msgs[1].Key) != "7" || msgs[1].Partition != klient.AnyPartition || msgs[1].Headers != nil ||
		string(msgs[1].Value) != `{"data": "y", "n": 1.5, "u": "\u00e9"}` {
		t.Fatalf("record 1: %+v %s", msgs[1], msgs[1].Value)
	}
	if msgs[2].Partition != klient.AnyPartition || string(msgs[2].Value) != `{}` {
		t.Fatalf("record 3: %+v", msgs[2])
	}
	want := []string{"Message at index 2 is not an object: int", "Invalid partition value at index 3: x"}
	if strings.Join(recs.notes, "|") != strings.Join(want, "|") {
		t.Fatalf("notes %q", recs.notes)
	}
	for content, hint := range map[string]string{
		`[{"a":1},`: "Invalid JSON in file f.json",
		`{"a":1}`:   "must contain an array of objects, got dict",
		`[]`:        "JSON file contains empty array, nothing to send",
	} {
		_, err := parseRecords("f.json", []byte(content), spec)
		if (hint == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), hint)) {
			t.Errorf("%s: want %q, got %v", content, hint, err)
		}
	}
	// stdin ("-") is detected: an object per line is NDJSON, anything else lines.
	if recs, err := parseRecords("-", []byte(`{"a": 1}`), recordSpec{topic: "t"}); err != nil || string(recs.msgs[0].Value) != `{"a": 1}` {
		t.Errorf("stdin NDJSON: %v", err)
	}
	if recs, err := parseRecords("-", []byte("x\ny"), recordSpec{topic: "t"}); err != nil || len(recs.msgs) != 2 {
		t.Errorf("stdin lines: %v", err)
	}
	// kcat-style lines with a key delimiter; a line without it has no key.
	recs, err = parseRecords("-", []byte("k1:v:1\r\n\nplain\n"), recordSpec{topic: "t", keyDelim: ":"})
	if err != nil || len(recs.msgs) != 2 || string(recs.msgs[0].Key) != "k1" || string(recs.msgs[0].Value) != "v:1" ||
		recs.msgs[1].Key != nil || string(recs.msgs[1].Value) != "plain" {
		t.Fatalf("lines: %v %+v", err, recs)
	}
	// NDJSON: one object per line, handled like array elements.
	recs, err = parseRecords("-", []byte("{\"id\": 1, \"a\": [1, 2]}\n\n{\"id\": \"x\"}\n"), recordSpec{topic: "t", keyField: "id", format: "ndjson"})
	if err != nil || len(recs.msgs) != 2 || string(recs.msgs[0].Key) != "1" || string(recs.msgs[0].Value) != `{"a": [1, 2]}` || string(recs.msgs[1].Value) != `{}` {
		t.Fatalf("ndjson: %v %+v", err, recs)
	}
}

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const testConfig = `{
  "default": {"bootstrap.servers": "shared:9092", "client.id": "base", "sasl.password": "hunter2"},
  "prod": {"client.id": "prod", "producer": {"linger_ms": 7}},
  "prod-producer": {"bootstrap.servers": "write:9092", "compression.type": "lz4"},
  "prod-consumer": {"bootstrap.servers": "read:9092", "group_id": "from-file"}
}`

func TestConfigPrecedence(t *testing.T) {
	cfg := writeConfig(t, testConfig)
	t.Setenv(EnvBootstrap, "")
	// dump returns info config-dump's document (the released CLI's shape).
	dump := func(args ...string) map[string]any {
		t.Helper()
		out, errOut, code := run(t, append(append([]string{"--config-file", cfg}, args...), "info", "config-dump")...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return m
	}
	section := func(m map[string]any, s string) map[string]any {
		return m["sections"].(map[string]any)[s].(map[string]any)
	}

	m := dump()
	if section(m, "producer")["client.id"] != "base" || m["bootstrap"] != "shared:9092" || m["env"] != nil {
		t.Fatalf("default env: %v", m)
	}
	m = dump("-e", "prod")
	if section(m, "producer")["client.id"] != "prod" || section(m, "producer")["linger.ms"] != float64(7) || section(m, "consumer")["linger.ms"] != nil || m["env"] != "prod" {
		t.Fatalf("--env prod: %v", m)
	}
	// A role env wins over --env, which wins over default. One bootstrap serves every
	// role, as in the released CLI: the producer's, then the consumer's, then the admin's.
	m = dump("-e", "prod", "--producer-env", "prod-producer", "--consumer-env", "prod-consumer")
	if section(m, "producer")["bootstrap.servers"] != "write:9092" || section(m, "consumer")["bootstrap.servers"] != "write:9092" ||
		section(m, "consumer")["group.id"] != "from-file" || section(m, "admin")["client.id"] != "prod" || section(m, "producer")["linger.ms"] != float64(0) {
		t.Fatalf("role envs: %v", m)
	}
	if m = dump("--admin-env", "prod-consumer"); m["bootstrap"] != "shared:9092" || section(m, "admin")["group.id"] != "from-file" {
		t.Fatalf("--admin-env: %v", m)
	}
	// --bootstrap-servers > $KLIENT_BOOTSTRAP_SERVERS > file > default; -X wins.
	t.Setenv(EnvBootstrap, "envvar:1")
	if m = dump(); m["bootstrap"] != "envvar:1" || section(m, "consumer")["bootstrap.servers"] != "envvar:1" {
		t.Fatalf("env var: %v", m)
	}
	if m = dump("-b", "flag:1"); m["bootstrap"] != "flag:1" || section(m, "admin")["bootstrap.servers"] != "flag:1" {
		t.Fatalf("flag: %v", m)
	}
	if m = dump("-b", "flag:1", "-X", "bootstrap.servers=x:1", "-X", "client.id=cli"); m["bootstrap"] != "x:1" || section(m, "consumer")["client.id"] != "cli" {
		t.Fatalf("-X: %v", m)
	}
	t.Setenv(EnvBootstrap, "")
	out, _, _ := run(t, "--config-file", writeConfig(t, `{"default": {}}`), "info", "config-dump")
	if !strings.Contains(out, `"bootstrap": "localhost:9092"`) {
		t.Fatalf("default bootstrap: %s", out)
	}
	// The released layout's "common" section applies to every role.
	out, _, _ = run(t, "--config-file", writeConfig(t, `{"default": {"common": {"client.id": "c"}, "admin": {"client.id": "a"}}}`), "info", "config-dump")
	if m = map[string]any{}; json.Unmarshal([]byte(out), &m) != nil || section(m, "producer")["client.id"] != "c" || section(m, "admin")["client.id"] != "a" {
		t.Fatalf("common: %s", out)
	}
	// The consumer's group: --group wins, then the file's group.id, then the default.
	a := &app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	a.globalFlags() // defining the flags sets their defaults: set values after
	a.g.configFile, a.g.consumerEnv = cfg, "prod-consumer"
	if a.cfg, _ = a.resolveConfig(); a.cfg == nil {
		t.Fatal("resolve")
	}
	a.fs = pflag.NewFlagSet("poll", pflag.ContinueOnError)
	consumeFlags("poll")(a.fs)
	a.addGlobals(a.fs) // the command's -e (exit at end) wins over the global -e there
	if g := a.groupID(DefaultGroup); g != "from-file" {
		t.Fatalf("group from file: %s", g)
	}
	_ = a.fs.Parse([]string{"--group", "flag-group"})
	if g := a.groupID(DefaultGroup); g != "flag-group" {
		t.Fatalf("group flag: %s", g)
	}
}

func TestMasking(t *testing.T) {
	cfg := writeConfig(t, testConfig)
	for _, args := range [][]string{
		{"--config-file", cfg, "--show-config", "info", "config-dump"},
		{"--config-file", cfg, "--json", "--show-config", "info", "config-dump"},
		{"--config-file", cfg, "--filter", "password", "info", "config-dump"},
	} {
		out, errOut, code := run(t, args...)
		if code != 0 || strings.Contains(out+errOut, "hunter2") || !strings.Contains(out+errOut, config.Masked) {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, out, errOut)
		}
	}
	// A message key is data, not key material.
	a := &app{}
	a.globalFlags()
	a.fs = a.globalFlags()
	a.fs.String("key", "", "")
	a.fs.String("ssl-key-password", "", "")
	_ = a.fs.Parse([]string{"--key", "user1", "--ssl-key-password", "pw"})
	if p := a.params(); p["key"] != "user1" || p["ssl-key-password"] != config.Masked {
		t.Fatalf("params: %v", p)
	}
}

func TestUsageErrors(t *testing.T) {
	cfg := writeConfig(t, testConfig)
	for _, c := range []struct {
		args []string
		hint string
	}{
		{nil, "missing command"},
		{[]string{"nope"}, `unknown command "nope"`},
		{[]string{"admin", "nope"}, `unknown subcommand of 'admin' "nope"`},
		{[]string{"admin", "list-topics", "--nope"}, "unknown flag: --nope"},
		{[]string{"--config-file", "/no/such.json", "info", "config-dump"}, "does not exist"},
		{[]string{"--config-file", cfg, "-e", "qa", "info", "config-dump"}, `environment "qa" (--env) not found`},
		{[]string{"info", "config-dump", "extra"}, `unexpected argument "extra"`},
	} {
		_, errOut, code := run(t, c.args...)
		if code != ExitUsage || !strings.Contains(errOut, c.hint) {
			t.Errorf("%v: exit %d, stderr %q (want 2 and %q)", c.args, code, errOut, c.hint)
		}
	}
	// A config file that cannot be used is an operational error (exit 1), as in the
	// released CLI (a ValueError there).
	for content, hint := range map[string]string{
		`{"default": {"a": [1]}}`: "must be a string, number or boolean",
		`{"default": `:            "malformed config file",
		`[1]`:                     "malformed config file",
	} {
		if _, errOut, code := run(t, "--config-file", writeConfig(t, content), "info", "config-dump"); code != ExitError || !strings.Contains(errOut, hint) {
			t.Errorf("%s: exit %d, stderr %q (want 1 and %q)", content, code, errOut, hint)
		}
	}
	out, _, code := run(t, "admin", "--help")
	if code != 0 || !strings.Contains(out, "list-topics") {
		t.Fatalf("admin --help: %d %s", code, out)
	}
}

// A second SIGINT ends the process at once (exitNow), after the first started a
// graceful stop.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	exited := make(chan int, 1)
	exitNow = func(code int) { exited <- code }
	defer func() { exitNow = os.Exit }()
	before := metrics.Get(metrics.ConsumerShutdownSignal)
	var errb bytes.Buffer
	a := &app{stdout: &bytes.Buffer{}, stderr: &errb}
	first := make(chan struct{})
	sh := a.watchSignals(func(int) { close(first) })
	defer sh.stop()
	_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
	select {
	case <-first:
	case <-time.After(5 * time.Second):
		t.Fatal("first signal not handled")
	}
	if !sh.requested.Load() || metrics.Get(metrics.ConsumerShutdownSignal) != before+1 {
		t.Fatal("first signal: requested flag and counter")
	}
	_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
	select {
	case code := <-exited:
		if code != 130 {
			t.Fatalf("exit code %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second signal did not exit")
	}
}

// TestPyJSON pins the released CLI's bytes: json.dumps(indent=2, sort_keys=True), the
// compact separators (insertion order), the default style, ensure_ascii escapes, Python
// float repr and str() of every kind of value.
func TestPyJSON(t *testing.T) {
	doc := obj("z", 1, "a", []any{true, nil, 1.5, 1e16, 0.0001, "é\U0001F600\"\\\n"}, "m", obj(), "l", []any{})
	pretty := "{\n  \"a\": [\n    true,\n    null,\n    1.5,\n    1e+16,\n    0.0001,\n    \"\\u00e9\\ud83d\\ude00\\\"\\\\\\n\"\n  ],\n  \"l\": [],\n  \"m\": {},\n  \"z\": 1\n}"
	if got := dumpJSON(doc, jsonPretty); got != pretty {
		t.Errorf("pretty:\n%s\nwant\n%s", got, pretty)
	}
	if got := dumpJSON(doc, jsonCompact); got != `{"z":1,"a":[true,null,1.5,1e+16,0.0001,"\u00e9\ud83d\ude00\"\\\n"],"m":{},"l":[]}` {
		t.Errorf("compact: %s", got)
	}
	if got := dumpJSON(obj("b", 2.0, "a", "x"), jsonDefault); got != `{"b": 2.0, "a": "x"}` {
		t.Errorf("default: %s", got)
	}
	if got := pyStr(obj("k", []any{nil, true, "it's", 3}, "q", `a"b'c`)); got != `{'k': [None, True, "it's", 3], 'q': 'a"b\'c'}` {
		t.Errorf("str: %s", got)
	}
	v, err := pyParse([]byte(`{"b": 1, "a": {"y": 2.50, "x": 12345678901234567890}}`))
	if err != nil || dumpJSON(v, jsonCompact) != `{"b":1,"a":{"y":2.5,"x":12345678901234567890}}` {
		t.Errorf("parse: %v %s", err, dumpJSON(v, jsonCompact))
	}
	if _, err := pyParse([]byte(`{"a": 1} x`)); err == nil {
		t.Error("trailing data accepted")
	}
}

// TestPyFilter pins the released _apply_filter: KEY:REGEX keeps the shape, drops the
// named members that do not match and containers left empty; a plain regex keeps the
// document as one json.dumps line; nothing left prints nothing.
func TestPyFilter(t *testing.T) {
	var warned []string
	warn := func(f string, a ...any) { warned = append(warned, f) }
	doc := obj("topic", "t1", "created", true, "sub", obj("created", false), "l", []any{obj("created", false), nil, "s"})
	cases := []struct {
		pattern, want string
		isJSON        bool
	}{
		{"created:TRUE", `{"topic":"t1","created":true,"l":["s"]}`, true},
		{"created:nothing", `{"topic":"t1","l":["s"]}`, true},
		{"topic:^t", `{"topic":"t1","created":true,"sub":{"created":false},"l":[{"created":false},"s"]}`, true},
		{"T1", `"{\"topic\": \"t1\", \"created\": true, \"sub\": {\"created\": false}, \"l\": [{\"created\": false}, null, \"s\"]}"`, true},
		{"nomatch", "", true},
	}
	for _, c := range cases {
		got, ok := compilePyFilter(c.pattern, warn).apply(doc, c.isJSON)
		if s := dumpJSON(got, jsonCompact); (c.want == "") == ok || (ok && s != c.want) {
			t.Errorf("%s: %v %s, want %s", c.pattern, ok, s, c.want)
		}
	}
	if got, ok := compilePyFilter("x:(", warn).apply(doc, true); !ok || got != doc || len(warned) != 1 {
		t.Errorf("bad regex: %v %v %v", got, ok, warned)
	}
	if compilePyFilter("", warn) != nil {
		t.Error("empty pattern is no filter")
	}
}

// TestVersion: the CLI's version is the C ABI's.
func TestVersion(t *testing.T) {
	h, err := os.ReadFile("../../capi/capi.h")
	if err != nil || !strings.Contains(string(h), `#define KLIENT_VERSION_STRING "`+Version+`"`) {
		t.Fatalf("capi/capi.h does not define version %s (%v)", Version, err)
	}
	var out bytes.Buffer
	if code := RunIO([]string{"--version"}, nil, &out, &out); code != 0 || !strings.HasPrefix(out.String(), "klient "+Version+" (librdkafka ") {
		t.Fatalf("--version: %d %q", code, out.String())
	}
	out.Reset()
	if code := RunIO([]string{"info", "version", "--json", "-f", "zzz"}, nil, &out, &out); code != 0 || out.String() != ReleasedVersion+"\n" {
		t.Fatalf("info version: %d %q", code, out.String())
	}
}
