package klient

import "github.com/klient-dev/klient/internal/lifecycle"

func init() {
	lifecycle.KeepReadyFD = func(client any) {
		switch c := client.(type) {
		case *Producer:
			c.keepReadyFD.Store(true)
		case *Consumer:
			c.keepReadyFD.Store(true)
		default:
			panic("lifecycle.KeepReadyFD: not a *Producer or *Consumer")
		}
	}
}
