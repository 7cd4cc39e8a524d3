package clitest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The spec's command lines, run as written with `klient` in place of `python -m
// klient`; only topic, group and transactional-id names get the suite's prefix.

const specConfig = `{
  "default": {"bootstrap.servers": "prod-kafka-shared:9092", "client.id": "app-base"},
  "production": {"sasl.username": "svc-user", "sasl.password": "s3cr3t-pw", "client.id": "prod-app"},
  "dev": {"bootstrap_servers": "dev-broker:9092", "producer": {"linger_ms": 5}, "consumer": {"auto_offset_reset": "earliest"}},
  "prod-producer": {"bootstrap.servers": "prod-write:9092", "compression.type": "lz4", "linger.ms": 25},
  "prod-consumer": {"bootstrap.servers": "prod-read:9092", "auto.offset.reset": "earliest", "fetch.max.bytes": 5242880}
}`

func TestSpecHelp(t *testing.T) {
	r := ok(t, "--help")
	for _, w := range []string{"produce", "consume", "admin", "info", "relay", "completion", "--show-config", "--filter"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("--help should mention %q\n%s", w, r.stdout)
		}
	}
	r = ok(t, "consume", "--help")
	for _, w := range []string{"poll", "batch", "stream", "one attempt", "--count", "--limit", "Ctrl+C"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("consume --help should explain %q\n%s", w, r.stdout)
		}
	}
	leaves := [][]string{{"produce", "send"}, {"produce", "transaction"}, {"produce", "from-file"}, {"consume", "poll"},
		{"consume", "batch"}, {"consume", "stream"}, {"admin", "list-topics"}, {"admin", "create-topic"}, {"admin", "create-topics"},
		{"admin", "describe-topic"}, {"admin", "delete-topic"}, {"admin", "delete-topics"}, {"admin", "cluster-metadata"},
		{"info", "config-dump"}, {"info", "version"}, {"load", "test-data"},
		{"relay", "stream"}, {"completion"}}
	for _, l := range leaves {
		r := ok(t, append(l, "--help")...)
		if !strings.Contains(r.stdout, "Usage: klient "+strings.Join(l, " ")) && !strings.Contains(r.stdout, "Usage: klient "+l[0]) {
			t.Errorf("%v --help: no usage line\n%s", l, r.stdout)
		}
	}
	r = ok(t, "consume", "poll", "--help")
	if !strings.Contains(r.stdout, "--seek-to-offset") || !strings.Contains(r.stdout, "--isolation") {
		t.Errorf("consume poll --help misses flags\n%s", r.stdout)
	}
}

