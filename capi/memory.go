package main

/*
#include "capi.h"
*/
import "C"

import (
	json "github.com/goccy/go-json"
	"math"
	"unsafe"

	klient "github.com/klient-dev/klient/core"
)

//export klient_free
func klient_free(p unsafe.Pointer) {
	if p != nil {
		C.free(p)
	}
}

//export klient_version
func klient_version() *C.klient__cchar { return C.klient__version_str() }

//export klient_abi_version
func klient_abi_version() C.int { return C.KLIENT_ABI_VERSION }

// cBytes returns a malloc'ed, NUL-terminated copy of s (freed by klient_free).
func cString(s string) *C.char {
	mem := C.malloc(C.size_t(len(s)) + 1)
	buf := unsafe.Slice((*byte)(mem), len(s)+1)
	copy(buf, s)
	buf[len(s)] = 0
	return (*C.char)(mem)
}

// setJSON marshals v into a library-allocated string stored in *out.
func setJSON(out **C.char, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return klient.Errorf(klient.KindInternal, "json", "cannot encode result: %v", err)
	}
	*out = cString(string(data))
	return nil
}

// goString copies a C string; NULL is an invalid argument named after what it is.
func goString(op, what string, s *C.char) (string, error) {
	if s == nil {
		return "", invalidArg(op, "%s is NULL", what)
	}
	return C.GoString(s), nil
}

// maxRecordLen is the largest key, value or header a Kafka record can carry (its lengths
// are int32 on the wire). Checking it before touching the memory turns a wild length
// from C into an error instead of a read past the caller's buffer.
const maxRecordLen = math.MaxInt32

func checkLen(op, what string, p unsafe.Pointer, n C.size_t) error {
	if p != nil && uint64(n) > maxRecordLen {
		return invalidArg(op, "%s is %d bytes; a Kafka record holds at most %d", what, uint64(n), maxRecordLen)
	}
	if p == nil && n != 0 {
		return invalidArg(op, "%s is NULL but its length is %d", what, uint64(n))
	}
	return nil
}

// maxCount bounds every element count from C (messages, headers, topics, report slots)
// before an array of that many is viewed: SIZE_MAX would otherwise become a negative Go
// length and a panic, and no real array comes near it.
const maxCount = math.MaxInt32

func checkCount(op, what string, n C.size_t) (int, error) {
	if uint64(n) > maxCount {
		return 0, invalidArg(op, "%s is %d; at most %d is accepted", what, uint64(n), maxCount)
	}
	return int(n), nil
}

// cBytesView looks at caller memory without copying; only for data the core copies
// before the call returns (librdkafka copies keys, values and headers on produce).
func cBytesView(p unsafe.Pointer, n C.size_t) []byte {
	if p == nil {
		return nil
	}
	if n == 0 {
		return []byte{}
	}
	return unsafe.Slice((*byte)(p), int(n))
}

// decodeJSON parses caller JSON into v with a clear error.
func decodeJSON(op, what string, s *C.char, v any) error {
	if s == nil {
		return invalidArg(op, "%s is NULL", what)
	}
	if err := json.Unmarshal([]byte(C.GoString(s)), v); err != nil {
		return invalidArg(op, "%s is not valid JSON of the expected shape: %v", what, err)
	}
	return nil
}
