package klient

import "github.com/klient-dev/klient/internal/cabi"

// The C ABI's readiness descriptors: include/klient.h's ready fd and its lifetime.
func init() {
	cabi.KeepReadyFD = func(client any) {
		switch c := client.(type) {
		case *Producer:
			c.keepReadyFD.Store(true)
		case *Consumer:
			c.keepReadyFD.Store(true)
		default:
			panic("cabi.KeepReadyFD: not a *Producer or *Consumer")
		}
	}
	// Readable while delivery reports (producer) or messages, rebalance events or
	// errors (consumer) are waiting.
	cabi.ReadyFD = func(client any) int {
		switch c := client.(type) {
		case *Producer:
			return c.reports.fd()
		case *Consumer:
			return c.msgs.fd()
		default:
			panic("cabi.ReadyFD: not a *Producer or *Consumer")
		}
	}
	cabi.ReleaseReadyFD = func(client any) {
		switch c := client.(type) {
		case *Producer:
			c.releaseFDs()
		case *Consumer:
			c.releaseFDs()
		default:
			panic("cabi.ReleaseReadyFD: not a *Producer or *Consumer")
		}
	}
}
