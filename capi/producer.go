package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"time"
	"unsafe"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
	"github.com/klient-dev/klient/internal/cabi"
)

// ctxFor turns a timeout_ms argument into a context: negative waits forever.
func ctxFor(timeoutMs C.int) (context.Context, context.CancelFunc) {
	if timeoutMs < 0 {
		return context.WithCancel(context.Background())
	}
	return context.WithTimeout(context.Background(), time.Duration(timeoutMs)*time.Millisecond)
}

// forever stands in for "no timeout" where the core takes a duration.
const forever = 100 * 365 * 24 * time.Hour

func durationFor(timeoutMs C.int) time.Duration {
	if timeoutMs < 0 {
		return forever
	}
	return time.Duration(timeoutMs) * time.Millisecond
}

func producerOf(p *C.klient_producer_t, op string) (*klient.Producer, error) {
	return lookup[*klient.Producer](unsafe.Pointer(p), kindProducer, op)
}

// topicCache avoids one Go string allocation per message when a batch names the same
// topic pointer over and over; it lives for one call only, while the caller's memory
// cannot change under us.
type topicCache struct {
	ptr *C.char
	s   string
}

func (tc *topicCache) get(p *C.char) string {
	if p != tc.ptr {
		tc.ptr, tc.s = p, C.GoString(p)
	}
	return tc.s
}

// goMessage views a C message as a core message. Key, value and header values are not
// copied: librdkafka copies them during Produce, before the export returns. Lengths
// and counts are checked before any read; the values themselves (partition, timestamp,
// header keys, topic) are checked by the core, the one place every face goes through.
func goMessage(op string, m *C.klient_message_t, tc *topicCache) (klient.Message, error) {
	if m != nil && (m.topic == nil || *m.topic == 0) {
		return klient.Message{}, invalidArg(op, "message topic is NULL or empty")
	}
	return goMessageAnyTopic(op, m, tc)
}

// goMessageAnyTopic is goMessage for the relay's output, where a NULL topic means the
// relay's target.
func goMessageAnyTopic(op string, m *C.klient_message_t, tc *topicCache) (klient.Message, error) {
	if m == nil {
		return klient.Message{}, invalidArg(op, "message is NULL")
	}
	if err := checkLen(op, "key", m.key, m.key_len); err != nil {
		return klient.Message{}, err
	}
	if err := checkLen(op, "value", m.value, m.value_len); err != nil {
		return klient.Message{}, err
	}
	ts, err := klient.TimestampFromMillis(op, int64(m.timestamp_ms))
	if err != nil {
		return klient.Message{}, err
	}
	gm := klient.Message{
		Partition: int32(m.partition),
		Key:       cBytesView(unsafe.Pointer(m.key), m.key_len),
		Value:     cBytesView(unsafe.Pointer(m.value), m.value_len),
		Timestamp: ts,
	}
	if m.topic != nil {
		gm.Topic = tc.get(m.topic)
	}
	if m.header_count > 0 {
		if m.headers == nil {
			return klient.Message{}, invalidArg(op, "headers is NULL but header_count is %d", uint64(m.header_count))
		}
		n, err := checkCount(op, "header_count", m.header_count)
		if err != nil {
			return klient.Message{}, err
		}
		hs := unsafe.Slice(m.headers, n)
		gm.Headers = make([]klient.Header, len(hs))
		for i := range hs {
			if hs[i].key == nil {
				return klient.Message{}, invalidArg(op, "header %d has a NULL key", i)
			}
			if err := checkLen(op, "header value", hs[i].value, hs[i].value_len); err != nil {
				return klient.Message{}, err
			}
			gm.Headers[i] = klient.Header{Key: C.GoString(hs[i].key), Value: cBytesView(unsafe.Pointer(hs[i].value), hs[i].value_len)}
		}
	}
	return gm, nil
}

