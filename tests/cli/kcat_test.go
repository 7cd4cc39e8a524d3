package clitest

// The kcat basics klient adds to the released CLI's commands (docs/COMPATIBILITY.md
// CLI-B5), the closed-pipe stop (CLI-B6), delivery failures (CLI-B1), non-UTF-8 values
// (CLI-B2) and the Python --transform of `python -m klient relay stream` (CLI-B4).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// klientIn runs the binary with stdin (bounded at 90 s).
func klientIn(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runKlient(t, nil, strings.NewReader(stdin), args...)
}

type doc struct {
	Topic     string  `json:"topic"`
	Partition int     `json:"partition"`
	Offset    int64   `json:"offset"`
	Key       *string `json:"key"`
	Value     *string `json:"value"`
}

// batch runs `consume batch` (with extra flags) and returns the documents.
func batch(t *testing.T, topic string, args ...string) []doc {
	t.Helper()
	r := ok(t, append([]string{"consume", "batch", topic, "-n", "100", "-t", "20"}, args...)...)
	var docs []doc
	if err := json.Unmarshal([]byte(r.stdout), &docs); err != nil {
		t.Fatalf("consume batch output is not a list of documents: %v\n%s", err, r)
	}
	return docs
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func TestKcatProduceStdin(t *testing.T) {
	tp := topic(t, "kcat-stdin", 1)
	// Lines with a key delimiter (kcat -K:); a line without it has no key.
	r := klientIn(t, "k1:hello\nk2:wor:ld\n\nnokey\n", "produce", "from-file", tp, "-", "-K:")
	if r.code != 0 || !strings.Contains(r.stdout, `"messages": 3`) || !strings.Contains(r.stdout, `"source_file": "-"`) {
		t.Fatalf("lines from stdin:\n%s", r)
	}
	// NDJSON objects, handled like the array elements of a file.
	r = klientIn(t, "{\"id\": \"n1\", \"x\": 1}\n{\"id\": \"n2\", \"x\": [2]}\n", "produce", "from-file", tp, "-", "--key-field", "id")
	if r.code != 0 || !strings.Contains(r.stdout, `"messages": 2`) {
		t.Fatalf("ndjson from stdin:\n%s", r)
	}
	// A JSON array on stdin, and plain lines forced with --format.
	klientIn(t, `[{"a": "é"}]`, "produce", "from-file", tp, "-")
	klientIn(t, "[not json]\n", "produce", "from-file", tp, "-", "--format", "lines")
	got := batch(t, tp, "-e", "--offset", "beginning")
	want := [][2]string{{"k1", "hello"}, {"k2", "wor:ld"}, {"<nil>", "nokey"}, {"n1", `{"x": 1}`}, {"n2", `{"x": [2]}`},
		{"<nil>", `{"a": "\u00e9"}`}, {"<nil>", "[not json]"}}
	if len(got) != len(want) {
		t.Fatalf("want %d messages, got %+v", len(want), got)
	}
	for i, w := range want {
		if str(got[i].Key) != w[0] || str(got[i].Value) != w[1] {
			t.Errorf("message %d: key %s value %s, want %v", i, str(got[i].Key), str(got[i].Value), w)
		}
	}
	// -K with a JSON format is a usage error; so is an unknown format.
	wantCode(t, 2, []string{"-K"}, "produce", "from-file", tp, "-", "-K:", "--format", "ndjson")
	wantCode(t, 2, []string{"--format"}, "produce", "from-file", tp, "-", "--format", "csv")
}

func TestKcatOffsetsAndPartition(t *testing.T) {
	tp := topic(t, "kcat-offsets", 2)
	produceN(t, tp, 3, 0)
	produceN(t, tp, 3, 1)
	count := func(docs []doc, p int) int {
		n := 0
		for _, d := range docs {
			if d.Partition == p {
				n++
			}
		}
		return n
	}
	g := prefix + "kcat-g"
	// -p: only partition 1 is read, and only its offsets are committed.
	if d := batch(t, tp, "-g", g, "-p", "1", "-e"); len(d) != 3 || count(d, 1) != 3 {
		t.Fatalf("-p 1: %+v", d)
	}
	if d := batch(t, tp, "-g", g, "-e"); len(d) != 3 || count(d, 0) != 3 {
		t.Fatalf("after -p 1 the group still has partition 0 to read: %+v", d)
	}
	// Relative from the end: the last message of each partition.
	if d := batch(t, tp, "--offset", "-1", "-e", "-g", g+"-rel"); len(d) != 2 || d[0].Offset != 2 || d[1].Offset != 2 {
		t.Fatalf("--offset -1: %+v", d)
	}
	// end: nothing; beginning: everything, whatever the group committed.
	if d := batch(t, tp, "--offset", "end", "-e", "-g", g); len(d) != 0 {
		t.Fatalf("--offset end: %+v", d)
	}
	if d := batch(t, tp, "--offset", "beginning", "-e", "-g", g); len(d) != 6 {
		t.Fatalf("--offset beginning: %+v", d)
	}
	// Timestamps: s@0 is everything, a time in the future nothing.
	if d := batch(t, tp, "--offset", "s@0", "-e", "-g", g+"-ts"); len(d) != 6 {
		t.Fatalf("--offset s@0: %+v", d)
	}
	future := fmt.Sprint(time.Now().Add(time.Hour).UnixMilli())
	if d := batch(t, tp, "--offset", "s@"+future, "-e", "-g", g+"-ts2"); len(d) != 0 {
		t.Fatalf("--offset s@future: %+v", d)
	}
	// The released --seek-to-offset/--seek-to-partition: partition 0 from offset 1 only.
	if d := batch(t, tp, "--seek-to-offset", "1", "--seek-to-partition", "0", "-e", "-g", g+"-seek"); len(d) != 2 ||
		count(d, 0) != 2 || d[0].Offset != 1 {
		t.Fatalf("--seek-to-offset 1 --seek-to-partition 0: %+v", d)
	}
	// poll with -p on an exhausted partition answers at once with the released document.
	r := ok(t, "consume", "poll", tp, "-g", g, "-p", "1", "-e", "-t", "30")
	if strings.TrimSpace(r.stdout) != "{\n  \"message\": null\n}" {
		t.Fatalf("poll at the end: %s", r)
	}
	wantCode(t, 2, []string{"--offset"}, "consume", "batch", tp, "--offset", "yesterday")
	wantCode(t, 2, []string{"partition 7 does not exist"}, "consume", "batch", tp, "-p", "7")
	wantCode(t, 2, []string{"requires --seek-to-offset"}, "consume", "poll", tp, "--seek-to-partition", "0")
}

func TestKcatExitAtEnd(t *testing.T) {
	tp := topic(t, "kcat-eof", 1)
	produceN(t, tp, 4, -1)
	// A transaction last: its commit marker takes the final offset without being a message.
	ok(t, "produce", "transaction", tp, "-n", "2", "--tx-id", prefix+"kcat-eof-tx")
	start := time.Now()
	r := ok(t, "consume", "stream", tp, "-g", prefix+"kcat-eof", "-e", "--events", "stderr")
	if time.Since(start) > 30*time.Second {
		t.Fatalf("-e took %s", time.Since(start))
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	// Records only on stdout (4 JSON values of 4 lines each, then 2 text lines); the
	// lifecycle line went to stderr.
	if !strings.HasSuffix(lines[len(lines)-1], "@5: Transactional message 1") || strings.Contains(r.stdout, "stream_ended") ||
		!strings.Contains(r.stderr, `{"event": "stream_ended", "reason": "limit_or_exit", "messages": 6,`) {
		t.Fatalf("stream -e:\n%s", r)
	}
	// The same group has nothing left: -e returns at once with no record.
	r = ok(t, "consume", "stream", tp, "-g", prefix+"kcat-eof", "-e")
	if !strings.HasPrefix(r.stdout, `{"event": "stream_ended", "reason": "limit_or_exit", "messages": 0,`) {
		t.Fatalf("second stream -e:\n%s", r)
	}
}

// `klient consume stream T | head -1` (issue 13 item 5): the stream notices the closed
// pipe, commits, leaves the group and exits 0, so the next member of the group is
// assigned at once instead of after the 45 s session timeout, and does not get the
// messages again.
func TestStreamEPIPELeavesGroup(t *testing.T) {
	tp := topic(t, "epipe", 1)
	produceN(t, tp, 20, -1)
	g := prefix + "epipe-g"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sh := exec.CommandContext(ctx, "bash", "-c", `set -o pipefail; "$0" consume stream "$1" -g "$2" | head -1`, bin, tp, g)
	sh.Env = baseEnv()
	out, err := sh.CombinedOutput()
	if err != nil || ctx.Err() != nil {
		t.Fatalf("stream | head -1: %v (pipeline status is klient's)\n%s", err, out)
	}
	if !strings.Contains(string(out), tp+"[0]@0:") {
		t.Fatalf("head did not get the first record:\n%s", out)
	}
	start := time.Now()
	d := batch(t, tp, "-g", g, "-t", "3")
	if took := time.Since(start); took > 15*time.Second {
		t.Fatalf("the next member waited %s: the stream did not leave the group", took)
	}
	if len(d) == 20 {
		t.Fatalf("everything was delivered again: the stream did not commit")
	}
}

func TestProduceDeliveryFailureExits1(t *testing.T) {
	start := time.Now()
	r := klient(t, "-b", "127.0.0.1:1", "-X", "message.timeout.ms=2000", "produce", "send", prefix+"nowhere", "-v", "x")
	if r.code != 1 || strings.Contains(r.stdout, "sent") {
		t.Fatalf("undeliverable send: want exit 1 and no \"sent\" document\n%s", r)
	}
	if time.Since(start) > 30*time.Second {
		t.Fatalf("took %s", time.Since(start))
	}
	wantCode(t, 1, []string{"Invalid header 'novalue' - expected key=value"}, "produce", "send", prefix+"nowhere", "-v", "x", "-H", "novalue")
	wantCode(t, 2, []string{"Missing option '--value'"}, "produce", "send", prefix+"nowhere")
	wantCode(t, 2, []string{"Missing option '--transactional-id'"}, "produce", "transaction", prefix+"nowhere")
}

// An unreachable broker fails a send within about 5 s with the address and "connection
// refused" (librdkafka alone retries until message.timeout.ms, 30 s here), and exits 1.
func TestProduceUnreachableSaysConnectionRefused(t *testing.T) {
	start := time.Now()
	r := klient(t, "-b", "127.0.0.1:1", "-X", "message.timeout.ms=30000", "produce", "send", prefix+"nowhere", "-v", "x")
	if took := time.Since(start); took > 9*time.Second {
		t.Errorf("took %s, want about 5 s", took)
	}
	if r.code != 1 || !strings.Contains(r.stderr, "connection refused by 127.0.0.1:1") || !strings.Contains(r.stderr, "bootstrap.servers") {
		t.Fatalf("want exit 1 and \"connection refused by 127.0.0.1:1\" with a hint\n%s", r)
	}
}

func TestConsumeNonUTF8(t *testing.T) {
	tp := topic(t, "non-utf8", 1)
	klientIn(t, "k\xff:v\xfe\xfd\n", "produce", "from-file", tp, "-", "-K:")
	d := batch(t, tp, "-e", "-g", prefix+"non-utf8")
	if len(d) != 1 || str(d[0].Key) != "k\uFFFD" || str(d[0].Value) != "v\uFFFD\uFFFD" {
		t.Fatalf("non-UTF-8 key/value: %+v", d)
	}
	r := ok(t, "consume", "stream", tp, "-g", prefix+"non-utf8-s", "-e")
	if !strings.Contains(r.stdout, "@0: v\uFFFD\uFFFD\n") {
		t.Fatalf("stream:\n%s", r)
	}
}

// `python -m klient relay stream -x` evaluates Python (an f-string, which Starlark
// lacks); the native binary refuses it as Starlark that does not compile.
func TestRelayPythonTransform(t *testing.T) {
	py := os.Getenv("KLIENT_TEST_PYTHON")
	if py == "" {
		py, _ = filepath.Abs("../../build/venv/test-3.12/bin/python")
	}
	if _, err := os.Stat(py); err != nil {
		t.Fatalf("no Python for python -m klient (%v): run tests/venv.sh test 3.12 (tests/cli/run.sh does)", err)
	}
	src, dst := topic(t, "pyx-src", 1), topic(t, "pyx-dst", 1)
	produceN(t, src, 4, -1)
	expr := `f"{value[-3:]}|{len(value)}"`
	wantCode(t, 2, []string{"does not compile"}, "relay", "stream", src, dst, "-x", expr)
	pypath, _ := filepath.Abs("../../bindings/python")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-m", "klient", "relay", "stream", src, dst, "-x", expr, "-b", "2", "--max-batches", "2",
		"-g", prefix+"pyx", "--tx-id", prefix+"pyx-tx")
	cmd.Env = append(baseEnv(), "PYTHONPATH="+pypath)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil || ctx.Err() != nil {
		t.Fatalf("python -m klient relay: %v\n%s\n%s", err, out.String(), errb.String())
	}
	if n := strings.Count(out.String(), `{"event": "relay_batch_committed", "count": 2,`); n != 2 ||
		!strings.Contains(out.String(), `{"event": "relay_stream_ended", "source": "`+src) {
		t.Fatalf("relay lines:\n%s\n%s", out.String(), errb.String())
	}
	d := batch(t, dst, "-e", "-g", prefix+"pyx-check")
	if len(d) != 4 || str(d[0].Value) != ` 0}|8` || str(d[0].Key) != "k0" {
		t.Fatalf("relayed: %+v", d)
	}
}
