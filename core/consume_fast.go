package klient

// The consumer's fetch fast path: one cgo call polls up to a batch of events from
// librdkafka's consumer queue and copies every fetched message into one C arena,
// instead of confluent-kafka-go's Poll, which returns one event per call and makes
// four or five cgo crossings and as many Go allocations per message
// (docs/BENCHMARKS.md, §3). The arena is copied into Go memory once per batch and the
// messages' keys, values and headers are sub-slices of that copy.
//
// Events other than fetched messages stop the batch and are handled on the fetch
// goroutine, as confluent-kafka-go's Poll would: a rebalance goes through
// Consumer.rebalance, which assigns through confluent-kafka-go's public API, so
// pending seeks, the relay hook, metrics and events work unchanged; an error becomes
// a kafka.Error handled like the one Poll returns; anything else (offset commit
// results, statistics, token refresh) is dropped, as the Poll path drops it.
//
// librdkafka's rd_kafka_t is read from confluent-kafka-go's unexported
// Consumer.handle.rk under the same rules as the producer's fast path
// (produce_fast.go); when it cannot be found the consumer polls through
// confluent-kafka-go, and TestFastConsumePathIsAvailable fails.

/*
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

// Declared here rather than through rdkafka.h (see produce_fast.go). The structs are
// librdkafka's public, stable ABI; the constants are copied from its rdkafka.h.
typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_topic_s rd_kafka_topic_t;
typedef struct rd_kafka_queue_s rd_kafka_queue_t;
typedef struct rd_kafka_op_s rd_kafka_event_t;
typedef struct rd_kafka_headers_s rd_kafka_headers_t;
typedef int rd_kafka_event_type_t;

typedef struct rd_kafka_message_s {
	int err;
	rd_kafka_topic_t *rkt;
	int32_t partition;
	void *payload;
	size_t len;
	void *key;
	size_t key_len;
	int64_t offset;
	void *_private;
} rd_kafka_message_t;

typedef struct rd_kafka_topic_partition_s {
	char *topic;
	int32_t partition;
	int64_t offset;
	void *metadata;
	size_t metadata_size;
	void *opaque;
	int err;
	void *_private;
} rd_kafka_topic_partition_t;

typedef struct rd_kafka_topic_partition_list_s {
	int cnt;
	int size;
	rd_kafka_topic_partition_t *elems;
} rd_kafka_topic_partition_list_t;

#define KLIENT_EV_FETCH 0x2
#define KLIENT_EV_ERROR 0x8
#define KLIENT_EV_REBALANCE 0x10
#define KLIENT_ERR_ASSIGN_PARTITIONS -175
#define KLIENT_ERR_REVOKE_PARTITIONS -174
#define KLIENT_ERR_PARTITION_EOF -191

rd_kafka_queue_t *rd_kafka_queue_get_consumer(rd_kafka_t *rk);
void rd_kafka_queue_destroy(rd_kafka_queue_t *rkqu);
rd_kafka_event_t *rd_kafka_queue_poll(rd_kafka_queue_t *rkqu, int timeout_ms);
rd_kafka_event_type_t rd_kafka_event_type(const rd_kafka_event_t *rkev);
const rd_kafka_message_t *rd_kafka_event_message_next(rd_kafka_event_t *rkev);
void rd_kafka_event_destroy(rd_kafka_event_t *rkev);
int rd_kafka_event_error(rd_kafka_event_t *rkev);
const char *rd_kafka_event_error_string(rd_kafka_event_t *rkev);
int rd_kafka_event_error_is_fatal(rd_kafka_event_t *rkev);
rd_kafka_topic_partition_list_t *rd_kafka_event_topic_partition_list(rd_kafka_event_t *rkev);
int rd_kafka_fatal_error(rd_kafka_t *rk, char *errstr, size_t errstr_size);
const char *rd_kafka_topic_name(const rd_kafka_topic_t *rkt);
int64_t rd_kafka_message_timestamp(const rd_kafka_message_t *rkmessage, int *tstype);
int rd_kafka_message_headers(const rd_kafka_message_t *rkmessage, rd_kafka_headers_t **hdrsp);
int rd_kafka_header_get_all(const rd_kafka_headers_t *hdrs, size_t idx, const char **namep, const void **valuep,
                            size_t *sizep);

typedef struct {
	char *buf;
	size_t len, cap;
} klient_arena_t;

// Record layout (native byte order, no alignment): i32 err, i32 partition, i64 offset,
// i64 timestamp ms (-1: none), i32 topic_len, i32 header_count, i64 key_len (-1: null),
// i64 value_len (-1: null); then topic, key and value bytes; then per header
// i32 name_len, i64 value_len (-1: null), name bytes, value bytes. Go's decodeArena
// reads exactly this.
#define KLIENT_REC_HDR 48

static int arena_reserve(klient_arena_t *a, size_t n) {
	if (a->len + n <= a->cap)
		return 0;
	size_t c = a->cap ? a->cap : 64 * 1024;
	while (c < a->len + n)
		c *= 2;
	char *b = realloc(a->buf, c);
	if (!b)
		return -1;
	a->buf = b;
	a->cap = c;
	return 0;
}

static void put_bytes(klient_arena_t *a, const void *p, size_t n) {
	if (n) memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void put_i32(klient_arena_t *a, int32_t v) { put_bytes(a, &v, 4); }
static void put_i64(klient_arena_t *a, int64_t v) { put_bytes(a, &v, 8); }

// Appends one message; -1 (arena unchanged) when memory runs out.
static int arena_put_msg(klient_arena_t *a, const rd_kafka_message_t *m) {
	size_t start = a->len;
	const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : NULL;
	size_t tlen = topic ? strlen(topic) : 0;
	// On error payload holds librdkafka's error text, not a record: carry only the code.
	int64_t klen = m->err || !m->key ? -1 : (int64_t)m->key_len;
	int64_t vlen = m->err || !m->payload ? -1 : (int64_t)m->len;
	int tstype = 0;
	int64_t ts = m->err ? -1 : rd_kafka_message_timestamp(m, &tstype);
	if (arena_reserve(a, KLIENT_REC_HDR + tlen + (klen > 0 ? klen : 0) + (vlen > 0 ? vlen : 0)))
		return -1;
	put_i32(a, m->err);
	put_i32(a, m->partition);
	put_i64(a, m->offset);
	put_i64(a, ts);
	put_i32(a, (int32_t)tlen);
	size_t hcount_at = a->len;
	put_i32(a, 0);
	put_i64(a, klen);
	put_i64(a, vlen);
	put_bytes(a, topic, tlen);
	if (klen > 0) put_bytes(a, m->key, (size_t)klen);
	if (vlen > 0) put_bytes(a, m->payload, (size_t)vlen);
	rd_kafka_headers_t *hdrs = NULL;
	if (m->err || rd_kafka_message_headers(m, &hdrs) != 0)
		return 0;
	int32_t count = 0;
	const char *name;
	const void *val;
	size_t size;
	while (rd_kafka_header_get_all(hdrs, (size_t)count, &name, &val, &size) == 0) {
		size_t nlen = strlen(name);
		int64_t hv = val ? (int64_t)size : -1;
		if (arena_reserve(a, 12 + nlen + (hv > 0 ? hv : 0))) {
			a->len = start;
			return -1;
		}
		put_i32(a, (int32_t)nlen);
		put_i64(a, hv);
		put_bytes(a, name, nlen);
		if (hv > 0) put_bytes(a, val, (size_t)hv);
		count++;
	}
	memcpy(a->buf + hcount_at, &count, 4);
	return 0;
}

// Polls rkq (timeout_ms for the first event, then without waiting) and copies up to
// max_msgs fetched messages into a (reset first), stopping early once it holds
// max_bytes. The first event that is not a fetched message ends the batch and is
// returned in *pending, not destroyed (so is a fetched message that did not fit in
// memory). Returns the number of messages in a.
static size_t klient_fetch(rd_kafka_queue_t *rkq, int timeout_ms, size_t max_msgs, size_t max_bytes,
                           klient_arena_t *a, rd_kafka_event_t **pending, int *pending_type) {
	size_t n = 0;
	a->len = 0;
	*pending = NULL;
	*pending_type = 0;
	while (n < max_msgs && a->len < max_bytes) {
		rd_kafka_event_t *ev = rd_kafka_queue_poll(rkq, n == 0 ? timeout_ms : 0);
		if (!ev)
			break;
		int type = rd_kafka_event_type(ev);
		if (type != KLIENT_EV_FETCH) {
			*pending = ev;
			*pending_type = type;
			break;
		}
		const rd_kafka_message_t *m = rd_kafka_event_message_next(ev);
		if (m && arena_put_msg(a, m) != 0) {
			*pending = ev;
			*pending_type = type;
			break;
		}
		rd_kafka_event_destroy(ev);
		if (m)
			n++;
	}
	return n;
}

// The fatal error behind a fatal ERROR event, as confluent-kafka-go reports it.
static int klient_fatal_error(rd_kafka_t *rk, char *buf, size_t size) {
	buf[0] = 0;
	return rd_kafka_fatal_error(rk, buf, size);
}
*/
import "C"

