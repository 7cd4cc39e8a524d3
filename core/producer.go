package klient

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/klient-dev/klient/core/config"
	"github.com/klient-dev/klient/core/internal/rdk"
	"github.com/klient-dev/klient/core/metrics"
)

// Header is one Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// Message is a record to produce. Partition AnyPartition lets the partitioner choose;
// a zero Timestamp lets the producer stamp the record.
type Message struct {
	Topic     string
	Partition int32
	Key       []byte
	Value     []byte
	Headers   []Header
	Timestamp time.Time
}

// AnyPartition lets the configured partitioner pick the partition.
const AnyPartition = kafka.PartitionAny

// DeliveryReport is the outcome of one produced message. For asynchronous and batch
// produce, ID is the number ProduceAsync returned for it.
type DeliveryReport struct {
	ID        uint64
	Topic     string
	Partition int32
	Offset    int64
	Timestamp time.Time
	Err       error
}

// Status is "success" or "error", the spec's ProduceResult.status.
func (r DeliveryReport) Status() string {
	if r.Err != nil {
		return "error"
	}
	return "success"
}

// Producer produces to Kafka. It is safe for concurrent use; transactions are
// per-producer, so one transaction at a time.
type Producer struct {
	kp              *kafka.Producer
	transactionalID string
	reports         *readyQueue[DeliveryReport]
	nextID          atomic.Uint64
	pending         atomic.Int64 // async messages whose report is not yet queued
	delivered       atomic.Int64 // async/batch/untracked messages delivered
	failed          atomic.Int64 // async/batch/untracked messages that failed
	closed          atomic.Bool
	// keepReadyFD: Close leaves the readiness descriptor to releaseFDs (set by the C
	// ABI through internal/cabi, whose handles promise the fd until destroy).
	keepReadyFD atomic.Bool
	loopDone    chan struct{}
	// rk is librdkafka's handle for the direct SendBatch path (nil: not available, see
	// produce_fast.go). rkMu is read-held around every use, so Close cannot destroy
	// it under a running call.
	rk   *rdk.Handle
	rkMu sync.RWMutex
	// authErr is the latest authentication failure librdkafka reported. librdkafka
	// keeps retrying (credentials may be fixed), so without it a produce with a wrong
	// password would wait for message.timeout.ms instead of failing.
	authErr atomic.Pointer[Error]
	// watch ends a sync produce, a flush or a close early when no broker has ever
	// answered and every one refuses connections (librdkafka would retry until
	// message.timeout.ms, 30-300 s): see giveUp.
	watch *brokerWatch
	// reachedBroker: a broker answered once (a delivery, or transactions initialised),
	// so the brokers exist and an outage is a restart to wait out (librdkafka retries
	// until message.timeout.ms). Set through reached, from every report path.
	reachedBroker atomic.Bool
	// gaveUp is the unreachable-broker error the queue was purged for; purged messages
	// carry it in their delivery reports instead of librdkafka's "Purged in queue".
	gaveUp  atomic.Pointer[Error]
	purges  atomic.Int64 // how many times giveUp purged the queue
	breaker *Breaker

	txMu     sync.Mutex
	txInited bool
	inTxn    bool
	txStart  time.Time
}

// NewProducer creates a producer from librdkafka properties (bootstrap.servers defaults
// to localhost:9092). Setting transactional.id enables transactions (and idempotence).
func NewProducer(props config.Map) (*Producer, error) {
	cm, _, err := kafkaConfig(props)
	if err != nil {
		return nil, err
	}
	// Reports carry topic/partition/offset only: keys and values stay with the caller,
	// which keeps the report path free of copies.
	_ = cm.SetKey("go.delivery.report.fields", "none")
	// confluent-kafka-go sizes its channels for a million entries by default, ~30 MB of
	// RSS per producer before a message is sent; reports drain in bursts, so 10,000 is
	// plenty and a full channel is back-pressure, not loss.
	setDefault(cm, "go.events.channel.size", 10000)
	setDefault(cm, "go.produce.channel.size", 1000)
	tid, _ := cm.Get("transactional.id", "")
	enableLogs(cm)
	kp, err := kafka.NewProducer(cm)
	if err != nil {
		return nil, configError("create producer", err)
	}
	forwardLogs("producer", kp.Logs())
	q, err := newReadyQueue[DeliveryReport]()
	if err != nil {
		kp.Close()
		return nil, err
	}
	bs, _ := cm.Get("bootstrap.servers", "")
	p := &Producer{kp: kp, transactionalID: tid.(string), reports: q, loopDone: make(chan struct{}), breaker: NewBreaker(BreakerConfig{}),
		watch: &brokerWatch{bootstrap: fmt.Sprint(bs)}}
	p.rk = rdk.HandleOf(kp)
	go p.eventLoop()
	go p.watchUnreachable()
	return p, nil
}

