package klient

import (
	"testing"
	"unsafe"
)

// The pool hands back a free buffer that fits, evicts its smallest one when none fits
// (so buffers of a size no fetch needs any more do not stay), gives new buffers room
// for a slightly larger batch, and never keeps more than batchPoolBytes.
func TestBatchPoolKeepsBuffersThatFit(t *testing.T) {
	var p batchPool
	small := p.get(1 << 20)
	if len(small) != 1<<20 || cap(small) < 1<<20+1<<17 {
		t.Fatalf("new buffer: len %d cap %d, want 1 MiB with an eighth to spare", len(small), cap(small))
	}
	p.put(small)
	if again := p.get(1<<20 + 1000); unsafe.SliceData(again) != unsafe.SliceData(small) || len(again) != 1<<20+1000 {
		t.Fatal("a free buffer with room for the batch was not handed back")
	}
	p.put(small)
	big := p.get(2 << 20) // does not fit: the 1 MiB buffer goes
	if unsafe.SliceData(big) == unsafe.SliceData(small) || len(p.free) != 0 || p.bytes != 0 {
		t.Fatalf("after a miss: %d free buffers, %d bytes kept", len(p.free), p.bytes)
	}
	for i := 0; i < 10; i++ {
		p.put(make([]byte, 0, fetchMaxBytes))
		if p.bytes > batchPoolBytes {
			t.Fatalf("the pool keeps %d bytes, more than %d", p.bytes, batchPoolBytes)
		}
	}
	if p.bytes != batchPoolBytes/fetchMaxBytes*fetchMaxBytes {
		t.Fatalf("the pool keeps %d bytes of %d", p.bytes, batchPoolBytes)
	}
}
