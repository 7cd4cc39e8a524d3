package klient

// The untracked produce fast path: one cgo call per batch that loops librdkafka's
// rd_kafka_produce, instead of one confluent-kafka-go Produce (a kafka.Message, a cgo
// crossing with header and opaque bookkeeping) per message. Delivery reports of these
// messages still flow through confluent-kafka-go's poller: their msg_opaque is NULL,
// which it forwards to Events() as a message with no Opaque, exactly like an untracked
// message produced through confluent-kafka-go (never set a msg_opaque here: confluent
// would look it up in its cgo map).
//
// librdkafka's rd_kafka_t is reached through confluent-kafka-go's unexported
// Producer.handle.rk, read with reflect. That is only done for the pinned
// confluent-kafka-go version and when the field has the expected type;
// TestFastProducePathIsAvailable fails loudly if an upgrade moves it, and the producer
// falls back to confluent-kafka-go's Produce meanwhile.

/*
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>

// Declared here rather than through rdkafka.h, whose location depends on how
// confluent-kafka-go was built (bundled static library or -tags dynamic). These
// functions are part of librdkafka's stable legacy API.
typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_topic_s rd_kafka_topic_t;
typedef struct rd_kafka_topic_conf_s rd_kafka_topic_conf_t;
rd_kafka_topic_t *rd_kafka_topic_new(rd_kafka_t *rk, const char *topic, rd_kafka_topic_conf_t *conf);
void rd_kafka_topic_destroy(rd_kafka_topic_t *rkt);
int rd_kafka_produce(rd_kafka_topic_t *rkt, int32_t partition, int msgflags, void *payload, size_t len,
                     const void *key, size_t keylen, void *msg_opaque);
int rd_kafka_last_error(void);

#define KLIENT_MSG_F_COPY 0x2

// Produces messages [0, n): key i is kbase[kpos[i] .. +klen[i]) (klen -1 = null),
// value likewise; partition parts[i], or part for all when parts is NULL. Stops at the
// first refused message: *done = its index, the librdkafka error code is returned.
static int klient_produce_run(rd_kafka_t *rk, const char *topic, const char *kbase, const char *vbase,
                              const int64_t *kpos, const int64_t *klen, const int64_t *vpos, const int64_t *vlen,
                              const int32_t *parts, int32_t part, size_t n, size_t *done) {
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (!rkt) {
        *done = 0;
        return rd_kafka_last_error();
    }
    size_t i;
    int err = 0;
    for (i = 0; i < n; i++) {
        const char *k = klen[i] < 0 ? NULL : kbase + kpos[i];
        const char *v = vlen[i] < 0 ? NULL : vbase + vpos[i];
        if (rd_kafka_produce(rkt, parts ? parts[i] : part, KLIENT_MSG_F_COPY, (void *)v, vlen[i] < 0 ? 0 : (size_t)vlen[i],
                             k, klen[i] < 0 ? 0 : (size_t)klen[i], NULL) == -1) {
            err = rd_kafka_last_error();
            break;
        }
    }
    rd_kafka_topic_destroy(rkt);
    *done = i;
    return err;
}
*/
import "C"

import (
	"context"
	"reflect"
	"runtime/debug"
	"sync"
	"time"
	"unsafe"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// pinnedConfluentVersion is the only confluent-kafka-go whose internals the fast path
// reads.
const pinnedConfluentVersion = "v2.11.1"

// librdkafkaHandle returns the rd_kafka_t of kp, or nil when it cannot be found safely.
func librdkafkaHandle(kp *kafka.Producer) unsafe.Pointer {
	// Test binaries carry no dependency versions; there the field's type check below
	// and TestFastProducePathIsAvailable (which reads go.mod) are the guard.
	if v := confluentVersion(); v != "" && v != pinnedConfluentVersion {
		return nil
	}
	v := reflect.ValueOf(kp).Elem()
	h := v.FieldByName("handle")
	if !h.IsValid() || h.Kind() != reflect.Struct {
		return nil
	}
	rk := h.FieldByName("rk")
	if !rk.IsValid() || rk.Kind() != reflect.Pointer || rk.Type().String() != "*kafka._Ctype_struct_rd_kafka_s" || rk.IsNil() {
		return nil
	}
	return unsafe.Pointer(rk.Pointer())
}

var confluentVersion = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range bi.Deps {
		if d.Path == "github.com/confluentinc/confluent-kafka-go/v2" {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return ""
})

// FastPath reports whether SendBatch uses the direct librdkafka path.
func (p *Producer) FastPath() bool { return p.rk != nil }

// packedRun is a batch of messages to one topic laid out for klient_produce_run.
type packedRun struct {
	topic      string
	kbase      unsafe.Pointer
	vbase      unsafe.Pointer
	kpos, klen []int64
	vpos, vlen []int64
	parts      []int32 // nil: part for every message
	part       int32
}

// produceRun hands run's messages from index `from` on to librdkafka, waiting while
// its queue is full. It returns how many of run (from index 0) are queued. Pending
// accounting is the caller's.
func (p *Producer) produceRun(ctx context.Context, r *packedRun, from int) (int, error) {
	ctopic := C.CString(r.topic)
	defer C.free(unsafe.Pointer(ctopic))
	n := len(r.klen)
	for from < n {
		var done C.size_t
		var parts *C.int32_t
		if r.parts != nil {
			parts = (*C.int32_t)(unsafe.Pointer(&r.parts[from]))
		}
		p.rkMu.RLock()
		if p.closed.Load() {
			p.rkMu.RUnlock()
			return from, newError(KindClosed, "produce", "producer is closed")
		}
		code := C.klient_produce_run((*C.rd_kafka_t)(p.rk), ctopic, (*C.char)(r.kbase), (*C.char)(r.vbase),
			(*C.int64_t)(unsafe.Pointer(&r.kpos[from])), (*C.int64_t)(unsafe.Pointer(&r.klen[from])),
			(*C.int64_t)(unsafe.Pointer(&r.vpos[from])), (*C.int64_t)(unsafe.Pointer(&r.vlen[from])),
			parts, C.int32_t(r.part), C.size_t(n-from), &done)
		p.rkMu.RUnlock()
		from += int(done)
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
		r := packedRun{topic: msgs[i].Topic, kbase: unsafe.Pointer(&s.buf[0]), vbase: unsafe.Pointer(&s.buf[0]),
			kpos: s.kpos, klen: s.klen, vpos: s.vpos, vlen: s.vlen, parts: s.parts}
		done, err := p.produceRun(ctx, &r, 0)
		if err != nil {
			p.pending.Add(-int64(len(msgs) - i - done))
			return i + done, err
		}
		i = j
	}
	return len(msgs), nil
}

// SendPacked is SendBatch for messages already laid out in contiguous memory (the C
// ABI's packed produce): n messages to topic/partition, key i at keys[koff[i]:koff[i+1]]
// (keys nil: null keys), value likewise. The memory is only read during the call.
func (p *Producer) SendPacked(ctx context.Context, topic string, partition int32, keys unsafe.Pointer, koff []uint64,
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
	r := packedRun{topic: topic, kbase: keys, vbase: values, kpos: s.kpos, klen: s.klen, vpos: s.vpos, vlen: s.vlen, part: partition}
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
