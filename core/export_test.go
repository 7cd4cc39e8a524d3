package klient

import "testing"

// What the external tests (package klient_test) need to see of the internals.

// ConsumerFastPath reports whether c's fetch goroutine reads librdkafka's queue directly.
func ConsumerFastPath(c *Consumer) bool { return c.fast != nil }

// BufferedBytes is the size of the prefetched messages, as MaxBufferedBytes counts it.
func BufferedBytes(c *Consumer) int {
	_, bytes := c.msgs.fill()
	return bytes
}

// SelfServedReports counts the synchronous Produce reports that their caller's own poll
// of librdkafka's queue served (serveUntilReported).
func SelfServedReports(p *Producer) int64 { return p.selfServed.Load() }

// BatchBuffer is the fetched batch buffer m's Key and Value are slices of (nil after
// Recycle, or for a message that did not come from the fast path).
func BatchBuffer(m *ConsumedMessage) []byte {
	if m.mem == nil {
		return nil
	}
	return m.mem.buf.b
}

// Mapped tells whether the memory of b (an off-heap batch buffer) is still mapped.
func Mapped(t *testing.T, b []byte) bool { return mapped(t, b) }
