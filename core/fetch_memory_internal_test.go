package klient

import (
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// The pool hands back a free buffer that fits, evicts its smallest one when none fits
// (so buffers of a size no fetch needs any more do not stay), gives new buffers room
// for a slightly larger batch, and never keeps more than batchPoolBytes; off-heap, an
// evicted buffer is unmapped at once.
func TestBatchPoolKeepsBuffersThatFit(t *testing.T) {
	for _, offHeap := range []bool{false, true} {
		p := batchPool{offHeap: offHeap}
		small := p.get(1 << 20)
		if len(small.b) != 1<<20 || cap(small.b) < 1<<20+1<<17 || small.offHeap() != offHeap {
			t.Fatalf("new buffer: len %d cap %d off-heap %v, want 1 MiB with an eighth to spare, off-heap %v", len(small.b), cap(small.b), small.offHeap(), offHeap)
		}
		p.put(small)
		if again := p.get(1<<20 + 1000); again != small || len(again.b) != 1<<20+1000 {
			t.Fatal("a free buffer with room for the batch was not handed back")
		}
		p.put(small)
		big := p.get(2 << 20) // does not fit: the 1 MiB buffer goes
		if big == small || len(p.free) != 0 || p.bytes != 0 {
			t.Fatalf("after a miss: %d free buffers, %d bytes kept", len(p.free), p.bytes)
		}
		if offHeap && (small.mapped != nil || small.b != nil) {
			t.Fatal("the evicted buffer is still mapped")
		}
		for i := 0; i < 10; i++ {
			p.put(newFetchBuf(0, fetchMaxBytes, offHeap))
			if p.bytes > batchPoolBytes {
				t.Fatalf("the pool keeps %d bytes, more than %d", p.bytes, batchPoolBytes)
			}
		}
		if p.bytes != batchPoolBytes/fetchMaxBytes*fetchMaxBytes {
			t.Fatalf("the pool keeps %d bytes of %d", p.bytes, batchPoolBytes)
		}
	}
}

// Closing the pool unmaps its free buffers, and a buffer given back after that is
// unmapped at once, not kept.
func TestClosedBatchPoolFreesOffHeapBuffers(t *testing.T) {
	p := batchPool{offHeap: true}
	kept, out := p.get(4096), p.get(8192)
	p.put(kept)
	p.close()
	if kept.mapped != nil || len(p.free) != 0 || p.bytes != 0 {
		t.Fatal("close left a free buffer mapped")
	}
	if out.mapped == nil {
		t.Fatal("close unmapped a buffer still in use")
	}
	p.put(out)
	if out.mapped != nil || len(p.free) != 0 {
		t.Fatal("a buffer given back to a closed pool was kept")
	}
}

// An off-heap buffer nothing refers to any more (its messages were dropped without
// Recycle) is unmapped by its cleanup.
func TestLostOffHeapBufferIsUnmapped(t *testing.T) {
	const size = 1 << 20
	unmapped := make(chan bool, 1)
	defer func(orig func([]byte)) { unmapLost = orig }(unmapLost)
	unmapLost = func(m []byte) {
		_ = syscall.Munmap(m)
		unmapped <- !mapped(t, m)
	}
	f := newFetchBuf(size, size, true)
	if !f.offHeap() {
		t.Fatal("the buffer is not off-heap")
	}
	if !mapped(t, f.mapped) {
		t.Fatalf("the new buffer at %p is not mapped", unsafe.SliceData(f.mapped))
	}
	f = nil
	deadline := time.After(10 * time.Second)
	for {
		runtime.GC()
		select {
		case gone := <-unmapped:
			if !gone {
				t.Fatal("the cleanup ran and the buffer is still mapped")
			}
			return
		case <-deadline:
			t.Fatal("the lost buffer was not unmapped after 10 s of GCs")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// mapped tells whether every page of b's memory is mapped (mincore(2) fails with
// ENOMEM for a range with a hole); b may be a slice of memory already unmapped.
func mapped(t *testing.T, b []byte) bool {
	vec := make([]byte, (len(b)+4095)/4096)
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	_, _, errno := syscall.Syscall(syscall.SYS_MINCORE, start, uintptr(len(b)), uintptr(unsafe.Pointer(&vec[0])))
	switch errno {
	case 0:
		return true
	case syscall.ENOMEM:
		return false
	}
	t.Errorf("mincore: %v", errno)
	return false
}
