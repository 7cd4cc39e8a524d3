package klient_test

import (
	"bytes"
	"context"
	"fmt"
	"runtime/debug"
	"testing"
	"time"
	"unsafe"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
)

// fetchedValue is the value of message i: its index, then a filler that differs from
// one message to the next, so a value overwritten by another message cannot pass.
func fetchedValue(i int) []byte {
	v := bytes.Repeat([]byte{byte('a' + i%26)}, 2000)
	copy(v, fmt.Sprintf("%08d", i))
	return v
}

// fetchedTopic is a consumer (subscribed, 1 MB prefetch: batches of ~500 messages, so the
// topic takes many fetches) of a new topic holding the fetchedValues 0..total-1.
func fetchedTopic(t *testing.T, total int, opts klient.ConsumerOptions) *klient.Consumer {
	t.Helper()
	topic, _ := filledTopic(t, total, fetchedValue)
	c := newConsumer(t, "g-"+topic, config.Map{klient.PrefetchKbytesKey: 1024}, opts)
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	return c
}

// Batches given back with Recycle take later fetches (a later message lies in a buffer
// an earlier, recycled batch used: the test keeps every such Go buffer reachable, so only
// the pool can hand it out again), every message still reads as produced, and a batch
// that was never given back is never overwritten, nor, off the Go heap (the C ABI's
// consumers), unmapped when its consumer closes. Giving a batch back twice is a no-op.
func TestRecycledBatchesTakeLaterFetches(t *testing.T) {
	for _, offHeap := range []bool{false, true} {
		t.Run(fmt.Sprintf("offHeap=%v", offHeap), func(t *testing.T) {
			recycledBatchesTakeLaterFetches(t, offHeap)
		})
	}
}

func recycledBatchesTakeLaterFetches(t *testing.T, offHeap bool) {
	const total = 6000
	c := fetchedTopic(t, total, klient.ConsumerOptions{OffHeapBatches: offHeap})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if !klient.ConsumerFastPath(c) {
		t.Fatal("the consumer does not use the fast fetch path")
	}
	held := consumeN(t, c, 300, 30*time.Second) // never given back
	if len(held) != 300 {
		t.Fatalf("first batch: %d messages", len(held))
	}
	heldBufs := map[*byte]bool{}
	for _, m := range held {
		heldBufs[unsafe.SliceData(klient.BatchBuffer(m))] = true
		if m.OffHeap() != offHeap {
			t.Fatalf("message %d: OffHeap() = %v with OffHeapBatches %v", m.Offset, m.OffHeap(), offHeap)
		}
	}
	// A buffer's messages come one after the other; a buffer seen before that comes
	// back after another one was reused.
	seen := map[*byte][]byte{} // kept reachable: the GC cannot hand these out again
	var last *byte
	for _, m := range held {
		last = unsafe.SliceData(klient.BatchBuffer(m))
		seen[last] = klient.BatchBuffer(m)
	}
	reused := 0
	next := 300
	deadline := time.Now().Add(60 * time.Second)
	for next < total {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages within 60s", next, total)
		}
		batch, err := consumeWithin(ctx, c, 300, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range batch {
			if m.Offset != int64(next) || !bytes.Equal(m.Value, fetchedValue(next)) {
				t.Fatalf("message %d: offset %d, value %.20q...", next, m.Offset, m.Value)
			}
			next++
			buf := klient.BatchBuffer(m)
			if buf == nil {
				t.Fatalf("message %d has no batch buffer", m.Offset)
			}
			base := unsafe.SliceData(buf)
			if _, ok := seen[base]; ok && base != last {
				if heldBufs[base] {
					t.Fatalf("message %d was fetched into the buffer of messages never given back", m.Offset)
				}
				reused++
			}
			seen[base], last = buf, base
		}
		c.Recycle(batch)
		c.Recycle(batch)
		for _, m := range batch {
			if m.OffHeap() {
				t.Fatalf("message %d is still off-heap after Recycle", m.Offset)
			}
		}
	}
	if reused == 0 {
		t.Fatalf("no buffer of a recycled batch took a later fetch (%d buffers for %d messages)", len(seen), total)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for i, m := range held {
		if m.Offset != int64(i) || !bytes.Equal(m.Value, fetchedValue(i)) {
			t.Fatalf("held message %d changed: offset %d, value %.20q...", i, m.Offset, m.Value)
		}
	}
}

// The memory of prefetched messages nobody took is freed when they are dropped (by a
// seek) or when their consumer closes, not left to the GC, which does not see memory
// off the Go heap and may come much later: with the GC off, a fetch's mapping is gone
// right after Close.
func TestUnusedPrefetchedMemoryIsFreedWithoutTheGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	for _, seek := range []bool{false, true} {
		t.Run(fmt.Sprintf("seek=%v", seek), func(t *testing.T) {
			c := fetchedTopic(t, 3000, klient.ConsumerOptions{OffHeapBatches: true})
			batch := consumeN(t, c, 10, 30*time.Second)
			if len(batch) != 10 {
				t.Fatalf("first batch: %d messages", len(batch))
			}
			buf := klient.BatchBuffer(batch[0])
			topic := batch[0].Topic
			c.Recycle(batch)
			if klient.BufferedBytes(c) == 0 || !klient.Mapped(t, buf) {
				t.Fatalf("after the first batch: %d bytes buffered, fetched memory mapped %v", klient.BufferedBytes(c), klient.Mapped(t, buf))
			}
			if seek {
				if err := c.Seek(topic, 0, 0); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := c.Close(ctx); err != nil {
				t.Fatal(err)
			}
			if klient.Mapped(t, buf) {
				t.Fatal("the first fetch's memory is still mapped after Close")
			}
		})
	}
}

// SettleCopied (the C ABI's settle: its deferred batches were copied out when taken)
// gives back what a deferred batch ends with as handed out, never what goes back to the
// buffer: those messages come again from the next take, intact, and buffers of ended
// batches take later fetches.
func TestSettleCopiedGivesBackOnlyWhatWasHandedOut(t *testing.T) {
	const total = 3000
	c := fetchedTopic(t, total, klient.ConsumerOptions{})
	seen := map[*byte][]byte{} // kept reachable: the GC cannot hand these out again
	var last *byte
	reused, next := 0, 0
	deadline := time.Now().Add(60 * time.Second)
	for next < total {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages within 60s", next, total)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		batch, err := c.TakeDeferred(ctx, 200)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range batch {
			if m.Offset != int64(next+i) || !bytes.Equal(m.Value, fetchedValue(next+i)) {
				t.Fatalf("message %d: offset %d, value %.20q...", next+i, m.Offset, m.Value)
			}
			buf := klient.BatchBuffer(m)
			if buf == nil {
				t.Fatalf("message %d has no batch buffer", m.Offset)
			}
			if base := unsafe.SliceData(buf); base != last {
				if _, ok := seen[base]; ok {
					reused++
				}
				seen[base], last = buf, base
			}
		}
		handed := (len(batch) + 1) / 2
		if err := c.SettleCopied(handed, false); err != nil {
			t.Fatal(err)
		}
		for i, m := range batch {
			if given := klient.BatchBuffer(m) == nil; given != (i < handed) {
				t.Fatalf("message %d of a batch of %d, %d handed out: given back %v", i, len(batch), handed, given)
			}
		}
		next += handed
	}
	if reused == 0 {
		t.Fatalf("no buffer of an ended batch took a later fetch (%d buffers for %d messages)", len(seen), total)
	}
}

