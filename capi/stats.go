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

//export klient_set_stats_cb
func klient_set_stats_cb(fn C.klient_stats_fn, userData unsafe.Pointer, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	if fn == nil {
		klient.SetStatsSink(nil)
		return statusOK
	}
	// user_data is the caller's opaque pointer: a uintptr, so Go never treats it as its own.
	ud := uintptr(userData)
	klient.SetStatsSink(func(r klient.StatsRecord) {
		client, doc := C.CString(r.Client), C.CString(r.JSON)
		defer func() {
			C.free(unsafe.Pointer(client))
			C.free(unsafe.Pointer(doc))
		}()
		C.klient__call_stats(fn, C.klient__h2p(C.uintptr_t(ud)), client, doc)
	})
	return statusOK
}

//export klient_client_name
func klient_client_name(client *C.klient__cvoid, out **C.char, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	if out == nil {
		return fail(errp, invalidArg("client_name", "name_out is NULL"))
	}
	if client == nil {
		return fail(errp, invalidArg("client_name", "client handle is NULL"))
	}
	handleMu.Lock()
	e := handles[uintptr(unsafe.Pointer(client))]
	handleMu.Unlock()
	if e == nil {
		return fail(errp, klient.Errorf(klient.KindClosed, "client_name", "client handle is invalid or was destroyed"))
	}
	var name string
	switch obj := e.obj.(type) {
	case *klient.Producer:
		name = obj.InstanceName()
	case *consumerHandle:
		name = obj.c.InstanceName()
	case *klient.Admin:
		name = obj.InstanceName()
	default:
		return fail(errp, invalidArg("client_name", "handle is a %s, expected a producer, consumer or admin client", e.kind))
	}
	*out = cString(name)
	return statusOK
}