// klientPrefix marks klient's own properties: they configure the Go side and are
// removed before librdkafka (which would reject them) sees the map.
const klientPrefix = "klient."

// PrefetchMessagesKey sets ConsumerOptions.MaxBuffered from configuration (the C ABI
// and Python pass no Go options).
const PrefetchMessagesKey = "klient.prefetch.messages"

// kafkaConfig turns properties into a kafka.ConfigMap, defaulting bootstrap.servers.
// klient.* properties are returned apart (every role accepts them, since one config
// file feeds all roles).
func kafkaConfig(props config.Map) (*kafka.ConfigMap, map[string]any, error) {
	cm := kafka.ConfigMap{}
	own := map[string]any{}
	for k, v := range props {
		val, err := config.Scalar(k, v)
		if err != nil {
			return nil, nil, &Error{Kind: KindConfig, Op: "config", Message: err.Error()}
		}
		if i, ok := val.(int64); ok {
			val = int(i)
		}
		key := config.NormalizeKey(k)
		// librdkafka takes C strings: "host\x00evil" would silently become "host".
		if sv, _ := val.(string); strings.IndexByte(key, 0) >= 0 || strings.IndexByte(sv, 0) >= 0 {
			return nil, nil, &Error{Kind: KindConfig, Op: "config", Message: "config property " + strconv.Quote(key) + " contains a NUL byte in its name or value"}
		}
		if strings.HasPrefix(key, klientPrefix) {
			if key != PrefetchMessagesKey {
				return nil, nil, &Error{Kind: KindConfig, Op: "config", Message: "unknown klient property " + strconv.Quote(key) + " (known: " + PrefetchMessagesKey + ")"}
			}
			own[key] = val
			continue
		}
		cm[key] = val
	}
	if bs, ok := cm["bootstrap.servers"]; !ok || bs == "" {
		cm["bootstrap.servers"] = config.DefaultBootstrap
	}
	return &cm, own, nil
}

func configError(op string, err error) error {
	return &Error{Kind: KindConfig, Op: op, Message: err.Error(), Err: err}
}

// eventBurst bounds how many events the loop takes before publishing what it has:
// one readyQueue push (one lock, at most one pipe write) per burst instead of per message.
const eventBurst = 1000

func (p *Producer) eventLoop() {
	defer close(p.loopDone)
	evs := p.kp.Events()
	reports := make([]DeliveryReport, 0, 256)
	for ev := range evs {
		var done, ok, bad int64
		p.handleEvent(ev, &reports, &done, &ok, &bad)
	burst:
		for i := 1; i < eventBurst; i++ {
			select {
			case ev, open := <-evs:
				if !open {
					break burst
				}
				p.handleEvent(ev, &reports, &done, &ok, &bad)
			default:
				break burst
			}
		}
		if ok > 0 {
			p.delivered.Add(ok)
			p.reached()
		}
		if bad > 0 {
			p.failed.Add(bad)
		}
		p.reports.push(reports...)
		// pending drops only after the reports are queued, so Pending()==0 means
		// every report can be pulled.
		if done > 0 {
			p.pending.Add(-done)
		}
		clear(reports)
		reports = reports[:0]
	}
}

