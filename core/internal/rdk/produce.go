package rdk

// Producing a run: one cgo call loops librdkafka's rd_kafka_produce over many messages,
// instead of one confluent-kafka-go Produce (a kafka.Message, a cgo crossing with header
// and opaque bookkeeping) per message. The messages carry no msg_opaque: their delivery
// reports flow through confluent-kafka-go's poller, which forwards a NULL opaque as a
// message without Opaque, exactly like an untracked message produced through it (a
// non-NULL opaque would be looked up in confluent-kafka-go's cgo map).

/*
#include <stdlib.h>
#include <librdkafka/rdkafka.h>

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
        if (rd_kafka_produce(rkt, parts ? parts[i] : part, RD_KAFKA_MSG_F_COPY, (void *)v, vlen[i] < 0 ? 0 : (size_t)vlen[i],
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
}

// Produce queues r's messages from index from on (copying their bytes into librdkafka)
// and stops at the first one librdkafka refuses. It returns the index of that message
// (len(r.KLen) when all were queued) and librdkafka's error code for it (0: none;
// RD_KAFKA_RESP_ERR__QUEUE_FULL is back-pressure, worth retrying from that index).
func (h *Handle) Produce(r *Run, from int) (int, int) {
	n := len(r.KLen)
	if from >= n {
		return n, 0
	}
	ctopic := C.CString(r.Topic)
	defer C.free(unsafe.Pointer(ctopic))
	var parts *C.int32_t
	if r.Parts != nil {
		parts = (*C.int32_t)(unsafe.Pointer(&r.Parts[from]))
	}
	var done C.size_t
	code := C.klient_produce_run(h.rk, ctopic, (*C.char)(r.KBase), (*C.char)(r.VBase),
		(*C.int64_t)(unsafe.Pointer(&r.KPos[from])), (*C.int64_t)(unsafe.Pointer(&r.KLen[from])),
		(*C.int64_t)(unsafe.Pointer(&r.VPos[from])), (*C.int64_t)(unsafe.Pointer(&r.VLen[from])),
		parts, C.int32_t(r.Part), C.size_t(n-from), &done)
	return from + int(done), int(code)
}
