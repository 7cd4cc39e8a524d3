package klient_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
	"github.com/klient-dev/klient/core/internal/rdk"
)

// When confluent-kafka-go's librdkafka handle cannot be read (a version other than the
// pinned one), the consumer polls through confluent-kafka-go and the admin client is
// made from a producer. Both still work, and a consumer asked for off-heap batches
// hands out Go memory (OffHeap false: the C ABI copies such messages).
func TestFallbacksWithoutTheHandle(t *testing.T) {
	const total = 500
	topic, _ := filledTopic(t, total, fetchedValue)
	defer rdk.SetReadable(false)()

	a := newAdmin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	names, err := a.ListTopics(ctx, false)
	if err != nil || !slices.Contains(names, topic) {
		t.Fatalf("list topics through the fallback admin: %v, %d topics, %s missing", err, len(names), topic)
	}

	c := newConsumer(t, "g-"+topic, config.Map{}, klient.ConsumerOptions{OffHeapBatches: true})
	if klient.ConsumerFastPath(c) {
		t.Fatal("the consumer read librdkafka's queue with the handle unreadable")
	}
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	got := consumeN(t, c, total, 30*time.Second)
	if len(got) != total {
		t.Fatalf("consumed %d of %d messages", len(got), total)
	}
	for i, m := range got {
		if m.Offset != int64(i) || !bytes.Equal(m.Value, fetchedValue(i)) || m.OffHeap() {
			t.Fatalf("message %d: offset %d, off-heap %v, value %.20q...", i, m.Offset, m.OffHeap(), m.Value)
		}
	}
}
