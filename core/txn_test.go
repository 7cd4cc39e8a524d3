package klient_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
	"github.com/klient-dev/klient/core/metrics"
)

func TestCommittedAndAbortedTransactionVisibility(t *testing.T) {
	topic := newTopic(t, 1)
	p := newProducer(t, config.Map{"transactional.id": "tx-" + topic})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	commitsBefore := metrics.Get(metrics.ProducerTxCommit)

	if _, err := p.Produce(ctx, klient.Message{Topic: topic, Value: []byte("outside")}); !errors.Is(err, klient.ErrTransaction) || !strings.Contains(err.Error(), "no transaction is open") {
		t.Fatalf("produce outside a transaction: %v", err)
	}
	res, err := p.BeginTransaction(ctx)
	if err != nil || !res.Success || !p.InTransaction() {
		t.Fatalf("begin: %+v %v", res, err)
	}
	produceValues(t, p, topic, 0, 3, "committed-")
	res, err = p.CommitTransaction(ctx)
	if err != nil || !res.Success || res.TransactionID != "tx-"+topic || res.DurationMs <= 0 || p.InTransaction() {
		t.Fatalf("commit: %+v %v", res, err)
	}
	if _, err := p.BeginTransaction(ctx); err != nil {
		t.Fatal(err)
	}
	produceValues(t, p, topic, 0, 2, "aborted-")
	if res, err := p.AbortTransaction(ctx); err != nil || !res.Success {
		t.Fatalf("abort: %+v %v", res, err)
	}
	if _, err := p.CommitTransaction(ctx); !errors.Is(err, klient.ErrTransaction) {
		t.Fatalf("commit without open transaction: %v", err)
	}
	if metrics.Get(metrics.ProducerTxCommit) != commitsBefore+1 {
		t.Fatalf("producer.tx.commit not counted")
	}

	// A marker after both transactions tells the readers they have seen everything.
	plain := newProducer(t, nil)
	produceValues(t, plain, topic, 0, 1, "end-")

	read := func(isolation string) []string {
		c := newConsumer(t, "g-"+isolation+"-"+topic, config.Map{"isolation.level": isolation}, klient.ConsumerOptions{})
		if err := c.Subscribe([]string{topic}); err != nil {
			t.Fatal(err)
		}
		var vals []string
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			msgs, err := consumeWithin(ctx, c, 100, 300*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			done := false
			for _, m := range msgs {
				vals = append(vals, string(m.Value))
				done = done || string(m.Value) == "end-0"
			}
			if done {
				break
			}
		}
		return vals
	}
	committed := read("read_committed")
	if len(committed) != 4 || committed[0] != "committed-0" || committed[3] != "end-0" {
		t.Fatalf("read_committed saw %v", committed)
	}
	uncommitted := read("read_uncommitted")
	if len(uncommitted) != 6 || uncommitted[3] != "aborted-0" {
		t.Fatalf("read_uncommitted saw %v", uncommitted)
	}
	// The default isolation is read_committed.
	c := newConsumer(t, "g-default-"+topic, nil, klient.ConsumerOptions{})
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	if got := consumeN(t, c, 5, 8*time.Second); len(got) != 4 {
		t.Fatalf("default isolation read %d messages, want 4 (read_committed)", len(got))
	}
}
