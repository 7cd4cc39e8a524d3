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

// batchPoolBytes bounds the free batch buffers kept, together: enough for the two
// or three batches a consumer taking 1,000 large messages at a time gives back at
// once (a fetch stops near fetchMaxBytes), no more, as they count in the process's
// memory while they wait.
const batchPoolBytes = 3 * fetchMaxBytes

// batchMem is one fetched batch's buffer and the number of its messages not given back.
type batchMem struct {
	buf  []byte
	left atomic.Int32
}

// batchPool holds free batch buffers. The fetch goroutine takes from it, Recycle
// (any goroutine) puts into it.
type batchPool struct {
	mu    sync.Mutex
	free  [][]byte
	bytes int // the capacity of free, together
}

// get returns a buffer of at least size bytes: a free one that fits, or a new one.
func (p *batchPool) get(size int) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	smallest := -1
	for i, b := range p.free {
		if cap(b) >= size {
			p.remove(i)
			return b[:size]
		}
		if smallest < 0 || cap(b) < cap(p.free[smallest]) {
			smallest = i
		}
	}
	// None fits. The smallest goes: otherwise buffers of a size no fetch needs any more
	// (the first fetches come one broker response at a time) could fill the pool and
	// turn away the ones that would fit.
	if smallest >= 0 {
		p.remove(smallest)
	}
	// Room to spare: batches of a kind differ in size by a message or so, and a buffer
	// made to the byte would not take the next one.
	return make([]byte, size, size+size/8)
}

func (p *batchPool) remove(i int) {
	last := len(p.free) - 1
	p.bytes -= cap(p.free[i])
	p.free[i] = p.free[last]
	p.free[last] = nil
	p.free = p.free[:last]
}

// put keeps b for a later get, unless that would take the pool past batchPoolBytes.
func (p *batchPool) put(b []byte) {
	p.mu.Lock()
	if p.bytes+cap(b) <= batchPoolBytes {
		p.free = append(p.free, b[:0])
		p.bytes += cap(b)
	}
	p.mu.Unlock()
}

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
