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
// A message that is never given back (a Go caller keeps it; it was dropped by a
// revoke or a seek) keeps its batch's buffer out of the pool for good, and the GC
// frees it as before: missing a Recycle costs the reuse, never correctness.

import (
	"sync"
	"sync/atomic"
)

const (
	// batchPoolMax is how many free batch buffers are kept.
	batchPoolMax = 8
	// batchPoolMaxBytes is the largest buffer kept (a fetch stops at fetchMaxBytes
	// plus one message; one larger message makes a larger one-off buffer).
	batchPoolMaxBytes = 2 * fetchMaxBytes
)

// batchMem is one fetched batch's buffer, the pool it goes back to, and the number of
// its messages not given back.
type batchMem struct {
	buf  []byte
	pool *batchPool
	left atomic.Int32
}

// batchPool holds free batch buffers. The fetch goroutine takes from it, Recycle
// (any goroutine) puts into it.
type batchPool struct {
	mu   sync.Mutex
	free [][]byte
}

// get returns a buffer of at least size bytes: a free one that fits, or a new one.
func (p *batchPool) get(size int) []byte {
	p.mu.Lock()
	for i, b := range p.free {
		if cap(b) >= size {
			last := len(p.free) - 1
			p.free[i] = p.free[last]
			p.free[last] = nil
			p.free = p.free[:last]
			p.mu.Unlock()
			return b[:size]
		}
	}
	p.mu.Unlock()
	return make([]byte, size)
}

// put keeps b for a later get, unless the pool is full or b is too large.
func (p *batchPool) put(b []byte) {
	if cap(b) > batchPoolMaxBytes {
		return
	}
	p.mu.Lock()
	if len(p.free) < batchPoolMax {
		p.free = append(p.free, b[:0])
	}
	p.mu.Unlock()
}

// Recycle gives back messages the caller has finished with: it keeps no reference to
// their Key, Value or Headers (or anything sliced from them) and will not read them
// again, because their memory may hold other messages after this call. Giving a
// message back twice is a no-op (a copy of a ConsumedMessage is not the same message:
// never give back both). Optional: it saves memory and time for callers that copy
// messages out (the C ABI, the CLI). Not safe to call for one message from two
// goroutines at once.
func (c *Consumer) Recycle(msgs []*ConsumedMessage) {
	for _, m := range msgs {
		if b := m.mem; b != nil {
			m.mem = nil
			if b.left.Add(-1) == 0 {
				b.pool.put(b.buf)
			}
		}
	}
}
