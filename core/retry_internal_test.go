package klient

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/klient-dev/klient/core/events"
	"github.com/klient-dev/klient/core/metrics"
)

// The breaker's cycle with an injected clock: open on exhaustion, fail fast, one
// half-open trial after the cool-down, re-open on a failed trial, close on success.
func TestBreakerCycleWithInjectedClock(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	events.SetSink(func(l []byte) { mu.Lock(); lines = append(lines, string(l)); mu.Unlock() })
	t.Cleanup(func() { events.SetSink(nil) })
	now := time.Unix(1000, 0)
	b := NewBreaker(BreakerConfig{Cooldown: 10 * time.Second})
	b.now = func() time.Time { return now }
	open0, rej0, close0 := metrics.Get(metrics.ProducerCircuitOpen), metrics.Get(metrics.ProducerCircuitRejected), metrics.Get(metrics.ProducerCircuitClose)

	b.Failure("t", false, 1, errors.New("one failed attempt")) // not exhausted: stays closed
	if b.State() != BreakerClosed || b.Allow("t") != nil {
		t.Fatalf("a non-exhausted failure opened the breaker: %v", b.State())
	}
	b.Failure("t", true, 5, errors.New("exhausted"))
	if b.State() != BreakerOpen {
		t.Fatalf("state after exhaustion = %v, want open", b.State())
	}
	err := b.Allow("t")
	if !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("open breaker let a call through: %v", err)
	}
	now = now.Add(9 * time.Second)
	if !errors.Is(b.Allow("t"), ErrCircuitOpen) {
		t.Fatalf("breaker let a call through before the cool-down ended")
	}
	now = now.Add(time.Second)
	if b.State() != BreakerHalfOpen {
		t.Fatalf("state after the cool-down = %v, want half_open", b.State())
	}
	if err := b.Allow("t"); err != nil {
		t.Fatalf("half-open breaker refused the trial call: %v", err)
	}
	if !errors.Is(b.Allow("t"), ErrCircuitOpen) {
		t.Fatalf("half-open breaker let a second call through during the trial")
	}
	b.Failure("t", false, 1, errors.New("trial failed")) // a failed trial re-opens
	if b.State() != BreakerOpen {
		t.Fatalf("state after a failed trial = %v, want open", b.State())
	}
	now = now.Add(10 * time.Second)
	if err := b.Allow("t"); err != nil {
		t.Fatal(err)
	}
	b.Success("t")
	if b.State() != BreakerClosed || b.Allow("t") != nil {
		t.Fatalf("state after a successful trial = %v, want closed", b.State())
	}
	if d := metrics.Get(metrics.ProducerCircuitOpen) - open0; d != 2 {
		t.Fatalf("producer.circuit.open grew by %d, want 2", d)
	}
	if d := metrics.Get(metrics.ProducerCircuitRejected) - rej0; d != 3 {
		t.Fatalf("producer.circuit.rejected grew by %d, want 3", d)
	}
	if d := metrics.Get(metrics.ProducerCircuitClose) - close0; d != 1 {
		t.Fatalf("producer.circuit.close grew by %d, want 1", d)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{
		`{"event":"produce_circuit_open","topic":"t","attempts":5,"error":"exhausted"}`,
		`{"event":"produce_circuit_half_open","topic":"t"}`,
		`{"event":"produce_circuit_open","topic":"t","attempts":1,"error":"trial failed"}`,
		`{"event":"produce_circuit_half_open","topic":"t"}`,
		`{"event":"produce_circuit_close","topic":"t"}`,
	}
	if len(lines) != len(want) {
		t.Fatalf("events %q, want %q", lines, want)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Fatalf("event %d = %s, want %s", i, lines[i], want[i])
		}
	}
}

func TestBackoffIsExponentialWithTenPercentJitter(t *testing.T) {
	base := 100 * time.Millisecond
	for attempt := 1; attempt <= 6; attempt++ {
		nominal := base * time.Duration(1<<(attempt-1))
		lo, hi := nominal*9/10, nominal*11/10
		seen := map[time.Duration]bool{}
		for i := 0; i < 200; i++ {
			d := Backoff(base, attempt)
			if d < lo || d > hi {
				t.Fatalf("Backoff(%v, %d) = %v, want within [%v, %v]", base, attempt, d, lo, hi)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Fatalf("Backoff(%v, %d) has no jitter: %d distinct values", base, attempt, len(seen))
		}
	}
	if d := Backoff(time.Millisecond, 100); d <= 0 {
		t.Fatalf("a huge attempt number overflowed: %v", d)
	}
}
