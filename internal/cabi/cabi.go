// Package cabi carries the core functions that only the C ABI calls: they take raw
// memory or bend a client's lifetime to include/klient.h, so they are kept out of the
// public Go API. core installs them at init; internal/ keeps them out of reach of
// other modules.
package cabi

import (
	"context"
	"unsafe"
)

// SendPacked queues n messages already laid out in contiguous memory (the C ABI's
// packed produce) on p, a *core.Producer, like its SendBatch: key i is
// keys[koff[i]:koff[i+1]] (keys nil: null keys), value i likewise. The memory is only
// read during the call. It returns how many messages were queued.
var SendPacked func(p any, ctx context.Context, topic string, partition int32, keys unsafe.Pointer, koff []uint64,
	values unsafe.Pointer, voff []uint64, n int) (int, error)

// ReadyFD returns the client's readiness descriptor, for klient_*_ready_fd: readable
// while there is something to take (delivery reports, messages, rebalance events,
// errors). Go programs wait with contexts instead, so it is not part of the Go API.
// client is a *core.Producer or *core.Consumer.
var ReadyFD func(client any) int

// KeepReadyFD makes the client's Close leave its readiness descriptors open:
// include/klient.h promises that a handle's ready fd stays valid after klient_*_close,
// until klient_*_destroy, while core's Close releases everything. ReleaseReadyFD then
// closes them. client is a *core.Producer or *core.Consumer.
var KeepReadyFD func(client any)

// ReleaseReadyFD closes the readiness descriptors that KeepReadyFD kept open; call it
// after Close. Calling it more than once is harmless.
var ReleaseReadyFD func(client any)
