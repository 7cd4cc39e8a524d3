package rdk_test

// These tests need no broker: they run against librdkafka's mock cluster
// (kafka.NewMockCluster), which speaks the Kafka protocol in-process.

import (
	"bytes"
	"testing"
	"time"
	"unsafe"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/klient-dev/klient/core/internal/rdk"
)

func mockCluster(t *testing.T) string {
	t.Helper()
	mc, err := kafka.NewMockCluster(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mc.Close)
	if err := mc.CreateTopic("t", 2, 1); err != nil {
		t.Fatal(err)
	}
	return mc.BootstrapServers()
}

// The pinned confluent-kafka-go's consumer type has the field HandleOf reads (the core
// chooses its log path on this before a consumer exists); other values, a nil consumer
// and a consumer value that was never opened give no handle.
func TestHandleOfRefusesOtherValues(t *testing.T) {
	if !rdk.Readable() {
		t.Fatal("confluent-kafka-go's Consumer or AdminClient has no handle.rk of the expected type")
	}
	for _, v := range []any{nil, "x", (*kafka.Producer)(nil), (*kafka.Consumer)(nil), (*kafka.AdminClient)(nil), &kafka.Consumer{}, &kafka.AdminClient{}, &kafka.Producer{}} {
		if h := rdk.HandleOf(v); h != nil {
			t.Fatalf("HandleOf(%T) = %v, want nil", v, h)
		}
	}
}

// pack lays out msgs (nil: null) for Producer.Produce.
func pack(topic string, part int32, parts []int32, keys, values [][]byte) *rdk.Run {
	buf := []byte{0}
	r := &rdk.Run{Topic: topic, Part: part, Parts: parts}
	put := func(b []byte) (int64, int64) {
		if b == nil {
			return 0, -1
		}
		pos := int64(len(buf))
		buf = append(buf, b...)
		return pos, int64(len(b))
	}
	for i := range keys {
		kp, kl := put(keys[i])
		vp, vl := put(values[i])
		r.KPos, r.KLen = append(r.KPos, kp), append(r.KLen, kl)
		r.VPos, r.VLen = append(r.VPos, vp), append(r.VLen, vl)
	}
	r.KBase, r.VBase = unsafe.Pointer(&buf[0]), unsafe.Pointer(&buf[0])
	return r
}

// pollUntil polls p until done says so, failing after 20 s.
func pollUntil(t *testing.T, p *rdk.Producer, done func(*rdk.Polled) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var out rdk.Polled
	for time.Now().Before(deadline) {
		p.Poll(100, 1000, &out)
		if done(&out) {
			return
		}
	}
	t.Fatal("not served within 20s")
}

func newProducer(t *testing.T, props map[string]string) *rdk.Producer {
	t.Helper()
	p, err := rdk.NewProducer(props)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Destroy)
	return p
}

// newConsumer makes a confluent-kafka-go consumer and its Queue, released (before the
// consumer is closed) when the test ends.
func newConsumer(t *testing.T, conf kafka.ConfigMap) (*kafka.Consumer, *rdk.Queue) {
	t.Helper()
	kc, err := kafka.NewConsumer(&conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kc.Close() })
	h := rdk.HandleOf(kc)
	if h == nil {
		t.Fatal("no rd_kafka_t in the consumer")
	}
	q := h.ConsumerQueue()
	if q == nil {
		t.Fatal("no consumer queue")
	}
	t.Cleanup(q.Release) // cleanups run last-in first-out: before kc.Close
	return kc, q
}

