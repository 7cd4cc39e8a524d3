package rdk_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/klient-dev/klient/core/internal/rdk"
)

// fetchUntilEOF fetches until parts partitions reported their end, and returns
// the records per partition; an error record other than the end fails the test.
func fetchUntilEOF(t *testing.T, q *rdk.Queue, parts int) map[int32][]rdk.Record {
	t.Helper()
	got := map[int32][]rdk.Record{}
	eofs := map[int32]bool{}
	deadline := time.Now().Add(20 * time.Second)
	for len(eofs) < parts {
		if time.Now().After(deadline) {
			t.Fatalf("no end of %d partitions within 20s: %d ended, records %v", parts, len(eofs), counts(got))
		}
		batch, n, ev := q.Fetch(100, 300, 1<<20, nil)
		r := rdk.NewReader(batch, n)
		for rec, ok := r.Next(); ok; rec, ok = r.Next() {
			switch {
			case rec.Err == int32(kafka.ErrPartitionEOF):
				// A routed partition's end comes as an error record with librdkafka's text.
				if len(rec.Value) == 0 {
					t.Fatalf("end of partition %d without its text", rec.Partition)
				}
				eofs[rec.Partition] = true
			case rec.Err != 0:
				t.Fatalf("error record %d: %s", rec.Err, rec.Value)
			default:
				got[rec.Partition] = append(got[rec.Partition], rec)
			}
		}
		if ev != nil {
			if ev.Kind() == rdk.EventError {
				if code, _, _ := ev.Error(); code == int(kafka.ErrPartitionEOF) {
					t.Fatal("a routed partition's end came through the consumer queue")
				}
			}
			ev.Destroy()
		}
	}
	return got
}

func counts(m map[int32][]rdk.Record) map[int32]int {
	out := map[int32]int{}
	for p, rs := range m {
		out[p] = len(rs)
	}
	return out
}

// Partitions routed before they are assigned deliver their messages through the routed
// queue, in order and in runs; after an unassign (which drops librdkafka's forward) a
// new Route before the new assign delivers the partition's next messages again.
func TestRoutedPartitionsAreFetchedInRuns(t *testing.T) {
	bs := mockCluster(t)
	h := newProducer(t, map[string]string{"bootstrap.servers": bs, "linger.ms": "1"})
	produce := func(part int32, n int, from int) {
		t.Helper()
		values := make([][]byte, n)
		keys := make([][]byte, n)
		for i := range values {
			values[i] = []byte(fmt.Sprintf("v%d", from+i))
		}
		if done, code := h.Produce(pack("t", part, nil, keys, values), 0); done != n || code != 0 {
			t.Fatalf("produce: done %d code %d", done, code)
		}
		ok := int64(0)
		pollUntil(t, h, func(out *rdk.Polled) bool { ok += out.UntrackedOK; return ok == int64(n) })
	}
	produce(0, 1000, 0)
	produce(1, 1000, 0)

	kc, q := newConsumer(t, kafka.ConfigMap{"bootstrap.servers": bs, "group.id": "routed", "enable.partition.eof": true})
	topic := "t"
	parts := []rdk.Partition{{Topic: topic, Partition: 0}, {Topic: topic, Partition: 1}}
	q.Route(parts)
	if err := kc.Assign([]kafka.TopicPartition{{Topic: &topic, Partition: 0, Offset: kafka.OffsetBeginning},
		{Topic: &topic, Partition: 1, Offset: kafka.OffsetBeginning}}); err != nil {
		t.Fatal(err)
	}
	// Before anything is taken: the messages wait in the routed queue, not the consumer's.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if cq, mq := rdk.QueueLengths(q); mq >= 1000 {
			if cq != 0 {
				t.Fatalf("%d ops in the consumer queue beside %d routed", cq, mq)
			}
			break
		} else if cq != 0 {
			t.Fatalf("%d ops in the consumer queue, %d routed", cq, mq)
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing routed within 20s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	got := fetchUntilEOF(t, q, 2)
	for p := int32(0); p < 2; p++ {
		if len(got[p]) != 1000 {
			t.Fatalf("partition %d: %d records", p, len(got[p]))
		}
		for i, rec := range got[p] {
			if rec.Offset != int64(i) || string(rec.Value) != fmt.Sprintf("v%d", i) || string(rec.Topic) != "t" {
				t.Fatalf("partition %d record %d: offset %d value %q", p, i, rec.Offset, rec.Value)
			}
		}
	}

	// Unassign, then assign partition 0 again from offset 1000 (routed again first).
	if err := kc.Unassign(); err != nil {
		t.Fatal(err)
	}
	produce(0, 10, 1000)
	q.Route(parts[:1])
	if err := kc.Assign([]kafka.TopicPartition{{Topic: &topic, Partition: 0, Offset: 1000}}); err != nil {
		t.Fatal(err)
	}
	again := fetchUntilEOF(t, q, 1)[0]
	if len(again) != 10 || again[0].Offset != 1000 || string(again[9].Value) != "v1009" {
		t.Fatalf("after reassigning: %d records, first %+v", len(again), again)
	}
}