// fillReport writes a core delivery report into the caller's struct.
func fillReport(out *C.klient_delivery_report_t, r klient.DeliveryReport, err error) {
	if err == nil {
		err = r.Err
	}
	out.id = C.uint64_t(r.ID)
	out.partition = C.int32_t(r.Partition)
	out.offset = C.int64_t(r.Offset)
	out.timestamp_ms = 0
	if !r.Timestamp.IsZero() {
		out.timestamp_ms = C.int64_t(r.Timestamp.UnixMilli())
	}
	out.error_code, out.kafka_code = 0, 0
	msg := unsafe.Slice((*byte)(unsafe.Pointer(&out.error_message[0])), len(out.error_message))
	msg[0] = 0
	if err != nil {
		code, kc, _, _, _ := classify(err)
		out.error_code, out.kafka_code = C.int(code), C.int(kc)
		n := copy(msg[:len(msg)-1], err.Error())
		msg[n] = 0
	}
}

//export klient_producer_new
func klient_producer_new(cfg *C.klient__cchar, out **C.klient_producer_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	if out == nil {
		return fail(errp, invalidArg("producer_new", "out is NULL"))
	}
	*out = nil
	props, err := roleConfig("producer_new", cfg, config.SectionProducer)
	if err != nil {
		return fail(errp, err)
	}
	p, err := klient.NewProducer(props)
	if err != nil {
		return fail(errp, err)
	}
	// include/klient.h: the ready fd stays valid after close, until destroy.
	cabi.KeepReadyFD(p)
	*out = (*C.klient_producer_t)(newHandle(kindProducer, p))
	return statusOK
}

//export klient_producer_close
func klient_producer_close(ph *C.klient_producer_t, timeoutMs C.int, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	p, err := producerOf(ph, "producer_close")
	if err != nil {
		return fail(errp, err)
	}
	ctx, cancel := ctxFor(timeoutMs)
	defer cancel()
	return result(errp, p.Close(ctx))
}

