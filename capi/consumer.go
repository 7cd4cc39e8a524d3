package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"runtime/cgo"
	"unsafe"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
	"github.com/klient-dev/klient/internal/cabi"
)

// consumerHandle is what a klient_consumer_t points to. The Kafka bookkeeping (what was
// handed out, for klient_producer_send_offsets) is the core's: Consumer.HandedOut.
type consumerHandle struct {
	c *klient.Consumer
}

func consumerOf(c *C.klient_consumer_t, op string) (*consumerHandle, error) {
	return lookup[*consumerHandle](unsafe.Pointer(c), kindConsumer, op)
}

//export klient_consumer_new
func klient_consumer_new(cfg *C.klient__cchar, flags C.int, out **C.klient_consumer_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	if out == nil {
		return fail(errp, invalidArg("consumer_new", "out is NULL"))
	}
	*out = nil
	if flags&^C.KLIENT_CONSUMER_REBALANCE_EVENTS != 0 {
		return fail(errp, invalidArg("consumer_new", "unknown flags 0x%x", int(flags)))
	}
	props, err := roleConfig("consumer_new", cfg, config.SectionConsumer)
	if err != nil {
		return fail(errp, err)
	}
	c, err := klient.NewConsumer(props, klient.ConsumerOptions{
		QueueRebalanceEvents: flags&C.KLIENT_CONSUMER_REBALANCE_EVENTS != 0,
		OffHeapBatches:       true, // klient_consumer_consume's views point into the fetched bytes
	})
	if err != nil {
		return fail(errp, err)
	}
	// include/klient.h: the ready fd stays valid after close, until destroy.
	cabi.KeepReadyFD(c)
	*out = (*C.klient_consumer_t)(newHandle(kindConsumer, &consumerHandle{c: c}))
	return statusOK
}

//export klient_consumer_subscribe
func klient_consumer_subscribe(ch *C.klient_consumer_t, topics *C.klient__cstrs, n C.size_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	h, err := consumerOf(ch, "subscribe")
	if err != nil {
		return fail(errp, err)
	}
	if topics == nil || n == 0 {
		return fail(errp, invalidArg("subscribe", "topics must be a non-empty array"))
	}
	cnt, err := checkCount("subscribe", "n", n)
	if err != nil {
		return fail(errp, err)
	}
	names := make([]string, 0, cnt)
	for i, t := range unsafe.Slice(topics, cnt) {
		if t == nil {
			return fail(errp, invalidArg("subscribe", "topics[%d] is NULL", i))
		}
		names = append(names, C.GoString(t))
	}
	return result(errp, h.c.Subscribe(names))
}

// batchPrefix is the hidden start of every klient_message_batch_t block: the
// cgo.Handle of the heldBatch its views point into (0: the batch holds copies only),
// released by freeBatch. 16 bytes, so the batch after it is aligned as malloc aligns.
const batchPrefix = 16

// heldBatch is what a batch of views keeps from being reused until
// klient_message_batch_destroy: its messages, given back to their consumer then.
type heldBatch struct {
	c    *klient.Consumer
	msgs []*klient.ConsumedMessage
}

// emptyBytes is the address of empty (non-null) keys and values that have no bytes of
// their own to point at.
var emptyBytes = C.malloc(1)

