package klient_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
)

// fuzzEnv is shared by every input of one fuzzing process: a 2-partition topic, a
// producer, and an independent reader (confluent-kafka-go's consumer with manual
// assignment, not klient's) that fetches each message back by partition and offset.
type fuzzEnv struct {
	topic  string
	p      *klient.Producer
	reader *kafka.Consumer
}

// fuzzSetup runs once per fuzzing process, before f.Fuzz (f must not be used inside).
func fuzzSetup(f *testing.F) *fuzzEnv {
	e := &fuzzEnv{topic: newTopic(f, 2), p: newProducer(f, config.Map{"linger.ms": 0})}
	r, err := kafka.NewConsumer(&kafka.ConfigMap{"bootstrap.servers": bootstrap(f), "group.id": "klient-fuzz-reader",
		"enable.auto.commit": false, "enable.partition.eof": false})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = r.Close() })
	e.reader = r
	return e
}

// FuzzProduce: any topic suffix, key, value, header, partition and timestamp either
// fail with a documented error (invalid argument at the call; unknown partition or
// invalid timestamp from Kafka) or land exactly as given, as read back independently.
func FuzzProduce(f *testing.F) {
	f.Add("", []byte("k"), []byte("v"), "h", []byte("hv"), int32(-1), int64(0))
	f.Add("\x00evil", []byte("k"), []byte("v"), "h", []byte(nil), int32(0), int64(0)) // issue 13: landed in the prefix
	f.Add("", []byte(nil), []byte(nil), "a\x00b", []byte("x"), int32(1), int64(0))    // header key cut at the NUL
	f.Add("", []byte{}, []byte{}, "", []byte{}, int32(1), int64(1700000000123))
	f.Add("", []byte("k"), []byte("v"), "\xff", []byte("x"), int32(0), int64(1))
	f.Add("", []byte("k"), []byte("v"), "h", []byte("x"), int32(2), int64(0))             // beyond the topic's partitions
	f.Add("", []byte("k"), []byte("v"), "h", []byte("x"), int32(-2), int64(0))            // only -1 means "any"
	f.Add("", []byte("k"), []byte("v"), "h", []byte("x"), int32(0), int64(math.MaxInt64)) // beyond what the producer carries
	f.Add("", []byte("k"), []byte("v"), "h", []byte("x"), int32(0), int64(-5))
	f.Add("x y", []byte("k"), []byte("v"), "h", []byte("x"), int32(0), int64(0))
	e := fuzzSetup(f)
	f.Fuzz(func(t *testing.T, suffix string, key, value []byte, hkey string, hval []byte, partition int32, tsMs int64) {
		topic := e.topic + suffix
		valid := klient.ValidateTopic("produce", topic, false) == nil
		if valid && suffix != "" {
			t.Skip("another valid topic name: producing would create a topic")
		}
		ts, tsErr := klient.TimestampFromMillis("produce", tsMs)
		m := klient.Message{Topic: topic, Partition: partition, Key: key, Value: value, Timestamp: ts,
			Headers: []klient.Header{{Key: hkey, Value: hval}}}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		r, err := e.p.Produce(ctx, m)
		if err != nil {
			var ke *klient.Error
			if !errors.As(err, &ke) {
				t.Fatalf("not a klient error: %v", err)
			}
			switch {
			case ke.Kind == klient.KindInvalidArgument:
				if valid && partition >= -1 && tsErr == nil && !bytes.ContainsRune([]byte(hkey), 0) && isUTF8(hkey) {
					t.Fatalf("refused a valid message: %v", err)
				}
			case ke.Code == int(kafka.ErrUnknownPartition) && partition >= 2:
			case ke.Code == int(kafka.ErrInvalidTimestamp) && tsMs != 0:
			default:
				t.Fatalf("undocumented error for partition %d, timestamp %d: %v", partition, tsMs, err)
			}
			return
		}
		if !valid || partition < -1 || tsErr != nil || bytes.ContainsRune([]byte(hkey), 0) || !isUTF8(hkey) {
			t.Fatalf("accepted an invalid message (topic %q, partition %d, timestamp %d, header key %q): %+v", topic, partition, tsMs, hkey, r)
		}
		if partition >= 0 && r.Partition != partition {
			t.Fatalf("sent to partition %d, landed in %d", partition, r.Partition)
		}
		if err := e.reader.Assign([]kafka.TopicPartition{{Topic: &e.topic, Partition: r.Partition, Offset: kafka.Offset(r.Offset)}}); err != nil {
			t.Fatal(err)
		}
		got, err := e.reader.ReadMessage(10 * time.Second)
		if err != nil {
			t.Fatalf("reading back %s[%d]@%d: %v", e.topic, r.Partition, r.Offset, err)
		}
		if *got.TopicPartition.Topic != topic || int64(got.TopicPartition.Offset) != r.Offset ||
			!sameBytes(got.Key, key) || !sameBytes(got.Value, value) {
			t.Fatalf("landed as %s[%d]@%d key %q value %q; sent %s key %q value %q", *got.TopicPartition.Topic,
				got.TopicPartition.Partition, got.TopicPartition.Offset, got.Key, got.Value, topic, key, value)
		}
		if len(got.Headers) != 1 || got.Headers[0].Key != hkey || !sameBytes(got.Headers[0].Value, hval) {
			t.Fatalf("headers landed as %+v; sent %q=%q", got.Headers, hkey, hval)
		}
		if tsMs != 0 && got.Timestamp.UnixMilli() != tsMs {
			t.Fatalf("timestamp landed as %d; sent %d", got.Timestamp.UnixMilli(), tsMs)
		}
	})
}

// sameBytes compares as Kafka stores them: null and empty differ.
func sameBytes(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }

func isUTF8(s string) bool { return utf8.ValidString(s) }
