package klient_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
)

// waitBuffered waits until the consumer has prefetched n messages.
func waitBuffered(t *testing.T, c *klient.Consumer, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for c.Buffered() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d messages prefetched after 30 s", c.Buffered(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func takeDeferred(t *testing.T, c *klient.Consumer, max int) []*klient.ConsumedMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msgs, err := c.TakeDeferred(ctx, max)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func pos(ms []*klient.ConsumedMessage) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = fmt.Sprintf("p%d@%d", m.Partition, m.Offset)
	}
	return out
}

// A deferred batch is handed out only as far as Settle says: the rest comes back, in
// order, from the next take; commit and HandedOut see only the settled part.
func TestTakeDeferredSettlesOnlyWhatWasHandedOut(t *testing.T) {
	topic := newTopic(t, 2)
	p := newProducer(t, nil)
	produceValues(t, p, topic, 0, 10, "p0-")
	produceValues(t, p, topic, 1, 10, "p1-")
	c := newConsumer(t, "g-deferred-"+topic, config.Map{"enable.auto.commit": false}, klient.ConsumerOptions{})
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	if err := c.Settle(0, false); err != nil {
		t.Fatalf("Settle(0) with nothing outstanding: %v, want a no-op", err)
	}
	if err := c.Settle(1, false); !errors.Is(err, klient.ErrInvalidArgument) {
		t.Fatalf("Settle(1) with nothing outstanding: %v, want an invalid-argument error", err)
	}
	if _, err := c.TakeDeferred(context.Background(), 0); !errors.Is(err, klient.ErrInvalidArgument) {
		t.Fatalf("TakeDeferred(0): %v, want an invalid-argument error", err)
	}
	waitBuffered(t, c, 20)
	batch := takeDeferred(t, c, 8)
	if len(batch) != 8 {
		t.Fatalf("TakeDeferred(8) returned %d messages", len(batch))
	}
	if offs, _ := c.HandedOut(); len(offs) != 0 {
		t.Fatalf("HandedOut before Settle = %+v, want none", offs)
	}
	if _, err := c.Poll(context.Background()); !errors.Is(err, klient.ErrInvalidArgument) {
		t.Fatalf("Poll with a deferred batch outstanding: %v, want an invalid-argument error", err)
	}
	if err := c.Settle(9, false); !errors.Is(err, klient.ErrInvalidArgument) {
		t.Fatalf("Settle(9) of an 8-message batch: %v, want an invalid-argument error", err)
	}
	handedOut := func(n int) map[int32]int64 {
		t.Helper()
		want := map[int32]int64{}
		for _, m := range batch[:n] {
			want[m.Partition] = m.Offset + 1
		}
		offs, err := c.HandedOut()
		if err != nil {
			t.Fatal(err)
		}
		if len(offs) != len(want) {
			t.Fatalf("HandedOut = %+v, want %v", offs, want)
		}
		for _, o := range offs {
			if want[o.Partition] != o.Offset {
				t.Fatalf("HandedOut = %+v, want %v", offs, want)
			}
		}
		return want
	}
	// keep: the first 2 are handed out, the batch stays outstanding.
	if err := c.Settle(2, true); err != nil {
		t.Fatal(err)
	}
	handedOut(2)
	if _, err := c.Poll(context.Background()); !errors.Is(err, klient.ErrInvalidArgument) {
		t.Fatalf("Poll after Settle(2, keep): %v, want an invalid-argument error (still outstanding)", err)
	}
	if err := c.Settle(1, false); !errors.Is(err, klient.ErrInvalidArgument) {
		t.Fatalf("Settle(1) after Settle(2, keep): %v, want an invalid-argument error", err)
	}
	if err := c.Settle(3, false); err != nil {
		t.Fatal(err)
	}
	// What Settle handed out is what a commit commits.
	want := handedOut(3)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	committed, err := c.Committed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range committed {
		if w, ok := want[o.Partition]; (ok && o.Offset != w) || (!ok && o.Offset >= 0) {
			t.Fatalf("committed %+v, want %v", committed, want)
		}
	}
	// The 5 unsettled messages come first, in their order, then the other 12: every
	// message exactly once.
	rest := consumeN(t, c, 17, 20*time.Second)
	if fmt.Sprint(pos(rest[:5])) != fmt.Sprint(pos(batch[3:])) {
		t.Fatalf("after Settle(3, false) got %v first, want the unsettled %v", pos(rest[:5]), pos(batch[3:]))
	}
	seen := map[string]int{}
	for _, s := range pos(append(batch[:3:3], rest...)) {
		seen[s]++
	}
	for part := 0; part < 2; part++ {
		for off := 0; off < 10; off++ {
			if k := fmt.Sprintf("p%d@%d", part, off); seen[k] != 1 {
				t.Fatalf("%s handed out %d times (all: %v)", k, seen[k], seen)
			}
		}
	}
	if extra := consumeN(t, c, 1, 300*time.Millisecond); len(extra) != 0 {
		t.Fatalf("a message beyond the 20: %v", pos(extra))
	}
}

// A partition seeked while a deferred batch is outstanding: its messages of the batch
// are neither handed out nor put back; the seek decides what comes next.
func TestSettleDropsSeekedPartitions(t *testing.T) {
	topic := newTopic(t, 1)
	p := newProducer(t, nil)
	produceValues(t, p, topic, 0, 10, "v")
	c := newConsumer(t, "g-deferred-seek-"+topic, nil, klient.ConsumerOptions{})
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	waitBuffered(t, c, 10)
	if batch := takeDeferred(t, c, 10); len(batch) != 10 {
		t.Fatalf("TakeDeferred(10) returned %v", pos(batch))
	}
	if err := c.Seek(topic, 0, 6); err != nil {
		t.Fatal(err)
	}
	if err := c.Settle(2, false); err != nil {
		t.Fatal(err)
	}
	if offs, _ := c.HandedOut(); len(offs) != 0 {
		t.Fatalf("HandedOut = %+v: messages from before the seek were handed out", offs)
	}
	got := consumeN(t, c, 4, 20*time.Second)
	if fmt.Sprint(pos(got)) != "[p0@6 p0@7 p0@8 p0@9]" {
		t.Fatalf("after the seek got %v, want p0@6..9", pos(got))
	}
	if extra := consumeN(t, c, 1, 300*time.Millisecond); len(extra) != 0 {
		t.Fatalf("a message beyond the seek's: %v", pos(extra))
	}
}