// handleEvent accounts for one event of the producer's channel. Tracked messages
// (ProduceAsync) carry their report ID as Opaque and always get a report;
// untracked ones (SendBatch) have no Opaque: a success is only counted, a failure
// gets a report with ID 0 so that nothing fails silently.
func (p *Producer) handleEvent(ev kafka.Event, reports *[]DeliveryReport, done, ok, bad *int64) {
	m, isMsg := ev.(*kafka.Message)
	if !isMsg {
		if st, isStats := ev.(*kafka.Stats); isStats {
			publishStats("producer", st.String())
		}
		if ke, isErr := ev.(kafka.Error); isErr {
			p.watch.observe(ke)
			if isAuthError(ke.Code()) {
				e := FromKafka("authenticate", ke).(*Error)
				e.Message = "authentication failed: " + e.Message
				p.authErr.Store(e)
			}
		}
		return // other errors are surfaced per message and by GetFatalError
	}
	if *done == 0 && p.authErr.Load() != nil {
		p.authErr.Store(nil)
	}
	*done++
	failed := m.TopicPartition.Error != nil
	if failed {
		*bad++
	} else {
		*ok++
	}
	countDelivery(m)
	switch id := m.Opaque.(type) {
	case uint64:
		*reports = append(*reports, p.reportOf(id, m))
	case nil:
		if failed {
			*reports = append(*reports, p.reportOf(0, m))
		}
	default:
		*done-- // not ours: nothing was counted as pending for it
		if failed {
			*bad--
		} else {
			*ok--
		}
	}
}

// countDelivery adds one delivery report to the per-topic metrics. Reports carry no
// key or value (go.delivery.report.fields=none), so bytes are counted when queued.
func countDelivery(m *kafka.Message) {
	topic := ""
	if m.TopicPartition.Topic != nil {
		topic = *m.TopicPartition.Topic
	}
	if m.TopicPartition.Error != nil {
		metrics.DeliveryFailed(topic)
	} else {
		metrics.Delivered(topic)
	}
}

func (p *Producer) reportOf(id uint64, m *kafka.Message) DeliveryReport {
	r := DeliveryReport{ID: id, Partition: m.TopicPartition.Partition, Offset: int64(m.TopicPartition.Offset), Timestamp: m.Timestamp}
	if m.TopicPartition.Topic != nil {
		r.Topic = *m.TopicPartition.Topic
	}
	if err := m.TopicPartition.Error; err != nil {
		r.Err = FromKafka("delivery", err)
		if ke, ok := err.(kafka.Error); ok && ke.Code() == kafka.ErrPurgeQueue {
			if why := p.gaveUp.Load(); why != nil {
				r.Err = why
			}
		}
	}
	return r
}

// reached records that a broker answered (see reachedBroker): every path that gets a
// successful delivery report or response calls it (the event loop, a sync produce's
// own channel, the relay's, InitTransactions).
func (p *Producer) reached() {
	if p.reachedBroker.Load() {
		return
	}
	p.watch.ok()
	p.reachedBroker.Store(true)
	p.gaveUp.Store(nil)
}

// watchUnreachable gives up on unreachable brokers for messages nobody waits on
// (ProduceAsync, batches: their reports then carry the error after about
// UnreachableAfter, as a sync produce's does), counting from the moment the queue
// became busy so that every message gets its UnreachableAfter. It ends at the first
// delivery (from then on an outage is a restart to wait out) or at Close.
func (p *Producer) watchUnreachable() {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var busySince time.Time
	var purges int64
	for {
		select {
		case <-p.loopDone:
			return
		case <-tick.C:
		}
		if n := p.purges.Load(); n != purges {
			// A sync produce or a flush purged the queue: what is queued now is new.
			purges, busySince = n, time.Time{}
		}
		if p.reachedBroker.Load() || !p.watchOnce(&busySince) {
			return
		}
	}
}

// watchOnce is one step of watchUnreachable; false once the producer is closed. The
// read lock keeps Close from destroying the handle under Len and Purge.
func (p *Producer) watchOnce(busySince *time.Time) bool {
	p.rkMu.RLock()
	defer p.rkMu.RUnlock()
	if p.closed.Load() {
		return false
	}
	if p.kp.Len() == 0 {
		*busySince = time.Time{}
		return true
	}
	if busySince.IsZero() {
		*busySince = time.Now()
	}
	p.giveUp("produce", *busySince)
	return true
}

