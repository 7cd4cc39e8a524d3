// Package rdk is klient's data plane: the only code that includes librdkafka's
// rdkafka.h or holds an rd_kafka_t. It creates and serves producers (Producer: runs of
// messages in one call, delivery reports served in C, transactions), copies fetched
// messages into one packed batch (Queue.Fetch, read back with Reader), in runs from a
// queue of their own for the partitions routed to it (Queue.Route), and serves a
// consumer's log lines (ServeLogs) and an admin client's main queue (ServeMain). It
// speaks in neutral types (byte slices, integers, librdkafka error codes) and imports
// nothing of the core; the core turns them into its own messages, errors and
// rebalances.
//
// # Where the rd_kafka_t comes from
//
// Producers: klient creates and owns them (NewProducer) through librdkafka's public API.
// Their main queue is served by klient's own poller (Producer.Poll), which counts
// untracked successes in C, hands a synchronous caller its report from C (a Waiter) and
// brings tracked reports and failures up in one batch per wake-up: confluent-kafka-go's
// producer would put every report through its poller goroutine, a Go allocation, its
// cgo opaque map and a channel. What the core used from confluent-kafka-go on the same
// handle (transactions, flush, purge, queue length, statistics, logs, errors) is
// called here directly.
//
// Consumers stay confluent-kafka-go clients: group membership, rebalances, assignment,
// commits, seeks and their callbacks are most of a consumer and confluent-kafka-go
// does them well. Only the fetch path, non-blocking commits and the log lines read
// librdkafka's handle out of one, with HandleOf (its unexported handle.rk, with
// reflect). So do admin clients (confluent-kafka-go's standalone AdminClient, which
// polls nothing), for their error events, statistics and log lines (ServeMain). This is
// the one place in klient that reads a dependency's internals, and it is guarded: only
// for the pinned confluent-kafka-go version (PinnedConfluentVersion), and only when the
// field has the expected cgo type; otherwise HandleOf returns nil and the core falls
// back to confluent-kafka-go's public Poll and Logs() (admin clients: a producer's
// Events()), slower but complete. The core's tests fail loudly when that happens.
//
// # Lifetime
//
// A Handle is only valid while its confluent-kafka-go client is open: no call on it (or
// on a Queue taken from it) may run during or after the client's Close, and a Queue (a
// Server) must be Released (Stopped) before that Close. A Producer is valid until
// Destroy, which no call may overlap.
//
// The declarations come from include/librdkafka/rdkafka.h beside this file: the header
// confluent-kafka-go v2.11.1 vendors (kafka/librdkafka_vendor/rdkafka.h), i.e. of the
// same librdkafka it links, statically for the CLI or as build/rdkafka/lib/librdkafka.so.1
// with -tags dynamic. It is copied here so that a plain `go build` of the module works
// without `make`; TestVendoredHeaderMatches fails when the two drift apart.
package rdk

/*
#cgo CFLAGS: -I${SRCDIR}/include
#include <stdlib.h>
#include <librdkafka/rdkafka.h>
*/
import "C"

import (
	"reflect"
	"runtime/debug"
	"sync"
	"unsafe"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// PinnedConfluentVersion is the only confluent-kafka-go whose internals HandleOf reads.
const PinnedConfluentVersion = "v2.11.1"

// Handle is librdkafka's rd_kafka_t of one confluent-kafka-go client (Consumer or
// AdminClient).
type Handle struct {
	rk *C.rd_kafka_t
}

// HandleOf returns the rd_kafka_t of a *kafka.Consumer or a *kafka.AdminClient, or nil
// when it cannot be read safely (see Readable) or the value is not an open client.
func HandleOf(client any) *Handle {
	if !Readable() {
		return nil
	}
	var h reflect.Value
	switch c := client.(type) {
	case *kafka.Consumer:
		if c == nil {
			return nil
		}
		h = reflect.ValueOf(c).Elem().FieldByName("handle")
	case *kafka.AdminClient:
		if c == nil {
			return nil
		}
		h = reflect.ValueOf(c).Elem().FieldByName("handle")
		if h.IsNil() {
			return nil
		}
		h = h.Elem()
	default:
		return nil
	}
	rk := h.FieldByName("rk")
	if rk.IsNil() {
		return nil
	}
	return &Handle{rk: (*C.rd_kafka_t)(unsafe.Pointer(rk.Pointer()))}
}

// Readable reports whether HandleOf can read a client's rd_kafka_t: the pinned
// confluent-kafka-go version, and in both a Consumer and an AdminClient a handle field
// whose rk has the expected cgo type (checked on the types, so before any client
// exists: the core chooses how to serve a client's events before creating it).
func Readable() bool { return readable() }

// SetReadable makes Readable return v until the function it returns restores it: for
// tests of the fallbacks the core takes when the handle cannot be read (another
// confluent-kafka-go version). Clients made meanwhile keep the path they took.
func SetReadable(v bool) (restore func()) {
	old := readable
	readable = func() bool { return v }
	return func() { readable = old }
}

var readable = sync.OnceValue(func() bool {
	// Test binaries carry no dependency versions; there the field's type check below
	// and the core's fast-path tests (which read go.mod) are the guard.
	if v := confluentVersion(); v != "" && v != PinnedConfluentVersion {
		return false
	}
	return hasRk(reflect.TypeFor[kafka.Consumer](), reflect.Struct) && hasRk(reflect.TypeFor[kafka.AdminClient](), reflect.Pointer)
})

// hasRk: t has a field handle of kind (a struct, or a pointer to one) with a field rk
// of librdkafka's cgo type.
func hasRk(t reflect.Type, kind reflect.Kind) bool {
	h, ok := t.FieldByName("handle")
	if !ok || h.Type.Kind() != kind {
		return false
	}
	ht := h.Type
	if kind == reflect.Pointer {
		ht = ht.Elem()
	}
	if ht.Kind() != reflect.Struct {
		return false
	}
	rk, ok := ht.FieldByName("rk")
	return ok && rk.Type.Kind() == reflect.Pointer && rk.Type.String() == "*kafka._Ctype_struct_rd_kafka_s"
}

var confluentVersion = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range bi.Deps {
		if d.Path == "github.com/confluentinc/confluent-kafka-go/v2" {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return ""
})

// FatalError returns librdkafka's fatal error (code 0: none) and its text.
func (h *Handle) FatalError() (int, string) {
	buf := (*C.char)(C.calloc(1, 512))
	defer C.free(unsafe.Pointer(buf))
	code := C.rd_kafka_fatal_error(h.rk, buf, 512)
	return int(code), C.GoString(buf)
}
