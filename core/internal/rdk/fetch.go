package rdk

// Fetching: one cgo call takes up to a batch of fetched messages, a second copies every
// one into one Go buffer (Queue.Fetch); Reader walks that copy without further
// copies. This replaces confluent-kafka-go's Poll, which returns one event per call and
// makes four or five cgo crossings and as many Go allocations per message.
//
// Messages of the partitions the core routes here (Queue.Route, before it assigns
// them) do not go through the consumer queue: each partition's fetch queue is
// forwarded to a queue of their own, which holds nothing but fetched messages and
// partition errors, and rd_kafka_consume_batch_queue takes them many per call (one
// lock, one clock reading, one position update per run instead of per message; 4.4
// against 2.6 million 100-byte messages a second in a C loop on this machine,
// docs/BENCHMARKS.md). The consumer queue keeps rebalances, errors, statistics and
// commit results, served as events as before: rd_kafka_consume_batch_queue cannot serve
// that queue on confluent-kafka-go's handle, where a rebalance served that way is
// answered with a forced unassign. Both queues write to one pipe when they go from
// empty to non-empty, so one poll(2) waits for either.

/*
#define _GNU_SOURCE // pipe2
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>

// Record layout (native byte order, no alignment): i32 err, i32 partition, i64 offset,
// i64 timestamp ms (-1: none), i32 topic_len, i32 header_count, i64 key_len (-1: null),
// i64 value_len (-1: null), i32 timestamp type (rd_kafka_timestamp_type_t); then topic,
// key and value bytes; then per header i32 name_len, i64 value_len (-1: null), name
// bytes, value bytes. An error record (err != 0) has no key or headers and librdkafka's
// error text as its value. Reader (Go) reads exactly this.
#define KLIENT_REC_HDR 52

// One message taken from librdkafka and not yet packed, held by run (a message of
// rd_kafka_consume_batch_queue: rd_kafka_message_destroy) or by ev (a fetch event of
// the consumer queue: rd_kafka_event_destroy). Its record's fields are read once, when
// it is taken and sized, so packing reads this list (in order) and the bytes to copy,
// not every message's librdkafka structures a second time.
typedef struct {
	rd_kafka_message_t *run;
	rd_kafka_event_t *ev;
	const char *topic;
	const void *key, *value;
	rd_kafka_headers_t *hdrs;
	int64_t offset, ts, klen, vlen;
	int32_t err, partition, tlen, tstype;
} klient_taken_t;

// The messages of one fetch between klient_take and klient_pack, and the bytes their
// records take. cap is fixed when the queue is made (klient_take takes at most cap).
typedef struct {
	klient_taken_t *items;
	size_t n, cap, bytes;
} klient_take_t;

// The key and value lengths a record holds (-1: null). On error payload holds
// librdkafka's error text (not NUL-terminated), not a record; there is no key then.
static int64_t rec_key_len(const rd_kafka_message_t *m) { return m->err || !m->key ? -1 : (int64_t)m->key_len; }
static int64_t rec_value_len(const rd_kafka_message_t *m) { return !m->payload ? -1 : (int64_t)m->len; }

static size_t pos(int64_t len) { return len > 0 ? (size_t)len : 0; }

// Fills it with m's record fields and returns the bytes the record takes.
static size_t rec_read(klient_taken_t *it, const rd_kafka_message_t *m) {
	it->topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
	it->tlen = (int32_t)strlen(it->topic);
	it->err = m->err;
	it->partition = m->partition;
	it->offset = m->offset;
	rd_kafka_timestamp_type_t tstype = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
	it->ts = m->err ? -1 : rd_kafka_message_timestamp(m, &tstype);
	it->tstype = (int32_t)tstype;
	it->key = m->key;
	it->klen = rec_key_len(m);
	it->value = m->payload;
	it->vlen = rec_value_len(m);
	it->hdrs = NULL;
	if (!m->err && rd_kafka_message_headers(m, &it->hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR)
		it->hdrs = NULL;
	size_t n = KLIENT_REC_HDR + (size_t)it->tlen + pos(it->klen) + pos(it->vlen);
	const char *name;
	const void *val;
	size_t size;
	for (size_t i = 0; it->hdrs && rd_kafka_header_get_all(it->hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; i++)
		n += 12 + strlen(name) + (val ? size : 0);
	return n;
}

static char *put_bytes(char *p, const void *b, size_t n) {
	if (n) memcpy(p, b, n);
	return p + n;
}

static char *put_i32(char *p, int32_t v) { return put_bytes(p, &v, 4); }
static char *put_i64(char *p, int64_t v) { return put_bytes(p, &v, 8); }

// Writes the record of it at p (the bytes rec_read returned) and returns the end.
static char *put_msg(char *p, const klient_taken_t *it) {
	rd_kafka_headers_t *hdrs = it->hdrs;
	p = put_i32(p, it->err);
	p = put_i32(p, it->partition);
	p = put_i64(p, it->offset);
	p = put_i64(p, it->ts);
	p = put_i32(p, it->tlen);
	p = put_i32(p, hdrs ? (int32_t)rd_kafka_header_cnt(hdrs) : 0);
	p = put_i64(p, it->klen);
	p = put_i64(p, it->vlen);
	p = put_i32(p, it->tstype);
	p = put_bytes(p, it->topic, (size_t)it->tlen);
	p = put_bytes(p, it->key, pos(it->klen));
	p = put_bytes(p, it->value, pos(it->vlen));
	const char *name;
	const void *val;
	size_t size;
	for (size_t i = 0; hdrs && rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
		size_t nlen = strlen(name);
		int64_t hv = val ? (int64_t)size : -1;
		p = put_i32(p, (int32_t)nlen);
		p = put_i64(p, hv);
		p = put_bytes(p, name, nlen);
		p = put_bytes(p, val, pos(hv));
	}
	return p;
}

static void take(klient_take_t *t, const rd_kafka_message_t *m, rd_kafka_message_t *run, rd_kafka_event_t *ev) {
	klient_taken_t *it = &t->items[t->n++];
	it->run = run;
	it->ev = ev;
	t->bytes += rec_read(it, m);
}

// Most messages rd_kafka_consume_batch_queue takes in one call.
#define KLIENT_FETCH_RUN 256

// Takes up to max_msgs fetched messages into t (min t->cap; t empty first), stopping
// early once their records take max_bytes: first the events of the consumer queue cq,
// whose fetched messages (of partitions not routed to mq) are taken one by one and
// whose first other event ends the batch and is returned in *pending; then runs of
// messages from mq. When both are empty it waits up to timeout_ms on wake_fd
// (librdkafka writes to it when either queue gets something) and looks once more.
// Returns the number of messages taken; t->bytes is what klient_pack will write.
static size_t klient_take(rd_kafka_queue_t *cq, rd_kafka_queue_t *mq, int wake_fd, int timeout_ms,
                          size_t max_msgs, size_t max_bytes, klient_take_t *t, rd_kafka_event_t **pending) {
	t->n = t->bytes = 0;
	*pending = NULL;
	if (max_msgs > t->cap)
		max_msgs = t->cap;
	int waited = 0;
	for (;;) {
		// Events first: a rebalance ends the batch before the messages fetched after it.
		while (t->n < max_msgs && t->bytes < max_bytes) {
			rd_kafka_event_t *ev = rd_kafka_queue_poll(cq, 0);
			if (!ev)
				break;
			if (rd_kafka_event_type(ev) != RD_KAFKA_EVENT_FETCH) {
				*pending = ev;
				return t->n;
			}
			const rd_kafka_message_t *m = rd_kafka_event_message_next(ev);
			if (m)
				take(t, m, NULL, ev);
			else
				rd_kafka_event_destroy(ev);
		}
		while (t->n < max_msgs && t->bytes < max_bytes) {
			size_t want = max_msgs - t->n;
			if (want > KLIENT_FETCH_RUN)
				want = KLIENT_FETCH_RUN;
			// Stay near max_bytes: one message first, then as many as fit at the average
			// size so far (a run cannot be given back).
			size_t fit = t->n == 0 ? 1 : (max_bytes - t->bytes) / (t->bytes / t->n + 1) + 1;
			if (fit < want)
				want = fit;
			rd_kafka_message_t *run[KLIENT_FETCH_RUN];
			ssize_t got = rd_kafka_consume_batch_queue(mq, 0, run, want);
			if (got <= 0)
				break;
			for (ssize_t i = 0; i < got; i++)
				take(t, run[i], run[i], NULL);
			if ((size_t)got < want)
				break;
		}
		if (t->n > 0 || waited || timeout_ms == 0)
			return t->n;
		// Both empty (each call above marked its queue served, so the next message or
		// event on either writes to wake_fd): wait, then look once more.
		struct pollfd p = {.fd = wake_fd, .events = POLLIN};
		poll(&p, 1, timeout_ms);
		char buf[64];
		while (read(wake_fd, buf, sizeof buf) > 0)
			;
		waited = 1;
	}
}

// Writes the records of t's messages at dst (t->bytes bytes), gives the messages back
// to librdkafka and empties t.
static void klient_pack(klient_take_t *t, char *dst) {
	for (size_t i = 0; i < t->n; i++) {
		dst = put_msg(dst, &t->items[i]);
		if (t->items[i].run)
			rd_kafka_message_destroy(t->items[i].run);
		else
			rd_kafka_event_destroy(t->items[i].ev);
	}
	t->n = t->bytes = 0;
}

// Ends klient_take's wait on the pipe whose write end is fd at once (or the next
// wait's, when none is under way). The pipe is non-blocking: a full one is awake
// already.
static void klient_wake(int fd) {
	char c = 1;
	(void)!write(fd, &c, 1);
}

// Makes mq (NULL on failure) and the pipe both queues wake (fds[0] read end, [1] write).
static rd_kafka_queue_t *klient_message_queue(rd_kafka_t *rk, rd_kafka_queue_t *cq, int fds[2]) {
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
		return NULL;
	rd_kafka_queue_t *mq = rd_kafka_queue_new(rk);
	if (!mq) {
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	rd_kafka_queue_io_event_enable(cq, fds[1], "1", 1);
	rd_kafka_queue_io_event_enable(mq, fds[1], "1", 1);
	return mq;
}

// Undoes klient_message_queue. librdkafka writes to the pipe under the queue's lock,
// which io_event_enable takes: after the two calls nothing writes to it any more, and
// the descriptors can be closed without a late write landing in a reused one.
static void klient_message_queue_destroy(rd_kafka_queue_t *cq, rd_kafka_queue_t *mq, int fds[2]) {
	rd_kafka_queue_io_event_enable(cq, -1, NULL, 0);
	rd_kafka_queue_io_event_enable(mq, -1, NULL, 0);
	rd_kafka_queue_destroy(mq);
	close(fds[0]);
	close(fds[1]);
}

// Forwards partition's fetch queue to mq. librdkafka keeps an application's forward
// when it starts fetching (so this must come before the partition is assigned: its
// first messages would go to the consumer queue otherwise) and drops it when it stops.
static void klient_route(rd_kafka_t *rk, rd_kafka_queue_t *mq, const char *topic, int32_t partition) {
	rd_kafka_queue_t *pq = rd_kafka_queue_get_partition(rk, topic, partition);
	if (!pq)
		return; // its messages come through the consumer queue
	rd_kafka_queue_forward(pq, mq);
	rd_kafka_queue_destroy(pq);
}
*/
import "C"