// giveUp ends the wait for unreachable brokers, returning the watch's error (nil: keep
// waiting). It only gives up on a producer that never delivered a message: then no
// request ever reached a broker, and purging librdkafka's queue (never what is in
// flight) makes the failure definite: a purged message is never delivered later, so
// a retry cannot duplicate it. A producer that delivered before waits out an outage
// (a broker restart) up to message.timeout.ms, as librdkafka does.
func (p *Producer) giveUp(op string, since time.Time) *Error {
	if p.reachedBroker.Load() {
		return nil
	}
	err := p.watch.failure(op, since)
	if err == nil {
		return nil
	}
	e := err.(*Error)
	p.gaveUp.Store(&Error{Kind: e.Kind, Op: "delivery", Code: e.Code, Retriable: true,
		Message: e.Message + " (purged from the queue, not sent)"})
	_ = p.kp.Purge(kafka.PurgeQueue)
	p.purges.Add(1)
	return e
}

// TransactionalID is the configured transactional.id ("" for none).
func (p *Producer) TransactionalID() string { return p.transactionalID }

func (p *Producer) check(op string) error {
	if p == nil || p.closed.Load() {
		return newError(KindClosed, op, "producer is closed")
	}
	return nil
}

func toKafka(m *Message, opaque any) (*kafka.Message, error) {
	if err := validateMessage("produce", m); err != nil {
		return nil, err
	}
	km := &kafka.Message{
		TopicPartition: kafka.TopicPartition{Topic: &m.Topic, Partition: m.Partition},
		Key:            m.Key, Value: m.Value, Timestamp: m.Timestamp, Opaque: opaque,
	}
	if len(m.Headers) > 0 {
		km.Headers = make([]kafka.Header, len(m.Headers))
		for i, h := range m.Headers {
			km.Headers[i] = kafka.Header{Key: h.Key, Value: h.Value}
		}
	}
	return km, nil
}

// enqueue hands one message to librdkafka, waiting while its queue is full.
func (p *Producer) enqueue(ctx context.Context, km *kafka.Message, ch chan kafka.Event) error {
	for {
		err := p.kp.Produce(km, ch)
		if err == nil {
			metrics.QueuedBytes(*km.TopicPartition.Topic, int64(len(km.Key)+len(km.Value)))
			return nil
		}
		var ke kafka.Error
		if errors.As(err, &ke) && ke.Code() == kafka.ErrState && p.transactionalID != "" {
			return &Error{Kind: KindTransaction, Op: "produce", Code: int(ke.Code()), Err: err,
				Message: "no transaction is open: producer with transactional.id " + p.transactionalID + " can only produce between begin_transaction and commit/abort"}
		}
		if !errors.As(err, &ke) || ke.Code() != kafka.ErrQueueFull {
			return FromKafka("produce", err)
		}
		// Back-pressure: wait for deliveries to free queue space rather than fail.
		select {
		case <-ctx.Done():
			return &Error{Kind: KindTimeout, Op: "produce", Message: "local queue full until the deadline", Err: ctx.Err()}
		case <-time.After(time.Millisecond):
		}
		if p.closed.Load() {
			return newError(KindClosed, "produce", "producer is closed")
		}
	}
}

// Produce sends one message and waits for its delivery report.
func (p *Producer) Produce(ctx context.Context, m Message) (DeliveryReport, error) {
	if err := p.check("produce"); err != nil {
		return DeliveryReport{}, err
	}
	km, err := toKafka(&m, nil)
	if err != nil {
		return DeliveryReport{}, err
	}
	// Delivery reports carry no timestamp in confluent-kafka-go, so stamp the record
	// ourselves (CreateTime, ms precision) and report the time the broker stored.
	if km.Timestamp.IsZero() {
		km.Timestamp = time.Now().Truncate(time.Millisecond)
	}
	ch := make(chan kafka.Event, 1)
	p.authErr.Store(nil)
	start := time.Now()
	if err := p.enqueue(ctx, km, ch); err != nil {
		return DeliveryReport{}, err
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case ev := <-ch:
			dm, ok := ev.(*kafka.Message)
			if !ok {
				return DeliveryReport{}, FromKafka("produce", errors.New(ev.String()))
			}
			metrics.ObserveProduceLatency(time.Since(start))
			countDelivery(dm)
			r := p.reportOf(0, dm)
			if r.Err == nil {
				p.reached()
			}
			if r.Timestamp.IsZero() {
				r.Timestamp = km.Timestamp
			}
			return r, r.Err
		case <-tick.C:
			if e := p.authErr.Load(); e != nil {
				return DeliveryReport{}, e
			}
			p.giveUp("produce", start) // the purge report ends this wait with its error
		case <-ctx.Done():
			return DeliveryReport{}, &Error{Kind: KindTimeout, Op: "produce", Message: "no delivery report before the deadline (the message may still be delivered)", Err: ctx.Err()}
		}
	}
}

