package klient_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
)

// A new group's partition has no committed offset: it starts at auto.offset.reset at
// once (Consumer.startPositions), not after librdkafka's fixed 100 ms back-off (the
// first message came 100-110 ms after the assignment before; ~5 ms now). A group that
// committed resumes at its committed offset, and auto.offset.reset=latest still starts
// at the end.
func TestNewGroupsStartAtOnceAndOthersWhereTheyWere(t *testing.T) {
	topic := newTopic(t, 1)
	p := newProducer(t, nil)
	batch := func(from, n int) []klient.Message {
		var msgs []klient.Message
		for i := from; i < from+n; i++ {
			msgs = append(msgs, klient.Message{Topic: topic, Partition: 0, Value: []byte(fmt.Sprint(i))})
		}
		return msgs
	}
	produceAll(t, p, batch(0, 10))
	group := "start-" + sanitize(t.Name())

	// The first message after the assignment, in ms; and the message.
	first := func(c *klient.Consumer, assigned *atomic.Int64) (float64, *klient.ConsumedMessage) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		m, err := c.Poll(ctx)
		if err != nil || m == nil {
			t.Fatalf("no message within 30s (err %v)", err)
		}
		return float64(time.Now().UnixNano()-assigned.Load()) / 1e6, m
	}
	consumer := func(extra config.Map) (*klient.Consumer, *atomic.Int64) {
		var assigned atomic.Int64
		c := newConsumer(t, group, extra, klient.ConsumerOptions{OnRebalance: func(ev klient.RebalanceEvent) error {
			if ev.Kind == klient.RebalanceAssign {
				assigned.Store(time.Now().UnixNano())
			}
			return nil
		}})
		if err := c.Subscribe([]string{topic}); err != nil {
			t.Fatal(err)
		}
		return c, &assigned
	}

	c, assigned := consumer(config.Map{"enable.auto.commit": false})
	ms, m := first(c, assigned)
	if m.Offset != 0 {
		t.Fatalf("a new group started at offset %d, want 0 (earliest)", m.Offset)
	}
	if ms > 80 {
		t.Fatalf("the first message came %.0f ms after the assignment: the offset reset waited", ms)
	}
	got := append([]*klient.ConsumedMessage{m}, consumeN(t, c, 3, 30*time.Second)...)
	// Each step gets its own 10 s: a context shared by all of them could end before the
	// last one started.
	within := func(step func(context.Context) error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	within(func(ctx context.Context) error { _, err := c.Commit(ctx); return err })
	within(c.Close)

	c, assigned = consumer(config.Map{"enable.auto.commit": false})
	if _, m = first(c, assigned); m.Offset != int64(len(got)) {
		t.Fatalf("the group resumed at offset %d, want %d (its committed offset)", m.Offset, len(got))
	}
	within(c.Close)

	group += "-latest"
	c, assigned = consumer(config.Map{"auto.offset.reset": "latest"})
	deadline := time.Now().Add(30 * time.Second)
	for assigned.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no assignment within 30s")
		}
		if _, err := consumeWithin(context.Background(), c, 1, 100*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond) // the end offset is looked up
	produceAll(t, p, batch(10, 1))
	if _, m = first(c, assigned); m.Offset != 10 {
		t.Fatalf("a new group with auto.offset.reset=latest started at offset %d, want 10", m.Offset)
	}
}