//export klient_producer_destroy
func klient_producer_destroy(ph *C.klient_producer_t) (status C.int) {
	defer recoverPanic(&status, nil)
	p, ok := take[*klient.Producer](unsafe.Pointer(ph), kindProducer)
	if !ok {
		return statusOK
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = p.Close(ctx)
	cabi.ReleaseReadyFD(p)
	return statusOK
}

//export klient_producer_produce
func klient_producer_produce(ph *C.klient_producer_t, m *C.klient__cmessage, timeoutMs C.int, report *C.klient_delivery_report_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	p, err := producerOf(ph, "produce")
	if err != nil {
		return fail(errp, err)
	}
	var tc topicCache
	gm, err := goMessage("produce", m, &tc)
	if err != nil {
		return fail(errp, err)
	}
	ctx, cancel := ctxFor(timeoutMs)
	defer cancel()
	r, err := p.Produce(ctx, gm)
	if report != nil {
		fillReport(report, r, err)
	}
	return result(errp, err)
}

//export klient_producer_produce_start
func klient_producer_produce_start(ph *C.klient_producer_t, m *C.klient__cmessage, out **C.klient_delivery_wait_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	if out == nil {
		return fail(errp, invalidArg("produce_start", "out is NULL"))
	}
	*out = nil
	d, err := startProduce(ph, m, "produce_start")
	if err != nil {
		return fail(errp, err)
	}
	*out = (*C.klient_delivery_wait_t)(newHandle(kindDeliveryWait, d))
	return statusOK
}

// klient_producer_produce_start_wait is produce_start and a first delivery_wait in one
// crossing: a synchronous produce whose report comes within the first wait (the common
// case) costs a caller such as Python one call instead of three, and no wait handle.
//
//export klient_producer_produce_start_wait
func klient_producer_produce_start_wait(ph *C.klient_producer_t, m *C.klient__cmessage, timeoutMs C.int, doneOut *C.int, report *C.klient_delivery_report_t, out **C.klient_delivery_wait_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	if doneOut != nil {
		*doneOut = 0
	}
	if out == nil {
		return fail(errp, invalidArg("produce_start_wait", "out is NULL"))
	}
	*out = nil
	d, err := startProduce(ph, m, "produce_start_wait")
	if err != nil {
		return fail(errp, err)
	}
	done, status := waitDelivery(d, timeoutMs, doneOut, report, errp)
	if done || status != statusOK {
		d.Release() // a wait that failed before the report ends here, as the caller's would
		return status
	}
	*out = (*C.klient_delivery_wait_t)(newHandle(kindDeliveryWait, d))
	return statusOK
}

// startProduce queues one message of a synchronous produce_start(_wait).
func startProduce(ph *C.klient_producer_t, m *C.klient__cmessage, op string) (*klient.PendingDelivery, error) {
	p, err := producerOf(ph, op)
	if err != nil {
		return nil, err
	}
	var tc topicCache
	gm, err := goMessage(op, m, &tc)
	if err != nil {
		return nil, err
	}
	return p.StartProduce(context.Background(), gm)
}

//export klient_delivery_wait
func klient_delivery_wait(wh *C.klient_delivery_wait_t, timeoutMs C.int, doneOut *C.int, report *C.klient_delivery_report_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	if doneOut != nil {
		*doneOut = 0
	}
	d, err := lookup[*klient.PendingDelivery](unsafe.Pointer(wh), kindDeliveryWait, "delivery_wait")
	if err != nil {
		return fail(errp, err)
	}
	_, status = waitDelivery(d, timeoutMs, doneOut, report, errp)
	return status
}

// waitDelivery waits up to timeoutMs for d's report: done and the delivery's outcome
// (the report written) when it came; else not done, with KLIENT_OK (wait again) or the
// error that ended the wait early.
func waitDelivery(d *klient.PendingDelivery, timeoutMs C.int, doneOut *C.int, report *C.klient_delivery_report_t, errp **C.klient_error_t) (bool, C.int) {
	ctx, cancel := ctxFor(timeoutMs)
	defer cancel()
	r, done, err := d.Wait(ctx)
	if !done {
		return false, result(errp, err)
	}
	if doneOut != nil {
		*doneOut = 1
	}
	if report != nil {
		fillReport(report, r, err)
	}
	return true, result(errp, err)
}

//export klient_delivery_wait_destroy
func klient_delivery_wait_destroy(wh *C.klient_delivery_wait_t) (status C.int) {
	defer recoverPanic(&status, nil)
	if d, ok := take[*klient.PendingDelivery](unsafe.Pointer(wh), kindDeliveryWait); ok {
		d.Release()
	}
	return statusOK
}

//export klient_producer_produce_async
func klient_producer_produce_async(ph *C.klient_producer_t, m *C.klient__cmessage, idOut *C.uint64_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	p, err := producerOf(ph, "produce_async")
	if err != nil {
		return fail(errp, err)
	}
	var tc topicCache
	gm, err := goMessage("produce_async", m, &tc)
	if err != nil {
		return fail(errp, err)
	}
	id, _, err := p.ProduceAsync(context.Background(), gm)
	if err != nil {
		return fail(errp, err)
	}
	if idOut != nil {
		*idOut = C.uint64_t(id)
	}
	return statusOK
}

//export klient_producer_produce_batch
func klient_producer_produce_batch(ph *C.klient_producer_t, msgs *C.klient__cmessage, n C.size_t, firstOut *C.uint64_t, acceptedOut *C.size_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	if acceptedOut != nil {
		*acceptedOut = 0
	}
	p, err := producerOf(ph, "produce_batch")
	if err != nil {
		return fail(errp, err)
	}
	if n == 0 {
		return statusOK
	}
	if msgs == nil {
		return fail(errp, invalidArg("produce_batch", "msgs is NULL but n is %d", n))
	}
	count, err := checkCount("produce_batch", "n", n)
	if err != nil {
		return fail(errp, err)
	}
	cm := unsafe.Slice(msgs, count)
	gms := make([]klient.Message, 0, len(cm))
	var tc topicCache
	var convErr error
	for i := range cm {
		gm, err := goMessage("produce_batch", &cm[i], &tc)
		if err != nil {
			convErr = klient.Errorf(klient.KindInvalidArgument, "produce_batch", "message %d: %v", i, err)
			break
		}
		gms = append(gms, gm)
	}
	first, accepted, err := p.ProduceAsync(context.Background(), gms...)
	if firstOut != nil {
		*firstOut = C.uint64_t(first)
	}
	if acceptedOut != nil {
		*acceptedOut = C.size_t(accepted)
	}
	if err == nil {
		err = convErr
	}
	return result(errp, err)
}

//export klient_producer_poll_reports
func klient_producer_poll_reports(ph *C.klient_producer_t, out *C.klient_delivery_report_t, capacity C.size_t, timeoutMs C.int, countOut *C.size_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	if countOut != nil {
		*countOut = 0
	}
	p, err := producerOf(ph, "poll_reports")
	if err != nil {
		return fail(errp, err)
	}
	if out == nil || capacity == 0 || countOut == nil {
		return fail(errp, invalidArg("poll_reports", "out and count_out must not be NULL and capacity must be > 0"))
	}
	var wait time.Duration
	if timeoutMs != 0 {
		wait = durationFor(timeoutMs)
	}
	cp, err := checkCount("poll_reports", "capacity", capacity)
	if err != nil {
		return fail(errp, err)
	}
	reports := p.DeliveryReports(cp, wait)
	dst := unsafe.Slice(out, cp)
	for i, r := range reports {
		fillReport(&dst[i], r, nil)
	}
	*countOut = C.size_t(len(reports))
	return statusOK
}

//export klient_producer_flush
func klient_producer_flush(ph *C.klient_producer_t, timeoutMs C.int, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	p, err := producerOf(ph, "flush")
	if err != nil {
		return fail(errp, err)
	}
	ctx, cancel := ctxFor(timeoutMs)
	defer cancel()
	_, err = p.Flush(ctx)
	return result(errp, err)
}

//export klient_producer_pending
func klient_producer_pending(ph *C.klient_producer_t, out *C.size_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	p, err := producerOf(ph, "pending")
	if err != nil {
		return fail(errp, err)
	}
	if out == nil {
		return fail(errp, invalidArg("pending", "out is NULL"))
	}
	*out = C.size_t(max(p.Pending(), 0))
	return statusOK
}

//export klient_producer_ready_fd
func klient_producer_ready_fd(ph *C.klient_producer_t, fdOut *C.int, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	p, err := producerOf(ph, "ready_fd")
	if err != nil {
		return fail(errp, err)
	}
	if fdOut == nil {
		return fail(errp, invalidArg("ready_fd", "fd_out is NULL"))
	}
	*fdOut = C.int(cabi.ReadyFD(p))
	return statusOK
}

func fillTxn(res *C.klient_txn_result_t, r klient.TxnResult) {
	if res != nil {
		res.success = b2i(r.Success)
		res.duration_ms = C.double(r.DurationMs)
	}
}

//export klient_producer_init_transactions
func klient_producer_init_transactions(ph *C.klient_producer_t, timeoutMs C.int, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	p, err := producerOf(ph, "init_transactions")
	if err != nil {
		return fail(errp, err)
	}
	ctx, cancel := ctxFor(timeoutMs)
	defer cancel()
	return result(errp, p.InitTransactions(ctx))
}

//export klient_producer_begin_transaction
func klient_producer_begin_transaction(ph *C.klient_producer_t, res *C.klient_txn_result_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	fillTxn(res, klient.TxnResult{})
	p, err := producerOf(ph, "begin_transaction")
	if err != nil {
		return fail(errp, err)
	}
	r, err := p.BeginTransaction(context.Background())
	fillTxn(res, r)
	return result(errp, err)
}

//export klient_producer_commit_transaction
func klient_producer_commit_transaction(ph *C.klient_producer_t, timeoutMs C.int, res *C.klient_txn_result_t, errp **C.klient_error_t) (status C.int) {
	return endTxn(ph, timeoutMs, res, errp, true)
}

//export klient_producer_abort_transaction
func klient_producer_abort_transaction(ph *C.klient_producer_t, timeoutMs C.int, res *C.klient_txn_result_t, errp **C.klient_error_t) (status C.int) {
	return endTxn(ph, timeoutMs, res, errp, false)
}

func endTxn(ph *C.klient_producer_t, timeoutMs C.int, res *C.klient_txn_result_t, errp **C.klient_error_t, commit bool) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	fillTxn(res, klient.TxnResult{})
	op := "abort_transaction"
	if commit {
		op = "commit_transaction"
	}
	p, err := producerOf(ph, op)
	if err != nil {
		return fail(errp, err)
	}
	ctx, cancel := ctxFor(timeoutMs)
	defer cancel()
	var r klient.TxnResult
	if commit {
		r, err = p.CommitTransaction(ctx)
	} else {
		r, err = p.AbortTransaction(ctx)
	}
	fillTxn(res, r)
	return result(errp, err)
}

