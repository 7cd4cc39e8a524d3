package rdk

// Producing a run: one cgo call loops librdkafka's rd_kafka_produce over many messages.
// Each message's msg_opaque comes from the run's Tag and says where its delivery report
// goes (Producer.Poll): nowhere but a count, a tracked report, or a Waiter.

/*
#include <stdlib.h>
#include <librdkafka/rdkafka.h>

// Produces messages [0, n): key i is kbase[kpos[i] .. +klen[i]) (klen -1 = null),
// value likewise; partition parts[i], or part for all when parts is NULL; msg_opaque
// opaque + i*step. Stops at the
// first refused message: *done = its index, the librdkafka error code is returned.
static int klient_produce_run(rd_kafka_t *rk, const char *topic, const char *kbase, const char *vbase,
                              const int64_t *kpos, const int64_t *klen, const int64_t *vpos, const int64_t *vlen,
                              const int32_t *parts, int32_t part, uintptr_t opaque, uintptr_t step, size_t n,
                              size_t *done) {
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
        if (rd_kafka_produce(rkt, parts ? parts[i] : part, RD_KAFKA_MSG_F_COPY, (void *)v, vlen[i] < 0 ? 0 : (size_t)vlen[i],
                             k, klen[i] < 0 ? 0 : (size_t)klen[i], (void *)(opaque + i * step)) == -1) {
            err = rd_kafka_last_error();
            break;
        }
    }
    rd_kafka_topic_destroy(rkt);
    *done = i;
    return err;
}

// Produces one message with headers (names[i] NUL-terminated, value i vals[i] of
// vlens[i] bytes, -1: null) and a timestamp (ms, 0: now). key/value NULL: null.
static int klient_produce_one(rd_kafka_t *rk, const char *topic, int32_t part, const void *key, size_t klen,
                              const void *val, size_t vlen, int64_t ts, char **names, const char *vbase,
                              const int64_t *vpos, const int64_t *vlens, size_t nh, uintptr_t opaque) {
    rd_kafka_headers_t *hdrs = NULL;
    if (nh > 0) {
        hdrs = rd_kafka_headers_new(nh);
        for (size_t i = 0; i < nh; i++)
            rd_kafka_header_add(hdrs, names[i], -1, vlens[i] < 0 ? NULL : vbase + vpos[i], vlens[i] < 0 ? 0 : vlens[i]);
    }
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(part), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(key, klen), RD_KAFKA_V_VALUE((void *)val, vlen), RD_KAFKA_V_TIMESTAMP(ts),
        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE((void *)opaque), RD_KAFKA_V_END);
    if (err && hdrs) // librdkafka owns the headers only when it took the message
        rd_kafka_headers_destroy(hdrs);
    return err;
}
*/
import "C"

import "unsafe"

// Run is a batch of messages to one topic in caller-owned memory, only read during
// Produce. Message i's key is KLen[i] bytes at KBase+KPos[i] (KLen[i] -1: a null key),
// its value likewise; its partition is Parts[i], or Part for every message when Parts
// is nil (-1: librdkafka's partitioner). KBase and VBase must be valid addresses even
// when every key or value is empty or null.
type Run struct {
	Topic      string
	KBase      unsafe.Pointer
	VBase      unsafe.Pointer
	KPos, KLen []int64
	VPos, VLen []int64
	Parts      []int32
	Part       int32
	Tag        Tag
}

// Tag says where the delivery reports of a run's messages go: with neither field set,
// nowhere but a count (untracked; failures are still reported, with ID 0).
type Tag struct {
	FirstID uint64  // tracked: message i's report carries ID FirstID+i (IDs < 2^63)
	Waiter  *Waiter // every message's report goes to Waiter
}

