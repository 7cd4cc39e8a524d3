package klient_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
)

// The consumer's direct librdkafka fetch path reads confluent-kafka-go internals
// (core/internal/rdk). If an upgrade moves them this fails, loudly: the consumer still
// works (through confluent-kafka-go's Poll), only slower.
func TestFastConsumePathIsAvailable(t *testing.T) {
	t1, t2 := newTopic(t, 1), newTopic(t, 1)
	p := newProducer(t, nil)
	ts := time.UnixMilli(1700000000123)
	msgs := []klient.Message{
		{Topic: t1, Partition: 0, Key: []byte("k"), Value: []byte("v")},
		{Topic: t1, Partition: 0, Key: []byte{}, Value: nil},
		{Topic: t2, Partition: 0, Key: nil, Value: []byte{}},
		{Topic: t1, Partition: 0, Value: []byte("h"), Timestamp: ts,
			Headers: []klient.Header{{Key: "a", Value: []byte("b")}, {Key: "null", Value: nil}, {Key: "a", Value: []byte{}}}},
		{Topic: t1, Partition: 0, Value: []byte("last")},
	}
	produceAll(t, p, msgs)
	c := newConsumer(t, t1+"-g", nil, klient.ConsumerOptions{})
	if !klient.ConsumerFastPath(c) {
		t.Fatal("the consumer's direct librdkafka fetch path is unavailable: confluent-kafka-go is not v2.11.1 or its Consumer.handle.rk moved; update rdk.HandleOf in core/internal/rdk/rdk.go")
	}
	if err := c.Subscribe([]string{t1, t2}); err != nil {
		t.Fatal(err)
	}
	got := map[string]*klient.ConsumedMessage{}
	for _, m := range consumeN(t, c, 5, 30*time.Second) {
		got[fmt.Sprintf("%s/%d", m.Topic, m.Offset)] = m
	}
	a, b, e, h, l := got[t1+"/0"], got[t1+"/1"], got[t2+"/0"], got[t1+"/2"], got[t1+"/3"]
	if a == nil || b == nil || e == nil || h == nil || l == nil {
		t.Fatalf("missing messages: %v", got)
	}
	if string(a.Key) != "k" || string(a.Value) != "v" || a.Partition != 0 || a.Timestamp.IsZero() || a.Headers != nil {
		t.Fatalf("a: %+v", a)
	}
	if b.Key == nil || len(b.Key) != 0 || b.Value != nil || e.Key != nil || e.Value == nil || len(e.Value) != 0 {
		t.Fatalf("null/empty keys and values: %+v %+v", b, e)
	}
	if !h.Timestamp.Equal(ts) || len(h.Headers) != 3 || h.Headers[0].Key != "a" || string(h.Headers[0].Value) != "b" ||
		h.Headers[1].Key != "null" || h.Headers[1].Value != nil || h.Headers[2].Key != "a" || h.Headers[2].Value == nil ||
		len(h.Headers[2].Value) != 0 || string(h.Value) != "h" {
		t.Fatalf("headers/timestamp: %+v", h)
	}
	// Values share one buffer per batch: appending to one must not overwrite another.
	_ = append(a.Key, 'X', 'X', 'X')
	_ = append(a.Value, 'Y', 'Y', 'Y')
	_ = append(h.Headers[0].Value, 'Z')
	if string(a.Value) != "v" || string(l.Value) != "last" || string(h.Value) != "h" || h.Headers[1].Value != nil {
		t.Fatalf("append wrote into a neighbour: %+v %+v %+v", a, h, l)
	}
}

// Rebalances seen by the fast path reach OnRebalance and move partitions between group
// members; every message is read by someone, and only from partitions it owns. With
// the eager protocol (range) and the cooperative one (cooperative-sticky: incremental
// assigns and revokes, each routed partition's fetch kept or stopped on its own).
func TestFastConsumeRebalanceBetweenMembers(t *testing.T) {
	for _, strategy := range []string{"range", "cooperative-sticky"} {
		t.Run(strategy, func(t *testing.T) { testRebalanceBetweenMembers(t, strategy) })
	}
}

