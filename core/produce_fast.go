package klient

// Queueing messages on librdkafka: runs of messages to one topic without headers or
// an explicit timestamp go down in one cgo call per run (rdk's Producer.Produce), the
// others one call each (rdk's ProduceOne). A run's Tag says where each message's
// delivery report goes: a tracked report (ProduceAsync), a count (SendBatch, the C
// ABI's packed produce) or a waiter (Produce, the relay).

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
		start := from
		code, err := p.onHandle(func(rp *rdk.Producer) int {
			var code int
			from, code = rp.Produce(r, start)
			return code
		})
		if err != nil {
			return from, err
		}
		countQueued(r, start, from)
		if err := p.queueError(ctx, code); err != nil {
			return from, err
		}
	}
	return n, nil
}

// produceOne queues one message (with headers or a timestamp) with tag's opaque.
func (p *Producer) produceOne(ctx context.Context, m *Message, tag rdk.Tag) error {
	rm := rdk.Message{Topic: m.Topic, Partition: m.Partition, Key: m.Key, Value: m.Value}
	if !m.Timestamp.IsZero() {
		rm.TimestampMs = m.Timestamp.UnixMilli()
	}
	for _, h := range m.Headers {
		rm.HeaderNames = append(rm.HeaderNames, h.Key)
		rm.HeaderValues = append(rm.HeaderValues, h.Value)
	}
	for {
		code, err := p.onHandle(func(rp *rdk.Producer) int { return rp.ProduceOne(&rm, tag) })
		if err != nil {
			return err
		}
		if code == 0 {
			metrics.QueuedBytes(m.Topic, int64(len(m.Key)+len(m.Value)))
			return nil
		}
		if err := p.queueError(ctx, code); err != nil {
			return err
		}
	}
}

// onHandle runs fn (a produce call) on the handle, unless the producer is closed.
func (p *Producer) onHandle(fn func(*rdk.Producer) int) (int, error) {
	p.rkMu.RLock()
	defer p.rkMu.RUnlock()
	if p.closed.Load() || p.rp == nil {
		return 0, newError(KindClosed, "produce", "producer is closed")
	}
	return fn(p.rp), nil
}

// queueError turns librdkafka's refusal of a message into an error, or waits a moment
// and returns nil when its queue is full (back-pressure: retry, rather than fail).
func (p *Producer) queueError(ctx context.Context, code int) error {
	if code == 0 {
		return nil
	}
	ec := kafka.ErrorCode(code)
	if ec == kafka.ErrState && p.transactionalID != "" {
		return &Error{Kind: KindTransaction, Op: "produce", Code: int(ec),
			Message: "no transaction is open: producer with transactional.id " + p.transactionalID + " can only produce between begin_transaction and commit/abort"}
	}
	if ec != kafka.ErrQueueFull {
		return FromKafka("produce", kafka.NewError(ec, ec.String(), false))
	}
	select {
	case <-ctx.Done():
		return &Error{Kind: KindTimeout, Op: "produce", Message: "local queue full until the deadline", Err: ctx.Err()}
	case <-time.After(time.Millisecond):
		return nil
	}
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

// tagAt is tag for the messages from index i of a call on: tracked IDs advance.
func tagAt(tag rdk.Tag, i int) rdk.Tag {
	if tag.FirstID != 0 {
		tag.FirstID += uint64(i)
	}
	return tag
}

// queue hands msgs to librdkafka, message i with tagAt(tag, i): runs of messages to
// one topic without headers or timestamp in one call each, the others one by one. It
// returns how many were queued (from index 0); on error the rest were not.
func (p *Producer) queue(ctx context.Context, msgs []Message, tag rdk.Tag) (int, error) {
	s := scratchPool.Get().(*packedScratch)
	defer scratchPool.Put(s)
	for i := 0; i < len(msgs); {
		if !fastEligible(&msgs[i]) {
			err := validateMessage("produce", &msgs[i])
			if err == nil {
				err = p.produceOne(ctx, &msgs[i], tagAt(tag, i))
			}
			if err != nil {
				return i, err
			}
			i++
			continue
		}
		// One check per run of messages to the same topic, as validateMessage does per
		// message on the other path.
		if err := ValidateTopic("produce", msgs[i].Topic, false); err != nil {
			return i, err
		}
		j := i
		size := 0
		for j < len(msgs) && fastEligible(&msgs[j]) && msgs[j].Topic == msgs[i].Topic {
			if err := ValidatePartition("produce", msgs[j].Partition, true); err != nil {
				if j > i {
					break // queue the run up to here; the next run starts with this message
				}
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
			KPos: s.kpos, KLen: s.klen, VPos: s.vpos, VLen: s.vlen, Parts: s.parts, Tag: tagAt(tag, i)}
		done, err := p.produceRun(ctx, &r, 0)
		if err != nil {
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