// A Fetch waiting on empty queues wakes when a routed partition's message arrives, not
// at its timeout: both queues write to the pipe the wait polls.
func TestFetchWakesForARoutedMessage(t *testing.T) {
	bs := mockCluster(t)
	h := newProducer(t, map[string]string{"bootstrap.servers": bs, "linger.ms": "0"})
	kc, q := newConsumer(t, kafka.ConfigMap{"bootstrap.servers": bs, "group.id": "wake", "fetch.wait.max.ms": 100})
	topic := "t"
	q.Route([]rdk.Partition{{Topic: topic, Partition: 0}})
	if err := kc.Assign([]kafka.TopicPartition{{Topic: &topic, Partition: 0, Offset: kafka.OffsetBeginning}}); err != nil {
		t.Fatal(err)
	}
	// Let the partition start fetching (an empty fetch or two), with nothing to take.
	for end := time.Now().Add(time.Second); time.Now().Before(end); {
		if _, n, ev := q.Fetch(100, 10, 1<<20, nil); n != 0 {
			t.Fatalf("%d messages from an empty partition", n)
		} else if ev != nil {
			ev.Destroy()
		}
	}
	const wait = 8000 // ms: what a Fetch that is not woken would sleep
	go func() {
		time.Sleep(300 * time.Millisecond)
		if done, code := h.Produce(pack("t", 0, nil, [][]byte{nil}, [][]byte{[]byte("wake")}), 0); done != 1 || code != 0 {
			t.Errorf("produce: done %d code %d", done, code)
		}
		var out rdk.Polled
		h.Poll(5000, 10, &out)
	}()
	start := time.Now()
	for time.Since(start) < wait*time.Millisecond {
		batch, n, ev := q.Fetch(wait, 10, 1<<20, nil)
		if ev != nil {
			ev.Destroy()
		}
		if n == 0 {
			continue
		}
		rec, _ := rdk.NewReader(batch, n).Next()
		if string(rec.Value) != "wake" {
			t.Fatalf("fetched %+v", rec)
		}
		if took := time.Since(start); took > wait/2*time.Millisecond {
			t.Fatalf("the message came after %v: the wait was not woken", took)
		}
		return
	}
	t.Fatal("no message")
}

// A Fetch asked for more than MaxFetch messages, with more than that waiting in the
// routed queue, returns MaxFetch at most (the list they wait in holds no more), and
// every message arrives once, in order, over the following fetches.
func TestFetchTakesAtMostMaxFetch(t *testing.T) {
	bs := mockCluster(t)
	h := newProducer(t, map[string]string{"bootstrap.servers": bs, "linger.ms": "5"})
	const total = rdk.MaxFetch + 1500
	values := make([][]byte, total)
	for i := range values {
		values[i] = []byte(fmt.Sprintf("m%d", i))
	}
	if done, code := h.Produce(pack("t", 0, nil, make([][]byte, total), values), 0); done != total || code != 0 {
		t.Fatalf("produce: done %d code %d", done, code)
	}
	ok := int64(0)
	pollUntil(t, h, func(out *rdk.Polled) bool { ok += out.UntrackedOK; return ok == total })

	kc, q := newConsumer(t, kafka.ConfigMap{"bootstrap.servers": bs, "group.id": "max", "enable.partition.eof": true})
	topic := "t"
	q.Route([]rdk.Partition{{Topic: topic, Partition: 0}})
	if err := kc.Assign([]kafka.TopicPartition{{Topic: &topic, Partition: 0, Offset: kafka.OffsetBeginning}}); err != nil {
		t.Fatal(err)
	}
	// Let everything reach the routed queue, so the first fetch could take it all.
	deadline := time.Now().Add(20 * time.Second)
	for _, mq := rdk.QueueLengths(q); mq < total; _, mq = rdk.QueueLengths(q) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages routed within 20s", mq, total)
		}
		time.Sleep(10 * time.Millisecond)
	}
	next := 0
	for next < total {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages fetched within 20s", next, total)
		}
		batch, n, ev := q.Fetch(100, 10*total, 1<<30, nil)
		if ev != nil {
			ev.Destroy()
		}
		if n > rdk.MaxFetch {
			t.Fatalf("one fetch returned %d messages, more than %d", n, rdk.MaxFetch)
		}
		r := rdk.NewReader(batch, n)
		for rec, ok := r.Next(); ok; rec, ok = r.Next() {
			if rec.Err != 0 {
				continue // the partition's end
			}
			if rec.Offset != int64(next) || string(rec.Value) != fmt.Sprintf("m%d", next) {
				t.Fatalf("message %d: offset %d value %q", next, rec.Offset, rec.Value)
			}
			next++
		}
	}
}

// Wake ends a Fetch's wait on empty queues at once, and a Wake before the Fetch makes it
// return without waiting (Close relies on both to stop the fetch goroutine promptly).
func TestWakeEndsAFetchWait(t *testing.T) {
	bs := mockCluster(t)
	_, q := newConsumer(t, kafka.ConfigMap{"bootstrap.servers": bs, "group.id": "wake-up"})
	q.Fetch(0, 10, 1<<20, nil) // marks both queues served: the next wait really waits
	const wait = 8000
	go func() {
		time.Sleep(200 * time.Millisecond)
		q.Wake()
	}()
	start := time.Now()
	if _, n, ev := q.Fetch(wait, 10, 1<<20, nil); n != 0 || ev != nil {
		t.Fatalf("fetched %d messages, event %v, from empty queues", n, ev)
	}
	if took := time.Since(start); took < 150*time.Millisecond || took > 2*time.Second {
		t.Fatalf("the fetch returned after %v, not right after the wake at 200ms", took)
	}
	q.Wake()
	start = time.Now()
	q.Fetch(wait, 10, 1<<20, nil)
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("a fetch after a wake waited %v", took)
	}
}
