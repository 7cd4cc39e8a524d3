package main

/*
#include "capi.h"
*/
import "C"

import (
	"bytes"
	"context"
	"sync"
	"time"
	"unsafe"

	klient "github.com/klient-dev/klient/core"
)

type relayHandle struct {
	r       *klient.Relay
	running sync.WaitGroup // destroy waits for Run, so user_data outlives every transform call
}

// relayOutput collects what one transform call emits.
type relayOutput struct {
	msgs []klient.Message
}

type relayOptionsJSON struct {
	BatchSize     int `json:"batch_size"`
	MaxBatchMs    int `json:"max_batch_ms"`
	MaxInFlight   int `json:"max_in_flight"`
	GracePeriodMs int `json:"grace_period_ms"`
}

func relayOf(r *C.klient_relay_t, op string) (*relayHandle, error) {
	return lookup[*relayHandle](unsafe.Pointer(r), kindRelay, op)
}

// cTransform adapts a C transform to the core's per-batch Transform: the batch is laid
// out as in klient_consumer_consume, and the output collector is a short-lived handle
// so a klient_relay_emit after the call returns is an error, not a write to freed state.
func cTransform(fn C.klient_transform_fn, ud uintptr) func([]*klient.ConsumedMessage) ([]klient.Message, error) {
	return func(batch []*klient.ConsumedMessage) ([]klient.Message, error) {
		// Views of the fetched bytes, not held: the relay keeps its messages, unchanged,
		// through the call (and may transform them again), and the transform's `in` is
		// valid only during it.
		buf, _ := batchBuffer(batch, nil)
		defer freeBatch(buf)
		out := &relayOutput{msgs: make([]klient.Message, 0, len(batch))}
		oh := newHandle(kindRelayOutput, out)
		defer take[*relayOutput](oh, kindRelayOutput)
		rc := C.klient__call_transform(fn, C.klient__h2p(C.uintptr_t(ud)), buf.messages, buf.count, (*C.klient_relay_output_t)(oh))
		if rc != 0 {
			return nil, klient.Errorf(klient.KindCallback, "relay_transform", "transform returned %d", int(rc))
		}
		return out.msgs, nil
	}
}

//export klient_relay_emit
func klient_relay_emit(oh *C.klient_relay_output_t, m *C.klient__cmessage) (status C.int) {
	defer recoverPanic(&status, nil)
	out, err := lookup[*relayOutput](unsafe.Pointer(oh), kindRelayOutput, "relay_emit")
	if err != nil {
		return fail(nil, err)
	}
	if m == nil {
		return fail(nil, invalidArg("relay_emit", "message is NULL"))
	}
	gm, err := goMessageAnyTopic("relay_emit", m, &topicCache{})
	if err != nil {
		return fail(nil, err)
	}
	// The message outlives the call (it is produced after the transform returns), so
	// unlike produce it is copied here.
	gm.Key, gm.Value = bytes.Clone(gm.Key), bytes.Clone(gm.Value)
	for i := range gm.Headers {
		gm.Headers[i].Value = bytes.Clone(gm.Headers[i].Value)
	}
	out.msgs = append(out.msgs, gm)
	return statusOK
}

//export klient_relay_new
func klient_relay_new(ch *C.klient_consumer_t, ph *C.klient_producer_t, opts *C.klient__cchar, fn C.klient_transform_fn, userData unsafe.Pointer, out **C.klient_relay_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	if out == nil {
		return fail(errp, invalidArg("relay_new", "out is NULL"))
	}
	*out = nil
	c, err := consumerOf(ch, "relay_new")
	if err != nil {
		return fail(errp, err)
	}
	p, err := producerOf(ph, "relay_new")
	if err != nil {
		return fail(errp, err)
	}
	var o relayOptionsJSON
	if opts != nil {
		if err := decodeJSON("relay_new", "options_json", opts, &o); err != nil {
			return fail(errp, err)
		}
	}
	ro := klient.RelayOptions{BatchSize: o.BatchSize, MaxBatchTime: time.Duration(o.MaxBatchMs) * time.Millisecond,
		MaxInFlight: o.MaxInFlight, GracePeriod: time.Duration(o.GracePeriodMs) * time.Millisecond}
	if fn != nil {
		ro.Transform = cTransform(fn, uintptr(userData))
		ro.TransformKeepsNoInput = true // klient_transform_fn's `in` is valid only during the call
	}
	r, err := klient.NewRelay(c.c, p, ro)
	if err != nil {
		return fail(errp, err)
	}
	*out = (*C.klient_relay_t)(newHandle(kindRelay, &relayHandle{r: r}))
	return statusOK
}

//export klient_relay_run
func klient_relay_run(rh *C.klient_relay_t, src *C.klient__cchar, dst *C.klient__cchar, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	h, err := relayOf(rh, "relay_run")
	if err != nil {
		return fail(errp, err)
	}
	s, err := goString("relay_run", "src", src)
	if err != nil {
		return fail(errp, err)
	}
	d, err := goString("relay_run", "dst", dst)
	if err != nil {
		return fail(errp, err)
	}
	h.running.Add(1)
	defer h.running.Done()
	return result(errp, h.r.Run(context.Background(), s, d))
}

//export klient_relay_stop
func klient_relay_stop(rh *C.klient_relay_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	h, err := relayOf(rh, "relay_stop")
	if err != nil {
		return fail(errp, err)
	}
	h.r.Stop()
	return statusOK
}

//export klient_relay_stats
func klient_relay_stats(rh *C.klient_relay_t, out **C.char, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	h, err := relayOf(rh, "relay_stats")
	if err != nil {
		return fail(errp, err)
	}
	if out == nil {
		return fail(errp, invalidArg("relay_stats", "json_out is NULL"))
	}
	st := h.r.Stats()
	return result(errp, setJSON(out, map[string]int64{"batches": st.Batches, "aborted": st.Aborted, "forwarded": st.Forwarded, "consumed": st.Consumed}))
}

//export klient_relay_destroy
func klient_relay_destroy(rh *C.klient_relay_t) (status C.int) {
	defer recoverPanic(&status, nil)
	h, ok := take[*relayHandle](unsafe.Pointer(rh), kindRelay)
	if !ok {
		return statusOK
	}
	h.r.Stop()
	h.running.Wait()
	return statusOK
}