func isAuthError(code kafka.ErrorCode) bool {
	return code == kafka.ErrAuthentication || code == kafka.ErrSaslAuthenticationFailed
}

// ProduceAsync queues one or more messages and returns at once. Each gets a delivery
// report, collected by DeliveryReports, with its ID: firstID for msgs[0], the others
// consecutively. n is how many were queued; on error the messages from index n on were
// not queued and get no report. (Produce is the synchronous form; SendBatch the
// untracked one, which reports only failures.)
func (p *Producer) ProduceAsync(ctx context.Context, msgs ...Message) (firstID uint64, n int, err error) {
	if err := p.check("produce"); err != nil {
		return 0, 0, err
	}
	if len(msgs) == 0 {
		return 0, 0, nil
	}
	firstID = p.nextID.Add(uint64(len(msgs))) - uint64(len(msgs)) + 1
	for i := range msgs {
		km, err := toKafka(&msgs[i], firstID+uint64(i))
		if err != nil {
			return firstID, i, err
		}
		p.pending.Add(1)
		if err := p.enqueue(ctx, km, nil); err != nil {
			p.pending.Add(-1)
			return firstID, i, err
		}
	}
	return firstID, len(msgs), nil
}

// SendBatch queues many messages without tracking them one by one: no ID and no
// per-message bookkeeping in confluent-kafka-go (its opaque map), which is what makes it
// the fast path. A success is only counted (Stats); a failure is still reported through
// DeliveryReports, with ID 0, its topic, partition and error, so nothing fails silently.
// It returns how many were queued; on error the messages from index n on were not.
func (p *Producer) SendBatch(ctx context.Context, msgs []Message) (n int, err error) {
	if err := p.check("produce"); err != nil {
		return 0, err
	}
	if p.rk != nil && len(msgs) > 0 {
		p.pending.Add(int64(len(msgs)))
		return p.sendFast(ctx, msgs)
	}
	for i := range msgs {
		km, err := toKafka(&msgs[i], nil)
		if err != nil {
			return i, err
		}
		p.pending.Add(1)
		if err := p.enqueue(ctx, km, nil); err != nil {
			p.pending.Add(-1)
			return i, err
		}
	}
	return len(msgs), nil
}

// ProducerStats counts the messages of ProduceAsync and SendBatch since
// the producer was created (synchronous Produce is not counted).
type ProducerStats struct {
	Delivered int64 // delivery succeeded
	Failed    int64 // delivery failed (each also has a delivery report)
	Pending   int64 // queued, outcome not yet known
}

// Stats returns the producer's delivery counters.
func (p *Producer) Stats() ProducerStats {
	// Pending first: a message leaving pending is already counted in Delivered/Failed.
	pend := p.pending.Load()
	return ProducerStats{Delivered: p.delivered.Load(), Failed: p.failed.Load(), Pending: max(pend, 0)}
}

// DeliveryReports removes and returns up to max (<= 0: all) completed reports of
// asynchronous and batch produce, waiting up to timeout for the first one (0: no wait).
func (p *Producer) DeliveryReports(max int, timeout time.Duration) []DeliveryReport {
	if timeout > 0 {
		p.reports.wait(context.Background(), timeout)
	}
	return p.reports.pop(max)
}

// Pending is the number of asynchronous messages not yet reported.
func (p *Producer) Pending() int { return int(p.pending.Load()) }