import (
	"encoding/binary"
	"unsafe"
)

// MaxFetch is the most messages one Fetch returns.
const MaxFetch = 4096

// Queue is a reference to a consumer's queue, with the queue its routed partitions'
// messages go to and the list a fetch's messages wait in until they are packed. Only
// one goroutine may use it at a time (Route, Wake and CommitAsync excepted).
type Queue struct {
	rkq  *C.rd_kafka_queue_t
	mq   *C.rd_kafka_queue_t
	wake [2]C.int
	h    *Handle
	take *C.klient_take_t
}

// ConsumerQueue takes a reference to the consumer queue of h (a consumer's handle) and
// makes the queue routed partitions' messages go to, or returns nil when librdkafka has
// no consumer queue or the routed queue and its pipe cannot be made (the core then
// polls through confluent-kafka-go).
func (h *Handle) ConsumerQueue() *Queue {
	q := C.rd_kafka_queue_get_consumer(h.rk)
	if q == nil {
		return nil
	}
	take := (*C.klient_take_t)(C.calloc(1, C.size_t(unsafe.Sizeof(C.klient_take_t{}))))
	if take != nil {
		take.items = (*C.klient_taken_t)(C.calloc(MaxFetch, C.size_t(unsafe.Sizeof(C.klient_taken_t{}))))
		take.cap = MaxFetch
	}
	out := &Queue{rkq: q, h: h, take: take}
	if take == nil || take.items == nil {
		out.freeTake()
		C.rd_kafka_queue_destroy(q)
		return nil
	}
	if out.mq = C.klient_message_queue(h.rk, q, &out.wake[0]); out.mq == nil {
		out.freeTake()
		C.rd_kafka_queue_destroy(q)
		return nil
	}
	return out
}

