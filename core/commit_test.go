package klient_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
)

// within runs call and fails the test if it takes longer than limit (so a call that
// ignores its context fails instead of hanging the suite).
func within[T any](t *testing.T, limit time.Duration, call func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- call() }()
	select {
	case v := <-done:
		return v
	case <-time.After(limit):
		t.Fatalf("call still running after %v: its context was not honoured", limit)
		panic("unreachable")
	}
}

func wantCtxTimeout(t *testing.T, what string, err error, cause error) {
	t.Helper()
	if !errors.Is(err, klient.ErrTimeout) || cause != nil && !errors.Is(err, cause) {
		t.Fatalf("%s: got %v, want a timeout error caused by %v", what, err, cause)
	}
}

func TestCommitCallsHonourTheirContext(t *testing.T) {
	topic := newTopic(t, 1)
	p := newProducer(t, nil)
	produceValues(t, p, topic, 0, 10, "v")
	c := newConsumer(t, "g-ctx-"+topic, config.Map{"enable.auto.commit": false}, klient.ConsumerOptions{})
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	if got := consumeN(t, c, 10, 30*time.Second); len(got) != 10 {
		t.Fatalf("consumed %d of 10", len(got))
	}

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	_, err := c.Commit(cancelled)
	wantCtxTimeout(t, "Commit with a cancelled context", err, context.Canceled)
	wantCtxTimeout(t, "CommitOffsets with an expired context",
		c.CommitOffsets(expired, []klient.Offset{{Topic: topic, Partition: 0, Offset: 3}}), context.DeadlineExceeded)
	_, err = c.Committed(cancelled)
	wantCtxTimeout(t, "Committed with a cancelled context", err, context.Canceled)

	// Nothing was committed by the calls above.
	ctx, cancel3 := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel3()
	got, err := c.Committed(ctx)
	if err != nil || len(got) != 1 || got[0].Offset >= 0 {
		t.Fatalf("committed after refused commits: %+v %v, want no offset", got, err)
	}
	done, err := c.Commit(ctx)
	if err != nil || len(done) != 1 || done[0].Offset != 10 {
		t.Fatalf("commit: %+v %v, want offset 10", done, err)
	}
	if got, err = c.Committed(ctx); err != nil || len(got) != 1 || got[0].Offset != 10 {
		t.Fatalf("committed: %+v %v, want offset 10", got, err)
	}
}

// With no broker to answer, a context deadline is all that ends a commit: before, a
// commit waited for the group coordinator without limit and Committed for its whole
// timeout.
func TestCommitDeadlineBoundsTheWaitForAnUnreachableBroker(t *testing.T) {
	// Close waits up to session.timeout.ms for a commit still waiting for the group
	// coordinator: keep it short.
	c, err := klient.NewConsumer(config.Map{"bootstrap.servers": "127.0.0.1:1", "group.id": "g-unreachable",
		"session.timeout.ms": 1000}, klient.ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = within(t, 10*time.Second, func() error {
		return c.CommitOffsets(ctx, []klient.Offset{{Topic: "t", Partition: 0, Offset: 1}})
	})
	wantCtxTimeout(t, "CommitOffsets", err, context.DeadlineExceeded)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("CommitOffsets returned after %v, want about 300ms", d)
	}

	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel2()
	start = time.Now()
	err = within(t, 10*time.Second, func() error { _, err := c.Committed(ctx2); return err })
	wantCtxTimeout(t, "Committed", err, nil)
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Committed with a 1 ms deadline returned after %v", d)
	}
}

func TestCommitAsyncStartsNoGoroutinePerCall(t *testing.T) {
	topic := newTopic(t, 1)
	p := newProducer(t, nil)
	produceValues(t, p, topic, 0, 20, "v")
	c := newConsumer(t, "g-async-"+topic, config.Map{"enable.auto.commit": false}, klient.ConsumerOptions{})
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	if got := consumeN(t, c, 20, 30*time.Second); len(got) != 20 {
		t.Fatalf("consumed %d of 20", len(got))
	}
	before := runtime.NumGoroutine()
	for i := 0; i < 200; i++ {
		if err := c.CommitAsync(); err != nil {
			t.Fatal(err)
		}
	}
	if after := runtime.NumGoroutine(); after > before+10 {
		t.Fatalf("200 CommitAsync calls left %d goroutines running, was %d", after, before)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		got, err := c.Committed(ctx)
		cancel()
		if err == nil && len(got) == 1 && got[0].Offset == 20 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("committed offsets %+v (%v), want 20 after CommitAsync", got, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
