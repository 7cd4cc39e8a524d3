package klient_test

// Throughput microbenchmarks of the hot paths, against the real broker (b.N is the
// message count): go test ./core -run XXX -bench . -benchtime 300000x
// They measure; they assert only that every message was delivered.

import (
	"context"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
)

func benchProduce(b *testing.B, send func(p *klient.Producer, chunk []klient.Message) error) {
	topic := newTopic(b, 1)
	p := newProducer(b, config.Map{"acks": "all"})
	chunk := make([]klient.Message, 1000)
	val := make([]byte, 100)
	for i := range chunk {
		chunk[i] = klient.Message{Topic: topic, Partition: klient.AnyPartition, Value: val}
	}
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for sent := 0; sent < b.N; sent += len(chunk) {
		if err := send(p, chunk[:min(len(chunk), b.N-sent)]); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := p.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

func BenchmarkProduceBatch(b *testing.B) {
	benchProduce(b, func(p *klient.Producer, chunk []klient.Message) error {
		_, _, err := p.ProduceAsync(context.Background(), chunk...)
		p.DeliveryReports(0, 0)
		return err
	})
}

func BenchmarkSendBatch(b *testing.B) {
	benchProduce(b, func(p *klient.Producer, chunk []klient.Message) error {
		_, err := p.SendBatch(context.Background(), chunk)
		return err
	})
}

func BenchmarkConsumeBatch(b *testing.B) {
	topic := newTopic(b, 1)
	p := newProducer(b, nil)
	chunk := make([]klient.Message, 1000)
	for i := range chunk {
		chunk[i] = klient.Message{Topic: topic, Partition: klient.AnyPartition, Value: make([]byte, 100)}
	}
	ctx := context.Background()
	for sent := 0; sent < b.N+1000; sent += len(chunk) {
		if _, err := p.SendBatch(ctx, chunk); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := p.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	c := newConsumer(b, topic+"-g", config.Map{"enable.auto.commit": false}, klient.ConsumerOptions{})
	if err := c.Subscribe([]string{topic}); err != nil {
		b.Fatal(err)
	}
	// The first batch waits for the group join: not counted.
	first := consumeN(b, c, 1000, 30*time.Second)
	b.ResetTimer()
	start := time.Now()
	got := consumeN(b, c, b.N, 60*time.Second)
	b.ReportMetric(float64(len(got))/time.Since(start).Seconds(), "msgs/s")
	if len(first) != 1000 || len(got) != b.N {
		b.Fatalf("consumed %d+%d of %d", len(first), len(got), b.N+1000)
	}
}