// Release drops the queue references and frees the list; it must run before the
// consumer is closed. A nil Queue is fine.
func (q *Queue) Release() {
	if q == nil {
		return
	}
	C.klient_message_queue_destroy(q.rkq, q.mq, &q.wake[0])
	C.rd_kafka_queue_destroy(q.rkq)
	q.freeTake()
}

func (q *Queue) freeTake() {
	if q.take != nil {
		C.free(unsafe.Pointer(q.take.items))
		C.free(unsafe.Pointer(q.take))
	}
}

// Wake makes a Fetch waiting for messages return now, or the next Fetch return
// without waiting: Close uses it so that the fetch goroutine sees it should stop
// without sitting out the rest of its wait (up to 100 ms). Any goroutine may call it
// until Release.
func (q *Queue) Wake() { C.klient_wake(q.wake[1]) }

// Route sends the messages of partitions to the queue Fetch takes runs from. Call it
// before assigning them, every time (librdkafka drops the route when it stops fetching a
// partition); a partition assigned without it still works, its messages come one event
// at a time.
func (q *Queue) Route(partitions []Partition) {
	for _, p := range partitions {
		ctopic := C.CString(p.Topic)
		C.klient_route(q.h.rk, q.mq, ctopic, C.int32_t(p.Partition))
		C.free(unsafe.Pointer(ctopic))
	}
}

