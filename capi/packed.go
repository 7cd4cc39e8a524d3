package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"encoding/binary"
	"math"
	"unsafe"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/internal/cabi"
)

//export klient_producer_stats
func klient_producer_stats(ph *C.klient_producer_t, out *C.klient_producer_stats_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	p, err := producerOf(ph, "producer_stats")
	if err != nil {
		return fail(errp, err)
	}
	if out == nil {
		return fail(errp, invalidArg("producer_stats", "out is NULL"))
	}
	s := p.Stats()
	out.delivered, out.failed, out.pending = C.uint64_t(s.Delivered), C.uint64_t(s.Failed), C.uint64_t(s.Pending)
	return statusOK
}

// packedOffsets checks an offsets array of n+1 entries (non-decreasing, starting
// anywhere) and returns it as a Go slice over the caller's memory.
func packedOffsets(op, what string, offs *C.uint64_t, n int) ([]uint64, error) {
	if offs == nil {
		return nil, invalidArg(op, "%s_offsets is NULL but %ss is not", what, what)
	}
	o := unsafe.Slice((*uint64)(unsafe.Pointer(offs)), n+1)
	for i := 0; i < n; i++ {
		if o[i] > o[i+1] {
			return nil, invalidArg(op, "%s_offsets[%d] = %d is greater than %s_offsets[%d] = %d (offsets must not decrease)", what, i, o[i], what, i+1, o[i+1])
		}
		if o[i+1]-o[i] > maxRecordLen {
			return nil, invalidArg(op, "%s %d is %d bytes; a Kafka record holds at most %d", what, i, o[i+1]-o[i], maxRecordLen)
		}
	}
	if o[n]-o[0] > math.MaxInt32*64 { // sanity: 128 GiB in one call is a caller bug
		return nil, invalidArg(op, "%s_offsets span %d bytes", what, o[n]-o[0])
	}
	return o, nil
}

//export klient_producer_produce_packed
func klient_producer_produce_packed(ph *C.klient_producer_t, topic *C.klient__cchar, partition C.int32_t, keys *C.klient__cvoid, keyOffsets *C.klient__cu64, values *C.klient__cvoid, valueOffsets *C.klient__cu64, n C.size_t, flags C.int, firstOut *C.uint64_t, acceptedOut *C.size_t, errp **C.klient_error_t) (status C.int) {
	const op = "produce_packed"
	defer recoverPanic(&status, errp)
	clearErr(errp)
	if firstOut != nil {
		*firstOut = 0
	}
	if acceptedOut != nil {
		*acceptedOut = 0
	}
	p, err := producerOf(ph, op)
	if err != nil {
		return fail(errp, err)
	}
	if flags&^C.KLIENT_PRODUCE_TRACKED != 0 {
		return fail(errp, invalidArg(op, "unknown flags 0x%x", int(flags)))
	}
	if topic == nil || *topic == 0 {
		return fail(errp, invalidArg(op, "topic is NULL or empty"))
	}
	if n == 0 {
		return statusOK
	}
	if n > 1<<30 {
		return fail(errp, invalidArg(op, "n must be at most 2^30, got %d", uint64(n)))
	}
	cnt := int(n)
	if (keys == nil) != (keyOffsets == nil) {
		return fail(errp, invalidArg(op, "keys and key_offsets must both be NULL or both be set"))
	}
	var ko, vo []uint64
	if keys != nil {
		if ko, err = packedOffsets(op, "key", keyOffsets, cnt); err != nil {
			return fail(errp, err)
		}
	}
	if values != nil {
		if vo, err = packedOffsets(op, "value", valueOffsets, cnt); err != nil {
			return fail(errp, err)
		}
	}
	t := C.GoString(topic)
	part := int32(partition)
	keysP, valuesP := unsafe.Pointer(keys), unsafe.Pointer(values)
	if flags&C.KLIENT_PRODUCE_TRACKED == 0 {
		// Untracked: straight from the caller's buffers into librdkafka (which copies).
		accepted, err := cabi.SendPacked(p, context.Background(), t, part, keysP, ko, valuesP, vo, cnt)
		if acceptedOut != nil {
			*acceptedOut = C.size_t(accepted)
		}
		return result(errp, err)
	}
	// Views of the caller's buffers: librdkafka copies keys and values when the
	// message is produced, before this call returns.
	msgs := make([]klient.Message, cnt)
	for i := range msgs {
		m := &msgs[i]
		m.Topic, m.Partition = t, part
		if ko != nil {
			m.Key = packedView(keysP, ko[i], ko[i+1])
		}
		if vo != nil {
			m.Value = packedView(valuesP, vo[i], vo[i+1])
		}
	}
	first, accepted, err := p.ProduceAsync(context.Background(), msgs...)
	if firstOut != nil {
		*firstOut = C.uint64_t(first)
	}
	if acceptedOut != nil {
		*acceptedOut = C.size_t(accepted)
	}
	return result(errp, err)
}

