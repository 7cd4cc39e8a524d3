package klient_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	"unsafe"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/internal/cabi"
)

// wantInvalid fails unless err is an invalid-argument error whose message contains every
// word of want.
func wantInvalid(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	if !errors.Is(err, klient.ErrInvalidArgument) {
		t.Errorf("%s: err = %v, want an invalid-argument error", what, err)
		return
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %q does not mention %q", what, err, w)
		}
	}
}

// Every value librdkafka would truncate or wrap is refused by every produce entry point
// of the core with an invalid-argument error, and nothing reaches the topic; the edge
// values that are valid land exactly as given.
func TestBadValuesAreRefusedBeforeLibrdkafka(t *testing.T) {
	topic := newTopic(t, 2)
	p := newProducer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	good := klient.Message{Topic: topic, Partition: klient.AnyPartition, Value: []byte("v")}
	bad := []struct {
		name string
		edit func(*klient.Message)
		want []string
	}{
		{"NUL in topic", func(m *klient.Message) { m.Topic += "\x00evil" }, []string{"NUL"}},
		{"NUL in header key", func(m *klient.Message) { m.Headers = []klient.Header{{Key: "a\x00b", Value: []byte("x")}} }, []string{"header 0 key", "NUL"}},
		{"invalid UTF-8 header key", func(m *klient.Message) { m.Headers = []klient.Header{{Key: "ok"}, {Key: "\xff"}} }, []string{"header 1 key", "UTF-8"}},
		{"partition -2", func(m *klient.Message) { m.Partition = -2 }, []string{"partition", "-2"}},
		{"partition MinInt32", func(m *klient.Message) { m.Partition = math.MinInt32 }, []string{"partition"}},
		{"timestamp past UnixNano", func(m *klient.Message) { m.Timestamp = time.UnixMilli(math.MaxInt64) }, []string{"timestamp", "out of range"}},
		{"timestamp before UnixNano", func(m *klient.Message) { m.Timestamp = time.Unix(0, math.MinInt64).Add(-time.Millisecond) }, []string{"timestamp", "out of range"}},
	}
	for _, tc := range bad {
		m := good
		tc.edit(&m)
		_, err := p.Produce(ctx, m)
		wantInvalid(t, tc.name+" / Produce", err, tc.want...)
		_, _, err = p.ProduceAsync(ctx, m)
		wantInvalid(t, tc.name+" / ProduceAsync", err, tc.want...)
		_, n, err := p.ProduceAsync(ctx, good, m)
		wantInvalid(t, tc.name+" / ProduceAsync", err, tc.want...)
		if n != 1 {
			t.Errorf("%s / ProduceAsync queued %d, want 1 (the good message before the bad one)", tc.name, n)
		}
		// SendBatch twice: the bad message alone (the fast path's own check) and after
		// a good one.
		if n, err := p.SendBatch(ctx, []klient.Message{m}); n != 0 {
			t.Errorf("%s / SendBatch queued %d", tc.name, n)
		} else {
			wantInvalid(t, tc.name+" / SendBatch", err, tc.want...)
		}
		if n, err := p.SendBatch(ctx, []klient.Message{good, good, m}); n != 2 {
			t.Errorf("%s / SendBatch after 2 good ones queued %d, want 2", tc.name, n)
		} else {
			wantInvalid(t, tc.name+" / SendBatch", err, tc.want...)
		}
		_, err = p.ProduceWithRetry(ctx, m, klient.RetryOptions{MaxAttempts: 3})
		wantInvalid(t, tc.name+" / ProduceWithRetry", err, tc.want...)
	}
	var one byte
	_, err := cabi.SendPacked(p, ctx, topic, -2, nil, nil, unsafe.Pointer(&one), []uint64{0, 1}, 1)
	wantInvalid(t, "SendPacked partition -2", err, "partition")
	_, err = cabi.SendPacked(p, ctx, topic+"\x00x", 0, nil, nil, unsafe.Pointer(&one), []uint64{0, 1}, 1)
	wantInvalid(t, "SendPacked NUL in topic", err, "NUL")

	// The valid edges land exactly as given: an explicit partition, the earliest
	// timestamp, headers with empty keys/values and non-ASCII keys.
	edges := []klient.Message{
		{Topic: topic, Partition: 1, Key: []byte("edge"), Value: []byte("v1"), Timestamp: time.UnixMilli(1), // ms 0 would mean "now"
			Headers: []klient.Header{{Key: "", Value: []byte{}}, {Key: "h\u00e9", Value: nil}}},
	}
	for _, m := range edges {
		if _, err := p.Produce(ctx, m); err != nil {
			t.Fatalf("valid edge message %s: %v", m.Key, err)
		}
	}
	// The latest timestamp the producer can carry (year 2262) passes the boundary
	// check, and the broker refuses it (Kafka 4's log.message.timestamp.after.max.ms is
	// one hour): a clear delivery error, never a silent success.
	// Flush first: the broker refuses a whole batch for one bad timestamp, and the good
	// messages queued above must not share a request with it (seen on a loaded machine).
	if _, err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	late := klient.Message{Topic: topic, Partition: 0, Value: []byte("late"), Timestamp: time.Unix(0, math.MaxInt64).Truncate(time.Millisecond)}
	if _, err := p.Produce(ctx, late); err == nil || !strings.Contains(err.Error(), "timestamp") {
		t.Errorf("far-future timestamp: err = %v, want the broker's invalid timestamp error", err)
	}
	if _, err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// Every ProduceAsync/SendBatch above queued good messages before its bad one:
	// 3 per case. Nothing else may be in the topic.
	wantGood := 3 * len(bad)
	c := newConsumer(t, "g-validate-"+topic, nil, klient.ConsumerOptions{})
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	got := consumeN(t, c, wantGood+len(edges), 30*time.Second)
	if extra := consumeN(t, c, 1, 2*time.Second); len(extra) != 0 {
		got = append(got, extra...)
	}
	if len(got) != wantGood+len(edges) {
		t.Fatalf("topic holds %d messages, want %d good + %d edges: a refused message was sent", len(got), wantGood, len(edges))
	}
	for _, m := range got {
		switch string(m.Key) {
		case "":
			if string(m.Value) != "v" || len(m.Headers) != 0 {
				t.Errorf("unexpected message %+v", m)
			}
		case "edge":
			want := edges[0]
			if m.Partition != want.Partition || !m.Timestamp.Equal(want.Timestamp) || string(m.Value) != string(want.Value) {
				t.Errorf("%s landed as partition %d, timestamp %v; sent partition %d, timestamp %v", m.Key, m.Partition, m.Timestamp, want.Partition, want.Timestamp)
			}
			if len(m.Headers) != len(want.Headers) {
				t.Errorf("%s: %d headers, want %d", m.Key, len(m.Headers), len(want.Headers))
			}
			for i := range want.Headers {
				if i < len(m.Headers) && (m.Headers[i].Key != want.Headers[i].Key || !bytes.Equal(m.Headers[i].Value, want.Headers[i].Value)) {
					t.Errorf("%s header %d = %+v, want %+v", m.Key, i, m.Headers[i], want.Headers[i])
				}
			}
		default:
			t.Errorf("unexpected key %q", m.Key)
		}
	}
}