// A deferred batch that a copying caller (the C ABI) leaves outstanding when it closes is
// ended by EndDeferredCopied: what was handed out of it is given back then, the rest goes
// back to the buffer, and Close frees the batch's fetched memory, with the GC off; without
// it the batch would keep its buffer mapped until the GC found it.
func TestEndDeferredCopiedFreesAnUnsettledBatchAtClose(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	c := fetchedTopic(t, 3000, klient.ConsumerOptions{OffHeapBatches: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var batch []*klient.ConsumedMessage
	for len(batch) < 10 && ctx.Err() == nil {
		var err error
		if batch, err = c.TakeDeferred(ctx, 10); err != nil {
			t.Fatal(err)
		}
		if len(batch) < 10 {
			if err := c.Settle(0, false); err != nil { // put back: take again once more is buffered
				t.Fatal(err)
			}
		}
	}
	if len(batch) < 10 {
		t.Fatalf("a deferred batch of %d messages within 30s", len(batch))
	}
	const handed = 4
	if err := c.SettleCopied(handed, true); err != nil { // the batch goes on, four handed out
		t.Fatal(err)
	}
	buf := klient.BatchBuffer(batch[0])
	if err := c.EndDeferredCopied(); err != nil {
		t.Fatal(err)
	}
	for i, m := range batch {
		if given := klient.BatchBuffer(m) == nil; given != (i < handed) {
			t.Fatalf("message %d of %d, %d handed out: given back %v", i, len(batch), handed, given)
		}
	}
	if err := c.EndDeferredCopied(); err != nil { // no batch outstanding: a no-op
		t.Fatal(err)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if klient.Mapped(t, buf) {
		t.Fatal("the unsettled deferred batch's memory is still mapped after Close")
	}
}
