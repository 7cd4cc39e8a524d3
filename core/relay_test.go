package klient_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
	"github.com/klient-dev/klient/core/events"
	"github.com/klient-dev/klient/core/metrics"
)

// TestMain turns the test binary into a relay worker process when KLIENT_RELAY_WORKER
// is set: the kill tests re-exec it, so a real process can be SIGKILLed mid-run.
func TestMain(m *testing.M) {
	if os.Getenv("KLIENT_RELAY_WORKER") != "" {
		os.Exit(relayWorker())
	}
	os.Exit(m.Run())
}

// relayTransform is the worker's transform: "relayed:" + value, key kept.
func relayTransform(sleep time.Duration) func([]*klient.ConsumedMessage) ([]klient.Message, error) {
	return func(batch []*klient.ConsumedMessage) ([]klient.Message, error) {
		time.Sleep(sleep)
		out := make([]klient.Message, len(batch))
		for i, m := range batch {
			out[i] = klient.Message{Partition: klient.AnyPartition, Key: m.Key, Value: append([]byte("relayed:"), m.Value...)}
		}
		return out, nil
	}
}

// relayWorker relays KLIENT_RW_SRC to KLIENT_RW_DST, printing every event on stdout,
// until stdin closes (graceful stop) or it is killed.
func relayWorker() int {
	env := os.Getenv
	var mu sync.Mutex
	events.SetSink(func(line []byte) {
		mu.Lock()
		os.Stdout.Write(append(line, '\n'))
		mu.Unlock()
	})
	c, err := klient.NewConsumer(config.Map{"bootstrap.servers": env("KLIENT_TEST_BOOTSTRAP"), "group.id": env("KLIENT_RW_GROUP"),
		"enable.auto.commit": false, "session.timeout.ms": 6000, "heartbeat.interval.ms": 500}, klient.ConsumerOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	p, err := klient.NewProducer(config.Map{"bootstrap.servers": env("KLIENT_TEST_BOOTSTRAP"), "transactional.id": env("KLIENT_RW_TXID"),
		"transaction.timeout.ms": 10000, "linger.ms": 2})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	batch, _ := strconv.Atoi(env("KLIENT_RW_BATCH"))
	sleepMs, _ := strconv.Atoi(env("KLIENT_RW_SLEEP_MS"))
	r, err := klient.NewRelay(c, p, klient.RelayOptions{BatchSize: batch, MaxBatchTime: 200 * time.Millisecond,
		Transform: relayTransform(time.Duration(sleepMs) * time.Millisecond)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		r.Stop()
	}()
	err = r.Run(context.Background(), env("KLIENT_RW_SRC"), env("KLIENT_RW_DST"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = p.Close(ctx)
	_ = c.Close(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		return 1
	}
	return 0
}

// worker is a relay process started by a test.
type worker struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	mu    sync.Mutex
	count map[string]int
	cond  chan struct{} // kicked on each event
	done  chan struct{}
	err   error
	errb  bytes.Buffer
}

func startWorker(t *testing.T, src, dst, group, txid string, batch, sleepMs int) *worker {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "KLIENT_RELAY_WORKER=1", "KLIENT_TEST_BOOTSTRAP="+bootstrap(t),
		"KLIENT_RW_SRC="+src, "KLIENT_RW_DST="+dst, "KLIENT_RW_GROUP="+group, "KLIENT_RW_TXID="+txid,
		"KLIENT_RW_BATCH="+strconv.Itoa(batch), "KLIENT_RW_SLEEP_MS="+strconv.Itoa(sleepMs))
	w := &worker{cmd: cmd, count: map[string]int{}, cond: make(chan struct{}, 1), done: make(chan struct{})}
	cmd.Stderr = &w.errb
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if w.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var ev struct{ Event string }
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				w.mu.Lock()
				w.count[ev.Event]++
				w.mu.Unlock()
				select {
				case w.cond <- struct{}{}:
				default:
				}
			}
		}
		w.err = cmd.Wait()
		close(w.done)
	}()
	t.Cleanup(func() { w.kill() })
	return w
}

func (w *worker) events(name string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.count[name]
}

// waitEvents waits until the worker printed n events called name.
func (w *worker) waitEvents(t *testing.T, name string, n int, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for w.events(name) < n {
		select {
		case <-w.cond:
		case <-w.done:
			t.Fatalf("worker exited before %d %s events: %v\n%s", n, name, w.err, w.errb.String())
		case <-deadline:
			t.Fatalf("worker printed %d %s events within %v, want %d", w.events(name), name, within, n)
		}
	}
}

