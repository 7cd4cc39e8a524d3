package klient_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
)

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("read /proc/self/fd: %v", err)
	}
	return len(ents)
}

// Close alone gives back every descriptor: 100 producers that each delivered a
// message, 100 consumers that each polled a subscribed topic (so both held broker
// connections) and 100 admin clients, all closed with a deadline that leaves room,
// leave the process's fd count where it started.
func TestCloseReleasesAllFileDescriptors(t *testing.T) {
	topic := newTopic(t, 1)
	bs := bootstrap(t)
	cycle := func(i int) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		p, err := klient.NewProducer(config.Map{"bootstrap.servers": bs})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Produce(ctx, klient.Message{Topic: topic, Value: []byte(fmt.Sprint(i))}); err != nil {
			t.Fatalf("produce %d: %v", i, err)
		}
		if err := p.Close(ctx); err != nil {
			t.Fatalf("producer close %d: %v", i, err)
		}
		c, err := klient.NewConsumer(config.Map{"bootstrap.servers": bs, "group.id": fmt.Sprintf("%s-g%d", topic, i),
			"session.timeout.ms": 6000}, klient.ConsumerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Subscribe([]string{topic}); err != nil {
			t.Fatal(err)
		}
		pollCtx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		_, err = c.Poll(pollCtx)
		cancel()
		if err != nil {
			t.Fatalf("poll %d: %v", i, err)
		}
		if err := c.Close(ctx); err != nil {
			t.Fatalf("consumer close %d: %v", i, err)
		}
		a, err := klient.NewAdmin(config.Map{"bootstrap.servers": bs})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Close(ctx); err != nil {
			t.Fatalf("admin close %d: %v", i, err)
		}
	}
	cycle(-1) // first use starts process-wide things (Go's netpoller, librdkafka globals)
	before := openFDs(t)
	for i := range 100 {
		cycle(i)
	}
	// librdkafka closes its sockets in threads that Close joins; allow a moment anyway.
	deadline := time.Now().Add(10 * time.Second)
	after := openFDs(t)
	for after > before && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		after = openFDs(t)
	}
	if after > before {
		t.Fatalf("open fds: %d before, %d after 100 producers, consumers and admins were closed", before, after)
	}
	t.Logf("open fds: %d before, %d after", before, after)
}
