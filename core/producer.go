package klient

import (
	"context"
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
	// rp is the producer's librdkafka handle, created and owned by klient (see
	// internal/rdk's package doc). rkMu is read-held around every use, and Close
	// destroys it under the write lock and sets it to nil, so no call runs on a
	// destroyed handle.
	rp              *rdk.Producer
	rkMu            sync.RWMutex
	name            string // librdkafka's instance name
	stopPoll        atomic.Bool
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
	// Serving librdkafka's main queue: serveReports, or one synchronous Produce's
	// caller while it waits (leading; PendingDelivery.serveUntilReported). serveMu is
	// held by whoever serves, so events are handled in order and by one thread at a
	// time; polled and served are its scratch space. serveReports stands by while a
	// caller leads and for standByGrace after the last one (lastLead), looking again
	// every standByGrace; events a caller hands over and Close wake it through
	// pollerIdle.
	serveMu    sync.Mutex
	polled     rdk.Polled
	served     []DeliveryReport
	leading    atomic.Bool
	lastLead   atomic.Int64 // when the last caller stopped leading (sinceStart)
	polling    atomic.Bool  // serveReports is (about to be) in a poll
	pollerIdle chan struct{}
	selfServed atomic.Int64 // synchronous reports their caller's own poll served
	handedMu   sync.Mutex
	handed     []rdk.PolledEvent // events a serving caller left to serveReports
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
	strs := make(map[string]string, len(*cm))
	for k, v := range *cm {
		// go.* properties configure confluent-kafka-go, which does not run producers.
		if !strings.HasPrefix(k, "go.") {
			strs[k] = propString(v)
		}
	}
	q, err := newReadyQueue[DeliveryReport](nil)
	if err != nil {
		return nil, err
	}
	rp, err := rdk.NewProducer(strs)
	if err != nil {
		q.close()
		q.release()
		return nil, configError("create producer", err)
	}
	p := &Producer{rp: rp, name: rp.Name(), transactionalID: strs["transactional.id"], reports: q, loopDone: make(chan struct{}), pollerIdle: make(chan struct{}, 1),
		breaker: NewBreaker(BreakerConfig{}), watch: &brokerWatch{bootstrap: strs["bootstrap.servers"]}}
	go p.serveReports()
	go p.watchUnreachable()
	return p, nil
}

// propString writes a property value the way librdkafka reads it.
func propString(v any) string {
	if b, ok := v.(bool); ok {
		return strconv.FormatBool(b)
	}
	return fmt.Sprint(v)
}

// klientPrefix marks klient's own properties: they configure the Go side and are
// removed before librdkafka (which would reject them) sees the map.
const klientPrefix = "klient."

// PrefetchMessagesKey and PrefetchKbytesKey set ConsumerOptions.MaxBuffered and
// MaxBufferedBytes from configuration (the C ABI and Python pass no Go options).
const (
	PrefetchMessagesKey = "klient.prefetch.messages"
	PrefetchKbytesKey   = "klient.prefetch.kbytes"
)

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
			if key != PrefetchMessagesKey && key != PrefetchKbytesKey {
				return nil, nil, &Error{Kind: KindConfig, Op: "config", Message: "unknown klient property " + strconv.Quote(key) + " (known: " + PrefetchMessagesKey + ", " + PrefetchKbytesKey + ")"}
			}
			own[key] = val
			continue
		}
		cm[key] = val
	}
	if bs, ok := cm["bootstrap.servers"]; !ok || bs == "" {
		cm["bootstrap.servers"] = config.DefaultBootstrap
	}
	_, backoff := cm["reconnect.backoff.ms"]
	_, backoffMax := cm["reconnect.backoff.max.ms"]
	if !backoff && !backoffMax {
		cm["reconnect.backoff.ms"] = firstConnectBackoffMs
	}
	return &cm, own, nil
}

// firstConnectBackoffMs is klient's default reconnect.backoff.ms (librdkafka's is 100).
// librdkafka >= 2.10 drops the bootstrap broker once the cluster's metadata names the
// real one, and the request in flight on it (an admin call's metadata, a consumer's
// coordinator query) is sent again only when a new connection may be made: half the
// reconnect backoff later (at least 11 ms). With 100 ms every client's first request
// waited ~50 ms for that (`klient admin list-topics` 100 ms, kcat -L 5 ms); with 20 ms
// it waits ~10 ms. A broker that is down is retried from 20 ms on, doubling up to
// reconnect.backoff.max.ms as before.
const firstConnectBackoffMs = 20

