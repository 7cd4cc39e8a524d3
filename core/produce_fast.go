package klient

// The untracked produce fast path: SendBatch and sendPacked hand runs of messages to
// librdkafka in one cgo call each (internal/rdk's Handle.Produce), instead of one
// confluent-kafka-go Produce per message. Their delivery reports still flow through
// confluent-kafka-go's poller as untracked messages. The handle comes from
// rdk.HandleOf (see its package doc); when it is unavailable, SendBatch uses
// confluent-kafka-go's Produce and TestFastProducePathIsAvailable fails.

import (
	"context"
	"sync"
	"time"
	"unsafe"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/klient-dev/klient/core/internal/rdk"
	"github.com/klient-dev/klient/core/metrics"
	"github.com/klient-dev/klient/internal/cabi"
)

// produceRun hands run's messages from index `from` on to librdkafka, waiting while
// its queue is full. It returns how many of run (from index 0) are queued. Pending
// accounting is the caller's.
func (p *Producer) produceRun(ctx context.Context, r *rdk.Run, from int) (int, error) {
	n := len(r.KLen)
	for from < n {
		p.rkMu.RLock()
		if p.closed.Load() {
			p.rkMu.RUnlock()
			return from, newError(KindClosed, "produce", "producer is closed")
		}
		start := from
		var code int
		from, code = p.rk.Produce(r, from)
		p.rkMu.RUnlock()
		countQueued(r, start, from)
		if code == 0 {
			continue
		}
		ec := kafka.ErrorCode(code)
		if ec == kafka.ErrState && p.transactionalID != "" {
			return from, &Error{Kind: KindTransaction, Op: "produce", Code: int(ec),
				Message: "no transaction is open: producer with transactional.id " + p.transactionalID + " can only produce between begin_transaction and commit/abort"}
		}
		if ec != kafka.ErrQueueFull {
			return from, FromKafka("produce", kafka.NewError(ec, ec.String(), false))
		}
		// Back-pressure: wait for deliveries to free queue space rather than fail.
		select {
		case <-ctx.Done():
			return from, &Error{Kind: KindTimeout, Op: "produce", Message: "local queue full until the deadline", Err: ctx.Err()}
		case <-time.After(time.Millisecond):
		}
	}
	return n, nil
}

// countQueued adds the key+value bytes of r's messages [from, to), just queued, to the
// topic's produced bytes (a length of -1 is a null key or value).
func countQueued(r *rdk.Run, from, to int) {
	var bytes int64
	for i := from; i < to; i++ {
		bytes += max(r.KLen[i], 0) + max(r.VLen[i], 0)
	}
	metrics.QueuedBytes(r.Topic, bytes)
}

// fastEligible: the direct path carries no headers and no explicit timestamp.
func fastEligible(m *Message) bool {
	return len(m.Headers) == 0 && m.Timestamp.IsZero() && m.Topic != ""
}

var scratchPool = sync.Pool{New: func() any { return new(packedScratch) }}

type packedScratch struct {
	buf                    []byte
	kpos, klen, vpos, vlen []int64
	parts                  []int32
}

