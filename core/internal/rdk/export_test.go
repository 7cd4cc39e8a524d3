package rdk

// QueueLengths exposes Queue.lengths to the tests.
func QueueLengths(q *Queue) (consumer, routed int) { return q.lengths() }