func packedView(base unsafe.Pointer, from, to uint64) []byte {
	if from == to {
		return []byte{}
	}
	return unsafe.Slice((*byte)(unsafe.Add(base, uintptr(from))), int(to-from))
}

// packedHeaderSize is the fixed per-message header of the packed layout
// (struct.Struct("<HBxiqqiiI") in Python; B is the timestamp type).
const packedHeaderSize = 36

// packedBatch encodes msgs in the layout documented at klient_consumer_consume_packed,
// as one malloc'ed block: the klient_packed_batch_t, then the data it points to.
func packedBatch(msgs []*klient.ConsumedMessage) (*C.klient_packed_batch_t, error) {
	topics := map[string]int{}
	var order []string
	size := 4
	for _, m := range msgs {
		if _, ok := topics[m.Topic]; !ok {
			if len(order) == math.MaxUint16+1 || len(m.Topic) > math.MaxUint16 {
				return nil, klient.Errorf(klient.KindInternal, "consume_packed", "too many topics or topic name too long for the packed layout")
			}
			topics[m.Topic] = len(order)
			order = append(order, m.Topic)
			size += 2 + len(m.Topic)
		}
		if len(m.Key) > math.MaxInt32 || len(m.Value) > math.MaxInt32 {
			return nil, klient.Errorf(klient.KindInternal, "consume_packed", "record larger than 2 GiB")
		}
		size += packedHeaderSize + len(m.Key) + len(m.Value)
		for _, h := range m.Headers {
			if len(h.Key) > math.MaxUint16 {
				return nil, klient.Errorf(klient.KindInternal, "consume_packed", "header name longer than 65535 bytes")
			}
			size += 2 + len(h.Key) + 4 + len(h.Value)
		}
	}
	hdr := unsafe.Sizeof(C.klient_packed_batch_t{})
	mem := C.malloc(C.size_t(hdr) + C.size_t(size))
	if mem == nil {
		panic("out of memory allocating a packed batch")
	}
	pb := (*C.klient_packed_batch_t)(mem)
	data := unsafe.Slice((*byte)(unsafe.Add(mem, hdr)), size)
	le := binary.LittleEndian
	le.PutUint32(data, uint32(len(order)))
	pos := 4
	for _, t := range order {
		le.PutUint16(data[pos:], uint16(len(t)))
		pos += 2
		pos += copy(data[pos:], t)
	}
	for _, m := range msgs {
		h := data[pos : pos+packedHeaderSize : pos+packedHeaderSize]
		le.PutUint16(h[0:], uint16(topics[m.Topic]))
		h[2], h[3] = 0, 0
		le.PutUint32(h[4:], uint32(m.Partition))
		le.PutUint64(h[8:], uint64(m.Offset))
		var ts int64
		if !m.Timestamp.IsZero() {
			ts = m.Timestamp.UnixMilli()
			h[2] = byte(m.TimestampType) // was a pad byte: readers of the old layout see 0
		}
		le.PutUint64(h[16:], uint64(ts))
		le.PutUint32(h[24:], packedLen(m.Key))
		le.PutUint32(h[28:], packedLen(m.Value))
		le.PutUint32(h[32:], uint32(len(m.Headers)))
		pos += packedHeaderSize
		pos += copy(data[pos:], m.Key)
		pos += copy(data[pos:], m.Value)
		for _, hd := range m.Headers {
			le.PutUint16(data[pos:], uint16(len(hd.Key)))
			pos += 2
			pos += copy(data[pos:], hd.Key)
			le.PutUint32(data[pos:], packedLen(hd.Value))
			pos += 4
			pos += copy(data[pos:], hd.Value)
		}
	}
	pb.count = C.size_t(len(msgs))
	pb.size = C.size_t(size)
	pb.data = (*C.uint8_t)(unsafe.Add(mem, hdr))
	return pb, nil
}