// Seek and explicit commits refuse partitions and offsets librdkafka would misread.
func TestSeekAndCommitRefuseOutOfRangeValues(t *testing.T) {
	topic := newTopic(t, 1)
	c := newConsumer(t, "g-seekrange-"+topic, nil, klient.ConsumerOptions{})
	wantInvalid(t, "seek partition -2", c.Seek(topic, -2, 0), "partition", "-2")
	wantInvalid(t, "seek offset -3", c.Seek(topic, 0, -3), "offset")
	wantInvalid(t, "seek NUL topic", c.Seek(topic+"\x00x", 0, 0), "NUL")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wantInvalid(t, "commit partition -1", c.CommitOffsets(ctx, []klient.Offset{{Topic: topic, Partition: -1, Offset: 0}}), "partition")
	wantInvalid(t, "commit offset -5", c.CommitOffsets(ctx, []klient.Offset{{Topic: topic, Partition: 0, Offset: -5}}), "offset")
	wantInvalid(t, "subscribe NUL pattern", c.Subscribe([]string{"^" + topic + "\x00"}), "NUL")
}

// create_topics refuses counts librdkafka would cut to 32 bits (4294967297 partitions
// used to create 1), and creates nothing.
func TestCreateTopicsRefusesCountsOutsideInt32(t *testing.T) {
	a := newAdmin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := "klient-go-create-range-" + time.Now().Format("150405.000000")
	for _, s := range []klient.TopicSpec{
		{Topic: name, NumPartitions: 1<<32 + 1, ReplicationFactor: 1},
		{Topic: name, NumPartitions: -2},
		{Topic: name, NumPartitions: 1, ReplicationFactor: 1 << 32},
		{Topic: name, NumPartitions: 1, ReplicationFactor: 1, Config: map[string]string{"cleanup.policy": "delete\x00compact"}},
	} {
		_, err := a.CreateTopics(ctx, []klient.TopicSpec{s})
		wantInvalid(t, fmt.Sprintf("create_topics %+v", s), err)
	}
	if _, err := a.DescribeTopics(ctx, []string{name}); !errors.Is(err, klient.ErrNotFound) {
		t.Fatalf("topic %s exists after refused creates (describe: %v)", name, err)
	}
}

