package klient

// The consumer's fetch fast path: the fetch goroutine takes batches of fetched
// messages straight from librdkafka (internal/rdk's Queue.Fetch: two cgo calls and one
// copy per batch) instead of confluent-kafka-go's Poll, which returns one event per
// call and makes four or five cgo crossings and as many Go allocations per message
// (docs/BENCHMARKS.md, §3). Every assigned partition is routed first (Queue.Route), so
// its messages come in runs from a queue of their own rather than one event at a
// time. The messages' keys, values and headers are sub-slices of the batch's copy.
//
// Events other than fetched messages stop the batch and are handled on the fetch
// goroutine, as confluent-kafka-go's Poll would: a rebalance goes through
// Consumer.rebalance, which assigns through confluent-kafka-go's public API, so
// pending seeks, the relay hook, metrics and events work unchanged; an error becomes
// a kafka.Error handled like the one Poll returns (so does a routed partition's error,
// which comes with its messages); statistics go to the stats sink; the result of a
// CommitAsync reports its failure (commit.go); anything else (auto-commit results,
// token refresh) is dropped, as the Poll path drops it.
//
// The handle comes from rdk.HandleOf (see its package doc); when it is unavailable the
// consumer polls through confluent-kafka-go, and TestFastConsumePathIsAvailable fails.

import (
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/klient-dev/klient/core/internal/rdk"
)

const (
	// fetchMaxBytes stops a batch early once it holds this much, so a batch of large
	// messages does not hold hundreds of megabytes twice (librdkafka's buffers until the
	// batch is packed + the Go copy).
	fetchMaxBytes = 4 << 20
	// fetchMaxMessages bounds one fetch's messages (the buffer's own bounds still
	// apply). Large: a consumer taking 1,000 at a time then finds them buffered rather
	// than waiting for two or more smaller pushes (512 at a time measured 1.72M against
	// 1.82M msgs/s with one partition, 1.59M against 1.80M with six).
	fetchMaxMessages = rdk.MaxFetch
	// internMax bounds the topic and header-name strings kept for reuse.
	internMax = 1024
)

// fastFetch is the consumer's fast-path state; only the fetch goroutine uses it
// (Close frees it after that goroutine ended).
type fastFetch struct {
	q      *rdk.Queue
	intern map[string]string
	pool   batchPool
}

// newFastFetch takes a reference to the consumer queue of h, or returns nil when
// confluent-kafka-go's handle could not be read safely (h nil: the Poll path is used then).
func newFastFetch(h *rdk.Handle, offHeap bool) *fastFetch {
	if h == nil {
		return nil
	}
	q := h.ConsumerQueue()
	if q == nil {
		return nil
	}
	return &fastFetch{q: q, intern: map[string]string{}, pool: batchPool{offHeap: offHeap}}
}

// release drops the queue reference and frees the free batch buffers; must run after
// the fetch goroutine ended and before kc.Close.
func (f *fastFetch) release() {
	if f != nil {
		f.q.Release()
		f.pool.close()
	}
}

// wake ends the fetch goroutine's wait for messages (Close: so it sees stopLoop now).
func (f *fastFetch) wake() {
	if f != nil {
		f.q.Wake()
	}
}

// fetchFast fills the buffer with up to room messages and about roomBytes of data
// (at least one message), handling the other events it meets on the way. Runs on the
// fetch goroutine with fetchMu held.
func (c *Consumer) fetchFast(room, roomBytes int) {
	wait := 100
	var buf *fetchBuf // the buffer of the last fetch
	alloc := func(size int) []byte {
		buf = c.fast.pool.get(size)
		return buf.b
	}
	for room > 0 && roomBytes > 0 {
		batch, n, ev := c.fast.q.Fetch(wait, room, min(fetchMaxBytes, roomBytes), alloc)
		wait = 0
		room -= n
		roomBytes -= len(batch)
		if n > 0 {
			// Pushed before the event after them is handled, so a revoke drops them too.
			c.msgs.push(c.decodeBatch(buf, n)...)
		}
		if ev == nil {
			if n == 0 || len(batch) >= fetchMaxBytes || roomBytes <= 0 {
				return
			}
			continue
		}
		c.handleEvent(ev)
		ev.Destroy()
	}
}