// Produce queues r's messages from index from on (copying their bytes into librdkafka)
// and stops at the first one librdkafka refuses. It returns the index of that message
// (len(r.KLen) when all were queued) and librdkafka's error code for it (0: none;
// RD_KAFKA_RESP_ERR__QUEUE_FULL is back-pressure, worth retrying from that index).
// A Tag's Waiter expects the reports of exactly the messages queued.
func (p *Producer) Produce(r *Run, from int) (int, int) {
	n := len(r.KLen)
	if from >= n {
		return n, 0
	}
	if w := r.Tag.Waiter; w != nil {
		w.expect(n - from) // before librdkafka can report any of them
	}
	p.queued.Add(int64(n - from)) // as the waiter's count, and for the same reason
	ctopic := C.CString(r.Topic)
	defer C.free(unsafe.Pointer(ctopic))
	var parts *C.int32_t
	if r.Parts != nil {
		parts = (*C.int32_t)(unsafe.Pointer(&r.Parts[from]))
	}
	var done C.size_t
	base, step := r.Tag.opaqueOf()
	code := C.klient_produce_run(p.rk, ctopic, (*C.char)(r.KBase), (*C.char)(r.VBase),
		(*C.int64_t)(unsafe.Pointer(&r.KPos[from])), (*C.int64_t)(unsafe.Pointer(&r.KLen[from])),
		(*C.int64_t)(unsafe.Pointer(&r.VPos[from])), (*C.int64_t)(unsafe.Pointer(&r.VLen[from])),
		parts, C.int32_t(r.Part), base+C.uintptr_t(from)*step, step, C.size_t(n-from), &done)
	if from+int(done) < n { // the refused ones get no report
		p.queued.Add(int64(from + int(done) - n))
		if w := r.Tag.Waiter; w != nil {
			w.expect(from + int(done) - n)
		}
	}
	return from + int(done), int(code)
}

// Message is one message for ProduceOne: the path for headers and explicit timestamps.
type Message struct {
	Topic        string
	Partition    int32
	Key, Value   []byte // nil: null
	TimestampMs  int64  // 0: librdkafka stamps it
	HeaderNames  []string
	HeaderValues [][]byte // nil: a null header value
}

// ProduceOne queues one message (copying its bytes) with tag's first msg_opaque and
// returns librdkafka's error code (0: queued). A Tag's Waiter expects its report when
// it was queued.
func (p *Producer) ProduceOne(m *Message, tag Tag) int {
	ctopic := C.CString(m.Topic)
	defer C.free(unsafe.Pointer(ctopic))
	nh := len(m.HeaderNames)
	var names **C.char
	var vbase *C.char
	var vpos, vlens *C.int64_t
	if nh > 0 {
		// One C block: the names (C strings) and the header values laid end to end.
		size := 0
		for i := range nh {
			size += len(m.HeaderValues[i])
		}
		cnames := make([]*C.char, nh)
		for i, n := range m.HeaderNames {
			cnames[i] = C.CString(n)
			defer C.free(unsafe.Pointer(cnames[i]))
		}
		blk := C.malloc(C.size_t(size + 1))
		defer C.free(blk)
		arr := C.malloc(C.size_t(nh) * C.size_t(unsafe.Sizeof(uintptr(0))))
		defer C.free(arr)
		copy(unsafe.Slice((**C.char)(arr), nh), cnames)
		pos, lens := make([]int64, nh), make([]int64, nh)
		off := 0
		for i, v := range m.HeaderValues {
			pos[i], lens[i] = int64(off), int64(len(v))
			if v == nil {
				lens[i] = -1
			}
			off += copy(unsafe.Slice((*byte)(unsafe.Add(blk, off)), len(v)), v)
		}
		names, vbase = (**C.char)(arr), (*C.char)(blk)
		vpos, vlens = (*C.int64_t)(unsafe.Pointer(&pos[0])), (*C.int64_t)(unsafe.Pointer(&lens[0]))
	}
	base, _ := tag.opaqueOf()
	if tag.Waiter != nil {
		tag.Waiter.expect(1) // before librdkafka can report it
	}
	p.queued.Add(1)
	code := int(C.klient_produce_one(p.rk, ctopic, C.int32_t(m.Partition), bytesPtr(m.Key), C.size_t(len(m.Key)),
		bytesPtr(m.Value), C.size_t(len(m.Value)), C.int64_t(m.TimestampMs), names, vbase, vpos, vlens, C.size_t(nh), base))
	if code != 0 {
		p.queued.Add(-1)
		if tag.Waiter != nil {
			tag.Waiter.expect(-1)
		}
	}
	return code
}

// nonNull is where an empty, non-null key or value points: librdkafka treats a NULL
// pointer as null.
var nonNull = C.malloc(1)

// bytesPtr is b's address for librdkafka: NULL for nil, nonNull for empty.
func bytesPtr(b []byte) unsafe.Pointer {
	switch {
	case b == nil:
		return nil
	case len(b) == 0:
		return nonNull
	}
	return unsafe.Pointer(&b[0])
}