//export klient_producer_in_transaction
func klient_producer_in_transaction(ph *C.klient_producer_t, out *C.int, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	p, err := producerOf(ph, "in_transaction")
	if err != nil {
		return fail(errp, err)
	}
	if out == nil {
		return fail(errp, invalidArg("in_transaction", "out is NULL"))
	}
	*out = b2i(p.InTransaction())
	return statusOK
}

//export klient_producer_send_offsets
func klient_producer_send_offsets(ph *C.klient_producer_t, ch *C.klient_consumer_t, timeoutMs C.int, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	p, err := producerOf(ph, "send_offsets")
	if err != nil {
		return fail(errp, err)
	}
	c, err := consumerOf(ch, "send_offsets")
	if err != nil {
		return fail(errp, err)
	}
	offsets, err := c.c.HandedOut()
	if err != nil {
		return fail(errp, err)
	}
	ctx, cancel := ctxFor(timeoutMs)
	defer cancel()
	if len(offsets) == 0 {
		return statusOK // nothing consumed yet: nothing to add to the transaction
	}
	return result(errp, p.SendOffsetsToTransaction(ctx, offsets, c.c))
}

//export klient_producer_produce_with_retry
func klient_producer_produce_with_retry(ph *C.klient_producer_t, m *C.klient__cmessage, maxAttempts C.int, baseBackoffMs C.int, timeoutMs C.int, report *C.klient_delivery_report_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	p, err := producerOf(ph, "produce_with_retry")
	if err != nil {
		return fail(errp, err)
	}
	var tc topicCache
	gm, err := goMessage("produce_with_retry", m, &tc)
	if err != nil {
		return fail(errp, err)
	}
	ctx, cancel := ctxFor(timeoutMs)
	defer cancel()
	r, err := p.ProduceWithRetry(ctx, gm, klient.RetryOptions{MaxAttempts: int(maxAttempts), BaseBackoff: time.Duration(baseBackoffMs) * time.Millisecond})
	if report != nil {
		fillReport(report, r, err)
	}
	return result(errp, err)
}

//export klient_producer_breaker_configure
func klient_producer_breaker_configure(ph *C.klient_producer_t, cooldownMs C.int, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	p, err := producerOf(ph, "breaker_configure")
	if err != nil {
		return fail(errp, err)
	}
	p.SetBreakerConfig(klient.BreakerConfig{Cooldown: time.Duration(cooldownMs) * time.Millisecond})
	return statusOK
}

//export klient_producer_breaker_state
func klient_producer_breaker_state(ph *C.klient_producer_t, out *C.int, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	p, err := producerOf(ph, "breaker_state")
	if err != nil {
		return fail(errp, err)
	}
	if out == nil {
		return fail(errp, invalidArg("breaker_state", "state_out is NULL"))
	}
	*out = C.int(p.Breaker().State())
	return statusOK
}
