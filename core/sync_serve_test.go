package klient_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
)

// A synchronous Produce serves librdkafka's queue itself while it waits, so its report
// wakes the calling thread directly instead of going through the producer's poller.
func TestSyncProduceServesItsOwnReport(t *testing.T) {
	topic := newTopic(t, 1)
	p := newProducer(t, config.Map{"linger.ms": 0})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := p.Produce(ctx, klient.Message{Topic: topic, Partition: klient.AnyPartition, Value: []byte("warm-up")}); err != nil {
		t.Fatal(err)
	}
	before := klient.SelfServedReports(p)
	const n = 50
	for i := 0; i < n; i++ {
		r, err := p.Produce(ctx, klient.Message{Topic: topic, Partition: klient.AnyPartition, Value: []byte(fmt.Sprint(i))})
		if err != nil || r.Offset != int64(i+1) {
			t.Fatalf("produce %d: %+v %v", i, r, err)
		}
	}
	if got := klient.SelfServedReports(p) - before; got < n*9/10 {
		t.Fatalf("%d of %d synchronous reports were served by their caller's own poll, want at least %d", got, n, n*9/10)
	}
}

// Synchronous produces from several goroutines take turns serving (one at a time, the
// others wait for their reports), while asynchronous reports keep flowing; after them,
// the producer's poller serves again.
func TestSyncProducersTakeTurnsWithAsyncReports(t *testing.T) {
	topic := newTopic(t, 3)
	p := newProducer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	const asyncBatches, batchSize, syncers, perSyncer = 20, 500, 6, 40
	firsts := make(chan uint64, asyncBatches)
	errs := make(chan error, syncers+1)
	var wg sync.WaitGroup
	wg.Add(1 + syncers)
	go func() {
		defer wg.Done()
		for b := 0; b < asyncBatches; b++ {
			msgs := make([]klient.Message, batchSize)
			for i := range msgs {
				msgs[i] = klient.Message{Topic: topic, Partition: klient.AnyPartition, Value: []byte(fmt.Sprintf("a%d-%d", b, i))}
			}
			first, n, err := p.ProduceAsync(ctx, msgs...)
			if err != nil || n != batchSize {
				errs <- fmt.Errorf("async batch %d: n=%d %v", b, n, err)
				return
			}
			firsts <- first
		}
	}()
	for g := 0; g < syncers; g++ {
		go func() {
			defer wg.Done()
			for i := 0; i < perSyncer; i++ {
				r, err := p.Produce(ctx, klient.Message{Topic: topic, Partition: klient.AnyPartition, Value: []byte(fmt.Sprintf("s%d-%d", g, i))})
				if err != nil || r.Status() != "success" || r.Offset < 0 {
					errs <- fmt.Errorf("sync %d/%d: %+v %v", g, i, r, err)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(90 * time.Second):
		t.Fatal("producers did not finish within 90 s")
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	close(firsts)
	want := map[uint64]bool{}
	for first := range firsts {
		for i := uint64(0); i < batchSize; i++ {
			want[first+i] = true
		}
	}
	seen := map[uint64]int{}
	deadline := time.Now().Add(30 * time.Second)
	for len(seen) < len(want) && time.Now().Before(deadline) {
		for _, rep := range p.DeliveryReports(0, 200*time.Millisecond) {
			if rep.Err != nil {
				t.Fatalf("async delivery failed: %+v", rep)
			}
			seen[rep.ID]++
		}
	}
	for id := range want {
		if seen[id] != 1 {
			t.Fatalf("async id %d reported %d times (%d of %d reports seen)", id, seen[id], len(seen), len(want))
		}
	}

	// No synchronous caller serves now: the poller does.
	id, _, err := p.ProduceAsync(ctx, klient.Message{Topic: topic, Partition: klient.AnyPartition, Value: []byte("after")})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		for _, rep := range p.DeliveryReports(0, 200*time.Millisecond) {
			if rep.ID == id && rep.Err == nil {
				return
			}
		}
	}
	t.Fatal("no report for an async message produced after the synchronous ones")
}

// While a synchronous Produce serves librdkafka's queue, the sinks (statistics, logs)
// still run on the library's goroutine, never inside the caller's Produce: a callback
// that takes a lock the caller holds must not deadlock (include/klient.h's promise).
func TestSyncProduceLeavesCallbacksToTheLibrary(t *testing.T) {
	topic := newTopic(t, 1)
	p := newProducer(t, config.Map{"linger.ms": 0, "statistics.interval.ms": 10})
	name := p.InstanceName()
	var mu sync.Mutex
	calls, inCaller := 0, 0
	klient.SetStatsSink(func(r klient.StatsRecord) {
		if r.Name != name {
			return
		}
		buf := make([]byte, 64<<10)
		stack := string(buf[:runtime.Stack(buf, false)])
		mu.Lock()
		defer mu.Unlock()
		calls++
		if strings.Contains(stack, "serveUntilReported") {
			inCaller++
		}
	})
	defer klient.SetStatsSink(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for start := time.Now(); time.Since(start) < 1500*time.Millisecond; {
		if _, err := p.Produce(ctx, klient.Message{Topic: topic, Partition: klient.AnyPartition, Value: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond) // the last handed-over documents
	mu.Lock()
	defer mu.Unlock()
	if calls < 20 {
		t.Fatalf("only %d statistics documents in 1.5 s at statistics.interval.ms=10", calls)
	}
	if inCaller > 0 {
		t.Fatalf("%d of %d statistics callbacks ran inside a synchronous Produce's call", inCaller, calls)
	}
}
