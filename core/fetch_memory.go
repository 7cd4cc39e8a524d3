package klient

// Reusing fetched batches' memory. Every fetched batch is one Go buffer that its
// messages' keys, values and header values are sub-slices of (consume_fast.go). A
// caller that copies messages out and keeps nothing of them (the C ABI and Python's
// batches, the CLI's stream) gives them back with Consumer.Recycle; once every
// message of a batch is back, its buffer serves a later fetch. Otherwise each batch
// is new memory: at 10 KB a message, 500 MB consumed made ~40,000 more page faults
// than confluent-kafka-python (the Go runtime returns freed memory to the kernel, and
// takes it back zeroed) and cleared every buffer before librdkafka's bytes were
// copied over it.
//
// A message that is never given back (a Go caller keeps it) keeps its batch's buffer
// out of the pool for good, and the GC frees it as before: missing a Recycle costs the
// reuse, never correctness. Prefetched messages nobody took (dropped by a revoke or a
// seek, or still buffered at Close) are given back by the consumer itself.
//
// The C ABI's consumers fetch into memory outside the Go heap (fetchBuf), so that a
// klient_message_batch_t can point into the fetched bytes until the caller destroys
// it, as a librdkafka message points into its fetch response: one copy of each message
// (librdkafka's buffer to this one) instead of two, and one batch of memory less.

import (
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
)

// batchPoolBytes bounds the free batch buffers kept, together: enough for the two
// or three batches a consumer taking 1,000 large messages at a time gives back at
// once (a fetch stops near fetchMaxBytes), no more, as they count in the process's
// memory while they wait.
const batchPoolBytes = 3 * fetchMaxBytes

// fetchBuf is the memory of one fetched batch: Go memory, or, for a consumer with
// ConsumerOptions.OffHeapBatches, an anonymous mapping outside the Go heap, where C
// code may keep pointers after a call returns (cgo forbids that for Go memory): the C
// ABI hands its callers views of the fetched bytes instead of a copy. A mapping is
// unmapped when the pool lets it go or is closed, or, when its messages were never all
// given back (a caller kept one), once nothing refers to the fetchBuf any more (its
// messages hold it through batchMem until Recycle).
type fetchBuf struct {
	b      []byte // len: the batch's bytes; cap: the buffer's
	mapped []byte // the whole mapping (nil: Go memory), as munmap needs it
	unmap  runtime.Cleanup
}

// newFetchBuf makes a buffer of size bytes with capacity for capacity; off-heap when
// asked, unless the mapping fails (the buffer is then Go memory, and the C ABI copies
// its messages, as it does those of the Poll path).
func newFetchBuf(size, capacity int, offHeap bool) *fetchBuf {
	if offHeap {
		if m, err := syscall.Mmap(-1, 0, capacity, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS); err == nil {
			f := &fetchBuf{b: m[:size], mapped: m}
			f.unmap = runtime.AddCleanup(f, unmapLost, m)
			return f
		}
	}
	return &fetchBuf{b: make([]byte, size, capacity)}
}

// unmapLost is the cleanup of an off-heap buffer that was lost; a variable so that a
// test can see it run.
var unmapLost = func(m []byte) { _ = syscall.Munmap(m) }

// offHeap tells whether the buffer is a mapping outside the Go heap.
func (f *fetchBuf) offHeap() bool { return f.mapped != nil }

// free unmaps an off-heap buffer now (nothing may use it any more); Go memory is left
// to the GC.
func (f *fetchBuf) free() {
	if f.mapped != nil {
		f.unmap.Stop()
		_ = syscall.Munmap(f.mapped)
		f.mapped, f.b = nil, nil
	}
}

// batchMem is one fetched batch's buffer and the number of its messages not given back.
type batchMem struct {
	buf  *fetchBuf
	left atomic.Int32
}

// batchPool holds free batch buffers. The fetch goroutine takes from it, Recycle
// (any goroutine) puts into it. offHeap is fixed when the consumer is made; after
// close, buffers given back are freed at once.
type batchPool struct {
	mu      sync.Mutex
	free    []*fetchBuf
	bytes   int // the capacity of free, together
	offHeap bool
	closed  bool
}

// get returns a buffer of size bytes: a free one that fits, or a new one.
func (p *batchPool) get(size int) *fetchBuf {
	p.mu.Lock()
	defer p.mu.Unlock()
	smallest := -1
	for i, f := range p.free {
		if cap(f.b) >= size {
			p.remove(i)
			f.b = f.b[:size]
			return f
		}
		if smallest < 0 || cap(f.b) < cap(p.free[smallest].b) {
			smallest = i
		}
	}
	// None fits. The smallest goes: otherwise buffers of a size no fetch needs any more
	// (the first fetches come one broker response at a time) could fill the pool and
	// turn away the ones that would fit.
	if smallest >= 0 {
		f := p.free[smallest]
		p.remove(smallest)
		f.free()
	}
	// Room to spare: batches of a kind differ in size by a message or so, and a buffer
	// made to the byte would not take the next one.
	return newFetchBuf(size, size+size/8, p.offHeap)
}

func (p *batchPool) remove(i int) {
	last := len(p.free) - 1
	p.bytes -= cap(p.free[i].b)
	p.free[i] = p.free[last]
	p.free[last] = nil
	p.free = p.free[:last]
}

// put keeps f for a later get, unless that would take the pool past batchPoolBytes or
// the pool is closed (f is freed then).
func (p *batchPool) put(f *fetchBuf) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.bytes+cap(f.b) > batchPoolBytes {
		f.free()
		return
	}
	p.free = append(p.free, f)
	p.bytes += cap(f.b)
}

// close frees the free buffers (the consumer fetches no more); those still held by
// messages are freed when they are given back, or when they are lost.
func (p *batchPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, f := range p.free {
		f.free()
	}
	p.free, p.bytes = nil, 0
}

// OffHeap tells whether m's Key, Value and header values lie in a fetched batch outside
// the Go heap (ConsumerOptions.OffHeapBatches) that stays where it is until m is given
// back with Recycle: C code may keep pointers into it until then.
func (m *ConsumedMessage) OffHeap() bool { return m.mem != nil && m.mem.buf.offHeap() }

// Recycle gives back messages of this consumer the caller has finished with: it keeps
// no reference to their Key, Value or Headers (or anything sliced from them) and will
// not read them again, because their memory may hold other messages after this call.
// Giving a message back twice is a no-op (a copy of a ConsumedMessage is not the same
// message: never give back both). Optional: it saves memory and time for callers that
// copy messages out (the C ABI, the CLI). Not safe to call for one message from two
// goroutines at once.
func (c *Consumer) Recycle(msgs []*ConsumedMessage) {
	for _, m := range msgs {
		if b := m.mem; b != nil {
			m.mem = nil
			if b.left.Add(-1) == 0 && c.fast != nil { // nil: not a message of this consumer
				c.fast.pool.put(b.buf)
			}
		}
	}
}
