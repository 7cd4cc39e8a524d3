package rdk

// Offset commits through librdkafka's rd_kafka_commit_queue, whose result arrives on a
// queue instead of blocking the caller: confluent-kafka-go's Commit waits for it
// without a time limit, so a context could not bound it, and it has no asynchronous
// commit at all.

/*
#include <stdint.h>
#include <stdlib.h>
#include <librdkafka/rdkafka.h>

// tag is a number, carried in librdkafka's opaque pointer to tell klient's commit
// results apart from the auto-commit's on the same queue.
static rd_kafka_resp_err_t klient_commit(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *offsets,
                                         rd_kafka_queue_t *rkq, uintptr_t tag) {
	return rd_kafka_commit_queue(rk, offsets, rkq, NULL, (void *)tag);
}

static uintptr_t klient_event_tag(rd_kafka_event_t *ev) { return (uintptr_t)rd_kafka_event_opaque(ev); }
*/
import "C"

import "unsafe"

// partitionList builds librdkafka's list of offsets (nil for nil: the stored offsets of
// the assignment). The caller destroys it.
func partitionList(offsets []Partition) *C.rd_kafka_topic_partition_list_t {
	if offsets == nil {
		return nil
	}
	l := C.rd_kafka_topic_partition_list_new(C.int(len(offsets)))
	for _, o := range offsets {
		topic := C.CString(o.Topic)
		p := C.rd_kafka_topic_partition_list_add(l, topic, C.int32_t(o.Partition))
		C.free(unsafe.Pointer(topic))
		p.offset = C.int64_t(o.Offset)
	}
	return l
}

func commitTo(h *Handle, offsets []Partition, rkq *C.rd_kafka_queue_t, tag uintptr) int {
	l := partitionList(offsets)
	if l != nil {
		defer C.rd_kafka_topic_partition_list_destroy(l)
	}
	return int(C.klient_commit(h.rk, l, rkq, C.uintptr_t(tag)))
}

// Commit is one offset commit whose result arrives on a queue of its own.
type Commit struct {
	rkq *C.rd_kafka_queue_t
}

// StartCommit sends an offset commit of offsets (nil: the stored offsets of the
// assigned partitions) and returns at once. code is non-zero when librdkafka refused
// it (then there is no Commit to wait for).
func (h *Handle) StartCommit(offsets []Partition) (c *Commit, code int) {
	rkq := C.rd_kafka_queue_new(h.rk)
	if code = commitTo(h, offsets, rkq, 0); code != 0 {
		C.rd_kafka_queue_destroy(rkq)
		return nil, code
	}
	return &Commit{rkq: rkq}, 0
}

// Wait waits up to timeoutMs (-1: without limit) for the result. done is false when
// the time ran out or Wake was called; otherwise code and msg are the commit's error
// (0: committed) and committed lists the offsets.
func (c *Commit) Wait(timeoutMs int) (done bool, code int, msg string, committed []Partition) {
	ev := C.rd_kafka_queue_poll(c.rkq, C.int(timeoutMs))
	if ev == nil {
		return false, 0, "", nil
	}
	e := Event{ev: ev}
	defer e.Destroy()
	code, msg, _ = e.Commit()
	return true, code, msg, e.Partitions()
}

// Wake makes a Wait in progress (or the next one) return at once, from any goroutine.
func (c *Commit) Wake() { C.rd_kafka_queue_yield(c.rkq) }

// Release frees the queue; a result that arrives later is dropped (the commit itself
// still completes). No Wait or Wake may run during or after it.
func (c *Commit) Release() { C.rd_kafka_queue_destroy(c.rkq) }

// CommitAsync sends an offset commit like StartCommit whose result arrives on q as an
// EventCommit event carrying tag (non-zero; the auto-commit's results carry 0).
// Unlike Fetch it may run while another goroutine uses q: it leaves the arena alone.
func (q *Queue) CommitAsync(offsets []Partition, tag uintptr) (code int) {
	return commitTo(q.h, offsets, q.rkq, tag)
}

// Commit returns a commit result event's error (0: committed) and tag.
// (Not through Error: rd_kafka_event_error_is_fatal is only meaningful for error events.)
func (e *Event) Commit() (code int, msg string, tag uintptr) {
	if s := C.rd_kafka_event_error_string(e.ev); s != nil {
		msg = C.GoString(s)
	}
	return int(C.rd_kafka_event_error(e.ev)), msg, uintptr(C.klient_event_tag(e.ev))
}