// batchBuffer lays out msgs as one malloc'ed block, so klient_message_batch_destroy is
// a single free: [prefix][batch][views...][headers...][bytes]. Structs come first, so
// every one is aligned as malloc aligns the block. Topics and header names are copied
// (NUL-terminated); the keys, values and header values of a message fetched outside
// the Go heap (ConsumedMessage.OffHeap) are not: the views point into the fetched
// bytes. Other messages (the Poll path's) are copied. viewed says whether any view
// points into fetched bytes. With a holder, such a batch holds msgs until freeBatch
// gives them back to it (the caller may give back msgs at once when !viewed); without
// one, the caller keeps msgs, unchanged, until it frees the batch.
func batchBuffer(msgs []*klient.ConsumedMessage, holder *klient.Consumer) (batch *C.klient_message_batch_t, viewed bool) {
	batchSz := unsafe.Sizeof(C.klient_message_batch_t{})
	viewSz := unsafe.Sizeof(C.klient_message_view_t{})
	hdrSz := unsafe.Sizeof(C.klient_header_t{})
	nHdr, nBytes := 0, 0
	topics := map[string]*C.char{}
	view := make([]bool, len(msgs))
	for i, m := range msgs {
		if _, ok := topics[m.Topic]; !ok {
			topics[m.Topic] = nil
			nBytes += len(m.Topic) + 1
		}
		view[i] = m.OffHeap()
		viewed = viewed || view[i]
		nHdr += len(m.Headers)
		for _, h := range m.Headers {
			nBytes += len(h.Key) + 1
		}
		if view[i] {
			continue
		}
		nBytes += len(m.Key) + len(m.Value)
		for _, h := range m.Headers {
			nBytes += len(h.Value)
		}
	}
	total := batchPrefix + batchSz + viewSz*uintptr(len(msgs)) + hdrSz*uintptr(nHdr) + uintptr(nBytes)
	mem := C.malloc(C.size_t(total))
	if mem == nil {
		panic("out of memory allocating a message batch")
	}
	batch = (*C.klient_message_batch_t)(unsafe.Add(mem, batchPrefix))
	views := unsafe.Slice((*C.klient_message_view_t)(unsafe.Add(unsafe.Pointer(batch), batchSz)), len(msgs))
	hdrBase := unsafe.Add(unsafe.Pointer(batch), batchSz+viewSz*uintptr(len(msgs)))
	hdrs := unsafe.Slice((*C.klient_header_t)(hdrBase), nHdr)
	byteBase := unsafe.Add(hdrBase, hdrSz*uintptr(nHdr))
	bytes := unsafe.Slice((*byte)(byteBase), nBytes)
	pos := 0
	copied := func(b []byte) unsafe.Pointer {
		if len(b) == 0 {
			return emptyBytes
		}
		p := unsafe.Add(byteBase, pos)
		pos += copy(bytes[pos:], b)
		return p
	}
	pointed := func(b []byte) unsafe.Pointer {
		if len(b) == 0 {
			return emptyBytes
		}
		return unsafe.Pointer(unsafe.SliceData(b))
	}
	putStr := func(s string) *C.char {
		p := unsafe.Add(byteBase, pos)
		pos += copy(bytes[pos:], s)
		bytes[pos] = 0
		pos++
		return (*C.char)(p)
	}
	hi := 0
	for i, m := range msgs {
		put := copied
		if view[i] {
			put = pointed
		}
		v := &views[i]
		t := topics[m.Topic]
		if t == nil {
			t = putStr(m.Topic)
			topics[m.Topic] = t
		}
		v.topic = t
		v.partition = C.int32_t(m.Partition)
		v.offset = C.int64_t(m.Offset)
		v.timestamp_ms, v.timestamp_type = 0, C.KLIENT_TIMESTAMP_NOT_AVAILABLE
		if !m.Timestamp.IsZero() {
			v.timestamp_ms = C.int64_t(m.Timestamp.UnixMilli())
			v.timestamp_type = C.int32_t(m.TimestampType)
		}
		v.key, v.key_len = nil, 0
		if m.Key != nil {
			v.key, v.key_len = put(m.Key), C.size_t(len(m.Key))
		}
		v.value, v.value_len = nil, 0
		if m.Value != nil {
			v.value, v.value_len = put(m.Value), C.size_t(len(m.Value))
		}
		v.headers, v.header_count = nil, 0
		if len(m.Headers) > 0 {
			v.headers, v.header_count = &hdrs[hi], C.size_t(len(m.Headers))
			for _, h := range m.Headers {
				hdrs[hi].key = putStr(h.Key)
				hdrs[hi].value, hdrs[hi].value_len = nil, 0
				if h.Value != nil {
					hdrs[hi].value, hdrs[hi].value_len = put(h.Value), C.size_t(len(h.Value))
				}
				hi++
			}
		}
	}
	batch.count = C.size_t(len(msgs))
	batch.messages = nil
	if len(msgs) > 0 {
		batch.messages = &views[0]
	}
	var hold cgo.Handle
	if viewed && holder != nil {
		hold = cgo.NewHandle(&heldBatch{c: holder, msgs: msgs})
	}
	*(*cgo.Handle)(mem) = hold
	return batch, viewed
}