func TestSpecProduceAndConsume(t *testing.T) {
	events := topic(t, "events", 1)
	g1 := prefix + "g1"
	sent := "{\n  \"status\": \"sent\",\n  \"topic\": \"" + events + "\",\n  \"transactional\": false\n}\n"

	// produce send events --key k1 --value hello
	r := ok(t, "produce", "send", events, "--key", "k1", "--value", "hello")
	if r.stdout != sent {
		t.Fatalf("produce send output:\n%s", r)
	}
	// --show-config produce send events --key user1 --value "hello"
	r = ok(t, "--show-config", "produce", "send", events, "--key", "user1", "--value", "hello")
	if !strings.Contains(r.stderr, "produce send") || !strings.Contains(r.stderr, "user1") || r.stdout != sent {
		t.Fatalf("--show-config produce send:\n%s", r)
	}
	// produce transaction events --count 5 --transactional-id batch-1
	r = ok(t, "produce", "transaction", events, "--count", "5", "--transactional-id", prefix+"batch-1")
	if !regexp.MustCompile(`^\{\n  "committed": true,\n  "duration_ms": [0-9.]+,\n  "transaction": "` + prefix + `batch-1"\n\}\n$`).MatchString(r.stdout) {
		t.Fatalf("produce transaction:\n%s", r)
	}

	// consume poll events --group g1 --timeout 2
	r = ok(t, "consume", "poll", events, "--group", g1, "--timeout", "2")
	m, _ := jsonOf(t, r.stdout).(map[string]any)
	if m["topic"] != events || m["offset"].(float64) != 0 || m["key"] != "k1" || m["value"] != "hello" ||
		m["transactional"] != false || m["transaction_id"] != nil {
		t.Fatalf("consume poll:\n%s", r)
	}
	// consume batch events --group g1 --count 10 --timeout 5: continues after the poll
	// (offsets were committed); the transaction markers take offsets too.
	r = ok(t, "--json", "consume", "batch", events, "--group", g1, "--count", "10", "--timeout", "5")
	arr, _ := jsonOf(t, r.stdout).([]any)
	if len(arr) != 6 {
		t.Fatalf("consume batch: want 6 messages after the polled one, got %d\n%s", len(arr), r)
	}
	first := arr[0].(map[string]any)
	if first["offset"].(float64) != 1 || first["key"] != "user1" || first["value"] != "hello" {
		t.Fatalf("batch should resume at offset 1: %v", first)
	}
	last := arr[5].(map[string]any)
	if last["value"] != "Transactional message 4" || last["key"] != "key-4" {
		t.Fatalf("transaction messages: %v", last)
	}
	// Nothing left for the group.
	r = ok(t, "consume", "poll", events, "--group", g1, "--timeout", "1")
	if r.stdout != "{\n  \"message\": null\n}\n" {
		t.Fatalf("poll on an exhausted group:\n%s", r)
	}

	// --json --filter "topic:events" consume poll events (default group, fresh)
	r = ok(t, "--json", "--filter", "topic:events", "consume", "poll", events)
	m, _ = jsonOf(t, r.stdout).(map[string]any)
	if m["topic"] != events || m["offset"].(float64) != 0 {
		t.Fatalf("filtered poll:\n%s", r)
	}
	// --show-config consume poll events --group my-group
	r = ok(t, "--show-config", "consume", "poll", events, "--group", prefix+"my-group")
	if !strings.Contains(r.stderr, prefix+"my-group") {
		t.Fatalf("--show-config consume poll:\n%s", r)
	}
	// consume batch events --count 10: the default group (cli-consumer) committed offset
	// 0 in the filtered poll above, so it continues at 1.
	r = ok(t, "consume", "batch", events, "--count", "10")
	if arr := jsonOf(t, r.stdout).([]any); len(arr) != 6 || arr[0].(map[string]any)["offset"].(float64) != 1 {
		t.Fatalf("consume batch --count 10 with the default group:\n%s", r)
	}
	// consume poll events --group g1 --isolation read_uncommitted
	r = ok(t, "consume", "poll", events, "--group", prefix+"g-ru", "--isolation", "read_uncommitted")
	if !strings.Contains(r.stdout, `"key": "k1"`) {
		t.Fatalf("poll read_uncommitted:\n%s", r)
	}
	// consume poll my-topic --group my-group; a __transaction_id header marks it transactional
	myTopic := topic(t, "my-topic", 1)
	ok(t, "produce", "send", myTopic, "-k", "a", "-v", "b", "-H", "trace=42", "-H", "__transaction_id=tx-9")
	r = ok(t, "consume", "poll", myTopic, "--group", prefix+"my-group")
	if m := jsonOf(t, r.stdout).(map[string]any); m["value"] != "b" || m["transactional"] != true || m["transaction_id"] != "tx-9" {
		t.Fatalf("consume poll my-topic:\n%s", r)
	}
}