// sendFast queues msgs in runs of eligible messages to one topic, and the others
// through confluent-kafka-go. The caller counted every message as pending; the ones
// not queued are taken back out here.
func (p *Producer) sendFast(ctx context.Context, msgs []Message) (int, error) {
	s := scratchPool.Get().(*packedScratch)
	defer scratchPool.Put(s)
	for i := 0; i < len(msgs); {
		if !fastEligible(&msgs[i]) {
			km, err := toKafka(&msgs[i], nil)
			if err == nil {
				err = p.enqueue(ctx, km, nil)
			}
			if err != nil {
				p.pending.Add(-int64(len(msgs) - i))
				return i, err
			}
			i++
			continue
		}
		// One check per run of messages to the same topic, as toKafka does per message
		// on the other path.
		if err := ValidateTopic("produce", msgs[i].Topic, false); err != nil {
			p.pending.Add(-int64(len(msgs) - i))
			return i, err
		}
		j := i
		size := 0
		for j < len(msgs) && fastEligible(&msgs[j]) && msgs[j].Topic == msgs[i].Topic {
			if err := ValidatePartition("produce", msgs[j].Partition, true); err != nil {
				if j > i {
					break // queue the run up to here; the next run starts with this message
				}
				p.pending.Add(-int64(len(msgs) - i))
				return i, err
			}
			size += len(msgs[j].Key) + len(msgs[j].Value)
			j++
		}
		n := j - i
		s.buf = grow(s.buf, size+1)[:0]
		s.kpos, s.klen = growI(s.kpos, n), growI(s.klen, n)
		s.vpos, s.vlen = growI(s.vpos, n), growI(s.vlen, n)
		s.parts = growP(s.parts, n)
		for k := 0; k < n; k++ {
			m := &msgs[i+k]
			s.kpos[k], s.klen[k] = int64(len(s.buf)), lenOrNull(m.Key)
			s.buf = append(s.buf, m.Key...)
			s.vpos[k], s.vlen[k] = int64(len(s.buf)), lenOrNull(m.Value)
			s.buf = append(s.buf, m.Value...)
			s.parts[k] = m.Partition
		}
		s.buf = append(s.buf, 0) // a valid base address even when every key and value is empty
		r := rdk.Run{Topic: msgs[i].Topic, KBase: unsafe.Pointer(&s.buf[0]), VBase: unsafe.Pointer(&s.buf[0]),
			KPos: s.kpos, KLen: s.klen, VPos: s.vpos, VLen: s.vlen, Parts: s.parts}
		done, err := p.produceRun(ctx, &r, 0)
		if err != nil {
			p.pending.Add(-int64(len(msgs) - i - done))
			return i + done, err
		}
		i = j
	}
	return len(msgs), nil
}

func init() {
	cabi.SendPacked = func(p any, ctx context.Context, topic string, partition int32, keys unsafe.Pointer, koff []uint64,
		values unsafe.Pointer, voff []uint64, n int) (int, error) {
		return p.(*Producer).sendPacked(ctx, topic, partition, keys, koff, values, voff, n)
	}
}

// sendPacked is SendBatch for messages already laid out in contiguous memory (the C
// ABI's packed produce, through cabi.SendPacked): n messages to topic/partition, key i
// at keys[koff[i]:koff[i+1]] (keys nil: null keys), value likewise. The memory is only
// read during the call.
func (p *Producer) sendPacked(ctx context.Context, topic string, partition int32, keys unsafe.Pointer, koff []uint64,
	values unsafe.Pointer, voff []uint64, n int) (int, error) {
	if err := p.check("produce"); err != nil {
		return 0, err
	}
	if err := ValidateTopic("produce", topic, false); err != nil {
		return 0, err
	}
	if err := ValidatePartition("produce", partition, true); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	if p.rk == nil {
		msgs := make([]Message, n)
		for i := range msgs {
			msgs[i] = Message{Topic: topic, Partition: partition}
			if keys != nil {
				msgs[i].Key = unsafe.Slice((*byte)(unsafe.Add(keys, koff[i])), koff[i+1]-koff[i])
			}
			if values != nil {
				msgs[i].Value = unsafe.Slice((*byte)(unsafe.Add(values, voff[i])), voff[i+1]-voff[i])
			}
		}
		return p.SendBatch(ctx, msgs)
	}
	s := scratchPool.Get().(*packedScratch)
	defer scratchPool.Put(s)
	s.kpos, s.klen = growI(s.kpos, n), growI(s.klen, n)
	s.vpos, s.vlen = growI(s.vpos, n), growI(s.vlen, n)
	for i := 0; i < n; i++ {
		s.kpos[i], s.klen[i], s.vpos[i], s.vlen[i] = 0, -1, 0, -1
		if keys != nil {
			s.kpos[i], s.klen[i] = int64(koff[i]), int64(koff[i+1]-koff[i])
		}
		if values != nil {
			s.vpos[i], s.vlen[i] = int64(voff[i]), int64(voff[i+1]-voff[i])
		}
	}
	p.pending.Add(int64(n))
	r := rdk.Run{Topic: topic, KBase: keys, VBase: values, KPos: s.kpos, KLen: s.klen, VPos: s.vpos, VLen: s.vlen, Part: partition}
	done, err := p.produceRun(ctx, &r, 0)
	if err != nil {
		p.pending.Add(-int64(n - done))
	}
	return done, err
}

func lenOrNull(b []byte) int64 {
	if b == nil {
		return -1
	}
	return int64(len(b))
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, 0, n)
	}
	return b
}

func growI(b []int64, n int) []int64 {
	if cap(b) < n {
		return make([]int64, n)
	}
	return b[:n]
}

func growP(b []int32, n int) []int32 {
	if cap(b) < n {
		return make([]int32, n)
	}
	return b[:n]
}
