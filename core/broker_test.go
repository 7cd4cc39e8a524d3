package klient_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
	"github.com/klient-dev/klient/core/internal/testbroker"
)

// bootstrap returns the address of the real test broker. There is no silent skip: a
// missing broker fails the test with the command that starts one.
func bootstrap(t testing.TB) string {
	t.Helper()
	bs, err := testbroker.Bootstrap()
	if err != nil {
		t.Fatalf("no Kafka broker: %v", err)
	}
	return bs
}

var topicSeq atomic.Int64

// consumeWithin is ConsumeBatch with a batch window: up to max messages, waiting at
// most window (or until ctx ends).
func consumeWithin(ctx context.Context, c *klient.Consumer, max int, window time.Duration) ([]*klient.ConsumedMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, window)
	defer cancel()
	return c.ConsumeBatch(ctx, max)
}

// newTopic creates a fresh topic with the given partitions and deletes it afterwards.
func newTopic(t testing.TB, partitions int) string {
	t.Helper()
	name := fmt.Sprintf("klient-go-%s-%d-%d", sanitize(t.Name()), time.Now().UnixNano()%1e9, topicSeq.Add(1))
	adm := newAdmin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := adm.CreateTopics(ctx, []klient.TopicSpec{{Topic: name, NumPartitions: partitions, ReplicationFactor: 1}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("create topic %s: %v %v", name, err, res)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = adm.DeleteTopics(ctx, []string{name})
	})
	return name
}

func sanitize(s string) string {
	out := []byte(s)
	for i, b := range out {
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-') {
			out[i] = '-'
		}
	}
	if len(out) > 40 {
		out = out[:40]
	}
	return string(out)
}

func newAdmin(t testing.TB) *klient.Admin {
	t.Helper()
	a, err := klient.NewAdmin(config.Map{"bootstrap.servers": bootstrap(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close(context.Background()) })
	return a
}

func newProducer(t testing.TB, extra config.Map) *klient.Producer {
	t.Helper()
	props := config.Map{"bootstrap.servers": bootstrap(t), "linger.ms": 5}
	for k, v := range extra {
		props[k] = v
	}
	p, err := klient.NewProducer(props)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = p.Close(ctx)
	})
	return p
}

func newConsumer(t testing.TB, group string, extra config.Map, opts klient.ConsumerOptions) *klient.Consumer {
	t.Helper()
	props := config.Map{"bootstrap.servers": bootstrap(t), "group.id": group, "session.timeout.ms": 6000}
	for k, v := range extra {
		props[k] = v
	}
	c, err := klient.NewConsumer(props, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// filledTopic makes a topic of one partition holding n messages, message i with
// value(i), and returns it and them.
func filledTopic(t *testing.T, n int, value func(i int) []byte) (string, []klient.Message) {
	t.Helper()
	topic := newTopic(t, 1)
	msgs := make([]klient.Message, n)
	for i := range msgs {
		msgs[i] = klient.Message{Topic: topic, Partition: 0, Value: value(i)}
	}
	produceAll(t, newProducer(t, nil), msgs)
	return topic, msgs
}

// produceAll sends msgs and waits for them: any failure, or a failed delivery report,
// fails the test.
func produceAll(t testing.TB, p *klient.Producer, msgs []klient.Message) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, _, err := p.ProduceAsync(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range p.DeliveryReports(0, 0) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
}

// consumeN reads until n messages arrived or the deadline passed.
func consumeN(t testing.TB, c *klient.Consumer, n int, within time.Duration) []*klient.ConsumedMessage {
	t.Helper()
	var got []*klient.ConsumedMessage
	deadline := time.Now().Add(within)
	for len(got) < n && time.Now().Before(deadline) {
		msgs, err := consumeWithin(context.Background(), c, n-len(got), 500*time.Millisecond)
		if err != nil {
			t.Fatalf("consume: %v", err)
		}
		got = append(got, msgs...)
	}
	return got
}