func TestSpecStreamLimit(t *testing.T) {
	logs := topic(t, "logs", 1)
	produceN(t, logs, 120, -1)
	// consume stream logs --limit 100
	r := ok(t, "consume", "stream", logs, "--limit", "100")
	if n := strings.Count(r.stdout, logs+"[0]@"); n != 100 || !strings.Contains(r.stdout, logs+"[0]@99:\n{\n  \"n\": 99\n}\n") {
		t.Fatalf("stream --limit 100 printed %d messages\n%s", n, r)
	}
	if !strings.Contains(r.stdout, `{"event": "stream_ended", "reason": "limit_or_exit", "messages": 100, "duration_s": `) {
		t.Fatalf("no stream_ended event:\n%s", r.stdout)
	}
	// consume stream events --group g1 --timeout 1 --limit 100, compact: one line each.
	r = ok(t, "--compact-json", "consume", "stream", logs, "--group", prefix+"g1", "--timeout", "1", "--limit", "100")
	if n := strings.Count(r.stdout, "\n"+logs+"[0]@"); n != 99 || !strings.HasPrefix(r.stdout, logs+`[0]@0: {"n":0}`) {
		t.Fatalf("compact stream:\n%s", r.stdout)
	}
	// The group committed: the next 20 follow.
	r = ok(t, "--json", "consume", "batch", logs, "--group", prefix+"g1", "--count", "50", "--timeout", "2")
	if arr := jsonOf(t, r.stdout).([]any); len(arr) != 20 || arr[0].(map[string]any)["offset"].(float64) != 100 {
		t.Fatalf("after a stream of 100, batch should get offsets 100..119: %d\n%s", len(arr), r.stdout)
	}
	// --filter with --limit counts only the printed messages (the bug of issue 12).
	r = ok(t, "-f", "n:^1[0-9]$", "consume", "stream", logs, "--group", prefix+"g-filter", "--limit", "3")
	if !strings.Contains(r.stdout, logs+"[0]@12:") || strings.Contains(r.stdout, "@13:") || strings.Contains(r.stdout, "@9:") ||
		!strings.Contains(r.stdout, `"messages": 3`) {
		t.Fatalf("filtered stream must print offsets 10-12:\n%s", r.stdout)
	}
}