func (w *worker) kill() {
	if w.cmd.Process != nil {
		_ = w.cmd.Process.Kill() // SIGKILL
	}
	<-w.done
}

// stop closes stdin (graceful Stop) and waits for a clean exit.
func (w *worker) stop(t *testing.T) {
	t.Helper()
	_ = w.stdin.Close()
	select {
	case <-w.done:
		if w.err != nil {
			t.Fatalf("worker exit: %v\n%s", w.err, w.errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("worker did not stop within 30s")
	}
}

// produceSource writes n keyed messages "m-<i>" spread over the topic's partitions.
func produceSource(t *testing.T, topic string, n int) {
	t.Helper()
	p := newProducer(t, nil)
	msgs := make([]klient.Message, n)
	for i := range msgs {
		v := fmt.Sprintf("m-%d", i)
		msgs[i] = klient.Message{Topic: topic, Partition: klient.AnyPartition, Key: []byte(v), Value: []byte(v)}
	}
	produceAll(t, p, msgs)
}

// readTarget reads topic with a fresh group until want messages arrived, then keeps
// reading until it is quiet for quiet, so duplicates after the first want show up.
func readTarget(t *testing.T, topic, isolation string, want int, within, quiet time.Duration) map[string]int {
	t.Helper()
	c := newConsumer(t, "check-"+isolation+"-"+topic, config.Map{"isolation.level": isolation}, klient.ConsumerOptions{})
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	total := 0
	deadline := time.Now().Add(within)
	lastMsg := time.Now()
	for time.Now().Before(deadline) {
		msgs, err := consumeWithin(context.Background(), c, 1000, 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			seen[string(m.Value)]++
			total++
		}
		if len(msgs) > 0 {
			lastMsg = time.Now()
		}
		if total >= want && time.Since(lastMsg) >= quiet {
			break
		}
	}
	return seen
}

// checkExactlyOnce asserts that target holds "relayed:m-0" .. "relayed:m-<n-1>" once each.
func checkExactlyOnce(t *testing.T, target string, n int, within time.Duration) {
	t.Helper()
	seen := readTarget(t, target, "read_committed", n, within, 1500*time.Millisecond)
	var missing, dup []string
	for i := 0; i < n; i++ {
		v := fmt.Sprintf("relayed:m-%d", i)
		switch c := seen[v]; {
		case c == 0:
			missing = append(missing, v)
		case c > 1:
			dup = append(dup, fmt.Sprintf("%s x%d", v, c))
		}
		delete(seen, v)
	}
	if len(missing) > 0 || len(dup) > 0 || len(seen) > 0 {
		t.Fatalf("target %s: %d missing (%v), %d duplicated (%v), %d unexpected (%v)", target,
			len(missing), head(missing), len(dup), head(dup), len(seen), seen)
	}
}

func head(s []string) []string {
	if len(s) > 5 {
		return s[:5]
	}
	return s
}

// checkOffsetsCommitted asserts the group's committed offset equals the end of every
// source partition: a new member of the group would find nothing left to relay.
func checkOffsetsCommitted(t *testing.T, src, group string, partitions int) {
	t.Helper()
	c := newConsumer(t, group, config.Map{"enable.auto.commit": false}, klient.ConsumerOptions{})
	kc := c.Kafka()
	for p := int32(0); p < int32(partitions); p++ {
		_, high, err := kc.QueryWatermarkOffsets(src, p, 10000)
		if err != nil {
			t.Fatal(err)
		}
		got, err := kc.Committed(kafkaTPs(src, p), 10000)
		if err != nil {
			t.Fatal(err)
		}
		if int64(got[0].Offset) != high {
			t.Fatalf("%s[%d]: committed offset %v, end offset %d: messages left unrelayed", src, p, got[0].Offset, high)
		}
	}
}

// captureEvents installs a sink that collects events (decoded) for the test.
type captured struct {
	mu    sync.Mutex
	lines []string
}

func captureEvents(t *testing.T) *captured {
	c := &captured{}
	events.SetSink(func(line []byte) {
		c.mu.Lock()
		c.lines = append(c.lines, string(line))
		c.mu.Unlock()
	})
	t.Cleanup(func() { events.SetSink(nil) })
	return c
}

// find returns the events called name whose fields include every key=value of match.
func (c *captured) find(name string, match map[string]any) []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]any
	for _, l := range c.lines {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) != nil || m["event"] != name {
			continue
		}
		ok := true
		for k, v := range match {
			if fmt.Sprint(m[k]) != fmt.Sprint(v) {
				ok = false
			}
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

func newRelayPair(t *testing.T, group, txid string) (*klient.Consumer, *klient.Producer) {
	c := newConsumer(t, group, config.Map{"enable.auto.commit": false}, klient.ConsumerOptions{})
	p := newProducer(t, config.Map{"transactional.id": txid})
	return c, p
}

// runRelay runs r in the background; the returned func stops it and returns Run's error.
func runRelay(r *klient.Relay, src, dst string) func() error {
	errc := make(chan error, 1)
	go func() { errc <- r.Run(context.Background(), src, dst) }()
	return func() error {
		r.Stop()
		select {
		case err := <-errc:
			return err
		case <-time.After(30 * time.Second):
			return errors.New("relay did not stop within 30s")
		}
	}
}

// relayAll runs a relay from src to dst until it has forwarded n messages (within 60 s),
// then stops it.
func relayAll(t *testing.T, c *klient.Consumer, p *klient.Producer, opts klient.RelayOptions, src, dst string, n int64) *klient.Relay {
	t.Helper()
	r, err := klient.NewRelay(c, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := runRelay(r, src, dst)
	waitStats(t, r, func(s klient.RelayStats) bool { return s.Forwarded >= n }, 60*time.Second)
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return r
}

func waitStats(t *testing.T, r *klient.Relay, cond func(klient.RelayStats) bool, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond(r.Stats()) {
		if time.Now().After(deadline) {
			t.Fatalf("relay stats %+v did not reach the expected state within %v", r.Stats(), within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRelayExactlyOnceInProcess(t *testing.T) {
	for _, inflight := range []int{1, 3} {
		t.Run(fmt.Sprintf("max_in_flight=%d", inflight), func(t *testing.T) {
			const n = 2000
			src, dst := newTopic(t, 3), newTopic(t, 2)
			produceSource(t, src, n)
			ev := captureEvents(t)
			commits0, fwd0 := metrics.Get(metrics.RelayBatchCommit), metrics.Get(metrics.RelayMessagesForwarded)
			group, txid := "relay-eo-"+src, "relay-eo-tx-"+src
			c, p := newRelayPair(t, group, txid)
			r := relayAll(t, c, p, klient.RelayOptions{BatchSize: 100, MaxInFlight: inflight, Transform: relayTransform(0)}, src, dst, n)
			st := r.Stats()
			if st.Forwarded != n || st.Consumed != n || st.Aborted != 0 || st.Batches < n/100 {
				t.Fatalf("stats %+v, want forwarded=consumed=%d, no aborts, >= %d batches", st, n, n/100)
			}
			if d := metrics.Get(metrics.RelayBatchCommit) - commits0; d != st.Batches {
				t.Fatalf("relay.batch.commit grew by %d, want %d", d, st.Batches)
			}
			if d := metrics.Get(metrics.RelayMessagesForwarded) - fwd0; d != n {
				t.Fatalf("relay.messages.forwarded grew by %d, want %d", d, n)
			}
			committed := ev.find("relay_batch_committed", map[string]any{"transaction_id": txid})
			if int64(len(committed)) != st.Batches {
				t.Fatalf("%d relay_batch_committed events, want %d", len(committed), st.Batches)
			}
			total := 0.0
			for _, e := range committed {
				total += e["messages"].(float64)
				if _, ok := e["duration_ms"].(float64); !ok {
					t.Fatalf("relay_batch_committed without duration_ms: %v", e)
				}
			}
			if total != n {
				t.Fatalf("relay_batch_committed events cover %v messages, want %d", total, n)
			}
			if b, c := len(ev.find("transaction_begin", map[string]any{"transaction_id": txid})), len(ev.find("transaction_commit", map[string]any{"transaction_id": txid})); int64(b) != st.Batches || int64(c) != st.Batches {
				t.Fatalf("%d transaction_begin and %d transaction_commit events, want %d each", b, c, st.Batches)
			}
			if len(ev.find("relay_stopped", map[string]any{"source": src, "reason": "stopped"})) != 1 {
				t.Fatalf("no relay_stopped event")
			}
			checkExactlyOnce(t, dst, n, 60*time.Second)
			checkOffsetsCommitted(t, src, group, 3)
		})
	}
}

// A relay gives each committed batch's messages back to its consumer (their fetched
// memory then takes later fetches, instead of waiting for the GC, which for the C ABI's
// off-heap batches may come much later) when its transform keeps none of their bytes,
// and leaves them alone when it may.
func TestRelayRecyclesCommittedInputs(t *testing.T) {
	for _, keepsNone := range []bool{true, false} {
		t.Run(fmt.Sprintf("TransformKeepsNoInput=%v", keepsNone), func(t *testing.T) {
			const n = 300
			src, dst := newTopic(t, 1), newTopic(t, 1)
			produceSource(t, src, n)
			c := newConsumer(t, "relay-recycle-"+src, config.Map{"enable.auto.commit": false}, klient.ConsumerOptions{OffHeapBatches: true})
			p := newProducer(t, config.Map{"transactional.id": "relay-recycle-tx-" + src})
			if !klient.ConsumerFastPath(c) {
				t.Fatal("the consumer does not use the fast fetch path")
			}
			var mu sync.Mutex
			var seen []*klient.ConsumedMessage // the messages, not their bytes
			transform := func(batch []*klient.ConsumedMessage) ([]klient.Message, error) {
				mu.Lock()
				seen = append(seen, batch...)
				mu.Unlock()
				return relayTransform(0)(batch)
			}
			r := relayAll(t, c, p, klient.RelayOptions{BatchSize: 50, Transform: transform, TransformKeepsNoInput: keepsNone}, src, dst, n)
			mu.Lock()
			defer mu.Unlock()
			given := 0
			for _, m := range seen {
				if klient.BatchBuffer(m) == nil {
					given++
				}
			}
			if st := r.Stats(); st.Aborted != 0 || len(seen) < n {
				t.Fatalf("stats %+v, %d messages transformed: want no aborts and %d", st, len(seen), n)
			}
			if want := map[bool]int{true: len(seen), false: 0}[keepsNone]; given != want {
				t.Fatalf("%d of %d transformed messages given back, want %d", given, len(seen), want)
			}
			checkExactlyOnce(t, dst, n, 60*time.Second)
		})
	}
}

func TestRelayRejectsBadSetup(t *testing.T) {
	topic := newTopic(t, 1)
	autoC := newConsumer(t, "relay-bad-"+topic, nil, klient.ConsumerOptions{}) // auto-commit on by default
	txP := newProducer(t, config.Map{"transactional.id": "relay-bad-" + topic})
	if _, err := klient.NewRelay(autoC, txP, klient.RelayOptions{}); !errors.Is(err, klient.ErrConfig) || !strings.Contains(err.Error(), "enable.auto.commit") {
		t.Fatalf("auto-committing consumer: %v", err)
	}
	c := newConsumer(t, "relay-bad2-"+topic, config.Map{"enable.auto.commit": "false"}, klient.ConsumerOptions{})
	plainP := newProducer(t, nil)
	if _, err := klient.NewRelay(c, plainP, klient.RelayOptions{}); !errors.Is(err, klient.ErrConfig) || !strings.Contains(err.Error(), "transactional.id") {
		t.Fatalf("non-transactional producer: %v", err)
	}
	if _, err := klient.NewRelay(c, txP, klient.RelayOptions{BatchSize: -1}); !errors.Is(err, klient.ErrInvalidArgument) {
		t.Fatalf("negative batch size: %v", err)
	}
	r, err := klient.NewRelay(c, txP, klient.RelayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background(), "", topic); !errors.Is(err, klient.ErrInvalidArgument) {
		t.Fatalf("empty source: %v", err)
	}
}

// A failing transform and a failing produce both abort their batch: nothing of it is
// visible to read_committed, and the retried batch is relayed exactly once.
func TestRelayAbortedBatchIsInvisibleAndRetried(t *testing.T) {
	const n = 200
	src, dst := newTopic(t, 1), newTopic(t, 1)
	produceSource(t, src, n)
	ev := captureEvents(t)
	aborts0 := metrics.Get(metrics.RelayBatchAbort)
	group, txid := "relay-abort-"+src, "relay-abort-tx-"+src
	c, p := newRelayPair(t, group, txid)
	attempts := 0
	base := relayTransform(0)
	transform := func(batch []*klient.ConsumedMessage) ([]klient.Message, error) {
		poisoned := false
		for _, m := range batch {
			poisoned = poisoned || string(m.Value) == "m-120"
		}
		if !poisoned {
			return base(batch)
		}
		attempts++
		switch attempts {
		case 1:
			return nil, errors.New("transform refuses this batch once")
		case 2:
			// The good outputs go first, then one larger than message.max.bytes: the
			// produce fails inside the open transaction, which must be aborted.
			out, _ := base(batch)
			return append(out, klient.Message{Value: make([]byte, 2<<20)}), nil
		}
		return base(batch)
	}
	r, err := klient.NewRelay(c, p, klient.RelayOptions{BatchSize: 50, Transform: transform})
	if err != nil {
		t.Fatal(err)
	}
	stop := runRelay(r, src, dst)
	defer func() {
		if t.Failed() {
			ev.mu.Lock()
			t.Logf("events:\n%s", strings.Join(ev.lines, "\n"))
			ev.mu.Unlock()
		}
	}()
	waitStats(t, r, func(s klient.RelayStats) bool { return s.Forwarded >= n }, 30*time.Second)
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	st := r.Stats()
	if st.Aborted != 2 || st.Forwarded != n || attempts != 3 {
		t.Fatalf("stats %+v after %d attempts of the poisoned batch, want 2 aborts, %d forwarded, 3 attempts", st, attempts, n)
	}
	if d := metrics.Get(metrics.RelayBatchAbort) - aborts0; d != 2 {
		t.Fatalf("relay.batch.abort grew by %d, want 2", d)
	}
	if len(ev.find("relay_batch_aborted", map[string]any{"transaction_id": txid, "stage": "transform"})) != 1 ||
		len(ev.find("relay_batch_aborted", map[string]any{"transaction_id": txid, "stage": "produce"})) != 1 {
		t.Fatalf("want one relay_batch_aborted event per failed stage, got %v", ev.find("relay_batch_aborted", nil))
	}
	if len(ev.find("transaction_abort", map[string]any{"transaction_id": txid})) != 1 {
		t.Fatalf("want one transaction_abort event (the produce failure), got %v", ev.find("transaction_abort", nil))
	}
	checkExactlyOnce(t, dst, n, 60*time.Second)
	// The aborted attempt did write its 50 good outputs: read_uncommitted sees them, so
	// the test above really proved they were aborted, not just never sent.
	uncommitted := readTarget(t, dst, "read_uncommitted", n+50, 30*time.Second, time.Second)
	if got := uncommitted["relayed:m-120"]; got != 2 {
		t.Fatalf("read_uncommitted sees relayed:m-120 %d times, want 2 (aborted + committed)", got)
	}
	checkOffsetsCommitted(t, src, group, 1)
}

// A relay process SIGKILLed at different points and restarted with the same
// transactional id neither loses nor duplicates a message.
func TestRelaySIGKILLAndRestart(t *testing.T) {
	killPoints := []struct {
		name  string
		event string
		n     int
		delay time.Duration
	}{
		{"in_first_transaction", "transaction_begin", 1, 5 * time.Millisecond},
		{"after_commits", "relay_batch_committed", 15, 0},
		{"mid_transaction_later", "transaction_begin", 30, 15 * time.Millisecond},
	}
	for _, kp := range killPoints {
		t.Run(kp.name, func(t *testing.T) {
			t.Parallel()
			const n = 3000
			src, dst := newTopic(t, 3), newTopic(t, 2)
			produceSource(t, src, n)
			group, txid := "relay-kill-"+src, "relay-kill-tx-"+src
			w := startWorker(t, src, dst, group, txid, 50, 20)
			w.waitEvents(t, kp.event, kp.n, 60*time.Second)
			time.Sleep(kp.delay)
			w.kill()
			if w.events("relay_stopped") != 0 {
				t.Fatalf("the worker stopped on its own before the kill")
			}
			killedAt := w.events("relay_batch_committed")
			if killedAt*50 >= n {
				t.Fatalf("the kill came after the whole source was relayed (%d batches): it tests nothing", killedAt)
			}
			w2 := startWorker(t, src, dst, group, txid, 50, 0)
			checkExactlyOnce(t, dst, n, 90*time.Second)
			w2.stop(t)
			checkOffsetsCommitted(t, src, group, 3)
		})
	}
}

// Three relays share a group over six partitions; one is SIGKILLed mid-run and a new
// one (with a new transactional id) joins later. KIP-447 keeps it exactly-once.
func TestRelayScaleOutWithKillAndLateJoiner(t *testing.T) {
	const n = 5000
	src, dst := newTopic(t, 6), newTopic(t, 3)
	produceSource(t, src, n)
	group := "relay-scale-" + src
	ws := []*worker{}
	for i := 0; i < 3; i++ {
		ws = append(ws, startWorker(t, src, dst, group, fmt.Sprintf("relay-scale-tx%d-%s", i, src), 50, 30))
	}
	ws[1].waitEvents(t, "relay_batch_committed", 5, 60*time.Second)
	ws[1].kill()
	time.Sleep(2 * time.Second)
	late := startWorker(t, src, dst, group, "relay-scale-tx3-"+src, 50, 0)
	checkExactlyOnce(t, dst, n, 120*time.Second)
	committed := 0
	for _, w := range []*worker{ws[0], ws[2], late} {
		w.stop(t)
		committed += w.events("relay_batch_committed")
	}
	if ws[0].events("relay_batch_committed") == 0 || ws[2].events("relay_batch_committed") == 0 {
		t.Fatalf("a surviving relay committed nothing: the partitions were not spread")
	}
	checkOffsetsCommitted(t, src, group, 6)
}

func kafkaTPs(topic string, p int32) []kafka.TopicPartition {
	return []kafka.TopicPartition{{Topic: &topic, Partition: p}}
}

// rebalance_assign / rebalance_revoke events and their counters, triggered by a second
// member joining the group.
func TestRebalanceEventsAndCounters(t *testing.T) {
	topic := newTopic(t, 2)
	group := "rebal-ev-" + topic
	ev := captureEvents(t)
	assign0, revoke0 := metrics.Get(metrics.ConsumerRebalanceAssign), metrics.Get(metrics.ConsumerRebalanceRevoke)
	a := newConsumer(t, group, nil, klient.ConsumerOptions{})
	if err := a.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; events: %v", what, ev.lines)
			}
		}
	}
	waitFor("first assignment", func() bool { return len(ev.find("rebalance_assign", map[string]any{"group_id": group})) == 1 })
	first := ev.find("rebalance_assign", map[string]any{"group_id": group})[0]
	if parts, _ := first["partitions"].([]any); len(parts) != 2 {
		t.Fatalf("first member got %v, want both partitions", first["partitions"])
	}
	b := newConsumer(t, group, nil, klient.ConsumerOptions{})
	if err := b.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	waitFor("revoke + reassignment", func() bool {
		return len(ev.find("rebalance_revoke", map[string]any{"group_id": group})) >= 1 &&
			len(ev.find("rebalance_assign", map[string]any{"group_id": group})) >= 3
	})
	if d := metrics.Get(metrics.ConsumerRebalanceAssign) - assign0; d < 3 {
		t.Fatalf("consumer.rebalance.assign grew by %d, want >= 3", d)
	}
	if d := metrics.Get(metrics.ConsumerRebalanceRevoke) - revoke0; d < 1 {
		t.Fatalf("consumer.rebalance.revoke grew by %d, want >= 1", d)
	}
}

// Stop ends a relay whose transactional init cannot finish (no broker): Run returns nil
// within a couple of seconds instead of waiting out the init's minute.
func TestRelayStopDuringInitReturnsPromptly(t *testing.T) {
	c, err := klient.NewConsumer(config.Map{"bootstrap.servers": "127.0.0.1:1", "group.id": "g-relay-init-stop",
		"enable.auto.commit": false}, klient.ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	p, err := klient.NewProducer(config.Map{"bootstrap.servers": "127.0.0.1:1", "transactional.id": "relay-init-stop"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	r, err := klient.NewRelay(c, p, klient.RelayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- r.Run(context.Background(), "relay-init-src", "relay-init-dst") }()
	time.Sleep(700 * time.Millisecond) // inside the init, past its first slice
	stopped := time.Now()
	r.Stop()
	select {
	case err := <-errc:
		if err != nil || time.Since(stopped) > 3*time.Second {
			t.Fatalf("Run returned %v %v after Stop", err, time.Since(stopped))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10 s of Stop (the init was not interrupted)")
	}
}