// packedLen is a length field: -1 (as u32) for null.
func packedLen(b []byte) uint32 {
	if b == nil {
		return math.MaxUint32
	}
	return uint32(len(b))
}

//export klient_consumer_consume_packed
func klient_consumer_consume_packed(ch *C.klient_consumer_t, maxMessages C.size_t, timeoutMs C.int, out **C.klient_packed_batch_t, errp **C.klient_error_t) (status C.int) {
	const op = "consume_packed"
	defer recoverPanic(&status, errp)
	clearErr(errp)
	h, err := consumerOut(ch, op, out, "batch_out")
	if err != nil {
		return fail(errp, err)
	}
	msgs, err := h.consume(op, maxMessages, timeoutMs)
	if err != nil {
		return fail(errp, err)
	}
	pb, err := packedBatch(msgs)
	h.c.Recycle(msgs) // copied into pb: their fetched memory can take later batches
	if err != nil {
		return fail(errp, err)
	}
	*out = pb
	return statusOK
}

//export klient_consumer_consume_deferred
func klient_consumer_consume_deferred(ch *C.klient_consumer_t, maxMessages C.size_t, timeoutMs C.int, out **C.klient_packed_batch_t, errp **C.klient_error_t) (status C.int) {
	const op = "consume_deferred"
	defer recoverPanic(&status, errp)
	clearErr(errp)
	h, err := consumerOut(ch, op, out, "batch_out")
	if err != nil {
		return fail(errp, err)
	}
	if maxMessages == 0 || maxMessages > 1<<30 {
		return fail(errp, invalidArg(op, "max_messages must be between 1 and 2^30, got %d", uint64(maxMessages)))
	}
	ctx, cancel := ctxFor(timeoutMs)
	defer cancel()
	msgs, err := h.c.TakeDeferred(ctx, int(maxMessages))
	if err != nil {
		return fail(errp, err)
	}
	defer func() {
		if *out == nil && len(msgs) > 0 {
			// Failed (or panicked) after the take: the caller never gets this batch, so
			// it is not outstanding for it: put every message back.
			_ = h.c.Settle(0, false)
		}
	}()
	pb, err := packedBatch(msgs)
	if err != nil {
		return fail(errp, err)
	}
	*out = pb
	return statusOK
}

//export klient_consumer_settle
func klient_consumer_settle(ch *C.klient_consumer_t, handed C.size_t, flags C.int, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	h, err := consumerOf(ch, "settle")
	if err != nil {
		return fail(errp, err)
	}
	if flags&^C.KLIENT_SETTLE_KEEP != 0 {
		return fail(errp, invalidArg("settle", "unknown flags 0x%x", int(flags)))
	}
	if handed > 1<<30 {
		return fail(errp, invalidArg("settle", "handed must be at most the deferred batch's count, got %d", uint64(handed)))
	}
	// consume_deferred copied the batch out: what the batch ends with can take later fetches.
	return result(errp, h.c.SettleCopied(int(handed), flags&C.KLIENT_SETTLE_KEEP != 0))
}

//export klient_packed_batch_destroy
func klient_packed_batch_destroy(b *C.klient_packed_batch_t) {
	if b != nil {
		C.free(unsafe.Pointer(b))
	}
}
