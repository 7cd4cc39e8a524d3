// Command demo walks through klient end to end against a local broker: create a topic,
// produce, consume, commit one transaction and abort another, then show that a
// read_committed consumer never sees the aborted one while read_uncommitted does.
//
//	make demo    (starts the local broker, then runs this)
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
	"github.com/klient-dev/klient/core/events"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

func step(format string, args ...any) { fmt.Printf("\n==> "+format+"\n", args...) }

func run() error {
	bootstrap := os.Getenv("KLIENT_TEST_BOOTSTRAP")
	if bootstrap == "" {
		bootstrap = config.DefaultBootstrap
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	events.SetSink(func(line []byte) { fmt.Printf("    event: %s\n", line) })
	topic := fmt.Sprintf("klient-demo-%d", time.Now().Unix())

	step("Broker %s: creating topic %s (3 partitions)", bootstrap, topic)
	adm, err := klient.NewAdmin(config.Map{"bootstrap.servers": bootstrap})
	if err != nil {
		return err
	}
	defer adm.Close(ctx)
	if res, err := adm.CreateTopics(ctx, []klient.TopicSpec{{Topic: topic, NumPartitions: 3, ReplicationFactor: 1}}); err != nil {
		return err
	} else if res[0].Err != nil {
		return res[0].Err
	}

	step("Producing 5 messages synchronously")
	p, err := klient.NewProducer(config.Map{"bootstrap.servers": bootstrap})
	if err != nil {
		return err
	}
	defer p.Close(ctx)
	for i := 0; i < 5; i++ {
		r, err := p.Produce(ctx, klient.Message{Topic: topic, Partition: klient.AnyPartition,
			Key: []byte(fmt.Sprintf("user-%d", i)), Value: []byte(fmt.Sprintf("hello %d", i))})
		if err != nil {
			return err
		}
		fmt.Printf("    %s  partition=%d offset=%d\n", r.Status(), r.Partition, r.Offset)
	}

	step("One committed and one aborted transaction")
	tp, err := klient.NewProducer(config.Map{"bootstrap.servers": bootstrap, "transactional.id": "demo-tx-" + topic})
	if err != nil {
		return err
	}
	defer tp.Close(ctx)
	for _, outcome := range []string{"committed", "aborted"} {
		if _, err := tp.BeginTransaction(ctx); err != nil {
			return err
		}
		for i := 0; i < 2; i++ {
			if _, err := tp.Produce(ctx, klient.Message{Topic: topic, Partition: klient.AnyPartition, Value: []byte(fmt.Sprintf("%s-%d", outcome, i))}); err != nil {
				return err
			}
		}
		var res klient.TxnResult
		if outcome == "committed" {
			res, err = tp.CommitTransaction(ctx)
		} else {
			res, err = tp.AbortTransaction(ctx)
		}
		if err != nil {
			return err
		}
		fmt.Printf("    transaction %s: success=%v in %.1f ms\n", outcome, res.Success, res.DurationMs)
	}
	events.SetSink(nil)

	for _, isolation := range []string{"read_committed", "read_uncommitted"} {
		step("Consuming everything with isolation.level=%s", isolation)
		values, err := readAll(ctx, bootstrap, topic, isolation, 9)
		if err != nil {
			return err
		}
		fmt.Printf("    %d messages: %v\n", len(values), values)
		aborted := 0
		for _, v := range values {
			if len(v) > 7 && v[:7] == "aborted" {
				aborted++
			}
		}
		fmt.Printf("    aborted messages visible: %d\n", aborted)
	}
	fmt.Println("\nDone: the aborted transaction is invisible to read_committed consumers (klient's default).")
	_, _ = adm.DeleteTopics(ctx, []string{topic})
	return nil
}

func readAll(ctx context.Context, bootstrap, topic, isolation string, expect int) ([]string, error) {
	c, err := klient.NewConsumer(config.Map{"bootstrap.servers": bootstrap, "group.id": "demo-" + isolation + "-" + topic,
		"isolation.level": isolation}, klient.ConsumerOptions{})
	if err != nil {
		return nil, err
	}
	defer c.Close(ctx)
	if err := c.Subscribe([]string{topic}); err != nil {
		return nil, err
	}
	var values []string
	deadline := time.Now().Add(5 * time.Second)
	for len(values) < expect && time.Now().Before(deadline) {
		window, cancel := context.WithTimeout(ctx, time.Second)
		msgs, err := c.ConsumeBatch(window, expect-len(values))
		cancel()
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			values = append(values, string(m.Value))
		}
	}
	return values, nil
}