// The conversions the faces use for values that arrive wider than the core's types.
func TestBoundaryConversions(t *testing.T) {
	for _, p := range []int64{1 << 32, 1<<32 + 1, math.MaxInt64, math.MinInt32 - 1, -2} {
		_, err := klient.ValidatePartitionInt("produce", p, true)
		wantInvalid(t, fmt.Sprint("partition ", p), err, "partition")
	}
	if got, err := klient.ValidatePartitionInt("produce", math.MaxInt32, false); err != nil || got != math.MaxInt32 {
		t.Errorf("ValidatePartitionInt(MaxInt32) = %d, %v", got, err)
	}
	if _, err := klient.ValidatePartitionInt("seek", -1, false); err == nil {
		t.Error("partition -1 accepted where 'any' is not allowed")
	}
	for _, ms := range []int64{math.MaxInt64, math.MinInt64, math.MaxInt64/1_000_000 + 1} {
		_, err := klient.TimestampFromMillis("produce", ms)
		wantInvalid(t, fmt.Sprint("timestamp ", ms), err, "timestamp")
	}
	if ts, err := klient.TimestampFromMillis("produce", 0); err != nil || !ts.IsZero() {
		t.Errorf("timestamp 0 = %v, %v; want the zero time (now)", ts, err)
	}
	if ts, err := klient.TimestampFromMillis("produce", 1700000000123); err != nil || ts.UnixMilli() != 1700000000123 {
		t.Errorf("timestamp 1700000000123 = %v, %v", ts, err)
	}
	for _, s := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), -1, 1e308, klient.MaxTimeout.Seconds() + 1} {
		_, err := klient.TimeoutFromSeconds("consume", "timeout", s)
		wantInvalid(t, "timeout", err, "timeout")
	}
	if d, err := klient.TimeoutFromSeconds("consume", "timeout", 1.5); err != nil || d != 1500*time.Millisecond {
		t.Errorf("timeout 1.5 = %v, %v", d, err)
	}
	if d, err := klient.TimeoutFromSeconds("consume", "timeout", 0); err != nil || d != 0 {
		t.Errorf("timeout 0 = %v, %v", d, err)
	}
}

// A NUL in a config property's name or value is a config error, not a silently
// shortened value (librdkafka takes C strings); the value is not echoed.
func TestConfigWithNULIsRefused(t *testing.T) {
	for _, props := range []map[string]any{
		{"bootstrap.servers": "127.0.0.1:1\x00evil"},
		{"bootstrap.servers": "127.0.0.1:1", "client.id\x00x": "a"},
		{"bootstrap.servers": "127.0.0.1:1", "sasl.password": "secret\x00marker"},
	} {
		_, err := klient.NewProducer(props)
		if !errors.Is(err, klient.ErrConfig) || !strings.Contains(err.Error(), "NUL") || strings.Contains(err.Error(), "marker") {
			t.Errorf("NewProducer(%q) = %v, want a config error about the NUL without the value", props, err)
		}
		_, err = klient.NewAdmin(props)
		if !errors.Is(err, klient.ErrConfig) {
			t.Errorf("NewAdmin(%q) = %v, want a config error", props, err)
		}
	}
}
