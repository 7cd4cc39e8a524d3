package klient

// What the external tests (package klient_test) need to see of the internals.

// ProducerFastPath reports whether p's SendBatch uses the direct librdkafka path.
func ProducerFastPath(p *Producer) bool { return p.rk != nil }

// ConsumerFastPath reports whether c's fetch goroutine reads librdkafka's queue directly.
func ConsumerFastPath(c *Consumer) bool { return c.fast != nil }
