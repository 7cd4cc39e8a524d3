package klient_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
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
	first, n, err := p.ProduceAsync(ctx, batch...)
	if err != nil || n != 100 {
		t.Fatalf("batch produce: n=%d err=%v", n, err)
	}
	id, _, err := p.ProduceAsync(ctx, klient.Message{Topic: topic, Partition: klient.AnyPartition, Value: []byte("async")})
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
	if _, err := c.Poll(context.Background()); !errors.Is(err, klient.ErrInvalidArgument) {
		t.Fatalf("poll before subscribe: %v", err)
	}
	_ = c.Close(context.Background())
	if _, err := c.Poll(context.Background()); !errors.Is(err, klient.ErrClosed) {
		t.Fatalf("poll after close: %v", err)
	}
}

func TestSendBatchCountsSuccessesAndReportsFailures(t *testing.T) {
	topic := newTopic(t, 1)
	a := newAdmin(t)
	small := topic + "-small"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := a.CreateTopics(ctx, []klient.TopicSpec{{Topic: small, NumPartitions: 1, ReplicationFactor: 1,
		Config: map[string]string{"max.message.bytes": "2000"}}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("create %s: %v %+v", small, err, res)
	}
	t.Cleanup(func() { _, _ = a.DeleteTopics(context.Background(), []string{small}) })
	p := newProducer(t, nil)
	msgs := make([]klient.Message, 500)
	for i := range msgs {
		msgs[i] = klient.Message{Topic: topic, Partition: klient.AnyPartition, Value: []byte(fmt.Sprintf("v%d", i))}
	}
	n, err := p.SendBatch(ctx, msgs)
	if err != nil || n != 500 {
		t.Fatalf("send batch: %d %v", n, err)
	}
	// An illegal topic name is refused at the call, on the fast path as on the other.
	other := newProducer(t, nil)
	bad := []klient.Message{{Topic: topic, Partition: klient.AnyPartition, Value: []byte("ok")}, {Topic: "bad name", Partition: klient.AnyPartition, Value: []byte("x")}}
	if n, err := other.SendBatch(ctx, bad); n != 1 || !errors.Is(err, klient.ErrInvalidArgument) || !strings.Contains(err.Error(), "topic name") {
		t.Fatalf("send batch with an illegal topic: %d %v", n, err)
	}
	if _, err := other.Flush(ctx); err != nil || other.Pending() != 0 {
		t.Fatalf("pending after the refused message: %d %v", other.Pending(), err)
	}
	// A record above the topic's max.message.bytes fails at the broker.
	if n, err := p.SendBatch(ctx, []klient.Message{{Topic: small, Partition: klient.AnyPartition, Value: bytes.Repeat([]byte("x"), 5000)}}); err != nil || n != 1 {
		t.Fatalf("send big: %d %v", n, err)
	}
	start := time.Now()
	if left, err := p.Flush(ctx); err != nil || left != 0 {
		t.Fatalf("flush: %d %v", left, err)
	}
	st := p.Stats()
	if st.Delivered != 500 || st.Failed != 1 || st.Pending != 0 || p.Pending() != 0 {
		t.Fatalf("stats after flush = %+v (flush took %v)", st, time.Since(start))
	}
	reps := p.DeliveryReports(0, 0)
	if len(reps) != 1 || reps[0].ID != 0 || reps[0].Err == nil || reps[0].Topic != small {
		t.Fatalf("want exactly the failure reported with id 0, got %+v", reps)
	}
	// Tracked messages still get their IDs and reports, and count in Stats.
	first, n2, err := p.ProduceAsync(ctx, msgs[:10]...)
	if err != nil || n2 != 10 {
		t.Fatal(err)
	}
	if _, err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	reps = p.DeliveryReports(0, 0)
	if len(reps) != 10 || reps[0].ID != first || reps[9].ID != first+9 || p.Stats().Delivered != 510 {
		t.Fatalf("tracked reports %d (first %d), stats %+v", len(reps), first, p.Stats())
	}
	c := newConsumer(t, topic+"-g", nil, klient.ConsumerOptions{})
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	if got := consumeN(t, c, 510, 30*time.Second); len(got) != 510 {
		t.Fatalf("consumed %d of 510", len(got))
	}
}

func TestFlushDoesNotWaitInHundredMillisecondSteps(t *testing.T) {
	topic := newTopic(t, 1)
	p := newProducer(t, config.Map{"linger.ms": 1000})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Warm up: metadata and connection.
	if _, err := p.Produce(ctx, klient.Message{Topic: topic, Partition: klient.AnyPartition, Value: []byte("w")}); err != nil {
		t.Fatal(err)
	}
	var best time.Duration = time.Hour
	for i := 0; i < 5; i++ {
		if _, err := p.SendBatch(ctx, []klient.Message{{Topic: topic, Partition: klient.AnyPartition, Value: []byte("x")}}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := p.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		best = min(best, time.Since(start))
	}
	// linger.ms=1000 must not be waited for, and a loopback round trip is well under
	// confluent-kafka-go's 100 ms flush step.
	if best >= 90*time.Millisecond || p.Stats().Delivered != 5 {
		t.Fatalf("fastest flush took %v; stats %+v", best, p.Stats())
	}
}

func TestKlientPropertiesAreNotPassedToLibrdkafka(t *testing.T) {
	topic := newTopic(t, 1)
	_, err := klient.NewConsumer(config.Map{"bootstrap.servers": bootstrap(t), "group.id": "g", "klient.prefetch.mesages": 5}, klient.ConsumerOptions{})
	if err == nil || !strings.Contains(err.Error(), "klient.prefetch.mesages") {
		t.Fatalf("unknown klient property: %v", err)
	}
	_, err = klient.NewConsumer(config.Map{"bootstrap.servers": bootstrap(t), "group.id": "g", "klient.prefetch.messages": 0}, klient.ConsumerOptions{})
	if err == nil || !strings.Contains(err.Error(), "positive") {
		t.Fatalf("zero prefetch: %v", err)
	}
	// A producer accepts the consumer's klient.* key (one config feeds every role).
	p := newProducer(t, config.Map{"klient_prefetch_messages": 50})
	msgs := make([]klient.Message, 1000)
	for i := range msgs {
		msgs[i] = klient.Message{Topic: topic, Partition: klient.AnyPartition, Value: []byte("v")}
	}
	ctx := context.Background()
	if _, err := p.SendBatch(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	c := newConsumer(t, topic+"-g", config.Map{"klient.prefetch.messages": 50}, klient.ConsumerOptions{})
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	first := consumeN(t, c, 1, 30*time.Second)
	time.Sleep(300 * time.Millisecond) // let the fetch goroutine fill its buffer
	if b := c.Buffered(); len(first) != 1 || b < 1 || b > 50 {
		t.Fatalf("buffered %d with prefetch 50", b)
	}

	// A batch larger than the prefetch is refilled as it is taken: the fetch loop was
	// told of the room only when the batch returned, so each refill of 10 waited for its
	// 100 ms poll (999 messages: 10 s).
	small := newConsumer(t, topic+"-small", config.Map{"klient.prefetch.messages": 10}, klient.ConsumerOptions{})
	if err := small.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	consumeN(t, small, 1, 30*time.Second) // joined and fetching
	bctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	start := time.Now()
	rest, err := small.ConsumeBatch(bctx, 999)
	if err != nil || len(rest) != 999 || time.Since(start) > 5*time.Second {
		t.Fatalf("batch of 999 with prefetch 10: %d messages in %v (%v)", len(rest), time.Since(start), err)
	}
}

// klient.prefetch.kbytes bounds the prefetched data: 10 KB messages with a 64 KB
// bound keep at most the bound plus one message buffered (the message count bound
// alone would hold 100 of them), and every message still arrives.
func TestPrefetchKbytesBoundsTheBufferedData(t *testing.T) {
	topic, msgs := tenKBTopic(t, 60)
	value := msgs[0].Value
	if _, err := klient.NewConsumer(config.Map{"bootstrap.servers": bootstrap(t), "group.id": "g", "klient.prefetch.kbytes": "-1"}, klient.ConsumerOptions{}); err == nil || !strings.Contains(err.Error(), "klient.prefetch.kbytes must be a positive integer") {
		t.Fatalf("negative kbytes: %v", err)
	}
	c := newConsumer(t, topic+"-g", config.Map{"klient.prefetch.messages": 100, "klient.prefetch.kbytes": 64}, klient.ConsumerOptions{})
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	got := consumeN(t, c, 1, 30*time.Second)
	time.Sleep(300 * time.Millisecond) // let the fetch goroutine fill its buffer
	if b, n := klient.BufferedBytes(c), c.Buffered(); b > 64<<10+len(value) || n > 7 || n < 1 {
		t.Fatalf("%d messages, %d bytes buffered with a 64 KB bound", n, b)
	}
	got = append(got, consumeN(t, c, len(msgs)-1, 30*time.Second)...)
	if len(got) != len(msgs) || klient.BufferedBytes(c) != 0 {
		t.Fatalf("consumed %d of %d; %d bytes left buffered", len(got), len(msgs), klient.BufferedBytes(c))
	}
}

// By default the buffer holds at most 2 MB of keys and values ahead of the
// application (librdkafka's own queue holds more before it): 300 messages of 10 KB
// are not all fetched ahead, and every one still arrives.
func TestPrefetchDefaultBoundsTheBufferedData(t *testing.T) {
	topic, msgs := tenKBTopic(t, 300)
	value := msgs[0].Value
	c := newConsumer(t, topic+"-g", nil, klient.ConsumerOptions{})
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	got := consumeN(t, c, 1, 30*time.Second)
	time.Sleep(300 * time.Millisecond) // let the fetch goroutine fill its buffer
	if b, n := klient.BufferedBytes(c), c.Buffered(); b > 2<<20+len(value) || n < 1 {
		t.Fatalf("%d messages, %d bytes buffered with the default bound (2 MB)", n, b)
	}
	got = append(got, consumeN(t, c, len(msgs)-1, 30*time.Second)...)
	if len(got) != len(msgs) {
		t.Fatalf("consumed %d of %d", len(got), len(msgs))
	}
}

// tenKBTopic makes a topic holding n messages of 10 KB (partition 0) and returns them.
func tenKBTopic(t *testing.T, n int) (string, []klient.Message) {
	t.Helper()
	value := bytes.Repeat([]byte("x"), 10<<10)
	return filledTopic(t, n, func(int) []byte { return value })
}

// SendBatch's runs and its one-by-one path: keys and values, null and empty, headers
// and timestamps (one by one) and two topics in one batch all arrive as sent.
func TestSendBatchMixedMessagesArriveAsSent(t *testing.T) {
	p := newProducer(t, nil)
	t1, t2 := newTopic(t, 1), newTopic(t, 1)
	ts := time.UnixMilli(1700000000000)
	msgs := []klient.Message{
		{Topic: t1, Partition: 0, Key: []byte("k"), Value: []byte("v")},
		{Topic: t1, Partition: klient.AnyPartition, Key: []byte{}, Value: nil},
		{Topic: t2, Partition: 0, Key: nil, Value: []byte{}},
		{Topic: t1, Partition: 0, Value: []byte("h"), Headers: []klient.Header{{Key: "a", Value: []byte("b")}}, Timestamp: ts},
		{Topic: t1, Partition: 0, Value: []byte("last")},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if n, err := p.SendBatch(ctx, msgs); err != nil || n != len(msgs) {
		t.Fatalf("send: %d %v", n, err)
	}
	if _, err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if st := p.Stats(); st.Delivered != 5 || st.Pending != 0 {
		t.Fatalf("stats %+v", st)
	}
	c := newConsumer(t, t1+"-g", nil, klient.ConsumerOptions{})
	if err := c.Subscribe([]string{t1, t2}); err != nil {
		t.Fatal(err)
	}
	got := map[string]*klient.ConsumedMessage{}
	for _, m := range consumeN(t, c, 5, 30*time.Second) {
		got[fmt.Sprintf("%s/%d", m.Topic, m.Offset)] = m
	}
	a, b, e, h, l := got[t1+"/0"], got[t1+"/1"], got[t2+"/0"], got[t1+"/2"], got[t1+"/3"]
	if a == nil || b == nil || e == nil || h == nil || l == nil {
		t.Fatalf("missing messages: %v", got)
	}
	if string(a.Key) != "k" || string(a.Value) != "v" || b.Key == nil || len(b.Key) != 0 || b.Value != nil ||
		e.Key != nil || e.Value == nil || len(e.Value) != 0 || len(h.Headers) != 1 || !h.Timestamp.Equal(ts) || string(l.Value) != "last" {
		t.Fatalf("round trip: %+v %+v %+v %+v %+v", a, b, e, h, l)
	}
	// Producing on a closed producer is a clear error, not a crash.
	_ = p.Close(ctx)
	if _, err := p.SendBatch(ctx, msgs[:1]); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("send after close: %v", err)
	}
}

// delivery.report.only.error would leave klient without the reports it counts (a
// synchronous Produce would wait to its deadline, Flush and Close until theirs): it is
// checked and kept from librdkafka, so every call still ends with the delivery, and
// every tracked report still comes back (the Python face filters its callbacks).
func TestOnlyErrorReportsStillEndEveryCall(t *testing.T) {
	topic := newTopic(t, 1)
	p := newProducer(t, config.Map{"delivery.report.only.error": true})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	if rep, err := p.Produce(ctx, klient.Message{Topic: topic, Value: []byte("sync")}); err != nil || rep.Offset != 0 {
		t.Fatalf("sync produce: %+v %v", rep, err)
	}
	first, n, err := p.ProduceAsync(ctx, klient.Message{Topic: topic, Value: []byte("a")}, klient.Message{Topic: topic, Value: []byte("b")})
	if err != nil || n != 2 {
		t.Fatalf("async: %d %v", n, err)
	}
	if left, err := p.Flush(ctx); left != 0 || err != nil {
		t.Fatalf("flush: %d left, %v", left, err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("took %v: calls waited for reports that never came", took)
	}
	reps := p.DeliveryReports(10, time.Second)
	if len(reps) != 2 || reps[0].ID != first || reps[1].ID != first+1 || reps[0].Err != nil || reps[1].Offset != 2 {
		t.Fatalf("tracked reports: %+v", reps)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	if _, err := klient.NewProducer(config.Map{"bootstrap.servers": bootstrap(t), "delivery.report.only.error": "maybe"}); !errors.Is(err, klient.ErrConfig) {
		t.Fatalf("invalid value: %v", err)
	}
}
