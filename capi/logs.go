package main

/*
#include <stdlib.h>
#include "capi.h"
*/
import "C"

import (
	"unsafe"

	klient "github.com/klient-dev/klient/core"
)

//export klient_set_log_cb
func klient_set_log_cb(fn C.klient_log_fn, userData unsafe.Pointer, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	if fn == nil {
		klient.SetLogSink(nil)
		return statusOK
	}
	// user_data is the caller's opaque pointer: a uintptr, so Go never treats it as its own.
	ud := uintptr(userData)
	klient.SetLogSink(func(r klient.LogRecord) {
		client, facility, name, msg := C.CString(r.Client), C.CString(r.Facility), C.CString(r.Name), C.CString(r.Message)
		defer func() {
			C.free(unsafe.Pointer(client))
			C.free(unsafe.Pointer(facility))
			C.free(unsafe.Pointer(name))
			C.free(unsafe.Pointer(msg))
		}()
		C.klient__call_log(fn, C.klient__h2p(C.uintptr_t(ud)), C.int(r.Level), client, facility, name, msg)
	})
	return statusOK
}