// Flush waits until every queued message is delivered or failed, or ctx ends. It
// returns the number of messages still in flight.
func (p *Producer) Flush(ctx context.Context) (int, error) {
	if err := p.check("flush"); err != nil {
		return 0, err
	}
	// Counted from the moment every broker went down, not from this call: callers that
	// wait in slices (Python's flush wakes every 100 ms for signals) still end.
	left, unreachable := p.waitDelivered(ctx, true, time.Time{})
	if unreachable != nil {
		return left, unreachable
	}
	if left > 0 {
		return left, &Error{Kind: KindTimeout, Op: "flush", Message: "messages still in flight at the deadline", Err: ctx.Err()}
	}
	return 0, nil
}

// waitDelivered waits until librdkafka holds no message and every async report is
// queued, or ctx ends; it returns what is still in flight. With watch, it also ends
// when giveUp does (counted from the later of since and the moment every broker was
// down), with its error and the number of messages it purged, after their reports are
// queued.
// confluent-kafka-go's own Flush(ms) waits in 100 ms steps; kp.Flush(2) still runs
// rd_kafka_flush (so linger.ms is not waited for) but returns within ~2 ms.
func (p *Producer) waitDelivered(ctx context.Context, watch bool, since time.Time) (int, error) {
	nextCheck := time.Now() // at once: Python's flush calls in 100 ms slices
	for {
		left, pend := p.kp.Len(), int(p.pending.Load())
		if left == 0 && pend <= 0 {
			return 0, nil
		}
		if ctx.Err() != nil {
			return max(left, pend), nil
		}
		if watch && time.Now().After(nextCheck) {
			nextCheck = time.Now().Add(100 * time.Millisecond)
			if err := p.giveUp("flush", since); err != nil {
				wait, cancel := context.WithTimeout(ctx, time.Second)
				p.waitDelivered(wait, false, since) // let the purge reports be queued
				cancel()
				return max(left, pend), err
			}
		}
		if left > 0 {
			p.kp.Flush(2)
		} else {
			// librdkafka is done; the event loop is still queueing the last reports.
			time.Sleep(100 * time.Microsecond)
		}
	}
}

// DefaultCloseTimeout bounds Close when its context has no deadline.
const DefaultCloseTimeout = 30 * time.Second

// Close flushes (bounded by ctx, or DefaultCloseTimeout), aborts an open transaction
// and releases the producer and every file descriptor it holds.
// Messages still undelivered at the deadline, or once every broker has refused
// connections for UnreachableAfter, are purged:
// their delivery reports carry the purge error and Close returns an error counting
// them, so nothing is dropped silently. Closing twice is a no-op.
func (p *Producer) Close(ctx context.Context) error {
	if p == nil || !p.closed.CompareAndSwap(false, true) {
		return nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultCloseTimeout)
		defer cancel()
	}
	var err error
	p.txMu.Lock()
	if p.inTxn {
		_ = p.kp.AbortTransaction(ctx)
		p.inTxn = false
	}
	p.txMu.Unlock()
	purged, unreachable := p.waitDelivered(ctx, true, time.Time{})
	if unreachable != nil {
		err = &Error{Kind: KindRetriable, Op: "close", Code: unreachable.(*Error).Code, Retriable: true,
			Message: fmtInt(int64(purged)) + " messages were not delivered because no broker was reachable (" + unreachable.Error() + "); their delivery reports carry this error"}
	}
	if left := p.kp.Len(); left > 0 {
		_ = p.kp.Purge(kafka.PurgeQueue | kafka.PurgeInFlight)
		p.kp.Flush(1000) // serve the purge reports
		err = &Error{Kind: KindTimeout, Op: "close", Message: fmtInt(int64(left)) + " messages were not delivered before the close deadline (their delivery reports carry the purge error)"}
	}
	p.rkMu.Lock() // no direct produce call is running, and none starts (closed is set)
	p.kp.Close()
	p.rkMu.Unlock()
	<-p.loopDone
	p.reports.close()
	if !p.keepReadyFD.Load() {
		p.releaseFDs()
	}
	return err
}

// releaseFDs closes the readiness descriptor (Close does, unless the C ABI kept it
// for its destroy). Calling it more than once is harmless.
func (p *Producer) releaseFDs() { p.reports.release() }

// Kafka exposes the underlying confluent-kafka-go producer for what klient does not wrap.
func (p *Producer) Kafka() *kafka.Producer { return p.kp }
