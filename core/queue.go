package klient

import (
	"context"
	"sync"
	"syscall"
	"time"
)

// readyQueue is an unbounded FIFO whose readiness is visible two ways: to Go callers
// through wait(), and to foreign event loops (asyncio, libuv, poll(2) in C) through a
// pipe whose read end is readable exactly while the queue is not empty. One write per
// empty-to-non-empty transition keeps the pipe cost off the per-message path.
type readyQueue[T any] struct {
	mu       sync.Mutex
	items    []T
	head     int
	sizeOf   func(T) int   // nil: bytes stays 0
	bytes    int           // sum of sizeOf over the queued items
	wake     chan struct{} // capacity 1: a pending wake-up for Go waiters
	rfd, wfd int
	signaled bool
	closed   bool
}

// newReadyQueue makes a queue; sizeOf, when not nil, gives an item's size in bytes
// for the running total that size reports.
func newReadyQueue[T any](sizeOf func(T) int) (*readyQueue[T], error) {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		return nil, newError(KindInternal, "readiness", "cannot create readiness pipe: %v", err)
	}
	return &readyQueue[T]{wake: make(chan struct{}, 1), rfd: fds[0], wfd: fds[1], sizeOf: sizeOf}, nil
}

// addBytesLocked adds sign × the size of items to the running total.
func (q *readyQueue[T]) addBytesLocked(items []T, sign int) {
	if q.sizeOf == nil {
		return
	}
	for _, it := range items {
		q.bytes += sign * q.sizeOf(it)
	}
}

// fd is the read end of the readiness pipe. The caller must not read or close it.
func (q *readyQueue[T]) fd() int { return q.rfd }

func (q *readyQueue[T]) push(items ...T) {
	if len(items) == 0 {
		return
	}
	q.mu.Lock()
	q.items = append(q.items, items...)
	q.addBytesLocked(items, 1)
	q.signalLocked()
	q.mu.Unlock()
}

// pushFront puts items back before every queued item (a deferred batch's messages the
// application did not receive, Consumer.Settle).
func (q *readyQueue[T]) pushFront(items ...T) {
	if len(items) == 0 {
		return
	}
	q.mu.Lock()
	if q.head >= len(items) {
		q.head -= len(items)
		copy(q.items[q.head:], items)
	} else {
		q.items = append(append(make([]T, 0, len(items)+len(q.items)-q.head), items...), q.items[q.head:]...)
		q.head = 0
	}
	q.addBytesLocked(items, 1)
	q.signalLocked()
	q.mu.Unlock()
}

func (q *readyQueue[T]) signalLocked() {
	if !q.signaled && !q.closed {
		q.signaled = true
		_, _ = syscall.Write(q.wfd, []byte{1})
	}
	kick(q.wake)
}

// pop removes up to max items (max <= 0: all).
func (q *readyQueue[T]) pop(max int) []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := len(q.items) - q.head
	if max > 0 && max < n {
		n = max
	}
	out := make([]T, n)
	copy(out, q.items[q.head:q.head+n])
	q.addBytesLocked(out, -1)
	var zero T
	for i := q.head; i < q.head+n; i++ {
		q.items[i] = zero
	}
	q.head += n
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
		q.clearLocked()
	} else if q.head > 4096 && q.head*2 > len(q.items) {
		q.items = append(q.items[:0:0], q.items[q.head:]...)
		q.head = 0
	}
	return out
}

// removeIf drops queued items for which drop returns true (used when partitions are
// revoked or seeked, so stale prefetched messages never reach the application) and
// returns them.
func (q *readyQueue[T]) removeIf(drop func(T) bool) []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	kept := q.items[:q.head]
	var removed []T
	for _, it := range q.items[q.head:] {
		if drop(it) {
			removed = append(removed, it)
			if q.sizeOf != nil {
				q.bytes -= q.sizeOf(it)
			}
			continue
		}
		kept = append(kept, it)
	}
	var zero T
	for i := len(kept); i < len(q.items); i++ {
		q.items[i] = zero
	}
	q.items = kept
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
		q.clearLocked()
	}
	return removed
}

func (q *readyQueue[T]) clearLocked() {
	// A closed queue stays readable for good: draining it (a revoke during Close
	// empties the consumer's buffer) must not put a watching event loop back to sleep.
	if q.signaled && !q.closed {
		var buf [64]byte
		for {
			if n, _ := syscall.Read(q.rfd, buf[:]); n <= 0 {
				break
			}
		}
		q.signaled = false
	}
}

func (q *readyQueue[T]) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.head
}

// fill is the number of queued items and their size in bytes.
func (q *readyQueue[T]) fill() (n, bytes int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.head, q.bytes
}

// wait blocks until items are pushed, interrupt or close is called, the timeout passes
// (timeout < 0: none) or ctx ends, and reports whether items are waiting. It may return
// early without items (a wake-up left from items taken since): callers loop.
func (q *readyQueue[T]) wait(ctx context.Context, timeout time.Duration) bool {
	q.mu.Lock()
	n, closed := len(q.items)-q.head, q.closed
	q.mu.Unlock()
	if n > 0 || closed {
		return n > 0
	}
	var timer <-chan time.Time
	if timeout >= 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-q.wake:
	case <-timer:
	case <-ctx.Done():
	}
	return q.len() > 0
}

// interrupt wakes every waiter (and the fd) without adding items.
func (q *readyQueue[T]) interrupt() {
	q.mu.Lock()
	q.signalLocked()
	q.mu.Unlock()
}

func (q *readyQueue[T]) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	// Leave the fd readable so a loop sleeping on it wakes up and sees the close.
	if !q.signaled {
		_, _ = syscall.Write(q.wfd, []byte{1})
		q.signaled = true
	}
	q.closed = true
	kick(q.wake)
}

// release closes the pipe; call it once nobody can wait on the queue any more.
func (q *readyQueue[T]) release() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.rfd >= 0 {
		syscall.Close(q.rfd)
		syscall.Close(q.wfd)
		q.rfd, q.wfd = -1, -1
	}
}

// kick wakes the receiver of ch (a channel of capacity 1) if it is not awake already:
// a send that never blocks.
func kick(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
