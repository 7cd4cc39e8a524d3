package main

/*
#include "capi.h"
*/
import "C"

import (
	"errors"
	"runtime/debug"
	"unsafe"

	klient "github.com/klient-dev/klient/core"
)

const (
	statusOK = C.int(0)
)

func invalidArg(op, format string, args ...any) error {
	return klient.Errorf(klient.KindInvalidArgument, op, format, args...)
}

// clearErr sets *errp to NULL so a caller can always inspect it after a call.
func clearErr(errp **C.klient_error_t) {
	if errp != nil {
		*errp = nil
	}
}

// classify maps any error to its status code and public flags.
func classify(err error) (code, kafkaCode int, retriable, fatal, txnAbort bool) {
	var ke *klient.Error
	if errors.As(err, &ke) {
		return int(ke.Kind), ke.Code, ke.Retriable, ke.Fatal, ke.TxnRequiresAbort
	}
	var k klient.Kind
	if errors.As(err, &k) {
		return int(k), 0, false, false, false
	}
	return int(klient.KindUnknown), 0, false, false, false
}

func b2i(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// fail stores err in *errp (when errp is not NULL) and returns its status code. The
// error struct and its message are one allocation, so klient_error_destroy is one free.
func fail(errp **C.klient_error_t, err error) C.int {
	code, kc, retr, fatal, txn := classify(err)
	if errp == nil {
		return C.int(code)
	}
	msg := err.Error()
	size := C.size_t(unsafe.Sizeof(C.klient_error_t{})) + C.size_t(len(msg)) + 1
	mem := C.malloc(size)
	if mem == nil {
		*errp = nil
		return C.int(code)
	}
	e := (*C.klient_error_t)(mem)
	text := unsafe.Add(mem, unsafe.Sizeof(C.klient_error_t{}))
	copy(unsafe.Slice((*byte)(text), len(msg)+1), msg+"\x00")
	e.code, e.kafka_code = C.int(code), C.int(kc)
	e.retriable, e.fatal, e.txn_requires_abort = b2i(retr), b2i(fatal), b2i(txn)
	e.message = (*C.char)(text)
	*errp = e
	return C.int(code)
}

// result is the common tail of an export: OK, or the error stored in *errp.
func result(errp **C.klient_error_t, err error) C.int {
	if err != nil {
		return fail(errp, err)
	}
	return statusOK
}

// recoverPanic is deferred first in every export: a Go panic must never unwind into C.
func recoverPanic(status *C.int, errp **C.klient_error_t) {
	if r := recover(); r != nil {
		err := klient.Errorf(klient.KindInternal, "klient", "internal error (panic): %v\n%s", r, debug.Stack())
		*status = fail(errp, err)
	}
}

//export klient_error_destroy
func klient_error_destroy(e *C.klient_error_t) {
	if e != nil {
		C.free(unsafe.Pointer(e))
	}
}

//export klient_error_codes
func klient_error_codes(jsonOut **C.char, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	if jsonOut == nil {
		return fail(errp, invalidArg("error_codes", "json_out is NULL"))
	}
	r, f, fe := klient.ErrorCodes()
	return result(errp, setJSON(jsonOut, map[string][]int{"retriable": nonNil(r), "fatal": nonNil(f), "fencing": nonNil(fe)}))
}

func nonNil(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}
