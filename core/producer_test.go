package klient_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
)

func TestProduceSyncAsyncBatchAndConsume(t *testing.T) {
	topic := newTopic(t, 3)
	p := newProducer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	r, err := p.Produce(ctx, klient.Message{Topic: topic, Partition: 1, Key: []byte("k0"), Value: []byte("v0"),
		Headers: []klient.Header{{Key: "h", Value: []byte("x")}}})
	if err != nil {
		t.Fatalf("sync produce: %v", err)
	}
	if r.Status() != "success" || r.Partition != 1 || r.Offset != 0 || r.Topic != topic || time.Since(r.Timestamp) > time.Minute {
		t.Fatalf("sync report = %+v", r)
	}

	batch := make([]klient.Message, 100)
	for i := range batch {
		batch[i] = klient.Message{Topic: topic, Partition: klient.AnyPartition, Key: []byte(fmt.Sprintf("k%d", i+1)), Value: []byte(fmt.Sprintf("v%d", i+1))}
	}
	first, n, err := p.ProduceBatch(ctx, batch)
	if err != nil || n != 100 {
		t.Fatalf("batch produce: n=%d err=%v", n, err)
	}
	id, err := p.ProduceAsync(ctx, klient.Message{Topic: topic, Partition: klient.AnyPartition, Value: []byte("async")})
	if err != nil || id != first+100 {
		t.Fatalf("async produce id=%d first=%d err=%v", id, first, err)
	}
	if left, err := p.Flush(ctx); err != nil || left != 0 {
		t.Fatalf("flush: %d %v", left, err)
	}
	seen := map[uint64]bool{}
	deadline := time.Now().Add(10 * time.Second)
	for len(seen) < 101 && time.Now().Before(deadline) {
		for _, rep := range p.DeliveryReports(0, 200*time.Millisecond) {
			if rep.Err != nil {
				t.Fatalf("delivery failed: %+v", rep)
			}
			seen[rep.ID] = true
		}
	}
	for i := uint64(0); i <= 100; i++ {
		if !seen[first+i] {
			t.Fatalf("no delivery report for id %d", first+i)
		}
	}
	if p.Pending() != 0 {
		t.Fatalf("pending = %d after all reports", p.Pending())
	}

	c := newConsumer(t, "g-"+topic, nil, klient.ConsumerOptions{})
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	got := consumeN(t, c, 102, 30*time.Second)
	if len(got) != 102 {
		t.Fatalf("consumed %d of 102", len(got))
	}
	var foundHeader bool
	values := map[string]bool{}
	for _, m := range got {
		values[string(m.Value)] = true
		if string(m.Key) == "k0" {
			foundHeader = len(m.Headers) == 1 && m.Headers[0].Key == "h" && bytes.Equal(m.Headers[0].Value, []byte("x")) && m.Partition == 1
		}
	}
	if !foundHeader || !values["v50"] || !values["async"] {
		t.Fatalf("content lost: header=%v values=%d", foundHeader, len(values))
	}
	committed, err := c.Commit(ctx)
	if err != nil || len(committed) == 0 {
		t.Fatalf("commit: %v %v", committed, err)
	}
}

func TestProduceToMissingTopicIsClearError(t *testing.T) {
	p := newProducer(t, config.Map{"message.timeout.ms": 3000, "topic.metadata.propagation.max.ms": 1000})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// The broker is run with auto-create on (the spec's examples rely on it), so ask for a
	// partition that cannot exist: the error must be a classified, readable one.
	_, err := p.Produce(ctx, klient.Message{Topic: newTopic(t, 1), Partition: 7, Value: []byte("x")})
	var ke *klient.Error
	if !errors.As(err, &ke) || ke.Code == 0 || ke.Message == "" {
		t.Fatalf("want a classified kafka error, got %#v", err)
	}
	if klient.IsRetriable(err) {
		t.Fatalf("unknown partition must not be retriable: %v", err)
	}
}

func TestClosedAndInvalidUse(t *testing.T) {
	p := newProducer(t, nil)
	if _, err := p.Produce(context.Background(), klient.Message{}); !errors.Is(err, klient.ErrInvalidArgument) {
		t.Fatalf("empty topic: %v", err)
	}
	if _, err := p.BeginTransaction(context.Background()); !errors.Is(err, klient.ErrTransaction) {
		t.Fatalf("txn without id: %v", err)
	}
	_ = p.Close(context.Background())
	_ = p.Close(context.Background()) // twice is fine
	if _, err := p.Produce(context.Background(), klient.Message{Topic: "x"}); !errors.Is(err, klient.ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
	if _, err := klient.NewConsumer(config.Map{"bootstrap.servers": bootstrap(t)}, klient.ConsumerOptions{}); !errors.Is(err, klient.ErrConfig) {
		t.Fatalf("consumer without group: %v", err)
	}
	if _, err := klient.NewProducer(config.Map{"no.such.property": 1}); !errors.Is(err, klient.ErrConfig) {
		t.Fatalf("unknown property: %v", err)
	}
	c := newConsumer(t, "g-closed", nil, klient.ConsumerOptions{})
	if err := c.Subscribe(nil); !errors.Is(err, klient.ErrInvalidArgument) {
		t.Fatalf("empty subscribe: %v", err)
	}
	if _, err := c.Poll(context.Background(), 0); !errors.Is(err, klient.ErrInvalidArgument) {
		t.Fatalf("poll before subscribe: %v", err)
	}
	_ = c.Close()
	if _, err := c.Poll(context.Background(), 0); !errors.Is(err, klient.ErrClosed) {
		t.Fatalf("poll after close: %v", err)
	}
}
