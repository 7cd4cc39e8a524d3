package klient

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/klient-dev/klient/core/events"
	"github.com/klient-dev/klient/core/internal/rdk"
	"github.com/klient-dev/klient/core/metrics"
)

// RelayOptions tune a Relay. Zero values take the defaults.
type RelayOptions struct {
	// BatchSize is the number of source messages per transaction (default 25).
	BatchSize int
	// MaxBatchTime seals a batch that is not full after this long (default 1 s), so a
	// slow trickle still commits.
	MaxBatchTime time.Duration
	// MaxInFlight is how many batches may be between "consumed" and "committed" at once
	// (default 1). See Relay for what more than one means.
	MaxInFlight int
	// Transform maps a batch of source messages to the messages to produce: zero (a
	// filter), one or several per input. An output with Topic "" goes to the relay's
	// target topic. Like every Message, Partition 0 means partition 0: set AnyPartition
	// to let the partitioner choose. nil is the identity (key, value, headers and
	// timestamp kept, partition chosen by the partitioner). An error aborts the batch,
	// which is retried. A batch may be transformed more than once (after an abort or a
	// rebalance), so the transform should not have side effects of its own.
	Transform func(batch []*ConsumedMessage) ([]Message, error)
	// TransformKeepsNoInput says Transform keeps no reference to its input messages'
	// Key, Value or Headers once it returns (a C transform's views are valid only
	// during its call). The relay then gives each committed batch's messages back to
	// the consumer (Consumer.Recycle), so that their fetched memory takes later
	// fetches; otherwise it is freed when the garbage collector finds it unused, which,
	// for memory outside the Go heap (ConsumerOptions.OffHeapBatches), may be long
	// after. Implied when Transform is nil.
	TransformKeepsNoInput bool
	// GracePeriod bounds how long Stop or a cancelled context lets the batches already
	// consumed finish (commit) before they are abandoned (default 10 s). Abandoned
	// batches are aborted or never begun: their source offsets stay uncommitted, so
	// they are relayed again by the next run.
	GracePeriod time.Duration
}

// RelayStats are a relay's counters since it was created.
type RelayStats struct {
	Batches   int64 // committed transactions
	Aborted   int64 // aborted batches (each one is retried)
	Forwarded int64 // messages produced in committed transactions
	Consumed  int64 // source messages taken from the consumer (re-reads after an abort count again)
}

// Relay copies a source topic to a target topic exactly once: each batch of source
// messages is transformed and produced in one transaction that also carries the source
// offsets (SendOffsetsToTransaction with the consumer's group metadata, KIP-447). The
// outputs become visible to read_committed consumers if and only if the source offsets
// are committed, so a crash at any point neither loses nor duplicates a message: the
// next run (same transactional.id, or any member of the same group) starts from the
// last committed batch. On any failure the open transaction is aborted, the consumer is
// rewound to the batch's first offsets and the batch is retried.
//
// Rebalances: when partitions are revoked the relay first lets the in-flight
// transaction finish, then drops the not-yet-begun messages of the revoked partitions;
// their new owner starts from the committed offsets. A zombie member of an old group
// generation is fenced by the broker when it sends its offsets.
//
// MaxInFlight: a transactional producer has at most one open transaction, so batches
// are always committed one at a time, in order. MaxInFlight > 1 pipelines the work:
// while batch N commits, batches N+1 .. N+MaxInFlight-1 are consumed and transformed.
// The guarantee is unchanged (a batch's outputs and offsets commit atomically, and
// batches commit in consumption order); when batch N aborts, the batches consumed
// after it are discarded and re-read too, since their offsets follow N's. What it buys
// is overlap of transform and consume latency with the commit round-trips. For more
// parallelism, run more relays in the same group, each with its own transactional.id.
type Relay struct {
	c    *Consumer
	p    *Producer
	opts RelayOptions
	src  string
	dst  string

	// txMu is held for a whole transaction (begin to commit/abort); the revoke hook
	// takes it so a rebalance waits for the in-flight transaction.
	txMu sync.Mutex
	// mu guards the batches between consumer and committer and the rebalance state.
	// Lock order: fetchMu (consumer) -> txMu -> mu.
	mu           sync.Mutex
	building     []*ConsumedMessage
	buildStart   time.Time
	transforming *relayBatch
	sealed       []*relayBatch
	committing   bool
	rewinding    bool
	gen          uint64             // bumped by each rebalance
	touched      map[seekKey]uint64 // partition -> gen of its last rebalance
	draining     bool
	graceEnd     time.Time
	fatal        error

	ran           atomic.Bool
	halt          chan struct{}
	haltOnce      sync.Once
	builderKick   chan struct{}
	committerKick chan struct{}

	batches, aborted, forwarded, consumed atomic.Int64
}

