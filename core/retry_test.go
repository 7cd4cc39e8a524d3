package klient_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
	"github.com/klient-dev/klient/core/metrics"
)

// A fatal error is returned at once: one attempt, no retry counted, breaker closed.
func TestProduceWithRetryDoesNotRetryFatalErrors(t *testing.T) {
	topic := newTopic(t, 1)
	p := newProducer(t, config.Map{"message.max.bytes": 100000})
	retries0 := metrics.Get(metrics.ProducerRetry)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := p.ProduceWithRetry(ctx, klient.Message{Topic: topic, Value: make([]byte, 200000)},
		klient.RetryOptions{MaxAttempts: 5, BaseBackoff: time.Second})
	if !errors.Is(err, klient.ErrFatal) || errors.Is(err, klient.ErrRetriable) {
		t.Fatalf("oversized message: %v, want a fatal, non-retriable error", err)
	}
	if !strings.Contains(err.Error(), "too large") {
		t.Fatalf("the error does not name the problem: %v", err)
	}
	if d := metrics.Get(metrics.ProducerRetry) - retries0; d != 0 {
		t.Fatalf("producer.retry grew by %d for a fatal error, want 0 (one attempt)", d)
	}
	if s := p.Breaker().State(); s != klient.BreakerClosed {
		t.Fatalf("a fatal error opened the breaker: %v", s)
	}
	// The producer is still usable: a normal message goes through.
	if _, err := p.ProduceWithRetry(ctx, klient.Message{Topic: topic, Value: []byte("ok")}, klient.RetryOptions{}); err != nil {
		t.Fatal(err)
	}
}

// privateBroker starts a broker of this test's own (build/kafka.sh with
// KLIENT_BROKER_STATE), so it can be killed without touching the shared one.
type privateBroker struct {
	t     *testing.T
	state string
}

func (b *privateBroker) run(sub string) {
	b.t.Helper()
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "build", "kafka.sh")
	cmd := exec.Command(script, sub)
	cmd.Env = append(os.Environ(), "KLIENT_BROKER_STATE="+b.state)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.t.Fatalf("kafka.sh %s: %v\n%s", sub, err, out)
	}
}

func startPrivateBroker(t *testing.T) (*privateBroker, string) {
	b := &privateBroker{t: t, state: filepath.Join(t.TempDir(), "broker")}
	t.Cleanup(func() {
		cmd := exec.Command("bash", "-c", `"$0" down`, filepath.Join(filepath.Dir(callerFile()), "..", "build", "kafka.sh"))
		cmd.Env = append(os.Environ(), "KLIENT_BROKER_STATE="+b.state)
		_ = cmd.Run()
	})
	b.run("up")
	f, err := os.Open(b.state + ".env")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "KLIENT_TEST_BOOTSTRAP="); ok {
			if v == bootstrap(t) {
				t.Fatalf("the private broker has the shared broker's address %s", v)
			}
			return b, v
		}
	}
	t.Fatalf("no KLIENT_TEST_BOOTSTRAP in %s.env", b.state)
	return nil, ""
}

func callerFile() string {
	_, file, _, _ := runtime.Caller(0)
	return file
}

// The whole resiliency story against a real broker that goes down and comes back:
// retries exhaust and open the breaker, calls fail fast, the cool-down half-opens it,
// and a retrying produce that spans the outage succeeds, counts its retries and closes it.
func TestRetryAndBreakerAcrossABrokerOutage(t *testing.T) {
	b, bs := startPrivateBroker(t)
	ev := captureEvents(t)
	p, err := klient.NewProducer(config.Map{"bootstrap.servers": bs, "message.timeout.ms": 1500, "linger.ms": 0,
		"reconnect.backoff.max.ms": 500})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		_ = p.Close(ctx)
	}()
	p.SetBreakerConfig(klient.BreakerConfig{Cooldown: 2 * time.Second})
	const topic = "retry-outage"
	ctx := context.Background()
	if _, err := p.ProduceWithRetry(ctx, klient.Message{Topic: topic, Partition: 0, Value: []byte("before")}, klient.RetryOptions{MaxAttempts: 10, BaseBackoff: 200 * time.Millisecond}); err != nil {
		t.Fatalf("produce while the broker is up: %v", err)
	}

	b.run("kill9")
	retries0 := metrics.Get(metrics.ProducerRetry)
	_, err = p.ProduceWithRetry(ctx, klient.Message{Topic: topic, Partition: 0, Value: []byte("lost")}, klient.RetryOptions{MaxAttempts: 2, BaseBackoff: 100 * time.Millisecond})
	if !errors.Is(err, klient.ErrRetriable) || !strings.Contains(err.Error(), "gave up after 2 attempts") {
		t.Fatalf("produce with the broker down: %v, want a retriable error after 2 attempts", err)
	}
	if d := metrics.Get(metrics.ProducerRetry) - retries0; d != 1 {
		t.Fatalf("producer.retry grew by %d, want 1 (2 attempts)", d)
	}
	if s := p.Breaker().State(); s != klient.BreakerOpen {
		t.Fatalf("breaker after exhaustion: %v, want open", s)
	}
	if len(ev.find("produce_circuit_open", map[string]any{"topic": topic, "attempts": 2})) != 1 {
		t.Fatalf("no produce_circuit_open event")
	}
	start := time.Now()
	if _, err := p.ProduceWithRetry(ctx, klient.Message{Topic: topic, Value: []byte("x")}, klient.RetryOptions{}); !errors.Is(err, klient.ErrCircuitOpen) {
		t.Fatalf("open breaker: %v, want ErrCircuitOpen", err)
	}
	if time.Since(start) > time.Second {
		t.Fatalf("the open breaker did not fail fast (%v)", time.Since(start))
	}

	// Bring the broker back while the next call, past the cool-down, is retrying.
	time.Sleep(2 * time.Second)
	if s := p.Breaker().State(); s != klient.BreakerHalfOpen {
		t.Fatalf("breaker after the cool-down: %v, want half_open", s)
	}
	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		time.Sleep(time.Second) // down "for a few seconds" more
		cmd := exec.Command(filepath.Join(filepath.Dir(callerFile()), "..", "build", "kafka.sh"), "start-again")
		cmd.Env = append(os.Environ(), "KLIENT_BROKER_STATE="+b.state)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("start-again: %v\n%s", err, out)
		}
	}()
	retries0 = metrics.Get(metrics.ProducerRetry)
	r, err := p.ProduceWithRetry(ctx, klient.Message{Topic: topic, Partition: 0, Value: []byte("after")}, klient.RetryOptions{MaxAttempts: 9, BaseBackoff: 250 * time.Millisecond})
	<-restarted
	if err != nil {
		t.Fatalf("produce across the outage: %v", err)
	}
	if r.Offset < 1 {
		t.Fatalf("delivered at offset %d, want after the first message", r.Offset)
	}
	if d := metrics.Get(metrics.ProducerRetry) - retries0; d < 1 {
		t.Fatalf("producer.retry grew by %d across the outage, want >= 1", d)
	}
	if s := p.Breaker().State(); s != klient.BreakerClosed {
		t.Fatalf("breaker after the successful trial: %v, want closed", s)
	}
	if len(ev.find("produce_circuit_close", map[string]any{"topic": topic})) != 1 {
		t.Fatalf("no produce_circuit_close event")
	}
}
