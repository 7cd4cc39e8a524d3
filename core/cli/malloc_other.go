//go:build !linux || !cgo

package cli

func oneMallocArena() {}