// Fetch takes up to maxMsgs fetched messages (at most MaxFetch; waiting up to
// timeoutMs for the first, not at all after) and returns them packed in one Go buffer
// (read it with NewReader(batch, n)), stopping early once the batch holds maxBytes.
// The first event of the consumer queue that is not a fetched message ends the batch
// and is returned (the caller must Destroy it). alloc, when not nil, gives the buffer
// (a slice of the length asked for, whose bytes Fetch overwrites, every one);
// otherwise Fetch makes it.
//
// Two cgo calls: the first takes the messages and sizes their records, the second
// writes them straight from librdkafka's buffers into the Go buffer made in between,
// so a message's bytes are copied once (a C arena copied into Go memory cost a second
// copy and held up to a batch of C memory for good).
func (q *Queue) Fetch(timeoutMs, maxMsgs, maxBytes int, alloc func(int) []byte) (batch []byte, n int, ev *Event) {
	var pending *C.rd_kafka_event_t
	n = int(C.klient_take(q.rkq, q.mq, q.wake[0], C.int(timeoutMs), C.size_t(maxMsgs), C.size_t(maxBytes), q.take, &pending))
	if n > 0 {
		if size := int(q.take.bytes); alloc != nil {
			batch = alloc(size)[:size]
		} else {
			batch = make([]byte, size)
		}
		// The buffer holds no Go pointers and klient_pack keeps nothing of it.
		C.klient_pack(q.take, (*C.char)(unsafe.Pointer(&batch[0])))
	}
	if pending != nil {
		ev = &Event{ev: pending, h: q.h}
	}
	return batch, n, ev
}

// EventKind tells what an Event that ended a fetch is.
type EventKind int

const (
	EventOther  EventKind = iota // dropped, as confluent-kafka-go's Poll path drops it
	EventAssign                  // a rebalance assigning Partitions()
	EventRevoke                  // a rebalance revoking Partitions()
	EventError                   // an error: Error()
	EventStats                   // a statistics report: Stats()
	EventCommit                  // an offset commit's result: Commit()
)

// Event is a librdkafka event other than a fetched message.
type Event struct {
	ev *C.rd_kafka_event_t
	h  *Handle
}

// Kind classifies the event.
func (e *Event) Kind() EventKind {
	switch C.rd_kafka_event_type(e.ev) {
	case C.RD_KAFKA_EVENT_ERROR:
		return EventError
	case C.RD_KAFKA_EVENT_STATS:
		return EventStats
	case C.RD_KAFKA_EVENT_OFFSET_COMMIT:
		return EventCommit
	case C.RD_KAFKA_EVENT_REBALANCE:
		switch C.rd_kafka_event_error(e.ev) {
		case C.RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
			return EventAssign
		case C.RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
			return EventRevoke
		}
	}
	return EventOther
}

