package metrics

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestIncGetSnapshotReset(t *testing.T) {
	Reset()
	t.Cleanup(Reset)
	if Get("never.seen") != 0 {
		t.Fatalf("unknown counter is not 0")
	}
	Inc(ProducerTxBegin, 1)
	Inc(ProducerTxBegin, 2)
	Inc("user.custom", -1)
	if Get(ProducerTxBegin) != 3 || Get("user.custom") != -1 {
		t.Fatalf("get after inc: %d %d", Get(ProducerTxBegin), Get("user.custom"))
	}
	snap := Snapshot()
	if len(snap) != 2 || snap[ProducerTxBegin] != 3 {
		t.Fatalf("snapshot %v", snap)
	}
	snap[ProducerTxBegin] = 100 // a copy: the registry is unchanged
	Inc(ProducerTxBegin, 1)
	if Get(ProducerTxBegin) != 4 || snap[ProducerTxBegin] != 100 {
		t.Fatalf("snapshot is not a copy")
	}
	Reset()
	if Get(ProducerTxBegin) != 0 || len(Snapshot()) != 0 {
		t.Fatalf("reset left %v", Snapshot())
	}
}

func TestConcurrentInc(t *testing.T) {
	Reset()
	t.Cleanup(Reset)
	const goroutines, each = 64, 2000
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				Inc("shared", 1)
				Inc("per."+strconv.Itoa(g%4), 1) // creations race with increments
				_ = Snapshot()
			}
		}(g)
	}
	wg.Wait()
	if got := Get("shared"); got != goroutines*each {
		t.Fatalf("shared = %d, want %d", got, goroutines*each)
	}
	var sum int64
	for i := 0; i < 4; i++ {
		sum += Get("per." + strconv.Itoa(i))
	}
	if sum != goroutines*each {
		t.Fatalf("per.* sum = %d, want %d", sum, goroutines*each)
	}
}

// The text exposition format 0.0.4, checked line by line (prometheus/common's parser
// is not in this module's graph).
var (
	helpLine   = regexp.MustCompile(`^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) ((?:[^\\\n]|\\\\|\\n)*)$`)
	typeLine   = regexp.MustCompile(`^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) counter$`)
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*) (-?[0-9]+)$`)
)

func TestPrometheusExposition(t *testing.T) {
	Reset()
	t.Cleanup(Reset)
	Inc(RelayBatchCommit, 7)
	Inc(ProducerRetry, 2)
	Inc("weird name\nwith\\escapes-ünï", 1)
	Inc("a.b", 1)
	Inc("a_b", 2) // same metric name as a.b: summed, not duplicated
	text := Prometheus()
	if !strings.HasSuffix(text, "\n") {
		t.Fatalf("exposition must end with a newline")
	}
	values := map[string]int64{}
	typed := map[string]bool{}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	for i, l := range lines {
		switch {
		case helpLine.MatchString(l):
		case typeLine.MatchString(l):
			name := typeLine.FindStringSubmatch(l)[1]
			if typed[name] {
				t.Fatalf("metric %s typed twice", name)
			}
			typed[name] = true
		case sampleLine.MatchString(l):
			m := sampleLine.FindStringSubmatch(l)
			if !typed[m[1]] {
				t.Fatalf("line %d: sample %s before its TYPE", i, m[1])
			}
			if _, dup := values[m[1]]; dup {
				t.Fatalf("metric %s exposed twice", m[1])
			}
			v, _ := strconv.ParseInt(m[2], 10, 64)
			values[m[1]] = v
		default:
			t.Fatalf("line %d is not valid exposition format: %q", i, l)
		}
	}
	want := map[string]int64{"klient_relay_batch_commit_total": 7, "klient_producer_retry_total": 2,
		"klient_weird_name_with_escapes__n__total": 1, "klient_a_b_total": 3}
	if len(values) != len(want) {
		t.Fatalf("exposed %v, want %v", values, want)
	}
	for k, v := range want {
		if values[k] != v {
			t.Fatalf("%s = %d, want %d (all: %v)", k, values[k], v, values)
		}
	}
}

func TestHandler(t *testing.T) {
	Reset()
	t.Cleanup(Reset)
	Inc(RelayMessagesForwarded, 42)
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(string(body), "\nklient_relay_messages_forwarded_total 42\n") {
		t.Fatalf("body lacks the counter:\n%s", body)
	}
}

// A counter saturates at the int64 limits: INT64_MAX added twice used to wrap to -2.
func TestIncSaturates(t *testing.T) {
	Reset()
	Inc("sat.up", math.MaxInt64)
	Inc("sat.up", math.MaxInt64)
	if got := Get("sat.up"); got != math.MaxInt64 {
		t.Errorf("MaxInt64 + MaxInt64 = %d, want %d (saturated)", got, int64(math.MaxInt64))
	}
	Inc("sat.up", -1)
	if got := Get("sat.up"); got != math.MaxInt64-1 {
		t.Errorf("after -1: %d, want %d", got, int64(math.MaxInt64-1))
	}
	Inc("sat.down", math.MinInt64)
	Inc("sat.down", -5)
	if got := Get("sat.down"); got != math.MinInt64 {
		t.Errorf("MinInt64 - 5 = %d, want %d (saturated)", got, int64(math.MinInt64))
	}
}

// Per-topic counters and lags reach the exposition with their labels; a forgotten
// partition's lag and, after Reset, every per-topic series are gone.
func TestCollectorLabelsAndForget(t *testing.T) {
	Reset()
	t.Cleanup(Reset)
	Delivered("t1", 1)
	Delivered("t1", 1)
	QueuedBytes("t1", 7)
	DeliveryFailed("t2", 1)
	Consumed("t1", 3, 30)
	SetLag("t1", 0, 5)
	SetLag("t1", 1, 9)
	ForgetLag("t1", 1)
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	get := func() string {
		resp, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	body := get()
	for _, line := range []string{
		`klient_messages_produced_total{topic="t1"} 2`, `klient_bytes_produced_total{topic="t1"} 7`,
		`klient_delivery_errors_total{topic="t2"} 1`, `klient_messages_consumed_total{topic="t1"} 3`,
		`klient_bytes_consumed_total{topic="t1"} 30`, `klient_consumer_lag{partition="0",topic="t1"} 5`,
	} {
		if !strings.Contains(body, "\n"+line+"\n") {
			t.Errorf("missing %q in:\n%s", line, body)
		}
	}
	if strings.Contains(body, `partition="1"`) {
		t.Errorf("forgotten lag still exported:\n%s", body)
	}
	Reset()
	if body := get(); strings.Contains(body, `topic="t1"`) {
		t.Errorf("Reset left per-topic series:\n%s", body)
	}
}