import (
	"encoding/binary"
	"reflect"
	"time"
	"unsafe"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

const (
	// fetchMaxBytes stops a batch early once the arena holds this much, so a batch of
	// large messages does not hold hundreds of megabytes twice (arena + Go copy).
	fetchMaxBytes = 4 << 20
	// internMax bounds the topic and header-name strings kept for reuse.
	internMax = 1024
)

// fastFetch is the consumer's fast-path state; only the fetch goroutine uses it
// (Close frees it after that goroutine ended).
type fastFetch struct {
	rkq    *C.rd_kafka_queue_t
	rk     *C.rd_kafka_t
	arena  *C.klient_arena_t
	intern map[string]string
}

// newFastFetch takes a reference to kc's consumer queue, or returns nil when
// confluent-kafka-go's handle cannot be read safely (the Poll path is used then).
func newFastFetch(kc *kafka.Consumer) *fastFetch {
	if v := confluentVersion(); v != "" && v != pinnedConfluentVersion {
		return nil
	}
	h := reflect.ValueOf(kc).Elem().FieldByName("handle")
	if !h.IsValid() || h.Kind() != reflect.Struct {
		return nil
	}
	rk := h.FieldByName("rk")
	if !rk.IsValid() || rk.Kind() != reflect.Pointer || rk.Type().String() != "*kafka._Ctype_struct_rd_kafka_s" || rk.IsNil() {
		return nil
	}
	crk := (*C.rd_kafka_t)(unsafe.Pointer(rk.Pointer()))
	q := C.rd_kafka_queue_get_consumer(crk)
	if q == nil {
		return nil
	}
	return &fastFetch{rkq: q, rk: crk, arena: (*C.klient_arena_t)(C.calloc(1, C.size_t(unsafe.Sizeof(C.klient_arena_t{})))),
		intern: map[string]string{}}
}

// release drops the queue reference and the arena; must run before kc.Close.
func (f *fastFetch) release() {
	if f == nil {
		return
	}
	C.rd_kafka_queue_destroy(f.rkq)
	C.free(unsafe.Pointer(f.arena.buf))
	C.free(unsafe.Pointer(f.arena))
}

// FastPath reports whether the fetch goroutine reads librdkafka's queue directly.
func (c *Consumer) FastPath() bool { return c.fast != nil }

// fetchFast fills the buffer with up to room messages, handling the other events it
// meets on the way. Runs on the fetch goroutine with fetchMu held.
func (c *Consumer) fetchFast(room int) {
	f := c.fast
	wait := 100
	for room > 0 {
		var pending *C.rd_kafka_event_t
		var ptype C.int
		n := int(C.klient_fetch(f.rkq, C.int(wait), C.size_t(room), fetchMaxBytes, f.arena, &pending, &ptype))
		wait = 0
		room -= n
		if n > 0 {
			// Pushed before the event after them is handled, so a revoke drops them too.
			c.msgs.push(c.decodeArena(C.GoBytes(unsafe.Pointer(f.arena.buf), C.int(f.arena.len)), n)...)
		}
		if pending == nil {
			if n == 0 || int(f.arena.len) >= fetchMaxBytes {
				return
			}
			continue
		}
		c.handleEvent(pending, int(ptype))
		C.rd_kafka_event_destroy(pending)
	}
}

// handleEvent acts on an event that is not a fetched message, as confluent-kafka-go's
// Poll and today's Poll path do.
func (c *Consumer) handleEvent(ev *C.rd_kafka_event_t, typ int) {
	switch typ {
	case C.KLIENT_EV_REBALANCE:
		code := int(C.rd_kafka_event_error(ev))
		parts := cPartitions(C.rd_kafka_event_topic_partition_list(ev))
		switch code {
		case C.KLIENT_ERR_ASSIGN_PARTITIONS:
			_ = c.rebalance(c.kc, kafka.AssignedPartitions{Partitions: parts})
		case C.KLIENT_ERR_REVOKE_PARTITIONS:
			_ = c.rebalance(c.kc, kafka.RevokedPartitions{Partitions: parts})
		}
	case C.KLIENT_EV_ERROR:
		code := int(C.rd_kafka_event_error(ev))
		if code == C.KLIENT_ERR_PARTITION_EOF {
			return
		}
		if C.rd_kafka_event_error_is_fatal(ev) != 0 {
			buf := (*C.char)(C.malloc(512))
			defer C.free(unsafe.Pointer(buf))
			fc := C.klient_fatal_error(c.fast.rk, buf, 512)
			c.handleKafkaError(kafka.NewError(kafka.ErrorCode(fc), C.GoString(buf), true))
			return
		}
		var msg string
		if s := C.rd_kafka_event_error_string(ev); s != nil {
			msg = C.GoString(s)
		}
		c.handleKafkaError(kafka.NewError(kafka.ErrorCode(code), msg, false))
	case C.KLIENT_EV_FETCH:
		// Only returned when the arena could not grow.
		c.pushErr(newError(KindInternal, "consume", "out of memory copying a fetched message"))
	}
}

func cPartitions(l *C.rd_kafka_topic_partition_list_t) []kafka.TopicPartition {
	if l == nil || l.cnt <= 0 {
		return nil
	}
	out := make([]kafka.TopicPartition, int(l.cnt))
	for i, e := range unsafe.Slice(l.elems, int(l.cnt)) {
		topic := C.GoString(e.topic)
		out[i] = kafka.TopicPartition{Topic: &topic, Partition: int32(e.partition), Offset: kafka.Offset(e.offset)}
	}
	return out
}

// decodeArena builds the n messages of buf (klient_fetch's layout). Keys, values and
// header values are capacity-limited sub-slices of buf, so appending to one never
// writes into another; the messages of one batch share buf's memory.
func (c *Consumer) decodeArena(buf []byte, n int) []*ConsumedMessage {
	ne := binary.NativeEndian
	slab := make([]ConsumedMessage, n)
	out := make([]*ConsumedMessage, 0, n)
	var hdrs []Header
	p := 0
	bytesAt := func(l int64) []byte {
		if l < 0 {
			return nil
		}
		b := buf[p : p+int(l) : p+int(l)]
		p += int(l)
		return b
	}
	for i := 0; i < n; i++ {
		errCode := int32(ne.Uint32(buf[p:]))
		part := int32(ne.Uint32(buf[p+4:]))
		off := int64(ne.Uint64(buf[p+8:]))
		ts := int64(ne.Uint64(buf[p+16:]))
		tlen := int(ne.Uint32(buf[p+24:]))
		hcount := int(ne.Uint32(buf[p+28:]))
		klen := int64(ne.Uint64(buf[p+32:]))
		vlen := int64(ne.Uint64(buf[p+40:]))
		p += 48
		topic := c.internBytes(buf[p : p+tlen])
		p += tlen
		m := &slab[i]
		m.Key, m.Value = bytesAt(klen), bytesAt(vlen)
		if hcount > 0 {
			if hdrs == nil || cap(hdrs)-len(hdrs) < hcount {
				hdrs = make([]Header, 0, max(hcount, (n-i)*hcount))
			}
			start := len(hdrs)
			for j := 0; j < hcount; j++ {
				nlen := int(ne.Uint32(buf[p:]))
				hv := int64(ne.Uint64(buf[p+4:]))
				p += 12
				name := c.internBytes(buf[p : p+nlen])
				p += nlen
				hdrs = append(hdrs, Header{Key: name, Value: bytesAt(hv)})
			}
			m.Headers = hdrs[start:len(hdrs):len(hdrs)]
		}
		if errCode != 0 {
			c.pushErr(FromKafka("consume", kafka.NewError(kafka.ErrorCode(errCode), "", false)))
			continue
		}
		if c.startSeeks.Load() > 0 && c.resetToStartSeek(topic, part, off) {
			continue
		}
		m.Topic, m.Partition, m.Offset = topic, part, off
		if ts != -1 {
			m.Timestamp = time.Unix(ts/1000, (ts%1000)*int64(time.Millisecond))
		}
		out = append(out, m)
	}
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
