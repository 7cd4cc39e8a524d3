package klient_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
)

// A consumed record says whose clock its timestamp is: the producer's (CreateTime, the
// produced value) or, on a topic with message.timestamp.type=LogAppendTime, the
// broker's at append (the produced value is replaced).
func TestConsumedTimestampType(t *testing.T) {
	createTime := newTopic(t, 1)
	logAppend := newTopicWithConfig(t, map[string]string{"message.timestamp.type": "LogAppendTime"})
	old := time.UnixMilli(1500000000000) // 2017: far from any append time of this run
	p := newProducer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	before := time.Now()
	for _, topic := range []string{createTime, logAppend} {
		if _, err := p.Produce(ctx, klient.Message{Topic: topic, Partition: 0, Value: []byte("v"), Timestamp: old}); err != nil {
			t.Fatalf("produce to %s: %v", topic, err)
		}
	}
	after := time.Now()

	for _, tc := range []struct {
		topic string
		want  klient.TimestampType
	}{{createTime, klient.TimestampCreateTime}, {logAppend, klient.TimestampLogAppendTime}} {
		c := newConsumer(t, tc.topic+"-g", nil, klient.ConsumerOptions{})
		if err := c.Subscribe([]string{tc.topic}); err != nil {
			t.Fatal(err)
		}
		got := consumeN(t, c, 1, 30*time.Second)
		if len(got) != 1 {
			t.Fatalf("%s: consumed %d messages in 30 s, want 1", tc.topic, len(got))
		}
		m := got[0]
		if m.TimestampType != tc.want {
			t.Errorf("%s: timestamp type %d, want %d", tc.topic, m.TimestampType, tc.want)
		}
		switch tc.want {
		case klient.TimestampCreateTime:
			if !m.Timestamp.Equal(old) {
				t.Errorf("%s: timestamp %v, want the produced %v", tc.topic, m.Timestamp, old)
			}
		case klient.TimestampLogAppendTime:
			// Millisecond precision and a broker clock: allow a little slack either side.
			if m.Timestamp.Before(before.Add(-5*time.Second)) || m.Timestamp.After(after.Add(5*time.Second)) {
				t.Errorf("%s: timestamp %v, want the append time (between %v and %v)", tc.topic, m.Timestamp, before, after)
			}
		}
	}
}

// newTopicWithConfig creates a fresh one-partition topic with the given topic configs
// and deletes it afterwards.
func newTopicWithConfig(t testing.TB, cfg map[string]string) string {
	t.Helper()
	name := fmt.Sprintf("klient-go-%s-%d-%d", sanitize(t.Name()), time.Now().UnixNano()%1e9, topicSeq.Add(1))
	adm := newAdmin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := adm.CreateTopics(ctx, []klient.TopicSpec{{Topic: name, NumPartitions: 1, ReplicationFactor: 1, Config: cfg}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("create topic %s with %v: %v %v", name, cfg, err, res)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = adm.DeleteTopics(ctx, []string{name})
	})
	return name
}