type relayBatch struct {
	in        []*ConsumedMessage
	out       []Message
	err       error // the transform's error
	stale     bool  // in was filtered by a revoke: transform again
	discarded bool  // an abort threw it away while it was being transformed
}

// Relay defaults.
const (
	DefaultRelayBatchSize   = 25
	DefaultRelayBatchTime   = time.Second
	DefaultRelayGracePeriod = 10 * time.Second
)

// NewRelay checks its arguments and returns a relay; Run starts it. The producer must
// be transactional (transactional.id set, unique per relay process) and the consumer
// must not auto-commit (enable.auto.commit=false); the consumer's isolation level
// should stay read_committed (the default) when the source is itself transactional.
func NewRelay(c *Consumer, p *Producer, opts RelayOptions) (*Relay, error) {
	const op = "new_relay"
	if c == nil || p == nil {
		return nil, newError(KindInvalidArgument, op, "a consumer and a producer are required")
	}
	if err := c.check(op); err != nil {
		return nil, err
	}
	if err := p.check(op); err != nil {
		return nil, err
	}
	if p.transactionalID == "" {
		return nil, newError(KindConfig, op, "the producer must be transactional: set transactional.id (unique per relay process)")
	}
	if c.autoCommit {
		return nil, newError(KindConfig, op, "the consumer must have enable.auto.commit=false: the relay commits offsets inside its transactions")
	}
	if opts.BatchSize < 0 || opts.MaxInFlight < 0 || opts.MaxBatchTime < 0 || opts.GracePeriod < 0 {
		return nil, newError(KindInvalidArgument, op, "batch_size, max_in_flight, max_batch_time and grace_period must not be negative")
	}
	if opts.BatchSize == 0 {
		opts.BatchSize = DefaultRelayBatchSize
	}
	if opts.MaxBatchTime == 0 {
		opts.MaxBatchTime = DefaultRelayBatchTime
	}
	if opts.MaxInFlight == 0 {
		opts.MaxInFlight = 1
	}
	if opts.GracePeriod == 0 {
		opts.GracePeriod = DefaultRelayGracePeriod
	}
	return &Relay{c: c, p: p, opts: opts, touched: map[seekKey]uint64{}, halt: make(chan struct{}),
		builderKick: make(chan struct{}, 1), committerKick: make(chan struct{}, 1)}, nil
}

// Stats returns the relay's counters.
func (r *Relay) Stats() RelayStats {
	return RelayStats{Batches: r.batches.Load(), Aborted: r.aborted.Load(), Forwarded: r.forwarded.Load(), Consumed: r.consumed.Load()}
}

// Stop ends Run gracefully (see RelayOptions.GracePeriod). It may be called from any
// goroutine, more than once, and before Run (Run then returns at once).
func (r *Relay) Stop() { r.haltOnce.Do(func() { close(r.halt) }) }

