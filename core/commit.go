package klient

// Offset commits. They go through librdkafka's rd_kafka_commit_queue (internal/rdk):
// a synchronous commit waits for its result on a queue of its own for as long as its
// context allows, and CommitAsync's result arrives on the consumer's queue, where the
// fetch goroutine reports a failure, so neither blocks a thread or starts a goroutine
// per call. Without librdkafka's handle (rdk.HandleOf failed, which the core's tests
// reject) they fall back to confluent-kafka-go's blocking Commit.

import (
	"context"
	"errors"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/klient-dev/klient/core/events"
	"github.com/klient-dev/klient/core/internal/rdk"
)

// asyncCommitTag marks the results of CommitAsync among the commit results on the
// consumer's queue (the auto-commit's carry no tag).
const asyncCommitTag = 1

// use runs fn if the consumer is open, keeping it open until fn returns.
func (c *Consumer) use(op string, fn func() error) error {
	c.useMu.RLock()
	defer c.useMu.RUnlock()
	if err := c.check(op); err != nil {
		return err
	}
	return fn()
}

// ctxError is the error of a call whose context ended first.
func ctxError(op string, ctx context.Context) error {
	why := "deadline passed"
	if errors.Is(ctx.Err(), context.Canceled) {
		why = "context cancelled"
	}
	return &Error{Kind: KindTimeout, Op: op, Message: why + " before the broker answered", Err: ctx.Err()}
}

// waitMs is how long a librdkafka call may wait within ctx (-1: without limit).
func waitMs(ctx context.Context) int {
	dl, ok := ctx.Deadline()
	if !ok {
		return -1
	}
	return max(int(time.Until(dl).Milliseconds()), 1)
}

// Commit synchronously commits the offsets of every message handed out so far. ctx
// bounds the wait: when it ends first, Commit returns a timeout error and the commit
// may still complete.
func (c *Consumer) Commit(ctx context.Context) (committed []Offset, err error) {
	c.storeHanded() // a Stream's messages yielded so far
	err = c.use("commit", func() error {
		committed, err = c.commit(ctx, "commit", nil)
		return err
	})
	var ke *Error
	if errors.As(err, &ke) && ke.Code == int(kafka.ErrNoOffset) {
		return nil, nil // nothing consumed since the last commit
	}
	return committed, err
}

// CommitOffsets synchronously commits explicit offsets (the next offset to read); ctx
// bounds the wait as in Commit.
func (c *Consumer) CommitOffsets(ctx context.Context, offsets []Offset) error {
	return c.use("commit", func() error {
		for _, o := range offsets {
			if err := ValidateTopic("commit", o.Topic, false); err != nil {
				return err
			}
			if err := ValidatePartition("commit", o.Partition, false); err != nil {
				return err
			}
			if o.Offset < 0 {
				return newError(KindInvalidArgument, "commit", "offset of %s [%d] must be >= 0, got %d", o.Topic, o.Partition, o.Offset)
			}
		}
		if offsets == nil {
			offsets = []Offset{} // nil would commit the stored offsets
		}
		_, err := c.commit(ctx, "commit", offsets)
		return err
	})
}

// commit commits offsets (nil: the stored offsets of the assignment) and waits for
// the result until ctx ends.
func (c *Consumer) commit(ctx context.Context, op string, offsets []Offset) ([]Offset, error) {
	if ctx.Err() != nil {
		return nil, ctxError(op, ctx)
	}
	if c.rk == nil {
		var tps []kafka.TopicPartition
		var err error
		if offsets == nil {
			tps, err = c.kc.Commit()
		} else {
			tps, err = c.kc.CommitOffsets(toTopicPartitions(offsets))
		}
		return fromTopicPartitions(tps), FromKafka(op, err)
	}
	pending, code := c.rk.StartCommit(rdkPartitions(offsets))
	if code != 0 {
		return nil, commitError(op, code, "")
	}
	woken := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		pending.Wake()
		close(woken)
	})
	var done bool
	var msg string
	var parts []rdk.Partition
	for !done && ctx.Err() == nil {
		done, code, msg, parts = pending.Wait(waitMs(ctx))
	}
	if !stop() {
		<-woken // Wake may be running: let it end before the queue is freed
	}
	pending.Release()
	if !done {
		return nil, ctxError(op, ctx)
	}
	if err := commitError(op, code, msg); err != nil {
		return nil, err
	}
	out := make([]Offset, len(parts))
	for i, p := range parts {
		out[i] = Offset{Topic: p.Topic, Partition: p.Partition, Offset: p.Offset}
	}
	return out, nil
}

func rdkPartitions(offsets []Offset) []rdk.Partition {
	if offsets == nil {
		return nil
	}
	out := make([]rdk.Partition, len(offsets))
	for i, o := range offsets {
		out[i] = rdk.Partition{Topic: o.Topic, Partition: o.Partition, Offset: o.Offset}
	}
	return out
}

// CommitAsync commits like Commit without waiting; a failure is emitted as a
// commit_failed event. A closed consumer is refused at once.
func (c *Consumer) CommitAsync() error {
	c.storeHanded() // a Stream's messages yielded so far
	return c.use("commit_async", func() error {
		if c.fast == nil {
			// No queue to receive the result on: commit before returning.
			_, err := c.commit(context.Background(), "commit_async", nil)
			c.asyncCommitFailed(err)
			return nil
		}
		c.asyncCommitFailed(commitError("commit_async", c.fast.q.CommitAsync(nil, asyncCommitTag), ""))
		return nil
	})
}

// commitError is the error of librdkafka's commit result code (nil for 0).
func commitError(op string, code int, msg string) error {
	if code == 0 {
		return nil
	}
	return FromKafka(op, kafka.NewError(kafka.ErrorCode(code), msg, false))
}

// asyncCommitFailed reports a CommitAsync's failure, if err is one (nothing to commit
// is not). Runs on the fetch goroutine when the result arrives there.
func (c *Consumer) asyncCommitFailed(err error) {
	var ke *Error
	if err == nil || errors.As(err, &ke) && ke.Code == int(kafka.ErrNoOffset) {
		return
	}
	events.Emit("commit_failed", events.F("group_id", c.groupID), events.F("error", err.Error()))
}

// Committed returns the group's committed offsets for the assigned partitions, waiting
// for the broker's answer until ctx ends.
func (c *Consumer) Committed(ctx context.Context) (committed []Offset, err error) {
	err = c.use("committed", func() error {
		tps, err := c.kc.Assignment()
		if err != nil {
			return FromKafka("committed", err)
		}
		// rd_kafka_committed takes a timeout, not a context: ask in slices of at most
		// a second, so a cancelled ctx ends the wait within one.
		for {
			if ctx.Err() != nil {
				return ctxError("committed", ctx)
			}
			slice, last := waitMs(ctx), true // last: the slice ends at ctx's deadline
			if slice < 0 || slice > 1000 {
				slice, last = 1000, false
			}
			got, err := c.kc.Committed(tps, slice)
			var ke kafka.Error
			if err == nil || last || !errors.As(err, &ke) || ke.Code() != kafka.ErrTimedOut {
				committed = fromTopicPartitions(got)
				return FromKafka("committed", err)
			}
		}
	})
	return committed, err
}