func TestSpecFromFile(t *testing.T) {
	events := topic(t, "ff-events", 2)
	data := `[
  {"user_id": "user1", "data": "message content", "shard": 0, "metadata": {"type": "event", "version": "1.0"}},
  {"user_id": "user2", "data": "another message", "shard": 1, "metadata": {"type": "command", "version": "2.0"}}
]`
	dir := t.TempDir()
	for _, name := range []string{"messages.json", "data.json", "batch.json", "events.json"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f := func(n string) string { return filepath.Join(dir, n) }
	// produce from-file events messages.json
	r := ok(t, "produce", "from-file", events, f("messages.json"))
	if !strings.Contains(r.stdout, `"messages": 2,`) || !strings.Contains(r.stdout, `"source_file": "`+f("messages.json")+`"`) {
		t.Fatalf("from-file:\n%s", r)
	}
	// produce from-file events data.json --key-field user_id --partition-field shard
	ok(t, "produce", "from-file", events, f("data.json"), "--key-field", "user_id", "--partition-field", "shard")
	// produce from-file events batch.json --transactional-id tx-1 --batch-size 50
	r = ok(t, "produce", "from-file", events, f("batch.json"), "--transactional-id", prefix+"tx-1", "--batch-size", "50")
	if !strings.Contains(r.stdout, `"transactional": true`) {
		t.Fatalf("transactional from-file:\n%s", r)
	}
	// produce from-file events events.json --headers-field metadata --key-field id
	// (the sample records have no "id": the key stays null)
	ok(t, "produce", "from-file", events, f("events.json"), "--headers-field", "metadata", "--key-field", "id", "--partition-field", "shard")

	r = ok(t, "--json", "consume", "batch", events, "--group", prefix+"ff", "--count", "8", "--timeout", "5")
	arr := jsonOf(t, r.stdout).([]any)
	if len(arr) != 8 {
		t.Fatalf("want 8 messages, got %d\n%s", len(arr), r.stdout)
	}
	values := map[string]bool{}
	for _, x := range arr {
		m := x.(map[string]any)
		values[fmt.Sprint(m["key"])+" "+m["value"].(string)] = true
	}
	// Values are json.dumps of what remains of each object, byte for byte.
	for _, want := range []string{
		`<nil> {"user_id": "user1", "data": "message content", "shard": 0, "metadata": {"type": "event", "version": "1.0"}}`,
		`user2 {"data": "another message", "metadata": {"type": "command", "version": "2.0"}}`,
		`<nil> {"user_id": "user2", "data": "another message"}`,
	} {
		if !values[want] {
			t.Errorf("missing message %s in\n%s", want, r.stdout)
		}
	}
}

func TestSpecSeek(t *testing.T) {
	a := topic(t, "seek-a", 2) // partition 0: 1100 messages, partition 1: empty
	b := topic(t, "seek-b", 2) // partition 0: empty, partition 1: 2100 messages
	produceN(t, a, 1100, 0)
	produceN(t, b, 2100, 1)
	// consume poll events --group g1 --seek-to-offset 1000
	r := ok(t, "--json", "consume", "poll", a, "--group", prefix+"s1", "--seek-to-offset", "1000")
	if m := jsonOf(t, r.stdout).(map[string]any); m["offset"].(float64) != 1000 || m["partition"].(float64) != 0 {
		t.Fatalf("seek 1000: %v", m)
	}
	// consume poll events --group g1 --seek-to-offset 1000 --seek-to-partition 0
	r = ok(t, "--json", "consume", "poll", a, "--group", prefix+"s2", "--seek-to-offset", "1000", "--seek-to-partition", "0")
	if m := jsonOf(t, r.stdout).(map[string]any); m["offset"].(float64) != 1000 {
		t.Fatalf("seek 1000 partition 0: %v", m)
	}
	// consume batch events --group g1 --seek-to-offset 500
	r = ok(t, "--json", "consume", "batch", a, "--group", prefix+"s3", "--seek-to-offset", "500")
	arr := jsonOf(t, r.stdout).([]any)
	if len(arr) != 10 || arr[0].(map[string]any)["offset"].(float64) != 500 || arr[9].(map[string]any)["offset"].(float64) != 509 {
		t.Fatalf("batch seek 500: %v", arr)
	}
	// consume stream events --group g1 --seek-to-offset 2000 --seek-to-partition 1
	p := start(t, "--compact-json", "consume", "stream", b, "--group", prefix+"s4", "--seek-to-offset", "2000", "--seek-to-partition", "1")
	l := p.waitLine(t, b+"[", 30*time.Second)
	if !strings.HasPrefix(l, b+`[1]@2000: {"n":2000`) {
		t.Fatalf("stream seek 2000 partition 1, first line: %s", l)
	}
	p.waitLine(t, "@2099:", 30*time.Second)
	p.signal(syscall.SIGINT)
	res := p.wait(t, 20*time.Second)
	if res.code != 0 || !strings.Contains(res.stdout, `"reason": "signal", "messages": 100`) {
		t.Fatalf("stream after seek:\n%s", res)
	}
}

func TestSpecEnvConfig(t *testing.T) {
	cfg := writeFile(t, "config.json", specConfig)
	events := topic(t, "env-events", 1)
	// --config-file ~/.kafka/config.json --producer-env prod-producer --consumer-env
	// prod-consumer produce transaction events --count 10 --transactional-id tx-prod
	r := ok(t, "--config-file", cfg, "--producer-env", "prod-producer", "--consumer-env", "prod-consumer", "--show-config",
		"produce", "transaction", events, "--count", "10", "--transactional-id", prefix+"tx-prod")
	if !strings.Contains(r.stdout, `"committed": true`) || !strings.Contains(r.stderr, "compression.type = lz4") ||
		!strings.Contains(r.stderr, "fetch.max.bytes = 5242880") || !strings.Contains(r.stderr, "producer: prod-producer, consumer: prod-consumer") {
		t.Fatalf("role envs:\n%s", r)
	}
	// --config-file ~/.kafka/config.json --consumer-env prod-consumer consume stream events --timeout 1
	p := start(t, "--config-file", cfg, "--consumer-env", "prod-consumer", "consume", "stream", events, "--timeout", "1")
	p.waitLine(t, events+"[0]@9", 30*time.Second) // 10 messages at 0..9 (the commit marker is 10)
	p.signal(syscall.SIGINT)
	res := p.wait(t, 20*time.Second)
	if res.code != 0 || !strings.Contains(res.stdout, `"reason": "signal"`) {
		t.Fatalf("stream with consumer env:\n%s", res)
	}
	// info config-dump --env dev: the released CLI's document, role sections split and
	// normalised (bootstrap_servers and linger_ms are librdkafka's dotted names).
	r = ok(t, "--config-file", cfg, "info", "config-dump", "--env", "dev")
	m := jsonOf(t, r.stdout).(map[string]any)
	sec := func(m map[string]any, s string) map[string]any {
		return m["sections"].(map[string]any)[s].(map[string]any)
	}
	if m["env"] != "dev" || sec(m, "producer")["linger.ms"] != float64(5) || sec(m, "consumer")["auto.offset.reset"] != "earliest" ||
		sec(m, "producer")["client.id"] != "app-base" || sec(m, "consumer")["group.id"] != "config-dump-group" {
		t.Errorf("config-dump --env dev:\n%s", r.stdout)
	}
	// Without the bootstrap override the file's value is used.
	r2 := klientEnv(t, []string{"KLIENT_BOOTSTRAP_SERVERS="}, "--config-file", cfg, "info", "config-dump", "--env", "dev")
	if m := jsonOf(t, r2.stdout).(map[string]any); m["bootstrap"] != "dev-broker:9092" {
		t.Fatalf("file bootstrap: %v", m["bootstrap"])
	}
	// -b wins over the environment variable and the file.
	r2 = ok(t, "--config-file", cfg, "-b", "flag-host:1", "info", "config-dump", "--tx-id", "t1")
	if m := jsonOf(t, r2.stdout).(map[string]any); m["bootstrap"] != "flag-host:1" || sec(m, "producer")["transactional.id"] != "t1" ||
		sec(m, "producer")["retries"] != float64(2147483647) {
		t.Fatalf("flag bootstrap, --tx-id: %v", m)
	}
}

func TestSpecOutputOptions(t *testing.T) {
	cfg := writeFile(t, "config.json", specConfig)
	mine := topic(t, "kafka-logs", 1)
	dir := t.TempDir()
	// admin list-topics --output-file topics.json (the option after the command: klient
	// accepts global options anywhere)
	out := filepath.Join(dir, "topics.json")
	r := ok(t, "admin", "list-topics", "--output-file", out)
	data, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(data), `"`+mine+`"`) || strings.TrimSpace(r.stdout) != "" || !strings.Contains(r.stderr, "Output written to "+out) {
		t.Fatalf("--output-file: file=%q err=%v\n%s", data, err, r)
	}
	// Results are pretty, key-sorted JSON by default; --compact-json is one line in the
	// document's own key order; --pretty-json/--compact-json: the last one wins.
	r = ok(t, "--config-file", cfg, "info", "config-dump")
	if !strings.HasPrefix(r.stdout, "{\n  \"bootstrap\": ") || jsonOf(t, r.stdout).(map[string]any)["env_raw_keys"] == nil {
		t.Fatalf("pretty JSON:\n%s", r.stdout)
	}
	for _, flags := range [][]string{{"--compact-json"}, {"--pretty-json", "--compact-json"}} {
		r = ok(t, append(append([]string{"--config-file", cfg}, flags...), "info", "config-dump")...)
		if strings.Count(strings.TrimSpace(r.stdout), "\n") != 0 || !strings.HasPrefix(r.stdout, `{"env":null,"bootstrap":`) {
			t.Fatalf("compact JSON %v:\n%s", flags, r.stdout)
		}
	}
	// KEY:REGEX keeps the document's shape: members named KEY stay only when they match.
	r = ok(t, "--config-file", cfg, "-f", "client.id:NOPE", "info", "config-dump")
	m := jsonOf(t, r.stdout).(map[string]any)
	if strings.Contains(r.stdout, `"client.id":`) || m["sections"].(map[string]any)["producer"].(map[string]any)["acks"] != "all" {
		t.Fatalf("key filter:\n%s", r.stdout)
	}
	// A plain regex keeps the whole document as one json.dumps line, or prints nothing.
	r = ok(t, "--config-file", cfg, "--filter", "APP-BASE", "info", "config-dump")
	if strings.Count(strings.TrimSpace(r.stdout), "\n") != 0 || !strings.HasPrefix(r.stdout, `{"env": null, "bootstrap": `) {
		t.Fatalf("plain filter:\n%s", r.stdout)
	}
	if r = ok(t, "--config-file", cfg, "--filter", "no-such-text", "info", "config-dump"); r.stdout != "" {
		t.Fatalf("filter without a match should print nothing:\n%s", r.stdout)
	}
	// --format table: klient's tables, filtered line by line (the header stays).
	r = ok(t, "--format", "table", "--filter", "kafka", "admin", "list-topics")
	if !strings.Contains(r.stdout, mine) {
		t.Fatalf("filter kafka should keep %s\n%s", mine, r.stdout)
	}
	assertLines(t, r.stdout, regexp.MustCompile(`(?i)kafka|^TOPIC`), 0)
	// --json on a plain value prints it as a JSON string.
	if r = ok(t, "--json", "-f", "created", "admin", "create-topic", mine); !strings.HasPrefix(r.stdout, `"{\"topic\": `) {
		t.Fatalf("--json on the filtered text:\n%s", r.stdout)
	}
}