// Run subscribes the consumer to src and relays to dst until ctx ends or Stop is called
// (returning nil after the graceful stop), or until the producer is fenced (an error
// matching ErrFenced) or another unrecoverable error happens. A Relay runs once.
func (r *Relay) Run(ctx context.Context, src, dst string) error {
	const op = "relay"
	if src == "" || dst == "" {
		return newError(KindInvalidArgument, op, "source and target topics must not be empty")
	}
	if !r.ran.CompareAndSwap(false, true) {
		return newError(KindInvalidArgument, op, "a relay runs once: create a new one")
	}
	r.src, r.dst = src, dst
	// Stop ends the transactional init too (it waits up to a minute for an unreachable
	// coordinator): a relay stopped before it started moving returns nil.
	initCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	go func() {
		select {
		case <-r.halt:
			cancel()
		case <-initCtx.Done():
		}
	}()
	err := r.p.InitTransactions(initCtx)
	cancel()
	select {
	case <-r.halt:
		if err != nil {
			return nil
		}
	default:
	}
	if err != nil {
		return err
	}
	hook := r.onRebalance
	r.c.relayHook.Store(&hook)
	defer r.c.relayHook.Store(nil)
	if err := r.c.Subscribe([]string{src}); err != nil {
		return err
	}
	start := time.Now()
	done := make(chan struct{})
	go r.commitLoop(done)
	r.buildLoop(ctx)

	// Graceful stop: hand the partly built batch over, then let the committer drain
	// what was consumed until the grace period ends.
	r.mu.Lock()
	failed := r.fatal != nil
	r.mu.Unlock()
	if !failed {
		r.seal()
	}
	r.mu.Lock()
	r.draining, r.graceEnd = true, time.Now().Add(r.opts.GracePeriod)
	r.mu.Unlock()
	kick(r.committerKick)
	<-done

	r.mu.Lock()
	err = r.fatal
	r.mu.Unlock()
	reason := "stopped"
	if err != nil {
		reason = err.Error()
	}
	st := r.Stats()
	events.Emit("relay_stopped", events.F("source", src), events.F("target", dst), events.F("reason", reason),
		events.F("batches", st.Batches), events.F("aborted", st.Aborted), events.F("forwarded", st.Forwarded),
		events.F("duration_s", time.Since(start).Seconds()))
	return err
}

// fail records an unrecoverable error and stops the relay.
func (r *Relay) fail(err error) {
	r.mu.Lock()
	if r.fatal == nil {
		r.fatal = err
	}
	r.mu.Unlock()
	r.Stop()
}

