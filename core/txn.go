package klient

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/klient-dev/klient/core/events"
	"github.com/klient-dev/klient/core/internal/rdk"
	"github.com/klient-dev/klient/core/metrics"
)

func fmtInt(i int64) string { return strconv.FormatInt(i, 10) }

// TxnResult is the outcome of a transaction step, as in the spec's TransactionResult.
type TxnResult struct {
	Success       bool
	Err           error
	TransactionID string
	DurationMs    float64
}

// InTransaction reports whether a transaction is open.
func (p *Producer) InTransaction() bool {
	p.txMu.Lock()
	defer p.txMu.Unlock()
	return p.inTxn
}

func (p *Producer) txnCheck(op string) error {
	if err := p.check(op); err != nil {
		return err
	}
	if p.transactionalID == "" {
		return newError(KindTransaction, op, "producer has no transactional_id; set transactional.id to use transactions")
	}
	return nil
}

// InitTransactions registers the transactional id with the coordinator (fencing older
// producers that use it). BeginTransaction calls it lazily.
func (p *Producer) InitTransactions(ctx context.Context) error {
	if err := p.txnCheck("init_transactions"); err != nil {
		return err
	}
	p.txMu.Lock()
	defer p.txMu.Unlock()
	return p.initLocked(ctx)
}

// DefaultInitTimeout bounds InitTransactions (and BeginTransaction's lazy call of it)
// when the context has no deadline: librdkafka's init with no timeout waits forever
// for an unreachable coordinator, holding the transaction lock Close needs.
const DefaultInitTimeout = 30 * time.Second

// initSlice is how long one blocking librdkafka init call may last: between slices the
// context is checked, so a cancelled init (a relay's Stop) returns within one slice.
// librdkafka resumes an init that timed out when it is called again.
const initSlice = 500 * time.Millisecond

