package klient_test

import (
	"context"
	"errors"
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

// subscribed is consumer number i of these tests, in a group of its own, subscribed
// to topic.
func subscribed(t *testing.T, bs, topic string, i int) *klient.Consumer {
	t.Helper()
	c, err := klient.NewConsumer(config.Map{"bootstrap.servers": bs, "group.id": fmt.Sprintf("%s-g%d", topic, i),
		"session.timeout.ms": 6000}, klient.ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	return c
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
		c := subscribed(t, bs, topic, i)
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
	after := fdsSettled(t, before)
	if after > before {
		t.Fatalf("open fds: %d before, %d after 100 producers, consumers and admins were closed", before, after)
	}
	t.Logf("open fds: %d before, %d after", before, after)
}

// A consumer closed with a context that already ended does not wait for the group
// leave: Close returns a timeout error at once, and the leave and the release finish
// in the background, giving every descriptor back.
func TestConsumerCloseAtDeadlineReleasesInBackground(t *testing.T) {
	topic := newTopic(t, 1)
	bs := bootstrap(t)
	join := func(i int) *klient.Consumer {
		c := subscribed(t, bs, topic, i)
		// Wait for the assignment, so Close has a group to leave (a broker round trip).
		deadline := time.Now().Add(30 * time.Second)
		for {
			if as, err := c.Assignment(); err != nil {
				t.Fatal(err)
			} else if len(as) > 0 {
				return c
			}
			if time.Now().After(deadline) {
				t.Fatalf("consumer %d got no assignment in 30 s", i)
			}
			pollCtx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			_, _ = c.Poll(pollCtx)
			cancel()
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := join(-1).Close(ctx); err != nil { // process-wide things start on first use
		t.Fatal(err)
	}
	before := openFDs(t)
	c := join(0)
	ended, cancelEnded := context.WithCancel(context.Background())
	cancelEnded()
	start := time.Now()
	err := c.Close(ended)
	if !errors.Is(err, klient.ErrTimeout) {
		t.Fatalf("Close with an ended context: %v, want a timeout error", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("Close with an ended context took %v", took)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatalf("second Close: %v, want nil (closing twice is a no-op)", err)
	}
	after := fdsSettled(t, before)
	if after > before {
		t.Fatalf("open fds: %d before the consumer, %d 10 s after its Close", before, after)
	}
}

// fdsSettled returns the open fd count once it is back to before, or after 10 s.
// librdkafka closes its sockets in threads that Close joins; allow a moment anyway.
func fdsSettled(t *testing.T, before int) int {
	deadline := time.Now().Add(10 * time.Second)
	after := openFDs(t)
	for after > before && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		after = openFDs(t)
	}
	return after
}