// handleEvent acts on an event that is not a fetched message, as confluent-kafka-go's
// Poll and today's Poll path do.
func (c *Consumer) handleEvent(ev *rdk.Event) {
	switch ev.Kind() {
	case rdk.EventAssign:
		parts := ev.Partitions()
		c.fast.q.Route(parts) // before the assignment starts fetching them
		_ = c.rebalance(c.kc, kafka.AssignedPartitions{Partitions: kafkaPartitions(parts)})
	case rdk.EventRevoke:
		_ = c.rebalance(c.kc, kafka.RevokedPartitions{Partitions: kafkaPartitions(ev.Partitions())})
	case rdk.EventError:
		code, msg, fatal := ev.Error()
		if !fatal && kafka.ErrorCode(code) == kafka.ErrPartitionEOF {
			return
		}
		c.handleKafkaError(kafka.NewError(kafka.ErrorCode(code), msg, fatal))
	case rdk.EventStats:
		publishStats("consumer", ev.Stats())
	case rdk.EventCommit:
		if code, msg, tag := ev.Commit(); tag == asyncCommitTag {
			c.asyncCommitFailed(commitError("commit_async", code, msg))
		}
	}
}

func kafkaPartitions(ps []rdk.Partition) []kafka.TopicPartition {
	if len(ps) == 0 {
		return nil
	}
	out := make([]kafka.TopicPartition, len(ps))
	for i, p := range ps {
		out[i] = kafka.TopicPartition{Topic: &ps[i].Topic, Partition: p.Partition, Offset: kafka.Offset(p.Offset)}
	}
	return out
}

// decodeBatch builds the n messages of a fetched batch. Keys, values and header values
// share the batch's memory (see rdk.Reader), which Recycle gives back once every
// message built here is back.
func (c *Consumer) decodeBatch(buf *fetchBuf, n int) []*ConsumedMessage {
	mem := &batchMem{buf: buf}
	slab := make([]ConsumedMessage, n)
	out := make([]*ConsumedMessage, 0, n)
	var hdrs []Header
	r := rdk.NewReader(buf.b, n)
	for i := 0; i < n; i++ {
		rec, _ := r.Next()
		topic := c.internBytes(rec.Topic)
		m := &slab[i]
		m.Key, m.Value = rec.Key, rec.Value
		if rec.Headers > 0 {
			if hdrs == nil || cap(hdrs)-len(hdrs) < rec.Headers {
				hdrs = make([]Header, 0, max(rec.Headers, (n-i)*rec.Headers))
			}
			start := len(hdrs)
			for j := 0; j < rec.Headers; j++ {
				name, value := r.Header()
				hdrs = append(hdrs, Header{Key: c.internBytes(name), Value: value})
			}
			m.Headers = hdrs[start:len(hdrs):len(hdrs)]
		}
		if rec.Err != 0 {
			// A partition's error (routed partitions' errors come with their messages):
			// handled as the same error arriving as an event.
			if code := kafka.ErrorCode(rec.Err); code != kafka.ErrPartitionEOF {
				c.handleKafkaError(kafka.NewError(code, string(rec.Value), false))
			}
			continue
		}
		if c.startSeeks.Load() > 0 && c.resetToStartSeek(topic, rec.Partition, rec.Offset) {
			continue
		}
		m.Topic, m.Partition, m.Offset, m.mem = topic, rec.Partition, rec.Offset, mem
		if ts := rec.Timestamp; ts != -1 {
			m.Timestamp = time.Unix(ts/1000, (ts%1000)*int64(time.Millisecond))
			m.TimestampType = TimestampType(rec.TimestampType)
		}
		out = append(out, m)
	}
	if len(out) == 0 { // errors and skipped records only: nothing holds the buffer
		c.fast.pool.put(buf)
		return nil
	}
	mem.left.Store(int32(len(out)))
	return out
}

// internBytes returns b as a string, reusing an earlier copy for a name seen before
// (topic names and header names repeat on every message).
func (c *Consumer) internBytes(b []byte) string {
	f := c.fast
	if s, ok := f.intern[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	if len(f.intern) < internMax {
		f.intern[s] = s
	}
	return s
}
