package klient

import "github.com/klient-dev/klient/internal/cabi"

// The C ABI's hold on the readiness descriptors (see cabi.KeepReadyFD).
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
