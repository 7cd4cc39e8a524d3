package klient

import (
	"context"
	"errors"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// metadataSliced asks for metadata until it arrives or ctx ends, in slices of at most a
// second: GetMetadata takes a timeout, not a context, and a call that brokerWatch.guard
// gave up on must end soon (Close waits for it).
func metadataSliced(ctx context.Context, get func(timeoutMs int) (*kafka.Metadata, error)) (*kafka.Metadata, error) {
	for {
		md, err := get(min(timeoutMs(ctx, 1000), 1000))
		if err == nil {
			return md, nil
		}
		var ke kafka.Error
		if ctx.Err() != nil || !errors.As(err, &ke) || ke.Code() != kafka.ErrTimedOut && ke.Code() != kafka.ErrTransport {
			return nil, err
		}
	}
}

// DefaultMetadataTimeout bounds a metadata request whose context has no deadline.
const DefaultMetadataTimeout = 10 * time.Second

// TopicPartitions returns the partition ids of topic, or an ErrNotFound error when it
// does not exist (the request never creates it). Like the admin calls it ends early: at
// once on an authentication failure, and UnreachableAfter after every broker went down
// with "connection refused by <bootstrap.servers>".
func (c *Consumer) TopicPartitions(ctx context.Context, topic string) ([]int32, error) {
	const op = "metadata"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if err := ValidateTopic(op, topic, false); err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultMetadataTimeout)
		defer cancel()
	}
	defer c.pollErrorsUntilStarted()()
	var parts []int32
	err := c.watch.guard(ctx, &c.inFlight, op, func(ctx context.Context) error {
		md, err := metadataSliced(ctx, func(ms int) (*kafka.Metadata, error) {
			t := topic
			return c.kc.GetMetadata(&t, false, ms)
		})
		if err != nil {
			return FromKafka(op, err)
		}
		tm, ok := md.Topics[topic]
		if code := tm.Error.Code(); !ok || code == kafka.ErrUnknownTopicOrPart || code == kafka.ErrUnknownTopic {
			return newError(KindNotFound, op, "topic %q does not exist", topic)
		}
		if tm.Error.Code() != kafka.ErrNoError {
			return FromKafka(op+" "+topic, tm.Error)
		}
		p := make([]int32, len(tm.Partitions))
		for i, pm := range tm.Partitions {
			p[i] = pm.ID
		}
		parts = p
		return nil
	})
	return parts, err
}

// pollErrorsUntilStarted reads the consumer's queue for error events while a request
// waits and the fetch goroutine has not started (before Subscribe nobody polls it, and
// librdkafka puts its connection and login errors there; before a subscription it holds
// nothing else). It returns the function that stops it.
func (c *Consumer) pollErrorsUntilStarted() (stop func()) {
	if c.started.Load() {
		return func() {}
	}
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-quit:
				return
			default:
			}
			c.fetchMu.Lock()
			if c.started.Load() {
				c.fetchMu.Unlock()
				return
			}
			ev := c.kc.Poll(100)
			c.fetchMu.Unlock()
			if e, ok := ev.(kafka.Error); ok {
				c.watch.observe(e)
			}
		}
	}()
	return func() {
		close(quit)
		<-finished
	}
}