func testRebalanceBetweenMembers(t *testing.T, strategy string) {
	topic := newTopic(t, 2)
	extra := config.Map{"partition.assignment.strategy": strategy}
	p := newProducer(t, nil)
	produceValues(t, p, topic, 0, 50, "p0-")
	produceValues(t, p, topic, 1, 50, "p1-")
	group := "g-fastreb-" + topic

	type rec struct {
		mu     sync.Mutex
		events []klient.RebalanceEvent
	}
	record := func(r *rec) func(klient.RebalanceEvent) error {
		return func(ev klient.RebalanceEvent) error {
			r.mu.Lock()
			r.events = append(r.events, ev)
			r.mu.Unlock()
			return nil
		}
	}
	var ra, rb rec
	a := newConsumer(t, group, extra, klient.ConsumerOptions{OnRebalance: record(&ra), MaxBuffered: 5})
	if err := a.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	first := consumeN(t, a, 5, 30*time.Second)
	if len(first) != 5 {
		t.Fatalf("a read %d before the second member joined", len(first))
	}
	if _, err := a.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := newConsumer(t, group, extra, klient.ConsumerOptions{OnRebalance: record(&rb)})
	if err := b.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range first {
		seen[string(m.Value)] = true
	}
	owned := func(r *rec) map[int32]bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		own := map[int32]bool{}
		for _, ev := range r.events {
			for _, o := range ev.Partitions {
				if ev.Kind == klient.RebalanceAssign {
					own[o.Partition] = true
				} else {
					delete(own, o.Partition)
				}
			}
		}
		return own
	}
	split := func() bool { return len(owned(&ra)) == 1 && len(owned(&rb)) == 1 }
	lateTo := map[*klient.Consumer]int{}
	late := false
	ctx := context.Background()
	deadline := time.Now().Add(45 * time.Second)
	for (len(seen) < 120 || lateTo[a] < 10 || lateTo[b] < 10) && time.Now().Before(deadline) {
		if !late && len(seen) >= 100 && split() {
			// Both members fetch after the rebalance: each gets its own partition's.
			late = true
			produceValues(t, p, topic, 0, 10, "late0-")
			produceValues(t, p, topic, 1, 10, "late1-")
		}
		for _, c := range []struct {
			c *klient.Consumer
			r *rec
		}{{a, &ra}, {b, &rb}} {
			// A rebalance may run during the call: the partition must be owned before
			// or after it.
			before := owned(c.r)
			msgs, err := consumeWithin(ctx, c.c, 50, 200*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			own := owned(c.r)
			for _, m := range msgs {
				if !own[m.Partition] && !before[m.Partition] {
					t.Fatalf("message of partition %d handed out by a member that does not own it (owns %v)", m.Partition, own)
				}
				if v := string(m.Value); !seen[v] && len(v) > 4 && v[:4] == "late" {
					lateTo[c.c]++
				}
				seen[string(m.Value)] = true
			}
		}
	}
	if len(seen) != 120 || lateTo[a] != 10 || lateTo[b] != 10 {
		t.Fatalf("read %d of 120 distinct messages; late ones: a %d, b %d", len(seen), lateTo[a], lateTo[b])
	}
	ra.mu.Lock()
	kinds := []klient.RebalanceKind{}
	firstRevoke := -1 // partitions in a's first revoke: both (eager), one (cooperative)
	for _, ev := range ra.events {
		kinds = append(kinds, ev.Kind)
		if ev.Kind == klient.RebalanceRevoke && firstRevoke < 0 {
			firstRevoke = len(ev.Partitions)
		}
	}
	ra.mu.Unlock()
	if want := map[string]int{"range": 2, "cooperative-sticky": 1}[strategy]; firstRevoke != want {
		t.Fatalf("a's first revoke took %d partitions, want %d (%s)", firstRevoke, want, strategy)
	}
	// a: assigned both, revoked when b joined (eager: both, then assigned its share
	// again; cooperative: only the partition that moves).
	if len(kinds) < 2 || kinds[0] != klient.RebalanceAssign || kinds[1] != klient.RebalanceRevoke || strategy == "range" && len(kinds) < 3 {
		t.Fatalf("a's rebalance events: %v", kinds)
	}
	if oa, ob := owned(&ra), owned(&rb); len(oa) != 1 || len(ob) != 1 {
		t.Fatalf("assignment not split: a %v b %v", oa, ob)
	}
}