// freeBatch frees a batch made by batchBuffer, giving back the messages it held.
func freeBatch(b *C.klient_message_batch_t) {
	mem := unsafe.Add(unsafe.Pointer(b), -batchPrefix)
	if hold := *(*cgo.Handle)(mem); hold != 0 {
		hb := hold.Value().(*heldBatch)
		hold.Delete()
		hb.c.Recycle(hb.msgs)
	}
	C.free(mem)
}

//export klient_message_batch_destroy
func klient_message_batch_destroy(b *C.klient_message_batch_t) {
	// A batch destroyed twice is the caller's bug (a double free); the Go panic of its
	// spent handle still must not unwind into C.
	defer func() { _ = recover() }()
	if b != nil {
		freeBatch(b)
	}
}

//export klient_consumer_consume
func klient_consumer_consume(ch *C.klient_consumer_t, maxMessages C.size_t, timeoutMs C.int, out **C.klient_message_batch_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	h, err := consumerOut(ch, "consume", out, "batch_out")
	if err != nil {
		return fail(errp, err)
	}
	msgs, err := h.consume("consume", maxMessages, timeoutMs)
	if err != nil {
		return fail(errp, err)
	}
	var held bool
	if *out, held = batchBuffer(msgs, h.c); !held {
		h.c.Recycle(msgs) // copied into *out: their fetched memory can take later batches
	}
	return statusOK
}

// consumerOut begins an export that returns its result through out: it clears *out
// and returns the consumer, or an error when ch is not an open consumer or out (called
// outName in the C header) is NULL.
func consumerOut[T any](ch *C.klient_consumer_t, op string, out **T, outName string) (*consumerHandle, error) {
	if out != nil {
		*out = nil
	}
	h, err := consumerOf(ch, op)
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, invalidArg(op, "%s is NULL", outName)
	}
	return h, nil
}

// consume is the shared body of klient_consumer_consume and
// klient_consumer_consume_packed: check max_messages and take a batch from the core.
func (h *consumerHandle) consume(op string, maxMessages C.size_t, timeoutMs C.int) ([]*klient.ConsumedMessage, error) {
	if maxMessages == 0 || maxMessages > 1<<30 {
		return nil, invalidArg(op, "max_messages must be between 1 and 2^30, got %d", uint64(maxMessages))
	}
	ctx, cancel := ctxFor(timeoutMs)
	defer cancel()
	return h.c.ConsumeBatch(ctx, int(maxMessages))
}

//export klient_consumer_seek
func klient_consumer_seek(ch *C.klient_consumer_t, topic *C.klient__cchar, partition C.int32_t, offset C.int64_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	h, err := consumerOf(ch, "seek")
	if err != nil {
		return fail(errp, err)
	}
	t, err := goString("seek", "topic", topic)
	if err != nil {
		return fail(errp, err)
	}
	return result(errp, h.c.Seek(t, int32(partition), int64(offset)))
}

//export klient_consumer_commit
func klient_consumer_commit(ch *C.klient_consumer_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	h, err := consumerOf(ch, "commit")
	if err != nil {
		return fail(errp, err)
	}
	_, err = h.c.Commit(context.Background())
	return result(errp, err)
}

//export klient_consumer_commit_async
func klient_consumer_commit_async(ch *C.klient_consumer_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	h, err := consumerOf(ch, "commit_async")
	if err != nil {
		return fail(errp, err)
	}
	return result(errp, h.c.CommitAsync())
}

