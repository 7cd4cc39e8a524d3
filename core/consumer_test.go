package klient_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
)

func produceValues(t *testing.T, p *klient.Producer, topic string, partition int32, n int, prefix string) {
	t.Helper()
	msgs := make([]klient.Message, n)
	for i := range msgs {
		msgs[i] = klient.Message{Topic: topic, Partition: partition, Value: []byte(fmt.Sprintf("%s%d", prefix, i))}
	}
	produceAll(t, p, msgs)
}

func TestSeekBeforeAssignment(t *testing.T) {
	topic := newTopic(t, 2)
	p := newProducer(t, nil)
	produceValues(t, p, topic, 0, 20, "p0-")
	produceValues(t, p, topic, 1, 20, "p1-")

	c := newConsumer(t, "g-seek-"+topic, nil, klient.ConsumerOptions{})
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	// Right after subscribe nothing is assigned yet: the seeks must wait for the
	// assignment. The last seek wins, whether or not the group assigned in between.
	if err := c.Seek(topic, -1, 10); err != nil {
		t.Fatal(err)
	}
	if err := c.Seek(topic, 1, 15); err != nil {
		t.Fatal(err)
	}
	got := consumeN(t, c, 15, 30*time.Second)
	count := map[int32]int{}
	for _, m := range got {
		count[m.Partition]++
		if m.Partition == 1 && m.Offset < 15 || m.Partition == 0 && m.Offset < 10 {
			t.Fatalf("message before the seek offset: p%d@%d", m.Partition, m.Offset)
		}
	}
	if count[0] != 10 || count[1] != 5 {
		t.Fatalf("per-partition counts after seek = %v, want p0:10 p1:5", count)
	}

	// Seek back on an assigned partition: prefetched messages must be dropped.
	if err := c.Seek(topic, 0, 18); err != nil {
		t.Fatal(err)
	}
	again := consumeN(t, c, 2, 20*time.Second)
	if len(again) != 2 || again[0].Offset != 18 || again[1].Offset != 19 {
		t.Fatalf("after seek on assigned partition got %d msgs %+v", len(again), again)
	}
}

func TestRebalanceCallbackErrorSurfacesAndGroupRecovers(t *testing.T) {
	topic := newTopic(t, 1)
	p := newProducer(t, nil)
	produceValues(t, p, topic, 0, 5, "v")
	var assigned []klient.RebalanceEvent
	c := newConsumer(t, "g-reb-"+topic, nil, klient.ConsumerOptions{
		OnRebalance: func(ev klient.RebalanceEvent) error {
			assigned = append(assigned, ev)
			if ev.Kind == klient.RebalanceAssign {
				return errors.New("boom in on_assign")
			}
			return nil
		},
	})
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	var rebErr error
	var got []*klient.ConsumedMessage
	deadline := time.Now().Add(30 * time.Second)
	for len(got) < 5 && time.Now().Before(deadline) {
		msgs, err := consumeWithin(context.Background(), c, 5, 300*time.Millisecond)
		if err != nil {
			rebErr = err
			continue
		}
		got = append(got, msgs...)
	}
	if !errors.Is(rebErr, klient.ErrRebalance) {
		t.Fatalf("callback error did not surface as ErrRebalance: %v", rebErr)
	}
	if len(got) != 5 {
		t.Fatalf("group did not recover: consumed %d of 5", len(got))
	}
	if len(assigned) == 0 || assigned[0].Kind != klient.RebalanceAssign || assigned[0].Partitions[0].Topic != topic {
		t.Fatalf("assign event = %+v", assigned)
	}
}

func TestStreamLimitAndStop(t *testing.T) {
	topic := newTopic(t, 1)
	p := newProducer(t, nil)
	produceValues(t, p, topic, 0, 30, "s")
	c := newConsumer(t, "g-stream-"+topic, nil, klient.ConsumerOptions{})
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n := 0
	for m, err := range c.Stream(ctx, 25) {
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Value) != fmt.Sprintf("s%d", n) {
			t.Fatalf("out of order: %q at %d", m.Value, n)
		}
		n++
	}
	if n != 25 {
		t.Fatalf("stream with limit 25 yielded %d", n)
	}
	go func() { time.Sleep(300 * time.Millisecond); c.Stop() }()
	rest := 0
	for _, err := range c.Stream(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		rest++
	}
	if rest != 5 || ctx.Err() != nil {
		t.Fatalf("unlimited stream after Stop: %d messages, ctx %v", rest, ctx.Err())
	}
}

// A Stream hands out only what it yielded: breaking out after three messages and
// committing commits three (the 27 taken in the same batch go back to the buffer), and
// the same consumer's next take starts at the fourth.
func TestStreamBreakCommitsOnlyWhatItYielded(t *testing.T) {
	topic := newTopic(t, 1)
	p := newProducer(t, nil)
	produceValues(t, p, topic, 0, 30, "s")
	group := "g-stream-break-" + topic
	c := newConsumer(t, group, nil, klient.ConsumerOptions{})
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for c.Buffered() < 30 && ctx.Err() == nil { // joined, and the whole topic in one take
		time.Sleep(10 * time.Millisecond)
	}
	if b := c.Buffered(); b < 30 {
		t.Fatalf("%d of 30 messages buffered after 30 s", b)
	}
	n := 0
	for m, err := range c.Stream(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			if _, err := c.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			if string(m.Value) != "s2" {
				t.Fatalf("third message %q", m.Value)
			}
			break
		}
	}
	if got, err := c.HandedOut(); err != nil || len(got) != 1 || got[0].Offset != 3 {
		t.Fatalf("handed out after breaking at the third message: %+v (%v)", got, err)
	}
	next := consumeN(t, c, 1, 10*time.Second)
	if string(next[0].Value) != "s3" {
		t.Fatalf("next take after the break: %q, want s3", next[0].Value)
	}
	committed, err := c.Committed(ctx)
	if err != nil || len(committed) != 1 || committed[0].Offset != 3 {
		t.Fatalf("committed %+v (%v), want offset 3", committed, err)
	}
}

func TestConsumeBatchWaitsUntilItsContextEnds(t *testing.T) {
	topic := newTopic(t, 1)
	p := newProducer(t, nil)
	produceValues(t, p, topic, 0, 5, "a")
	c := newConsumer(t, "g-window-"+topic, nil, klient.ConsumerOptions{})
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	if got := consumeN(t, c, 5, 30*time.Second); len(got) != 5 {
		t.Fatalf("consumed %d of 5", len(got))
	}

	// Fewer messages than asked for: the batch ends with the context, without error.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	msgs, err := c.ConsumeBatch(ctx, 10)
	if d := time.Since(start); err != nil || len(msgs) != 0 || d < 250*time.Millisecond || d > 3*time.Second {
		t.Fatalf("ConsumeBatch with a 300ms window: %d messages, %v, after %v", len(msgs), err, d)
	}

	// Cancellation ends the wait too.
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel2)
	start = time.Now()
	msg, err := c.Poll(ctx2)
	if d := time.Since(start); err != nil || msg != nil || d > 3*time.Second {
		t.Fatalf("Poll cancelled after 100ms: %v, %v, after %v", msg, err, d)
	}

	// A context that has already ended still hands out what is buffered.
	produceValues(t, p, topic, 0, 3, "b")
	deadline := time.Now().Add(20 * time.Second)
	for c.Buffered() < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if msgs, err = c.ConsumeBatch(ctx2, 10); err != nil || len(msgs) != 3 {
		t.Fatalf("ConsumeBatch with an ended context: %d messages, %v; want the 3 buffered", len(msgs), err)
	}
}