// buildLoop takes messages from the consumer into batches until the relay halts.
func (r *Relay) buildLoop(ctx context.Context) {
	for {
		select {
		case <-r.halt:
			return
		case <-ctx.Done():
			r.Stop()
			return
		default:
		}
		r.mu.Lock()
		busy := r.rewinding || len(r.sealed)+b2i(r.committing) >= r.opts.MaxInFlight
		wait := 100 * time.Millisecond
		if len(r.building) > 0 {
			wait = min(wait, time.Until(r.buildStart.Add(r.opts.MaxBatchTime)))
		}
		r.mu.Unlock()
		if busy {
			select {
			case <-r.builderKick:
			case <-r.halt:
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		if wait > 0 {
			r.c.msgs.wait(ctx, wait)
		}
		if err := r.c.takeErr(); err != nil {
			var ke *Error
			if errors.As(err, &ke) && (ke.Fatal || ke.Kind == KindFatal || ke.Kind == KindClosed) {
				r.fail(err)
				return
			}
			events.Emit("relay_consumer_error", events.F("error", err.Error()))
		}
		if r.c.closed.Load() {
			r.fail(newError(KindClosed, "relay", "the consumer was closed while the relay was running"))
			return
		}
		// Popping under mu keeps the revoke hook from running between the pop and the
		// append, so it always sees (and can drop) every message taken.
		r.mu.Lock()
		if !r.rewinding {
			if need := r.opts.BatchSize - len(r.building); need > 0 {
				msgs := r.c.msgs.pop(need)
				if len(msgs) > 0 {
					kick(r.c.space)
					if len(r.building) == 0 {
						r.buildStart = time.Now()
					}
					r.building = append(r.building, msgs...)
					r.consumed.Add(int64(len(msgs)))
				}
			}
		}
		seal := len(r.building) >= r.opts.BatchSize || (len(r.building) > 0 && time.Since(r.buildStart) >= r.opts.MaxBatchTime)
		r.mu.Unlock()
		if seal {
			r.seal()
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// seal transforms the batch being built and queues it for the committer.
func (r *Relay) seal() {
	r.mu.Lock()
	if len(r.building) == 0 {
		r.mu.Unlock()
		return
	}
	b := &relayBatch{in: r.building}
	in := b.in // the hook replaces b.in under mu; the transform reads this copy
	r.building = nil
	r.transforming = b
	r.mu.Unlock()
	for {
		out, err := r.transform(in)
		r.mu.Lock()
		if b.discarded || len(b.in) == 0 {
			r.transforming = nil
			r.mu.Unlock()
			return
		}
		if b.stale { // a revoke removed some inputs meanwhile
			b.stale, in = false, b.in
			r.mu.Unlock()
			continue
		}
		b.out, b.err = out, err
		r.sealed = append(r.sealed, b)
		r.transforming = nil
		r.mu.Unlock()
		kick(r.committerKick)
		return
	}
}

func (r *Relay) transform(in []*ConsumedMessage) (out []Message, err error) {
	if r.opts.Transform == nil {
		out = make([]Message, len(in))
		for i, m := range in {
			out[i] = Message{Topic: r.dst, Partition: AnyPartition, Key: m.Key, Value: m.Value, Headers: m.Headers, Timestamp: m.Timestamp}
		}
		return out, nil
	}
	err = safeCall(func() error {
		var terr error
		out, terr = r.opts.Transform(in)
		return terr
	})
	if err != nil {
		var ke *Error
		if !errors.As(err, &ke) || ke.Kind != KindCallback {
			err = &Error{Kind: KindCallback, Op: "relay_transform", Message: "transform failed: " + err.Error(), Err: err}
		}
		return nil, err
	}
	return out, nil
}

// commitLoop runs the transactions, one batch at a time, in order.
func (r *Relay) commitLoop(done chan struct{}) {
	defer close(done)
	aborts := 0
	for {
		r.txMu.Lock()
		r.mu.Lock()
		if r.fatal != nil || (r.draining && (len(r.sealed) == 0 || time.Now().After(r.graceEnd))) {
			r.mu.Unlock()
			r.txMu.Unlock()
			return
		}
		if len(r.sealed) == 0 {
			r.mu.Unlock()
			r.txMu.Unlock()
			select {
			case <-r.committerKick:
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		b := r.sealed[0]
		r.sealed = r.sealed[1:]
		r.committing = true
		r.mu.Unlock()
		kick(r.builderKick)

		if b.stale { // filtered by a revoke after it was sealed
			b.out, b.err = r.transform(b.in)
		}
		if len(b.in) == 0 {
			r.endBatch()
			r.txMu.Unlock()
			continue
		}
		began := time.Now()
		stage, err := r.runTxn(b)
		if err == nil {
			r.endBatch()
			r.txMu.Unlock()
			if r.opts.Transform == nil || r.opts.TransformKeepsNoInput {
				// Committed: its outputs are delivered (librdkafka copied them) and
				// nothing reads its inputs any more.
				r.c.Recycle(b.in)
			}
			aborts = 0
			r.batches.Add(1)
			r.forwarded.Add(int64(len(b.out)))
			metrics.Inc(metrics.RelayBatchCommit, 1)
			metrics.Inc(metrics.RelayMessagesForwarded, int64(len(b.out)))
			events.Emit("relay_batch_committed", events.F("source", r.src), events.F("target", r.dst),
				events.F("transaction_id", r.p.transactionalID), events.F("messages", len(b.in)),
				events.F("outputs", len(b.out)), events.F("duration_ms", ms(time.Since(began))))
			continue
		}
		if fatal := r.abort(stage, err); fatal != nil {
			r.endBatch()
			r.txMu.Unlock()
			r.fail(fatal)
			return
		}
		r.aborted.Add(1)
		metrics.Inc(metrics.RelayBatchAbort, 1)
		events.Emit("relay_batch_aborted", events.F("source", r.src), events.F("target", r.dst),
			events.F("transaction_id", r.p.transactionalID), events.F("messages", len(b.in)),
			events.F("stage", stage), events.F("error", err.Error()), events.F("duration_ms", ms(time.Since(began))))
		// Everything consumed after the batch is thrown away with it and read again.
		r.mu.Lock()
		start := map[seekKey]int64{}
		note := func(msgs []*ConsumedMessage) {
			for _, m := range msgs {
				k := seekKey{m.Topic, m.Partition}
				if o, ok := start[k]; !ok || m.Offset < o {
					start[k] = m.Offset
				}
			}
		}
		note(b.in)
		for _, s := range r.sealed {
			note(s.in)
		}
		if r.transforming != nil {
			note(r.transforming.in)
			r.transforming.discarded = true
		}
		note(r.building)
		r.sealed, r.building = nil, nil
		r.rewinding, r.committing = true, false
		gen := r.gen
		r.mu.Unlock()
		r.txMu.Unlock()

		offsets := make([]Offset, 0, len(start))
		for k, off := range start {
			offsets = append(offsets, Offset{Topic: k.topic, Partition: k.partition, Offset: off})
		}
		rerr := r.c.rewind(offsets, func(o Offset) bool {
			r.mu.Lock()
			defer r.mu.Unlock()
			return r.touched[seekKey{o.Topic, o.Partition}] <= gen // rebalanced since: its new start is the committed offset
		})
		r.mu.Lock()
		r.rewinding = false
		r.mu.Unlock()
		kick(r.builderKick)
		if rerr != nil {
			// Without the rewind the next commit would skip the aborted messages.
			r.fail(&Error{Kind: KindKafka, Op: "relay", Message: "cannot rewind the consumer after an aborted batch: " + rerr.Error(), Err: rerr})
			return
		}
		aborts++
		select {
		case <-time.After(min(Backoff(100*time.Millisecond, aborts), 5*time.Second)):
		case <-r.halt:
		}
	}
}

func (r *Relay) endBatch() {
	r.mu.Lock()
	r.committing = false
	r.mu.Unlock()
	kick(r.builderKick)
}

// txnContext bounds one transaction: normally generously (transaction.timeout.ms is
// the real limit), while draining by the end of the grace period.
func (r *Relay) txnContext() (context.Context, context.CancelFunc) {
	r.mu.Lock()
	draining, end := r.draining, r.graceEnd
	r.mu.Unlock()
	if draining {
		return context.WithDeadline(context.Background(), end)
	}
	return context.WithTimeout(context.Background(), 60*time.Second)
}

// runTxn relays one batch in one transaction; it returns the failed stage and error.
func (r *Relay) runTxn(b *relayBatch) (string, error) {
	if b.err != nil {
		return "transform", b.err
	}
	ctx, cancel := r.txnContext()
	defer cancel()
	if ctx.Err() != nil {
		return "begin", &Error{Kind: KindTimeout, Op: "relay", Message: "grace period over before the batch began"}
	}
	if _, err := r.p.BeginTransaction(ctx); err != nil {
		return "begin", err
	}
	if err := r.produce(ctx, b.out); err != nil {
		return "produce", err
	}
	if err := r.p.SendOffsetsToTransaction(ctx, nextOffsets(b.in), r.c); err != nil {
		return "send_offsets", err
	}
	if _, err := r.p.CommitTransaction(ctx); err != nil {
		return "commit", err
	}
	return "", nil
}

// produce sends the outputs into the open transaction and waits for their reports, so
// a delivery failure aborts the batch rather than failing the commit later.
func (r *Relay) produce(ctx context.Context, out []Message) error {
	cloned := false
	for i := range out {
		if out[i].Topic == "" {
			if !cloned { // the transform's slice stays as it returned it
				out, cloned = slices.Clone(out), true
			}
			out[i].Topic = r.dst
		}
	}
	w := rdk.NewWaiter()
	defer w.Release()
	_, failed := r.p.queue(ctx, out, rdk.Tag{Waiter: w})
	// Even after a failure, settle what was queued: the abort that follows then always
	// applies to records the broker has, the same way every time.
	for !w.Wait(100) {
		if ctx.Err() != nil {
			if failed == nil {
				failed = &Error{Kind: KindTimeout, Op: "relay_produce", Message: "delivery reports missing at the deadline", Err: ctx.Err()}
			}
			return failed
		}
	}
	if code, _, _, _, _, _ := w.Result(); code != 0 && failed == nil {
		failed = FromKafka("relay_produce", kafka.NewError(kafka.ErrorCode(code), "", false))
	}
	return failed
}

// abort ends a failed batch's transaction. It returns an error when the relay cannot
// go on: the producer is fenced or fatally broken, or the outcome of a commit is
// unknown (retrying could duplicate the batch; a restart resolves it, because
// InitTransactions completes or aborts whatever the old transaction was).
func (r *Relay) abort(stage string, cause error) error {
	if isFatalTxnErr(cause) {
		return cause
	}
	// A message-level failure (say, a record too large) is classified fatal for that
	// message but leaves the producer usable; only librdkafka's fatal state stops us.
	if ferr := r.p.fatalError(); ferr != nil {
		return FromKafka("relay", ferr)
	}
	if !r.p.InTransaction() {
		if stage == "commit" {
			return &Error{Kind: KindTransaction, Op: "relay", Message: "commit outcome unknown, stopping: " + cause.Error(), Err: cause}
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := r.p.AbortTransaction(ctx); err != nil {
		return err
	}
	return nil
}

func isFatalTxnErr(err error) bool {
	var ke *Error
	if !errors.As(err, &ke) {
		return false
	}
	if ke.Kind == KindFenced || ke.Kind == KindClosed {
		return true
	}
	var kerr kafka.Error
	return errors.As(err, &kerr) && kerr.IsFatal()
}

// nextOffsets are the offsets to commit for a batch: one past its last message per partition.
func nextOffsets(msgs []*ConsumedMessage) []Offset {
	next := map[seekKey]int64{}
	for _, m := range msgs {
		k := seekKey{m.Topic, m.Partition}
		if m.Offset+1 > next[k] {
			next[k] = m.Offset + 1
		}
	}
	out := make([]Offset, 0, len(next))
	for k, off := range next {
		out = append(out, Offset{Topic: k.topic, Partition: k.partition, Offset: off})
	}
	return out
}

// onRebalance is the consumer's relay hook, on the fetch goroutine.
func (r *Relay) onRebalance(kind RebalanceKind, parts []Offset) {
	if kind != RebalanceAssign {
		r.txMu.Lock() // let the in-flight transaction finish first
		defer r.txMu.Unlock()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gen++
	gone := map[seekKey]bool{}
	for _, p := range parts {
		k := seekKey{p.Topic, p.Partition}
		r.touched[k] = r.gen
		gone[k] = true
	}
	if kind == RebalanceAssign {
		return
	}
	// Filtering allocates new slices: the transform may be reading the old ones.
	keep := func(msgs []*ConsumedMessage) ([]*ConsumedMessage, bool) {
		out := make([]*ConsumedMessage, 0, len(msgs))
		for _, m := range msgs {
			if !gone[seekKey{m.Topic, m.Partition}] {
				out = append(out, m)
			}
		}
		return out, len(out) != len(msgs)
	}
	r.building, _ = keep(r.building)
	if r.transforming != nil {
		if in, changed := keep(r.transforming.in); changed {
			r.transforming.in, r.transforming.stale = in, true
		}
	}
	sealed := r.sealed[:0:0]
	for _, b := range r.sealed {
		if in, changed := keep(b.in); changed {
			b.in, b.stale = in, true
		}
		if len(b.in) > 0 {
			sealed = append(sealed, b)
		}
	}
	r.sealed = sealed
}