func configError(op string, err error) error {
	return &Error{Kind: KindConfig, Op: op, Message: err.Error(), Err: err}
}

// eventBurst bounds how many events one poll serves before publishing what it has:
// one readyQueue push (one lock, at most one pipe write) per burst instead of per message.
const eventBurst = 1000

// serveReports polls librdkafka's main queue, except while a synchronous Produce's
// caller does (see PendingDelivery.serveUntilReported). One cgo call per
// wake-up serves up to eventBurst events: untracked successes are only counted and
// sync produce's reports are handed to their waiters, both in C; tracked reports and
// failures come up here in one batch.
func (p *Producer) serveReports() {
	defer close(p.loopDone)
	defer func() {
		for p.leading.Load() { // a caller still serving: its last events come here
			time.Sleep(time.Millisecond)
		}
		p.handleHandedEvents()
	}()
	look := time.NewTimer(standByGrace)
	defer look.Stop()
	for !p.stopPoll.Load() {
		p.handleHandedEvents()
		p.polling.Store(true)
		if p.leading.Load() || sinceStart()-p.lastLead.Load() < int64(standByGrace) {
			// Stand by. A loop of synchronous produces starts the next one within
			// microseconds of the last: look again every standByGrace rather than be
			// woken by every caller (and out of a poll per message).
			p.polling.Store(false)
			look.Reset(standByGrace)
			select {
			case <-p.pollerIdle: // events a caller handed over, or Close
			case <-look.C:
			}
			continue
		}
		p.serveMu.Lock()
		p.serveOnce(100, false)
		p.serveMu.Unlock()
		p.polling.Store(false)
	}
}

// handleHandedEvents handles the events a serving caller handed over.
func (p *Producer) handleHandedEvents() {
	p.handedMu.Lock()
	evs := p.handed
	p.handed = nil
	p.handedMu.Unlock()
	for i := range evs {
		p.handleEvent(&evs[i])
	}
}

// sinceStart is monotonic nanoseconds (a wall clock set back would hold serveReports
// in its stand-by).
func sinceStart() int64 { return int64(time.Since(processStart)) }

var processStart = time.Now()

// standByGrace is how long serveReports waits after a synchronous Produce stopped
// serving, and how often it looks again while one serves; events arriving meanwhile
// wait at most this long.
const standByGrace = time.Millisecond

// serveOnce serves the events of one wake-up, waiting up to ms for the first; the
// caller holds serveMu (and the handle is open). A caller's thread (caller) does not
// run the event sinks: it hands errors, statistics and logs to serveReports, so that
// callbacks run on library threads only (include/klient.h).
func (p *Producer) serveOnce(ms int, caller bool) {
	p.rp.Poll(ms, eventBurst, &p.polled)
	if p.polled.Served == 0 {
		return
	}
	if caller && len(p.polled.Events) > 0 {
		p.handedMu.Lock()
		p.handed = append(p.handed, p.polled.Events...)
		p.handedMu.Unlock()
		p.polled.Events = p.polled.Events[:0]
		kick(p.pollerIdle)
	}
	p.handlePolled(&p.polled, &p.served)
}

func (p *Producer) handlePolled(out *rdk.Polled, reports *[]DeliveryReport) {
	anyOK := false
	for _, t := range out.Topics {
		metrics.Delivered(t.Topic, t.OK)
		metrics.DeliveryFailed(t.Topic, t.Failed)
		anyOK = anyOK || t.OK > 0
	}
	if len(out.Topics) > 0 && p.authErr.Load() != nil {
		p.authErr.Store(nil) // a broker answered since
	}
	for i := range out.Events {
		p.handleEvent(&out.Events[i])
	}
	ok, bad := out.UntrackedOK, int64(0)
	for i := range out.Reports {
		r := &out.Reports[i]
		if r.Err != 0 {
			bad++
		} else {
			ok++
		}
		*reports = append(*reports, p.reportOf(r))
	}
	if anyOK {
		p.reached()
	}
	p.delivered.Add(ok)
	p.failed.Add(bad)
	p.reports.push(*reports...)
	// pending drops only after the reports are queued, so Pending()==0 means
	// every report can be pulled.
	if done := out.UntrackedOK + int64(len(out.Reports)); done > 0 {
		p.pending.Add(-done)
	}
	clear(*reports)
	*reports = (*reports)[:0]
}