// assertLines: every line matches re, and there are at least min lines.
func assertLines(t *testing.T, out string, re *regexp.Regexp, min int) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if strings.TrimSpace(out) == "" {
		lines = nil
	}
	if len(lines) < min {
		t.Fatalf("want at least %d lines, got %d:\n%s", min, len(lines), out)
	}
	for _, l := range lines {
		if !re.MatchString(l) {
			t.Errorf("line %q does not match %s", l, re)
		}
	}
}

func TestShowConfigMasksSecrets(t *testing.T) {
	cfg := writeFile(t, "config.json", specConfig)
	// -e production --show-config admin list-topics
	for _, extra := range [][]string{nil, {"--json"}} {
		args := append(append([]string{"--config-file", cfg}, extra...), "-e", "production", "--show-config", "admin", "list-topics")
		r := ok(t, args...)
		all := r.stdout + r.stderr
		if strings.Contains(all, "s3cr3t-pw") || strings.Contains(all, "svc-user") {
			t.Fatalf("secret printed:\n%s", r)
		}
		if !strings.Contains(r.stderr, "***MASKED***") || !strings.Contains(r.stderr, "production") || !strings.Contains(r.stderr, "prod-producer") {
			t.Fatalf("show-config should mask and list environments:\n%s", r)
		}
	}
	r := ok(t, "--config-file", cfg, "-e", "production", "--json", "info", "config-dump")
	if strings.Contains(r.stdout, "s3cr3t-pw") || !strings.Contains(r.stdout, `"sasl.password": "***MASKED***"`) {
		t.Fatalf("config-dump must mask:\n%s", r.stdout)
	}
}

func TestCompletion(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		r := ok(t, "completion", sh)
		for _, w := range []string{"klient", "produce", "list-topics", "seek-to-offset"} {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("completion %s misses %q", sh, w)
			}
		}
	}
	bashScript := writeFile(t, "c.bash", ok(t, "completion", "bash").stdout)
	// The bash script must at least parse.
	if out, err := runShell("bash", "-n", bashScript); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	if out, err := runShell("bash", "-c", fmt.Sprintf(`source %s; COMP_WORDS=(klient consume po); COMP_CWORD=2; _klient; echo "${COMPREPLY[@]}"`, bashScript)); err != nil || !strings.Contains(out, "poll") {
		t.Fatalf("bash completion of 'klient consume po': %q %v", out, err)
	}
}