type offsetJSON struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

func offsetsJSON(offs []klient.Offset) []offsetJSON {
	out := make([]offsetJSON, len(offs))
	for i, o := range offs {
		out[i] = offsetJSON{o.Topic, o.Partition, o.Offset}
	}
	return out
}

func offsetsExport(ch *C.klient_consumer_t, op string, out **C.char, errp **C.klient_error_t, get func(*consumerHandle) ([]klient.Offset, error)) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	h, err := consumerOut(ch, op, out, "json_out")
	if err != nil {
		return fail(errp, err)
	}
	offs, err := get(h)
	if err != nil {
		return fail(errp, err)
	}
	return result(errp, setJSON(out, offsetsJSON(offs)))
}

//export klient_consumer_assignment
func klient_consumer_assignment(ch *C.klient_consumer_t, out **C.char, errp **C.klient_error_t) C.int {
	return offsetsExport(ch, "assignment", out, errp, func(h *consumerHandle) ([]klient.Offset, error) { return h.c.Assignment() })
}

//export klient_consumer_position
func klient_consumer_position(ch *C.klient_consumer_t, out **C.char, errp **C.klient_error_t) C.int {
	return offsetsExport(ch, "position", out, errp, func(h *consumerHandle) ([]klient.Offset, error) { return h.c.Position() })
}

//export klient_consumer_committed
func klient_consumer_committed(ch *C.klient_consumer_t, timeoutMs C.int, out **C.char, errp **C.klient_error_t) C.int {
	return offsetsExport(ch, "committed", out, errp, func(h *consumerHandle) ([]klient.Offset, error) {
		ctx, cancel := ctxFor(timeoutMs)
		defer cancel()
		return h.c.Committed(ctx)
	})
}

//export klient_consumer_rebalance_events
func klient_consumer_rebalance_events(ch *C.klient_consumer_t, out **C.char, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	h, err := consumerOut(ch, "rebalance_events", out, "json_out")
	if err != nil {
		return fail(errp, err)
	}
	type evJSON struct {
		Kind       string       `json:"kind"`
		Partitions []offsetJSON `json:"partitions"`
	}
	evs := h.c.RebalanceEvents()
	js := make([]evJSON, len(evs))
	for i, e := range evs {
		js[i] = evJSON{string(e.Kind), offsetsJSON(e.Partitions)}
	}
	return result(errp, setJSON(out, js))
}

//export klient_consumer_ready_fd
func klient_consumer_ready_fd(ch *C.klient_consumer_t, fdOut *C.int, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	h, err := consumerOf(ch, "ready_fd")
	if err != nil {
		return fail(errp, err)
	}
	if fdOut == nil {
		return fail(errp, invalidArg("ready_fd", "fd_out is NULL"))
	}
	*fdOut = C.int(cabi.ReadyFD(h.c))
	return statusOK
}

//export klient_consumer_stop
func klient_consumer_stop(ch *C.klient_consumer_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	h, err := consumerOf(ch, "stop")
	if err != nil {
		return fail(errp, err)
	}
	h.c.Stop()
	return statusOK
}

//export klient_consumer_close
func klient_consumer_close(ch *C.klient_consumer_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	h, err := consumerOf(ch, "close")
	if err != nil {
		return fail(errp, err)
	}
	_ = h.c.EndDeferredCopied() // a batch left unsettled: its memory goes back with the rest
	return result(errp, h.c.Close(context.Background()))
}

//export klient_consumer_destroy
func klient_consumer_destroy(ch *C.klient_consumer_t) (status C.int) {
	defer recoverPanic(&status, nil)
	h, ok := take[*consumerHandle](unsafe.Pointer(ch), kindConsumer)
	if !ok {
		return statusOK
	}
	_ = h.c.EndDeferredCopied() // as in klient_consumer_close
	_ = h.c.Close(context.Background())
	cabi.ReleaseReadyFD(h.c)
	return statusOK
}