func (p *Producer) initLocked(ctx context.Context) error {
	if p.txInited {
		return nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultInitTimeout)
		defer cancel()
	}
	for {
		slice := min(ctxMs(ctx), int(initSlice/time.Millisecond))
		err := p.txnCall(func(rp *rdk.Producer) *rdk.TxnError { return rp.InitTransactions(slice) })
		if err == nil {
			break
		}
		// A slice that ended (timed out) resumes; another retriable error (e.g. the
		// broker still aborting an older producer's transaction, which librdkafka
		// retries within one call) is retried after a pause, as librdkafka allows.
		var te *rdk.TxnError
		if !errors.As(err, &te) || !te.Retriable || te.Fatal || ctx.Err() != nil || ctxMs(ctx) <= 0 {
			return txnError("init_transactions", err)
		}
		if te.Code != int(kafka.ErrTimedOut) {
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	p.reached() // the transaction coordinator answered
	p.txInited = true
	return nil
}

// txnCall runs a transactional call on the handle (the read lock keeps Close from
// destroying it meanwhile), or fails when the producer is closed.
func (p *Producer) txnCall(fn func(*rdk.Producer) *rdk.TxnError) error {
	p.rkMu.RLock()
	defer p.rkMu.RUnlock()
	if p.rp == nil {
		return &rdk.TxnError{Code: int(kafka.ErrState), Text: "producer is closed"}
	}
	if e := fn(p.rp); e != nil {
		return e
	}
	return nil
}

// ctxMs is the time left before ctx's deadline in ms, as librdkafka's blocking calls
// take it (-1: no deadline, wait as long as librdkafka does).
func ctxMs(ctx context.Context) int {
	dl, ok := ctx.Deadline()
	if !ok {
		return -1
	}
	return int(max(time.Until(dl).Milliseconds(), 0))
}

// txnError classifies a transactional call's error with librdkafka's flags.
func txnError(op string, err error) error {
	var te *rdk.TxnError
	if !errors.As(err, &te) {
		return FromKafka(op, err)
	}
	e := classify(op, kafka.NewError(kafka.ErrorCode(te.Code), te.Text, te.Fatal), te.Retriable, te.TxnRequiresAbort)
	if e.Kind == KindKafka {
		e.Kind = KindTransaction
	}
	return e
}

// BeginTransaction starts a transaction, initialising transactions first if needed.
func (p *Producer) BeginTransaction(ctx context.Context) (TxnResult, error) {
	start := time.Now()
	res := TxnResult{TransactionID: p.transactionalID}
	if err := p.txnCheck("begin_transaction"); err != nil {
		res.Err = err
		return res, err
	}
	p.txMu.Lock()
	defer p.txMu.Unlock()
	if p.inTxn {
		res.Err = newError(KindTransaction, "begin_transaction", "a transaction is already open")
		return res, res.Err
	}
	if err := p.initLocked(ctx); err != nil {
		res.Err = err
		return res, err
	}
	if err := p.txnCall(func(rp *rdk.Producer) *rdk.TxnError { return rp.BeginTransaction() }); err != nil {
		res.Err = txnError("begin_transaction", err)
		return res, res.Err
	}
	p.inTxn, p.txStart = true, time.Now()
	res.Success, res.DurationMs = true, ms(time.Since(start))
	metrics.Inc(metrics.ProducerTxBegin, 1)
	events.Emit("transaction_begin", events.F("transaction_id", p.transactionalID))
	return res, nil
}

// CommitTransaction flushes and commits the open transaction, retrying retriable commit
// errors until ctx ends. An error with TxnRequiresAbort set means: call AbortTransaction.
func (p *Producer) CommitTransaction(ctx context.Context) (TxnResult, error) {
	return p.endTxn(ctx, true)
}

// AbortTransaction aborts the open transaction: nothing produced in it becomes visible
// to read_committed consumers.
func (p *Producer) AbortTransaction(ctx context.Context) (TxnResult, error) {
	return p.endTxn(ctx, false)
}

func (p *Producer) endTxn(ctx context.Context, commit bool) (TxnResult, error) {
	op, name, counter := "abort_transaction", "transaction_abort", metrics.ProducerTxAbort
	if commit {
		op, name, counter = "commit_transaction", "transaction_commit", metrics.ProducerTxCommit
	}
	res := TxnResult{TransactionID: p.transactionalID}
	if err := p.txnCheck(op); err != nil {
		res.Err = err
		return res, err
	}
	p.txMu.Lock()
	defer p.txMu.Unlock()
	if !p.inTxn {
		res.Err = newError(KindTransaction, op, "no transaction is open")
		return res, res.Err
	}
	var err error
	for {
		err = p.txnCall(func(rp *rdk.Producer) *rdk.TxnError {
			if commit {
				return rp.CommitTransaction(ctxMs(ctx))
			}
			return rp.AbortTransaction(ctxMs(ctx))
		})
		var te *rdk.TxnError
		if err != nil && errors.As(err, &te) && te.Retriable && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		break
	}
	res.DurationMs = ms(time.Since(p.txStart))
	if err != nil {
		res.Err = txnError(op, err)
		var ke *Error
		// After a commit failure that needs an abort the transaction is still open;
		// otherwise (success, fatal, fenced) it is over.
		if !(commit && errors.As(res.Err, &ke) && ke.TxnRequiresAbort) {
			p.inTxn = false
		}
		events.Emit(name+"_failed", events.F("transaction_id", p.transactionalID), events.F("error", res.Err.Error()), events.F("duration_ms", res.DurationMs))
		return res, res.Err
	}
	p.inTxn = false
	res.Success = true
	metrics.Inc(counter, 1)
	events.Emit(name, events.F("transaction_id", p.transactionalID), events.F("duration_ms", res.DurationMs))
	return res, nil
}

// Offset names a position in a partition: the offset of the next message to consume.
type Offset struct {
	Topic     string
	Partition int32
	Offset    int64
	Metadata  string
}

// String renders topic[partition]@offset.
func (o Offset) String() string { return fmt.Sprintf("%s[%d]@%d", o.Topic, o.Partition, o.Offset) }

// SendOffsetsToTransaction adds consumer offsets to the open transaction, so they are
// committed if and only if the transaction commits: usually Consumer.HandedOut, the
// position after what the consumer handed to the application. from is the consumer
// whose group the offsets are committed for: its group metadata lets the broker fence
// zombies (KIP-447).
func (p *Producer) SendOffsetsToTransaction(ctx context.Context, offsets []Offset, from *Consumer) error {
	if err := p.txnCheck("send_offsets_to_transaction"); err != nil {
		return err
	}
	if from == nil {
		return newError(KindInvalidArgument, "send_offsets_to_transaction", "the consumer whose offsets these are is required")
	}
	if err := from.check("send_offsets_to_transaction"); err != nil {
		return err
	}
	if from.rk == nil {
		return newError(KindInternal, "send_offsets_to_transaction", "the consumer's librdkafka handle is not available (see rdk.HandleOf)")
	}
	p.txMu.Lock()
	defer p.txMu.Unlock()
	if !p.inTxn {
		return newError(KindTransaction, "send_offsets_to_transaction", "no transaction is open")
	}
	to := make([]rdk.TxnOffset, len(offsets))
	for i, o := range offsets {
		to[i] = rdk.TxnOffset{Partition: rdk.Partition{Topic: o.Topic, Partition: o.Partition, Offset: o.Offset}, Metadata: o.Metadata}
	}
	if err := p.txnCall(func(rp *rdk.Producer) *rdk.TxnError { return rp.SendOffsetsToTransaction(to, from.rk, ctxMs(ctx)) }); err != nil {
		return txnError("send_offsets_to_transaction", err)
	}
	return nil
}

func toTopicPartitions(offsets []Offset) []kafka.TopicPartition {
	tps := make([]kafka.TopicPartition, len(offsets))
	for i := range offsets {
		o := offsets[i]
		tps[i] = kafka.TopicPartition{Topic: &o.Topic, Partition: o.Partition, Offset: kafka.Offset(o.Offset)}
		if o.Metadata != "" {
			tps[i].Metadata = &o.Metadata
		}
	}
	return tps
}

func fromTopicPartitions(tps []kafka.TopicPartition) []Offset {
	out := make([]Offset, 0, len(tps))
	for _, tp := range tps {
		o := Offset{Partition: tp.Partition, Offset: int64(tp.Offset)}
		if tp.Topic != nil {
			o.Topic = *tp.Topic
		}
		if tp.Metadata != nil {
			o.Metadata = *tp.Metadata
		}
		out = append(out, o)
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func timeUntilMs(t time.Time) int64 { return time.Until(t).Milliseconds() }
