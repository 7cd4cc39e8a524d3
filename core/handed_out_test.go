package klient_test

import (
	"context"
	"errors"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
)

// HandedOut is what a transaction commits for a consumer (the C ABI's
// klient_producer_send_offsets): the offset after the last message handed to the
// application, not librdkafka's prefetching position; a seek starts the partition over.
func TestHandedOutFollowsConsumeAndSeek(t *testing.T) {
	topic := newTopic(t, 2)
	p := newProducer(t, nil)
	produceValues(t, p, topic, 0, 20, "p0-")
	produceValues(t, p, topic, 1, 20, "p1-")

	c := newConsumer(t, "g-handed-"+topic, nil, klient.ConsumerOptions{})
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	if err := c.Seek(topic, 1, 20); err != nil { // partition 1: nothing left to read
		t.Fatal(err)
	}
	got := consumeN(t, c, 5, 30*time.Second)
	if len(got) != 5 || got[4].Partition != 0 || got[4].Offset != 4 {
		t.Fatalf("consumed %+v, want p0@0..4", got)
	}
	want := func(wantP0 int64, ok bool) {
		t.Helper()
		offs, err := c.HandedOut()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			if len(offs) != 0 {
				t.Fatalf("HandedOut = %+v, want none", offs)
			}
			return
		}
		if len(offs) != 1 || offs[0].Topic != topic || offs[0].Partition != 0 || offs[0].Offset != wantP0 {
			t.Fatalf("HandedOut = %+v, want only %s[0] at %d", offs, topic, wantP0)
		}
	}
	// The consumer has prefetched all 20 messages of partition 0; 5 were handed out.
	want(5, true)
	if err := c.Seek(topic, 0, 2); err != nil {
		t.Fatal(err)
	}
	want(0, false)
	if again := consumeN(t, c, 1, 20*time.Second); len(again) != 1 || again[0].Offset != 2 {
		t.Fatalf("after seek got %+v, want p0@2", again)
	}
	want(3, true)

	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HandedOut(); !errors.Is(err, klient.ErrClosed) {
		t.Fatalf("HandedOut after close: %v, want a closed error", err)
	}
	if err := c.CommitAsync(); !errors.Is(err, klient.ErrClosed) {
		t.Fatalf("CommitAsync after close: %v, want a closed error", err)
	}
}
