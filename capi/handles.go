// Package main is libklient.so: the C ABI over the Go core (see include/klient.h).
// It translates between C and the core; it makes no Kafka decisions of its own.
package main

/*
#cgo CFLAGS: -I${SRCDIR}/../include
#include "capi.h"
*/
import "C"

import (
	"sync"
	"unsafe"

	klient "github.com/klient-dev/klient/core"
)

func main() {}

// handleKind is the type recorded for each live handle, so that a producer passed
// where a consumer is expected is an error and not a crash.
type handleKind int

const (
	kindProducer handleKind = iota + 1
	kindConsumer
	kindAdmin
	kindRelay
	kindRelayOutput
	kindDeliveryWait
)

func (k handleKind) String() string {
	return [...]string{"", "producer", "consumer", "admin client", "relay", "relay output", "delivery wait"}[k]
}

// The registry maps handle ids to objects. Ids are never reused, so a destroyed
// handle is simply absent: use-after-destroy and double destroy are detected instead
// of reaching freed memory (runtime/cgo.Handle panics on deleted handles, hence our
// own map). Ids start far above zero because the Go runtime rejects pointer-typed
// values below 4096 on goroutine stacks, and stay far below the Go heap.
const handleBase = 1 << 20

var (
	handleMu   sync.Mutex
	handles            = map[uintptr]*handleEntry{}
	nextHandle uintptr = handleBase
)

type handleEntry struct {
	kind handleKind
	obj  any
}

func newHandle(kind handleKind, obj any) unsafe.Pointer {
	handleMu.Lock()
	nextHandle += 16
	id := nextHandle
	handles[id] = &handleEntry{kind: kind, obj: obj}
	handleMu.Unlock()
	return C.klient__h2p(C.uintptr_t(id))
}

func lookupEntry(p unsafe.Pointer, kind handleKind, op string, remove bool) (any, error) {
	if p == nil {
		return nil, klient.Errorf(klient.KindInvalidArgument, op, "%s handle is NULL", kind)
	}
	id := uintptr(p)
	handleMu.Lock()
	defer handleMu.Unlock()
	e, ok := handles[id]
	if !ok {
		return nil, klient.Errorf(klient.KindClosed, op, "%s handle is invalid or was destroyed", kind)
	}
	if e.kind != kind {
		return nil, klient.Errorf(klient.KindInvalidArgument, op, "handle is a %s, expected a %s", e.kind, kind)
	}
	if remove {
		delete(handles, id)
	}
	return e.obj, nil
}

func lookup[T any](p unsafe.Pointer, kind handleKind, op string) (T, error) {
	obj, err := lookupEntry(p, kind, op, false)
	if err != nil {
		var zero T
		return zero, err
	}
	return obj.(T), nil
}

// take removes the handle; it is how every destroy starts, so a concurrent second
// destroy finds nothing.
func take[T any](p unsafe.Pointer, kind handleKind) (T, bool) {
	obj, err := lookupEntry(p, kind, "destroy", true)
	if err != nil {
		var zero T
		return zero, false
	}
	return obj.(T), true
}