// handleEvent handles an event of the main queue other than a delivery report.
func (p *Producer) handleEvent(e *rdk.PolledEvent) {
	switch e.Kind {
	case rdk.PolledStats:
		publishStats("producer", e.Text)
	case rdk.PolledLog:
		emitLog(LogRecord{Client: "producer", Name: p.name, Facility: e.Facility, Level: e.Level, Message: e.Text, Time: time.Now()})
	case rdk.PolledError:
		ke := kafka.NewError(kafka.ErrorCode(e.Code), e.Text, e.Fatal)
		p.watch.observe(ke)
		if isAuthError(ke.Code()) {
			e := FromKafka("authenticate", ke).(*Error)
			e.Message = "authentication failed: " + e.Message
			p.authErr.Store(e)
		}
		// other errors are surfaced per message and by the fatal error
	}
}

func (p *Producer) reportOf(r *rdk.Report) DeliveryReport {
	rep := DeliveryReport{ID: r.ID, Topic: r.Topic, Partition: r.Partition, Offset: r.Offset}
	if r.Timestamp >= 0 {
		rep.Timestamp = time.UnixMilli(r.Timestamp)
	}
	if r.Err != 0 {
		rep.Err = p.deliveryError(r.Err)
	}
	return rep
}

// deliveryError is the error of a failed delivery report: librdkafka's code, or the
// unreachable-broker error a purge was made for.
func (p *Producer) deliveryError(code int) error {
	if kafka.ErrorCode(code) == kafka.ErrPurgeQueue {
		if why := p.gaveUp.Load(); why != nil {
			return why
		}
	}
	return FromKafka("delivery", kafka.NewError(kafka.ErrorCode(code), "", false))
}

// reached records that a broker answered (see reachedBroker): every path that gets a
// successful delivery report or response calls it (serveReports, for every kind of
// message, and InitTransactions).
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

