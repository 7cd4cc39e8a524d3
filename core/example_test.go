package klient_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
)

// exampleTopic creates a fresh single-partition topic on the test broker.
func exampleTopic(name string) (bootstrap, topic string) {
	bootstrap = os.Getenv("KLIENT_TEST_BOOTSTRAP")
	if bootstrap == "" {
		panic("KLIENT_TEST_BOOTSTRAP is not set: run `make broker-up` and `source build/broker.env`")
	}
	topic = fmt.Sprintf("klient-example-%s-%d", name, time.Now().UnixNano())
	adm, err := klient.NewAdmin(config.Map{"bootstrap.servers": bootstrap})
	if err != nil {
		panic(err)
	}
	defer adm.Close(context.Background())
	if _, err := adm.CreateTopics(context.Background(), []klient.TopicSpec{{Topic: topic, NumPartitions: 1, ReplicationFactor: 1}}); err != nil {
		panic(err)
	}
	return bootstrap, topic
}

func ExampleProducer_Produce() {
	bootstrap, topic := exampleTopic("produce")
	ctx := context.Background()
	p, err := klient.NewProducer(config.Map{"bootstrap.servers": bootstrap})
	if err != nil {
		panic(err)
	}
	defer p.Close(ctx)

	report, err := p.Produce(ctx, klient.Message{Topic: topic, Partition: klient.AnyPartition, Key: []byte("user-1"), Value: []byte("hello")})
	if err != nil {
		panic(err)
	}
	fmt.Println(report.Status(), report.Partition, report.Offset)
	// Output: success 0 0
}

func ExampleConsumer_ConsumeBatch() {
	bootstrap, topic := exampleTopic("consume")
	ctx := context.Background()
	p, _ := klient.NewProducer(config.Map{"bootstrap.servers": bootstrap})
	defer p.Close(ctx)
	for _, v := range []string{"a", "b", "c"} {
		if _, err := p.Produce(ctx, klient.Message{Topic: topic, Value: []byte(v)}); err != nil {
			panic(err)
		}
	}

	c, err := klient.NewConsumer(config.Map{"bootstrap.servers": bootstrap, "group.id": "example-" + topic}, klient.ConsumerOptions{})
	if err != nil {
		panic(err)
	}
	defer c.Close(ctx)
	if err := c.Subscribe([]string{topic}); err != nil {
		panic(err)
	}
	window, cancel := context.WithTimeout(ctx, 20*time.Second) // up to 3 messages or 20 s
	defer cancel()
	msgs, err := c.ConsumeBatch(window, 3)
	if err != nil {
		panic(err)
	}
	for _, m := range msgs {
		fmt.Printf("%d:%s ", m.Offset, m.Value)
	}
	fmt.Println()
	// Output: 0:a 1:b 2:c
}

func ExampleProducer_BeginTransaction() {
	bootstrap, topic := exampleTopic("txn")
	ctx := context.Background()
	p, err := klient.NewProducer(config.Map{"bootstrap.servers": bootstrap, "transactional.id": "example-" + topic})
	if err != nil {
		panic(err)
	}
	defer p.Close(ctx)

	if _, err := p.BeginTransaction(ctx); err != nil {
		panic(err)
	}
	if _, _, err := p.ProduceAsync(ctx, klient.Message{Topic: topic, Value: []byte("all or nothing")}); err != nil {
		panic(err)
	}
	res, err := p.CommitTransaction(ctx) // flushes, then commits
	if err != nil {
		panic(err)
	}
	fmt.Println("committed:", res.Success)
	// Output: committed: true
}

func ExampleRelay() {
	bootstrap, src := exampleTopic("relay-src")
	_, dst := exampleTopic("relay-dst")
	ctx := context.Background()
	p, _ := klient.NewProducer(config.Map{"bootstrap.servers": bootstrap})
	defer p.Close(ctx)
	for _, v := range []string{"a", "b", "c"} {
		if _, err := p.Produce(ctx, klient.Message{Topic: src, Value: []byte(v)}); err != nil {
			panic(err)
		}
	}

	// The relay needs a consumer that does not auto-commit (it commits the source
	// offsets inside each transaction) and a transactional producer.
	c, err := klient.NewConsumer(config.Map{"bootstrap.servers": bootstrap, "group.id": "example-" + src, "enable.auto.commit": false}, klient.ConsumerOptions{})
	if err != nil {
		panic(err)
	}
	defer c.Close(ctx)
	txp, err := klient.NewProducer(config.Map{"bootstrap.servers": bootstrap, "transactional.id": "example-" + src})
	if err != nil {
		panic(err)
	}
	defer txp.Close(ctx)
	r, err := klient.NewRelay(c, txp, klient.RelayOptions{
		BatchSize: 3,
		Transform: func(batch []*klient.ConsumedMessage) ([]klient.Message, error) {
			out := make([]klient.Message, 0, len(batch))
			for _, m := range batch {
				out = append(out, klient.Message{Partition: klient.AnyPartition, Key: m.Key, Value: bytes.ToUpper(m.Value)})
			}
			return out, nil
		},
	})
	if err != nil {
		panic(err)
	}
	// Run blocks until Stop or ctx ends: stop once the three messages are committed,
	// and give up after 60 s so a broken broker cannot hang the example.
	runCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	go func() {
		for r.Stats().Forwarded < 3 && runCtx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
		}
		r.Stop()
	}()
	if err := r.Run(runCtx, src, dst); err != nil {
		panic(err)
	}
	fmt.Println("forwarded:", r.Stats().Forwarded)

	// A read_committed consumer (the default) sees the relayed messages.
	out, _ := klient.NewConsumer(config.Map{"bootstrap.servers": bootstrap, "group.id": "example-" + dst}, klient.ConsumerOptions{})
	defer out.Close(ctx)
	if err := out.Subscribe([]string{dst}); err != nil {
		panic(err)
	}
	window, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	msgs, err := out.ConsumeBatch(window, 3)
	if err != nil {
		panic(err)
	}
	for _, m := range msgs {
		fmt.Printf("%s ", m.Value)
	}
	fmt.Println()
	// Output:
	// forwarded: 3
	// A B C
}