// Partition is one entry of a rebalance's partition list.
type Partition struct {
	Topic     string
	Partition int32
	Offset    int64
}

// Partitions lists a rebalance event's partitions.
func (e *Event) Partitions() []Partition {
	l := C.rd_kafka_event_topic_partition_list(e.ev)
	if l == nil || l.cnt <= 0 {
		return nil
	}
	out := make([]Partition, int(l.cnt))
	for i, p := range unsafe.Slice(l.elems, int(l.cnt)) {
		out[i] = Partition{Topic: C.GoString(p.topic), Partition: int32(p.partition), Offset: int64(p.offset)}
	}
	return out
}

// Error returns an error event's librdkafka code and text. For a fatal error they are
// those of the underlying fatal error, as confluent-kafka-go reports it.
func (e *Event) Error() (code int, msg string, fatal bool) {
	if C.rd_kafka_event_error_is_fatal(e.ev) != 0 {
		code, msg = e.h.FatalError()
		return code, msg, true
	}
	if s := C.rd_kafka_event_error_string(e.ev); s != nil {
		msg = C.GoString(s)
	}
	return int(C.rd_kafka_event_error(e.ev)), msg, false
}

// Stats returns a statistics event's JSON document.
func (e *Event) Stats() string {
	if s := C.rd_kafka_event_stats(e.ev); s != nil {
		return C.GoString(s)
	}
	return ""
}

// Destroy frees the event.
func (e *Event) Destroy() { C.rd_kafka_event_destroy(e.ev) }

// Reader walks the n records of a batch returned by Fetch. Slices it returns are
// capacity-limited sub-slices of the batch (appending to one never writes into
// another); nil means null.
type Reader struct {
	buf     []byte
	p, left int
	hleft   int
}

// NewReader reads the n records of batch.
func NewReader(batch []byte, n int) *Reader { return &Reader{buf: batch, left: n} }

// Record is one fetched message. Err is librdkafka's error code (0: a message); a
// record with an error carries no key or headers, and librdkafka's error text as
// Value. Timestamp is in milliseconds (-1: none), TimestampType librdkafka's
// rd_kafka_timestamp_type_t (0 none, 1 CreateTime, 2 LogAppendTime). The record's
// Headers headers follow: read them with Header before the next Next.
type Record struct {
	Err           int32
	Partition     int32
	Offset        int64
	Timestamp     int64
	TimestampType int32
	Topic         []byte
	Key           []byte
	Value         []byte
	Headers       int
}

// Next returns the next record; ok is false after the last. Headers the caller did not
// read are skipped.
func (r *Reader) Next() (rec Record, ok bool) {
	for r.hleft > 0 {
		r.Header()
	}
	if r.left == 0 {
		return rec, false
	}
	r.left--
	ne := binary.NativeEndian
	b := r.buf[r.p:]
	rec.Err = int32(ne.Uint32(b))
	rec.Partition = int32(ne.Uint32(b[4:]))
	rec.Offset = int64(ne.Uint64(b[8:]))
	rec.Timestamp = int64(ne.Uint64(b[16:]))
	tlen := int64(ne.Uint32(b[24:]))
	rec.Headers = int(ne.Uint32(b[28:]))
	klen := int64(ne.Uint64(b[32:]))
	vlen := int64(ne.Uint64(b[40:]))
	rec.TimestampType = int32(ne.Uint32(b[48:]))
	r.p += 52
	rec.Topic = r.bytes(tlen)
	rec.Key, rec.Value = r.bytes(klen), r.bytes(vlen)
	r.hleft = rec.Headers
	return rec, true
}

// Header returns the current record's next header.
func (r *Reader) Header() (name, value []byte) {
	ne := binary.NativeEndian
	nlen := int64(ne.Uint32(r.buf[r.p:]))
	hv := int64(ne.Uint64(r.buf[r.p+4:]))
	r.p += 12
	r.hleft--
	return r.bytes(nlen), r.bytes(hv)
}

func (r *Reader) bytes(l int64) []byte {
	if l < 0 {
		return nil
	}
	b := r.buf[r.p : r.p+int(l) : r.p+int(l)]
	r.p += int(l)
	return b
}

// lengths is the number of ops waiting in the consumer queue and in the routed
// messages' queue (tests: where fetched messages went).
func (q *Queue) lengths() (consumer, routed int) {
	return int(C.rd_kafka_queue_length(q.rkq)), int(C.rd_kafka_queue_length(q.mq))
}
