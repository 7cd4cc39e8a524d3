package main

/*
#include "capi.h"
*/
import "C"

import (
	"unsafe"

	"github.com/klient-dev/klient/core/events"
)

//export klient_events_set_sink
func klient_events_set_sink(fn C.klient_event_sink_fn, userData unsafe.Pointer, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	if fn == nil {
		events.SetSink(nil)
		return statusOK
	}
	// user_data is the caller's opaque pointer: carried as a uintptr so Go never
	// treats it as a Go pointer, and handed back unchanged.
	ud := uintptr(userData)
	events.SetSink(func(line []byte) {
		if len(line) == 0 {
			return
		}
		// line is Go memory without Go pointers: C may read it during the call only.
		C.klient__call_sink(fn, C.klient__h2p(C.uintptr_t(ud)), (*C.char)(unsafe.Pointer(&line[0])), C.size_t(len(line)))
	})
	return statusOK
}