// Produce queues a run with null and empty keys and values to fixed and per-message
// partitions; Fetch and Reader give them back byte for byte, with the headers and
// timestamps of a message produced through confluent-kafka-go.
func TestProduceAndFetchRoundTrip(t *testing.T) {
	bs := mockCluster(t)
	h := newProducer(t, map[string]string{"bootstrap.servers": bs})
	keys := [][]byte{[]byte("k0"), nil, {}, []byte("k3")}
	values := [][]byte{[]byte("v0"), {}, nil, bytes.Repeat([]byte("x"), 100000)}
	if done, code := h.Produce(pack("t", 0, nil, keys, values), 0); done != 4 || code != 0 {
		t.Fatalf("produce: done %d code %d", done, code)
	}
	// From index 1 on, to partition 1: only messages 1.. are queued.
	if done, code := h.Produce(pack("t", -1, []int32{1, 1}, keys[:2], values[:2]), 1); done != 2 || code != 0 {
		t.Fatalf("produce from 1: done %d code %d", done, code)
	}
	// A refused message stops the run at its index, with librdkafka's code.
	huge := [][]byte{bytes.Repeat([]byte("x"), 2<<20)}
	if done, code := h.Produce(pack("t", 0, nil, [][]byte{nil}, huge), 0); done != 0 || code != int(kafka.ErrMsgSizeTooLarge) {
		t.Fatalf("message too large: done %d code %d (%v)", done, code, kafka.ErrorCode(code))
	}
	topic := "t"
	ts := time.UnixMilli(1700000000123)
	if code := h.ProduceOne(&rdk.Message{Topic: topic, Partition: 1, Value: []byte("h"), TimestampMs: ts.UnixMilli(),
		HeaderNames: []string{"a", "null", "e"}, HeaderValues: [][]byte{[]byte("b"), nil, {}}}, rdk.Tag{}); code != 0 {
		t.Fatalf("produce one: code %d", code)
	}
	ok := int64(0)
	pollUntil(t, h, func(out *rdk.Polled) bool {
		if len(out.Reports) > 0 {
			t.Fatalf("untracked messages reported: %+v", out.Reports)
		}
		ok += out.UntrackedOK
		return ok == 6
	})

	kc, q := newConsumer(t, kafka.ConfigMap{"bootstrap.servers": bs, "group.id": "g", "enable.partition.eof": true})
	if err := kc.Assign([]kafka.TopicPartition{{Topic: &topic, Partition: 0, Offset: kafka.OffsetBeginning},
		{Topic: &topic, Partition: 1, Offset: kafka.OffsetBeginning}}); err != nil {
		t.Fatal(err)
	}
	got := map[int32][]rdk.Record{}
	var hdrs [][2][]byte
	eofs := 0
	deadline := time.Now().Add(20 * time.Second)
	for eofs < 2 && time.Now().Before(deadline) {
		batch, n, ev := q.Fetch(100, 100, 1<<20, nil)
		r := rdk.NewReader(batch, n)
		for rec, ok := r.Next(); ok; rec, ok = r.Next() {
			if string(rec.Topic) != "t" || rec.Err != 0 {
				t.Fatalf("record %+v", rec)
			}
			for i := 0; i < rec.Headers; i++ {
				name, value := r.Header()
				hdrs = append(hdrs, [2][]byte{name, value})
			}
			got[rec.Partition] = append(got[rec.Partition], rec)
		}
		if ev != nil {
			if ev.Kind() == rdk.EventError {
				if code, _, fatal := ev.Error(); code == int(kafka.ErrPartitionEOF) && !fatal {
					eofs++
				}
			}
			ev.Destroy()
		}
	}
	if eofs < 2 {
		t.Fatalf("no end of partitions after 20s; got %+v", got)
	}
	p0, p1 := got[0], got[1]
	if len(p0) != 4 || len(p1) != 2 {
		t.Fatalf("partition 0: %d records, partition 1: %d", len(p0), len(p1))
	}
	for i, rec := range p0 {
		if rec.Offset != int64(i) || !same(rec.Key, keys[i]) || !same(rec.Value, values[i]) || rec.Timestamp <= 0 {
			t.Fatalf("p0[%d] = %+v", i, rec)
		}
	}
	if !same(p1[0].Key, keys[1]) || !same(p1[0].Value, values[1]) || p1[0].Headers != 0 {
		t.Fatalf("p1[0] = %+v", p1[0])
	}
	h1 := p1[1]
	if h1.Timestamp != ts.UnixMilli() || string(h1.Value) != "h" || h1.Key != nil || h1.Headers != 3 || len(hdrs) != 3 ||
		string(hdrs[0][0]) != "a" || string(hdrs[0][1]) != "b" || string(hdrs[1][0]) != "null" || hdrs[1][1] != nil ||
		string(hdrs[2][0]) != "e" || hdrs[2][1] == nil || len(hdrs[2][1]) != 0 {
		t.Fatalf("p1[1] = %+v headers %q", h1, hdrs)
	}
	if cap(p0[0].Key) != len(p0[0].Key) {
		t.Fatal("a key's capacity reaches into the next field")
	}
}

// same compares with null (nil) distinct from empty.
func same(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }

// A subscription's assignment arrives as an EventAssign with its partitions.
func TestFetchReturnsRebalance(t *testing.T) {
	bs := mockCluster(t)
	kc, q := newConsumer(t, kafka.ConfigMap{"bootstrap.servers": bs, "group.id": "g2"})
	if err := kc.Subscribe("t", nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		_, _, ev := q.Fetch(100, 10, 1<<20, nil)
		if ev == nil {
			continue
		}
		kind, parts := ev.Kind(), ev.Partitions()
		ev.Destroy()
		if kind != rdk.EventAssign {
			continue
		}
		if len(parts) != 2 || parts[0].Topic != "t" || parts[0].Partition+parts[1].Partition != 1 {
			t.Fatalf("assigned %+v", parts)
		}
		return
	}
	t.Fatal("no assignment within 20s")
}