// watchOnce is one step of watchUnreachable; false once the producer is closed.
func (p *Producer) watchOnce(busySince *time.Time) bool {
	left, open := p.outqLen()
	if !open || p.closed.Load() {
		return false
	}
	if left == 0 {
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
	p.purge(rdk.PurgeQueue)
	p.purges.Add(1)
	return e
}

// fatalError is librdkafka's fatal error of the producer (nil: none).
func (p *Producer) fatalError() error {
	p.rkMu.RLock()
	defer p.rkMu.RUnlock()
	if p.rp == nil {
		return nil
	}
	if code, text := p.rp.FatalError(); code != 0 {
		return kafka.NewError(kafka.ErrorCode(code), text, true)
	}
	return nil
}

// TransactionalID is the configured transactional.id ("" for none).
func (p *Producer) TransactionalID() string { return p.transactionalID }

func (p *Producer) check(op string) error {
	if p == nil || p.closed.Load() {
		return newError(KindClosed, op, "producer is closed")
	}
	return nil
}

// outqLen is librdkafka's queue length (Producer.Len); open is false once Close
// destroyed the handle.
func (p *Producer) outqLen() (n int, open bool) {
	p.rkMu.RLock()
	defer p.rkMu.RUnlock()
	if p.rp == nil {
		return 0, false
	}
	return p.rp.Len(), true
}

// messagesHeld is how many messages librdkafka holds (outqLen counts error and
// statistics events not yet served too); 0 once Close destroyed the handle.
func (p *Producer) messagesHeld() int {
	p.rkMu.RLock()
	defer p.rkMu.RUnlock()
	if p.rp == nil {
		return 0
	}
	return p.rp.Messages()
}

// purge purges librdkafka's queues (flags: rdk.PurgeQueue, rdk.PurgeInFlight).
func (p *Producer) purge(flags int) {
	p.rkMu.RLock()
	defer p.rkMu.RUnlock()
	if p.rp != nil {
		p.rp.Purge(flags)
	}
}

// flushStep runs rd_kafka_flush for up to ms: lingering messages are sent at once.
func (p *Producer) flushStep(ms int) {
	p.rkMu.RLock()
	defer p.rkMu.RUnlock()
	if p.rp != nil {
		p.rp.Flush(ms)
	}
}

// Produce sends one message and waits for its delivery report (StartProduce, then
// Wait until ctx ends).
func (p *Producer) Produce(ctx context.Context, m Message) (DeliveryReport, error) {
	d, err := p.StartProduce(ctx, m)
	if err != nil {
		return DeliveryReport{}, err
	}
	defer d.Release()
	r, done, err := d.Wait(ctx)
	if !done && err == nil {
		err = &Error{Kind: KindTimeout, Op: "produce", Message: "no delivery report before the deadline (the message may still be delivered)", Err: ctx.Err()}
	}
	return r, err
}

// PendingDelivery is a message StartProduce queued, whose delivery report Wait
// returns. The waiting thread serves librdkafka's queue itself (serveUntilReported);
// when another thread served the report, it woke the waiter in C: no goroutine in
// between either way.
type PendingDelivery struct {
	p     *Producer
	w     *rdk.Waiter
	topic string
	ts    time.Time
	start time.Time
}

// StartProduce queues one message for a synchronous produce whose wait can be cut
// into slices (the C ABI's Python caller returns to the interpreter between them, so
// that Ctrl-C works). Release the result when done.
func (p *Producer) StartProduce(ctx context.Context, m Message) (*PendingDelivery, error) {
	if err := p.check("produce"); err != nil {
		return nil, err
	}
	if err := validateMessage("produce", &m); err != nil {
		return nil, err
	}
	w := rdk.NewWaiter()
	p.authErr.Store(nil)
	d := &PendingDelivery{p: p, w: w, topic: m.Topic, ts: m.Timestamp, start: time.Now()}
	if _, err := p.queue(ctx, []Message{m}, rdk.Tag{Waiter: w}); err != nil {
		w.Release()
		return nil, err
	}
	return d, nil
}

// Wait waits for the delivery report until ctx ends. done is false when ctx ended
// first (err nil: wait again, or give up). The wait also ends, with an error, on an
// authentication failure, on Close, and when no broker was ever reachable for
// UnreachableAfter (the message is then purged: its report carries that error).
func (d *PendingDelivery) Wait(ctx context.Context) (r DeliveryReport, done bool, err error) {
	p := d.p
	for {
		slice := 100 * time.Millisecond
		if dl, ok := ctx.Deadline(); ok {
			slice = min(slice, time.Until(dl)+time.Millisecond)
		}
		if d.serveUntilReported(max(int(slice/time.Millisecond), 0)) {
			code, _, partition, offset, ts, _ := d.w.Result()
			metrics.ObserveProduceLatency(time.Since(d.start))
			r = DeliveryReport{Topic: d.topic, Partition: partition, Offset: offset, Timestamp: d.ts}
			if ts >= 0 {
				r.Timestamp = time.UnixMilli(ts)
			}
			if code != 0 {
				r.Err = p.deliveryError(code)
			}
			return r, true, r.Err
		}
		if e := p.authErr.Load(); e != nil {
			return DeliveryReport{}, false, e
		}
		if _, open := p.outqLen(); !open {
			return DeliveryReport{}, false, newError(KindClosed, "produce", "producer was closed before the delivery report came")
		}
		p.giveUp("produce", d.start) // the purge report ends this wait with its error
		if ctx.Err() != nil {
			return DeliveryReport{}, false, nil
		}
	}
}

// serveUntilReported waits up to ms for d's report while serving librdkafka's main
// queue from the calling thread, so that the report wakes this thread directly, as in
// a single-threaded librdkafka program that polls until its message is delivered. With
// serveReports serving, the report woke that thread, which then woke this one: one
// more hand-off per synchronous produce, and the broker thread had often gone back to
// sleep by the next produce (p50 about 200 -> 155 µs on loopback, docs/BENCHMARKS.md).
// One caller serves at a time; the others (and a closing producer's) only wait: their
// reports come from that caller's polls or serveReports'.
func (d *PendingDelivery) serveUntilReported(ms int) bool {
	p := d.p
	p.rkMu.RLock()
	defer p.rkMu.RUnlock()
	if p.rp == nil || p.stopPoll.Load() || !p.leading.CompareAndSwap(false, true) {
		return d.w.Wait(ms)
	}
	defer func() {
		p.lastLead.Store(sinceStart()) // before leading ends: serveReports reads them in the other order
		p.leading.Store(false)
	}()
	if p.polling.Load() {
		p.rp.Wake() // serveReports leaves its poll and stands by
	}
	p.serveMu.Lock() // held by serveReports at most until that poll returns
	defer p.serveMu.Unlock()
	deadline := time.Now().Add(time.Duration(ms) * time.Millisecond)
	polled := false
	for !d.w.Wait(0) {
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		p.serveOnce(max(int(left/time.Millisecond), 1), true)
		polled = true
	}
	if polled {
		p.selfServed.Add(1)
	}
	return true
}

// Release frees the wait (a report still to come is dropped). Idempotent.
func (d *PendingDelivery) Release() {
	if d.w != nil {
		d.w.Release()
		d.w = nil
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
	p.pending.Add(int64(len(msgs)))
	n, err = p.queue(ctx, msgs, rdk.Tag{FirstID: firstID})
	p.pending.Add(-int64(len(msgs) - n))
	return firstID, n, err
}

// SendBatch queues many messages without tracking them one by one: no ID, and a
// success is only counted (Stats), in C. A failure is still reported through
// DeliveryReports, with ID 0, its topic, partition and error, so nothing fails silently.
// It returns how many were queued; on error the messages from index n on were not.
func (p *Producer) SendBatch(ctx context.Context, msgs []Message) (n int, err error) {
	if err := p.check("produce"); err != nil {
		return 0, err
	}
	p.pending.Add(int64(len(msgs)))
	n, err = p.queue(ctx, msgs, rdk.Tag{})
	p.pending.Add(-int64(len(msgs) - n))
	return n, err
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
// down), with its error and the number of asynchronous messages it purged, after
// their reports are queued.
// Each step runs rd_kafka_flush for up to 2 ms, so linger.ms is not waited for.
func (p *Producer) waitDelivered(ctx context.Context, watch bool, since time.Time) (int, error) {
	nextCheck := time.Now() // at once: Python's flush calls in 100 ms slices
	for {
		// Messages, not rd_kafka_outq_len: that counts the main queue's events too, and
		// while librdkafka logs refused connections there is nearly always one waiting
		// to be served, which made a Close with nothing left to send give up on
		// unreachable brokers and fail ("0 messages were not delivered").
		held := p.messagesHeld()
		pend := int(p.pending.Load())
		if held == 0 && pend <= 0 {
			return 0, nil
		}
		if ctx.Err() != nil {
			return max(held, pend), nil
		}
		if watch && time.Now().After(nextCheck) {
			nextCheck = time.Now().Add(100 * time.Millisecond)
			if err := p.giveUp("flush", since); err != nil {
				wait, cancel := context.WithTimeout(ctx, time.Second)
				p.waitDelivered(wait, false, since) // let the purge reports be queued
				cancel()
				// The asynchronous messages it purged (a synchronous Produce's message
				// reports to its caller; librdkafka's count would include it, and an
				// error event, until their reports are served).
				return max(pend, 0), err
			}
		}
		if held > 0 {
			p.flushStep(2)
		} else {
			// librdkafka is done; serveReports is still queueing the last reports.
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
		_ = p.txnCall(func(rp *rdk.Producer) *rdk.TxnError { return rp.AbortTransaction(ctxMs(ctx)) })
		p.inTxn = false
	}
	p.txMu.Unlock()
	purged, unreachable := p.waitDelivered(ctx, true, time.Time{})
	if unreachable != nil {
		err = &Error{Kind: KindRetriable, Op: "close", Code: unreachable.(*Error).Code, Retriable: true,
			Message: fmtInt(int64(purged)) + " messages were not delivered because no broker was reachable (" + unreachable.Error() + "); their delivery reports carry this error"}
	}
	if held := p.messagesHeld(); held > 0 {
		p.purge(rdk.PurgeQueue | rdk.PurgeInFlight)
		p.flushStep(1000) // let serveReports queue the purge reports
		err = &Error{Kind: KindTimeout, Op: "close", Message: fmtInt(int64(held)) + " messages were not delivered before the close deadline (their delivery reports carry the purge error)"}
	}
	p.stopPoll.Store(true)
	p.rp.Wake()
	kick(p.pollerIdle)
	<-p.loopDone
	p.rkMu.Lock() // no call runs on the handle, and none starts (rp is nil after)
	p.rp.Destroy()
	p.rp = nil
	p.rkMu.Unlock()
	p.reports.close()
	if !p.keepReadyFD.Load() {
		p.releaseFDs()
	}
	return err
}

// releaseFDs closes the readiness descriptor (Close does, unless the C ABI kept it
// for its destroy). Calling it more than once is harmless.
func (p *Producer) releaseFDs() { p.reports.release() }
