package klient

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/klient-dev/klient/core/config"
	"github.com/klient-dev/klient/core/events"
	"github.com/klient-dev/klient/core/internal/rdk"
	"github.com/klient-dev/klient/core/metrics"
)

// ConsumedMessage is a record read from Kafka.
type ConsumedMessage struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   []Header
	Timestamp time.Time
	// TimestampType says what Timestamp is: the producer's CreateTime or the broker's
	// LogAppendTime (a topic with message.timestamp.type=LogAppendTime).
	TimestampType TimestampType
	// mem is the fetched batch Key, Value and Headers are slices of, until Recycle.
	mem *batchMem
}

// TimestampType is the kind of a consumed record's timestamp. The values are
// librdkafka's and confluent-kafka's (Python's Message.timestamp() type), which
// bindings hand on unchanged.
type TimestampType int8

// Timestamp types.
const (
	TimestampNotAvailable  TimestampType = 0 // no timestamp (Timestamp is zero)
	TimestampCreateTime    TimestampType = 1 // set by the producer
	TimestampLogAppendTime TimestampType = 2 // set by the broker when it appended the record
)

// RebalanceKind says what a rebalance did to the assignment.
type RebalanceKind string

// Rebalance kinds. Lost means the partitions were taken away without a clean revoke
// (session timeout): offsets for them can no longer be committed.
const (
	RebalanceAssign RebalanceKind = "assign"
	RebalanceRevoke RebalanceKind = "revoke"
	RebalanceLost   RebalanceKind = "lost"
)

// RebalanceEvent describes one assignment change.
type RebalanceEvent struct {
	Kind       RebalanceKind
	Partitions []Offset
}

// ConsumerOptions are the Go-side hooks of a consumer.
type ConsumerOptions struct {
	// OnRebalance runs synchronously on the consumer's fetch goroutine, before the
	// assignment changes on revoke and after it changes on assign. An error it returns
	// is wrapped in ErrRebalance and returned by the next Poll/ConsumeBatch; the
	// rebalance itself still completes, so the group recovers.
	OnRebalance func(RebalanceEvent) error
	// MaxBuffered bounds the messages fetched ahead of the application (default 10000;
	// the klient.prefetch.messages property sets it when this is 0).
	MaxBuffered int
	// MaxBufferedBytes bounds the keys, values and header values of those messages
	// (default 2 MiB; klient.prefetch.kbytes sets it when this is 0). The fetch loop
	// stops once the buffer holds this much; a single larger message still goes through.
	MaxBufferedBytes int
	// QueueRebalanceEvents keeps rebalance events for RebalanceEvents (the C ABI and
	// Python pull them to run their callbacks on the application's thread).
	QueueRebalanceEvents bool
	// OffHeapBatches fetches messages into memory outside the Go heap, where C code may
	// keep pointers into them until they are given back with Recycle (see
	// ConsumedMessage.OffHeap): for bindings that hand the fetched bytes to C. Every
	// message must then be given back once the caller is done with it, and no slice of
	// its Key, Value or headers used after that or kept beyond the message: the memory
	// is unmapped, not garbage-collected.
	OffHeapBatches bool
}

// Consumer reads from Kafka as a member of a consumer group.
//
// A fetch goroutine polls librdkafka ahead of the application into a bounded buffer,
// which is what gives the C ABI's readiness fd its meaning. Offsets are stored for commit only when
// messages are handed to the application (enable.auto.offset.store is forced off), so
// prefetching never commits unseen messages, and prefetched messages of revoked or
// seeked partitions are dropped.
type Consumer struct {
	kc        *kafka.Consumer
	groupID   string
	opts      ConsumerOptions
	msgs      *readyQueue[*ConsumedMessage]
	rebEvents *readyQueue[RebalanceEvent]
	space     chan struct{}
	fetchMu   sync.Mutex // held while the fetch goroutine polls; Seek takes it
	seekMu    sync.Mutex
	pendSeek  map[seekKey]int64
	// startSeek holds seeks made on partitions that were assigned but not yet fetching.
	// librdkafka may let the partition's initial offset lookup override such a seek, so
	// the fetch goroutine checks the first message of each: at the wrong offset it
	// seeks again (the partition is fetching by then) and drops the message.
	startSeek  map[seekKey]int64
	startSeeks atomic.Int32

	// handed holds, per partition, the offset after the last message handed to the
	// application: what a transaction commits (HandedOut). librdkafka's position runs
	// ahead of it because the consumer prefetches.
	handedMu sync.Mutex
	handed   map[seekKey]int64

	// deferred is the batch TakeDeferred returned and Settle has not ended yet: taken
	// from the buffer, its first defDone messages handed out, the rest not (no offset
	// stored). Of the handed ones, the first defStored have their offsets stored
	// (Stream hands out one message at a time and stores them in bulk: storeHanded).
	// gone marks its messages whose partition was revoked or seeked since
	// (dropBuffered): Settle neither hands them out nor puts them back. defMu also
	// covers the pop of TakeDeferred, so a message is always either buffered or
	// deferred when dropBuffered looks.
	defMu     sync.Mutex
	deferred  []*ConsumedMessage
	gone      []bool
	defDone   int
	defStored int

	errMu  sync.Mutex
	errs   []error
	closed atomic.Bool
	// keepReadyFD: Close leaves the readiness descriptors to releaseFDs (set by the C
	// ABI through internal/cabi, whose handles promise the fd until destroy).
	keepReadyFD atomic.Bool
	stopped     atomic.Bool
	started     atomic.Bool
	loopDone    chan struct{}
	stopLoop    chan struct{}
	// autoCommit records enable.auto.commit at creation: the relay refuses a consumer
	// that commits on its own, since that would commit outside its transactions.
	autoCommit bool
	// resetTo is auto.offset.reset's logical offset (OffsetBeginning or OffsetEnd;
	// OffsetInvalid for "error"): see startPositions.
	resetTo kafka.Offset
	// relayHook is the relay's internal rebalance hook. It runs on the fetch goroutine
	// (holding fetchMu), after the assignment changes on assign and before it changes
	// on revoke/lost, so the relay can finish its open transaction first.
	relayHook atomic.Pointer[func(RebalanceKind, []Offset)]
	// fast reads librdkafka's consumer queue directly (consume_fast.go); nil: the
	// fetch goroutine polls through confluent-kafka-go.
	fast *fastFetch
	// rk is kc's librdkafka handle (nil when rdk.HandleOf cannot read it), through which
	// commits are sent without blocking (commit.go). useMu is held (read) by calls
	// that use it or kc after checking closed; Close takes it (write) before freeing them.
	rk    *rdk.Handle
	useMu sync.RWMutex
	// logs serves librdkafka's log lines (nil when rk is: confluent-kafka-go's Logs()
	// channel does).
	logs *rdk.Server
	// watch ends metadata requests early on a failed login or unreachable brokers;
	// inFlight lets Close wait for a request it gave up on (metadata.go).
	watch    *brokerWatch
	inFlight sync.WaitGroup
}

type seekKey struct {
	topic     string
	partition int32 // -1: every partition of the topic
}

// NewConsumer creates a consumer from librdkafka properties. group.id is required;
// isolation.level defaults to read_committed and auto.offset.reset to earliest.
func NewConsumer(props config.Map, opts ConsumerOptions) (*Consumer, error) {
	cm, own, err := kafkaConfig(props)
	if err != nil {
		return nil, err
	}
	if v, ok := own[PrefetchMessagesKey]; ok && opts.MaxBuffered <= 0 {
		if opts.MaxBuffered, err = positiveInt(PrefetchMessagesKey, v); err != nil {
			return nil, err
		}
	}
	if v, ok := own[PrefetchKbytesKey]; ok && opts.MaxBufferedBytes <= 0 {
		kb, err := positiveInt(PrefetchKbytesKey, v)
		if err != nil {
			return nil, err
		}
		opts.MaxBufferedBytes = kb * 1024
	}
	gid, _ := cm.Get("group.id", "")
	if g, _ := gid.(string); g == "" {
		return nil, newError(KindConfig, "create consumer", "group.id (group_id) is required")
	}
	setDefault(cm, "isolation.level", "read_committed")
	setDefault(cm, "auto.offset.reset", "earliest")
	// librdkafka prefetches up to 100,000 messages (64 MB) by default on top of
	// klient's own buffer (MaxBuffered, MaxBufferedBytes); 10,000 halves a consumer's
	// RSS, 16 MB takes 10 KB messages' from 158 to ~100 MB, and a short queue backoff
	// keeps the smaller queue full (measured: faster, not slower; docs/BENCHMARKS.md).
	setDefault(cm, "queued.min.messages", 10000)
	setDefault(cm, "queued.max.messages.kbytes", 16384)
	setDefault(cm, "fetch.queue.backoff.ms", 5)
	_ = cm.SetKey("enable.auto.offset.store", false)
	// Log lines wait in librdkafka until rdk.ServeLogs below takes them: not through
	// confluent-kafka-go's Logs(), whose poller makes every Close wait up to 100 ms,
	// unless librdkafka's handle cannot be read.
	if rdk.Readable() {
		_ = cm.SetKey("log.queue", true)
	} else {
		enableLogs(cm)
	}
	kc, err := kafka.NewConsumer(cm)
	if err != nil {
		return nil, configError("create consumer", err)
	}
	rk := rdk.HandleOf(kc)
	logs := rk.ServeLogs(serveLog("consumer", rk))
	if rk == nil {
		forwardLogs("consumer", kc.Logs())
	}
	if opts.MaxBuffered <= 0 {
		opts.MaxBuffered = 10000
	}
	if opts.MaxBufferedBytes <= 0 {
		// librdkafka's queue already holds up to queued.max.messages.kbytes ahead of this
		// buffer, which only has to keep the next batch ready: 2 MiB took the peak RSS of
		// a consumer of 10 KB messages down by 15-35 MB (C ABI, Python) at the same rate
		// (docs/BENCHMARKS.md). Small messages reach MaxBuffered first.
		opts.MaxBufferedBytes = 2 << 20
	}
	mq, err := newReadyQueue(bufferedSize)
	if err != nil {
		logs.Stop()
		kc.Close()
		return nil, err
	}
	rq, err := newReadyQueue[RebalanceEvent](nil)
	if err != nil {
		logs.Stop()
		kc.Close()
		mq.release()
		return nil, err
	}
	c := &Consumer{kc: kc, rk: rk, logs: logs, groupID: gid.(string), opts: opts, msgs: mq, rebEvents: rq, space: make(chan struct{}, 1),
		pendSeek: map[seekKey]int64{}, startSeek: map[seekKey]int64{}, handed: map[seekKey]int64{}, loopDone: make(chan struct{}), stopLoop: make(chan struct{}),
		autoCommit: autoCommitOn(cm), resetTo: logicalReset(cm), fast: newFastFetch(rk, opts.OffHeapBatches)}
	bs, _ := cm.Get("bootstrap.servers", "")
	c.watch = &brokerWatch{bootstrap: fmt.Sprint(bs)}
	return c, nil
}

// autoCommitOn reads enable.auto.commit (librdkafka's default is true).
func autoCommitOn(cm *kafka.ConfigMap) bool {
	v, ok := (*cm)["enable.auto.commit"] // not cm.Get: it rejects a string for a bool default
	if !ok {
		return true
	}
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return !(x == "false" || x == "False" || x == "0")
	case int:
		return x != 0
	}
	return true
}

// logicalReset reads auto.offset.reset as a logical offset (see Consumer.resetTo).
func logicalReset(cm *kafka.ConfigMap) kafka.Offset {
	v, _ := (*cm)["auto.offset.reset"].(string)
	switch strings.ToLower(v) {
	case "smallest", "earliest", "beginning":
		return kafka.OffsetBeginning
	case "largest", "latest", "end":
		return kafka.OffsetEnd
	}
	return kafka.OffsetInvalid
}

// positiveInt reads a klient.* property that must be a positive integer (an int, or a
// string of one, as config files and the C ABI pass it).
func positiveInt(key string, v any) (int, error) {
	n, isInt := v.(int)
	if s, isStr := v.(string); isStr {
		n64, perr := strconv.ParseInt(s, 10, 32)
		n, isInt = int(n64), perr == nil
	}
	if !isInt || n <= 0 {
		return 0, newError(KindConfig, "create consumer", "%s must be a positive integer, got %v", key, v)
	}
	return n, nil
}

// bufferedSize is what a prefetched message counts against MaxBufferedBytes.
func bufferedSize(m *ConsumedMessage) int {
	n := len(m.Key) + len(m.Value)
	for _, h := range m.Headers {
		n += len(h.Value)
	}
	return n
}

func setDefault(cm *kafka.ConfigMap, key string, v any) {
	if _, ok := (*cm)[key]; !ok {
		(*cm)[key] = v
	}
}

// GroupID is the consumer's group.id.
func (c *Consumer) GroupID() string { return c.groupID }

func (c *Consumer) check(op string) error {
	if c == nil || c.closed.Load() {
		return newError(KindClosed, op, "consumer is closed")
	}
	return nil
}

// Subscribe replaces the subscription with topics and starts fetching.
func (c *Consumer) Subscribe(topics []string) error {
	if err := c.check("subscribe"); err != nil {
		return err
	}
	if len(topics) == 0 {
		return newError(KindInvalidArgument, "subscribe", "topics must be a non-empty list of topic names")
	}
	for _, t := range topics {
		if err := ValidateTopic("subscribe", t, true); err != nil {
			return err
		}
	}
	if err := c.kc.SubscribeTopics(topics, c.rebalance); err != nil {
		return FromKafka("subscribe", err)
	}
	if c.started.CompareAndSwap(false, true) {
		go c.fetchLoop()
	}
	return nil
}

func (c *Consumer) fetchLoop() {
	defer close(c.loopDone)
	batch := make([]*ConsumedMessage, 0, 512)
	for {
		select {
		case <-c.stopLoop:
			return
		default:
		}
		if n, bytes := c.msgs.fill(); n >= c.opts.MaxBuffered || bytes >= c.opts.MaxBufferedBytes {
			// The application is not keeping up: stop polling, exactly as a classic
			// consumer that is not polled (max.poll.interval.ms applies).
			select {
			case <-c.space:
			case <-c.stopLoop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		c.fetchMu.Lock()
		n, bytes := c.msgs.fill()
		if c.fast != nil {
			c.fetchFast(min(fetchMaxMessages, c.opts.MaxBuffered-n), c.opts.MaxBufferedBytes-bytes)
			c.fetchMu.Unlock()
			continue
		}
		room := min(cap(batch), c.opts.MaxBuffered-n)
		wait := 100
		for len(batch) < room {
			ev := c.kc.Poll(wait)
			if ev == nil {
				break
			}
			wait = 0
			switch e := ev.(type) {
			case *kafka.Message:
				if e.TopicPartition.Error != nil {
					c.pushErr(FromKafka("consume", e.TopicPartition.Error))
					continue
				}
				if c.startSeeks.Load() > 0 && c.resetToStartSeek(*e.TopicPartition.Topic, e.TopicPartition.Partition, int64(e.TopicPartition.Offset)) {
					continue
				}
				batch = append(batch, fromKafkaMessage(e))
			case kafka.Error:
				c.handleKafkaError(e)
			case *kafka.Stats:
				publishStats("consumer", e.String())
			}
		}
		c.msgs.push(batch...)
		c.fetchMu.Unlock()
		clear(batch)
		batch = batch[:0]
	}
}

// handleKafkaError reports an error event of the consumer's queue.
func (c *Consumer) handleKafkaError(e kafka.Error) {
	c.watch.observe(e)
	err := FromKafka("consume", e)
	switch {
	case e.IsFatal():
		c.pushErr(err)
	case isAuthError(e.Code()) && !c.errPending():
		// librdkafka keeps retrying a failed login; tell the application once
		// per failure streak instead of letting it wait on an empty topic.
		ke := err.(*Error)
		ke.Message = "authentication failed: " + ke.Message
		c.pushErr(ke)
	}
	events.Emit("consumer_error", events.F("error", err.Error()), events.F("fatal", e.IsFatal()))
}

func fromKafkaMessage(e *kafka.Message) *ConsumedMessage {
	m := &ConsumedMessage{Partition: e.TopicPartition.Partition, Offset: int64(e.TopicPartition.Offset),
		Key: e.Key, Value: e.Value, Timestamp: e.Timestamp, TimestampType: TimestampType(e.TimestampType)}
	if e.TopicPartition.Topic != nil {
		m.Topic = *e.TopicPartition.Topic
	}
	if len(e.Headers) > 0 {
		m.Headers = make([]Header, len(e.Headers))
		for i, h := range e.Headers {
			m.Headers[i] = Header{Key: h.Key, Value: h.Value}
		}
	}
	return m
}

func (c *Consumer) pushErr(err error) {
	c.errMu.Lock()
	c.errs = append(c.errs, err)
	c.errMu.Unlock()
	c.msgs.interrupt()
}

func (c *Consumer) takeErr() error {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	if len(c.errs) == 0 {
		return nil
	}
	err := c.errs[0]
	c.errs = c.errs[1:]
	return err
}

// rebalance runs on the fetch goroutine: called by fetchFast, or inside kc.Poll (the
// fallback path, and kc.Close).
func (c *Consumer) rebalance(kc *kafka.Consumer, ev kafka.Event) error {
	cooperative := kc.GetRebalanceProtocol() == "COOPERATIVE"
	switch e := ev.(type) {
	case kafka.AssignedPartitions:
		parts := c.applyPendingSeeks(e.Partitions)
		start := c.startPositions(kc, parts)
		var err error
		if cooperative {
			err = kc.IncrementalAssign(start)
		} else {
			err = kc.Assign(start)
		}
		if err != nil {
			c.pushErr(FromKafka("assign", err))
		}
		c.notifyRebalance(RebalanceAssign, parts)
	case kafka.RevokedPartitions:
		kind := RebalanceRevoke
		if kc.AssignmentLost() {
			kind = RebalanceLost
		}
		revoked := map[seekKey]bool{}
		for _, tp := range e.Partitions {
			revoked[seekKey{*tp.Topic, tp.Partition}] = true
		}
		c.dropBuffered(func(m *ConsumedMessage) bool { return revoked[seekKey{m.Topic, m.Partition}] })
		c.notifyRebalance(kind, e.Partitions)
		var err error
		if cooperative {
			err = kc.IncrementalUnassign(e.Partitions)
		} else {
			err = kc.Unassign()
		}
		if err != nil {
			c.pushErr(FromKafka("unassign", err))
		}
	}
	return nil
}

// startPositions is parts with auto.offset.reset's logical offset for the partitions
// that have no position yet and no committed offset (a new group's), which librdkafka
// would otherwise start 100 ms late: assigned without an offset, it fetches the
// committed one and, finding none, resets after a fixed 100 ms back-off (librdkafka's
// rd_kafka_offset_reset; a logical offset is queried at once). The rest keep theirs
// (librdkafka fetches committed offsets itself, as before). When the committed offsets
// cannot be read here, parts is assigned as it is. The rebalance callbacks still see
// parts.
func (c *Consumer) startPositions(kc *kafka.Consumer, parts []kafka.TopicPartition) []kafka.TopicPartition {
	if c.resetTo == kafka.OffsetInvalid {
		return parts
	}
	var unset []kafka.TopicPartition
	for _, tp := range parts {
		if tp.Offset == kafka.OffsetInvalid {
			unset = append(unset, kafka.TopicPartition{Topic: tp.Topic, Partition: tp.Partition})
		}
	}
	if len(unset) == 0 {
		return parts
	}
	committed, err := kc.Committed(unset, startQueryTimeoutMs)
	if err != nil {
		return parts
	}
	none := map[seekKey]bool{}
	for _, tp := range committed {
		if tp.Error == nil && tp.Offset == kafka.OffsetInvalid && tp.Topic != nil {
			none[seekKey{*tp.Topic, tp.Partition}] = true
		}
	}
	if len(none) == 0 {
		return parts
	}
	out := make([]kafka.TopicPartition, len(parts))
	copy(out, parts)
	for i, tp := range out {
		if tp.Offset == kafka.OffsetInvalid && tp.Topic != nil && none[seekKey{*tp.Topic, tp.Partition}] {
			out[i].Offset = c.resetTo
		}
	}
	return out
}

// startQueryTimeoutMs bounds startPositions' committed-offset query (on the fetch
// goroutine, inside the rebalance).
const startQueryTimeoutMs = 2000

func (c *Consumer) notifyRebalance(kind RebalanceKind, parts []kafka.TopicPartition) {
	ev := RebalanceEvent{Kind: kind, Partitions: fromTopicPartitions(parts)}
	metrics.Inc("consumer.rebalance."+string(kind), 1)
	if kind != RebalanceAssign {
		for _, p := range ev.Partitions {
			metrics.ForgetLag(p.Topic, p.Partition)
		}
	}
	if events.Enabled() {
		names := make([]string, len(ev.Partitions))
		for i, p := range ev.Partitions {
			names[i] = p.Topic + "[" + fmtInt(int64(p.Partition)) + "]"
		}
		events.Emit("rebalance_"+string(kind), events.F("group_id", c.groupID), events.F("partitions", names))
	}
	if h := c.relayHook.Load(); h != nil {
		(*h)(kind, ev.Partitions)
	}
	if c.opts.OnRebalance != nil {
		if err := safeCall(func() error { return c.opts.OnRebalance(ev) }); err != nil {
			c.pushErr(&Error{Kind: KindRebalance, Op: "on_" + string(kind), Message: "rebalance callback failed: " + err.Error(), Err: err})
		}
	}
	if c.opts.QueueRebalanceEvents {
		c.rebEvents.push(ev)
		c.msgs.interrupt()
	}
}

// safeCall runs fn, turning a panic into an error.
func safeCall(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = newError(KindCallback, "callback", "panic: %v", r)
		}
	}()
	return fn()
}

func (c *Consumer) applyPendingSeeks(parts []kafka.TopicPartition) []kafka.TopicPartition {
	c.seekMu.Lock()
	defer c.seekMu.Unlock()
	if len(c.pendSeek) == 0 {
		return parts
	}
	out := make([]kafka.TopicPartition, len(parts))
	copy(out, parts)
	used := map[seekKey]bool{}
	for i, tp := range out {
		for _, key := range []seekKey{{*tp.Topic, tp.Partition}, {*tp.Topic, -1}} {
			if off, ok := c.pendSeek[key]; ok {
				out[i].Offset = kafka.Offset(off)
				used[key] = true
				break
			}
		}
	}
	for k := range used {
		delete(c.pendSeek, k)
	}
	return out
}

// RebalanceEvents removes and returns the queued rebalance events (only collected with
// ConsumerOptions.QueueRebalanceEvents).
func (c *Consumer) RebalanceEvents() []RebalanceEvent { return c.rebEvents.pop(0) }

// Poll returns the next message, or nil when none arrives before ctx ends (a ctx that
// has already ended: only a message already buffered). The end of ctx is not an error.
func (c *Consumer) Poll(ctx context.Context) (*ConsumedMessage, error) {
	msgs, err := c.take(ctx, 1, false, false)
	if len(msgs) == 0 {
		return nil, err
	}
	return msgs[0], err
}

// ConsumeBatch returns up to max messages, waiting until max have arrived or ctx ends
// (a ctx that has already ended: only what is already buffered). The end of ctx is not
// an error: the batch gathered so far is the result. Use context.WithTimeout for a
// batch window.
func (c *Consumer) ConsumeBatch(ctx context.Context, max int) ([]*ConsumedMessage, error) {
	if max <= 0 {
		return nil, newError(KindInvalidArgument, "consume", "max_messages must be positive, got %d", max)
	}
	return c.take(ctx, max, true, false)
}

// TakeDeferred returns up to max buffered messages, waiting for the first one until ctx
// ends (a ctx that has already ended: only what is already buffered), WITHOUT handing
// them out: no offset is stored and HandedOut does not change until Settle says how
// many of them the application received. Until Settle ends it, the batch is
// outstanding and every other take (Poll, ConsumeBatch, TakeDeferred) fails; an empty
// batch leaves nothing outstanding. It lets a binding take messages in batches and
// hand them to its application one at a time, without one library call per message
// and without counting as handed out messages the application never saw.
func (c *Consumer) TakeDeferred(ctx context.Context, max int) ([]*ConsumedMessage, error) {
	if max <= 0 {
		return nil, newError(KindInvalidArgument, "consume_deferred", "max_messages must be positive, got %d", max)
	}
	return c.take(ctx, max, false, true)
}

// Settle records that the application received the first handed messages of the
// batch of the last TakeDeferred: those not handed out yet count as handed out now
// (their offsets are stored, as Poll's are). keep leaves the batch outstanding (the
// application goes on with it; handed may grow with later calls); otherwise the batch
// ends and its other messages go back to the front of the buffer, so the next take
// returns them in order. Messages of partitions revoked or seeked since the batch was
// taken are neither handed out nor put back, as buffered ones are dropped. handed must
// be between what was already settled and the batch's length; with no batch
// outstanding, only 0 (a no-op) is accepted.
func (c *Consumer) Settle(handed int, keep bool) error { return c.settle(handed, false, keep, false) }

// SettleCopied is Settle for a caller that copied the batch out when it took it (the C
// ABI): when the batch ends, the messages it ends with as handed out (and those
// dropped) are given back as by Recycle; those put back in the buffer are not.
func (c *Consumer) SettleCopied(handed int, keep bool) error {
	return c.settle(handed, false, keep, true)
}

// EndDeferredCopied ends the outstanding deferred batch, if any, as SettleCopied with
// nothing more handed out (its other messages go back to the buffer), for a caller that
// copied the batch out and is about to close (the C ABI): Close then gives the batch's
// fetched memory back at once, instead of the GC when it finds it unused, which for
// memory off the Go heap may be long after.
func (c *Consumer) EndDeferredCopied() error { return c.settle(0, true, false, true) }

// settle is Settle and its variants; soFar: handed is what was already settled.
func (c *Consumer) settle(handed int, soFar, keep, recycle bool) error {
	if err := c.check("settle"); err != nil {
		return err
	}
	c.defMu.Lock()
	batch, gone, done, stored := c.deferred, c.gone, c.defDone, c.defStored
	if soFar {
		handed = done
	}
	if handed < done || handed > len(batch) {
		c.defMu.Unlock()
		return newError(KindInvalidArgument, "settle", "handed must be between the %d messages already settled and the deferred batch's %d, got %d", done, len(batch), handed)
	}
	c.defDone, c.defStored = handed, handed
	var ended []*ConsumedMessage
	if !keep {
		c.deferred, c.gone, c.defDone, c.defStored = nil, nil, 0, 0
		var rest []*ConsumedMessage
		for i := range batch {
			switch {
			case i < handed || gone[i]:
				if recycle {
					ended = append(ended, batch[i])
				}
			default:
				rest = append(rest, batch[i])
			}
		}
		c.msgs.pushFront(rest...)
	}
	out := handedSince(batch, gone, stored, handed)
	c.defMu.Unlock()
	if len(out) > 0 {
		c.store(out)
	}
	if recycle {
		c.Recycle(ended)
	}
	return nil
}

// handedSince is batch[from:to] without the gone messages.
func handedSince(batch []*ConsumedMessage, gone []bool, from, to int) []*ConsumedMessage {
	var out []*ConsumedMessage
	for i := from; i < to; i++ {
		if !gone[i] {
			out = append(out, batch[i])
		}
	}
	return out
}

// storeHanded stores the offsets of the outstanding deferred batch's messages that
// handOutDeferred handed out since the last store: before a commit or HandedOut reads
// them, and when the batch is settled.
func (c *Consumer) storeHanded() {
	c.defMu.Lock()
	var out []*ConsumedMessage
	if c.defStored < c.defDone {
		out = handedSince(c.deferred, c.gone, c.defStored, c.defDone)
		c.defStored = c.defDone
	}
	c.defMu.Unlock()
	if len(out) > 0 {
		c.store(out)
	}
}

// dropBuffered removes the buffered messages drop selects (those of revoked or seeked
// partitions) and marks them gone in the outstanding deferred batch. The buffered ones
// were never handed out: their memory can take later fetches at once.
func (c *Consumer) dropBuffered(drop func(*ConsumedMessage) bool) {
	c.defMu.Lock()
	defer c.defMu.Unlock()
	for i, m := range c.deferred {
		if drop(m) {
			c.gone[i] = true
		}
	}
	c.Recycle(c.msgs.removeIf(drop))
}

// popDeferred pops up to max buffered messages into the deferred batch.
func (c *Consumer) popDeferred(max int) []*ConsumedMessage {
	c.defMu.Lock()
	defer c.defMu.Unlock()
	got := c.msgs.pop(max)
	c.deferred = append(c.deferred, got...)
	c.gone = append(c.gone, make([]bool, len(got))...)
	return got
}

// take pops up to max messages (fill: wait for max, else return once any arrived);
// deferred: as TakeDeferred, else they are handed out at once.
func (c *Consumer) take(ctx context.Context, max int, fill, deferred bool) ([]*ConsumedMessage, error) {
	if err := c.check("consume"); err != nil {
		return nil, err
	}
	if !c.started.Load() {
		return nil, newError(KindInvalidArgument, "consume", "not subscribed: call subscribe first")
	}
	c.defMu.Lock()
	outstanding := len(c.deferred)
	c.defMu.Unlock()
	if outstanding > 0 {
		return nil, newError(KindInvalidArgument, "consume", "a deferred batch of %d messages is outstanding: settle it first", outstanding)
	}
	if err := c.takeErr(); err != nil {
		return nil, err
	}
	pop := c.msgs.pop
	if deferred {
		pop = c.popDeferred
	}
	var out []*ConsumedMessage
	for {
		n := len(out)
		out = append(out, pop(max-len(out))...)
		if len(out) > n {
			// Room in the buffer for the fetch loop now, not when this call returns: a
			// batch larger than klient.prefetch.messages waits for the loop to refill it.
			kick(c.space)
		}
		if len(out) >= max || (!fill && len(out) > 0) {
			break
		}
		if ctx.Err() != nil || c.stopped.Load() || c.closed.Load() {
			break
		}
		c.msgs.wait(ctx, -1)
		if c.errPending() || (c.opts.QueueRebalanceEvents && c.rebEvents.len() > 0) {
			break
		}
	}
	if len(out) > 0 && !deferred {
		c.store(out)
	}
	return out, nil
}

func (c *Consumer) errPending() bool {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	return len(c.errs) > 0
}

// store marks messages as processed-when-committed (offset+1 per partition).
func (c *Consumer) store(msgs []*ConsumedMessage) {
	next := map[seekKey]int64{}
	var bytes int64
	// A batch comes in runs of one partition: one map write per run, not per message
	// (the map was a quarter of the consume profile).
	var run seekKey
	runNext := int64(-1)
	for _, m := range msgs {
		if runNext < 0 || m.Partition != run.partition || m.Topic != run.topic {
			if runNext > next[run] {
				next[run] = runNext
			}
			run, runNext = seekKey{m.Topic, m.Partition}, m.Offset+1
		} else if m.Offset+1 > runNext {
			runNext = m.Offset + 1
		}
		bytes += int64(len(m.Key) + len(m.Value))
	}
	if runNext > next[run] {
		next[run] = runNext
	}
	countConsumed(msgs, bytes)
	tps := make([]kafka.TopicPartition, 0, len(next))
	c.handedMu.Lock()
	for k, off := range next {
		topic := k.topic
		tps = append(tps, kafka.TopicPartition{Topic: &topic, Partition: k.partition, Offset: kafka.Offset(off)})
		if off > c.handed[k] {
			c.handed[k] = off
		}
	}
	c.handedMu.Unlock()
	for k, off := range next {
		// The high watermark is librdkafka's cached copy from the last fetch
		// response: no broker round trip, so lag costs one local call per partition.
		if _, hi, err := c.kc.GetWatermarkOffsets(k.topic, k.partition); err == nil && hi >= 0 {
			metrics.SetLag(k.topic, k.partition, max(hi-off, 0))
		}
	}
	// A partition revoked since the fetch cannot be stored; its messages will be
	// re-delivered to the new owner, which is the at-least-once contract.
	_, _ = c.kc.StoreOffsets(tps)
}

// countConsumed adds a batch to the per-topic consumed counters: one call for the
// usual single-topic batch, one per topic run otherwise.
func countConsumed(msgs []*ConsumedMessage, bytes int64) {
	topic := msgs[0].Topic
	for _, m := range msgs[1:] {
		if m.Topic != topic {
			for _, m := range msgs {
				metrics.Consumed(m.Topic, 1, int64(len(m.Key)+len(m.Value)))
			}
			return
		}
	}
	metrics.Consumed(topic, int64(len(msgs)), bytes)
}

// Stream yields messages until ctx ends, Stop is called, or limit messages (0:
// unlimited) were yielded. It stops at the first error, yielding it.
//
// It takes up to 500 messages at a time as a deferred batch (TakeDeferred) and hands
// each out as it is yielded, as Poll would: a Commit (or HandedOut) in the loop body
// covers the message being processed and those before it, never messages the loop
// has not seen (librdkafka's auto-commit sees a batch's messages once it is settled);
// when the loop breaks, the rest of the batch goes back to the buffer for the next
// take. A message whose partition was revoked or seeked since the take is skipped.
// While the loop runs, the batch is outstanding: other takes (Poll, ConsumeBatch)
// from its body fail.
func (c *Consumer) Stream(ctx context.Context, limit int) iter.Seq2[*ConsumedMessage, error] {
	return func(yield func(*ConsumedMessage, error) bool) {
		n := 0
		for ctx.Err() == nil && !c.stopped.Load() && (limit <= 0 || n < limit) {
			want := 500
			if limit > 0 && limit-n < want {
				want = limit - n
			}
			msgs, err := c.TakeDeferred(ctx, want)
			if err != nil {
				yield(nil, err)
				return
			}
			for i, m := range msgs {
				if !c.handOutDeferred(i) {
					continue
				}
				n++
				if !yield(m, nil) {
					_ = c.Settle(i+1, false)
					return
				}
			}
			if len(msgs) > 0 {
				_ = c.Settle(len(msgs), false)
			}
		}
	}
}

// handOutDeferred hands out message i of the outstanding deferred batch, or returns
// false when its partition was revoked or seeked since the take (the message is then
// dropped, as buffered ones are). Its offset is stored in bulk with the others
// (storeHanded): a store per message cost Stream 60% of its speed.
func (c *Consumer) handOutDeferred(i int) bool {
	c.defMu.Lock()
	defer c.defMu.Unlock()
	if i >= len(c.deferred) || i < c.defDone {
		return false
	}
	c.defDone = i + 1
	return !c.gone[i]
}

// Stop makes waiting and streaming calls return, now and from then on (a signal
// handler's way to end a consume loop). Close implies Stop.
func (c *Consumer) Stop() {
	c.stopped.Store(true)
	c.msgs.interrupt()
}

// Buffered is the number of prefetched messages waiting.
func (c *Consumer) Buffered() int { return c.msgs.len() }

// Seek moves the consumer to offset on one partition (partition >= 0) or on every
// partition of topic (partition < 0). Partitions not assigned yet are seeked when the
// group assigns them, so Seek works right after Subscribe.
func (c *Consumer) Seek(topic string, partition int32, offset int64) (err error) {
	defer func() {
		if err == nil {
			c.forgetHanded(topic, partition)
		}
	}()
	if err := c.check("seek"); err != nil {
		return err
	}
	if err := ValidateTopic("seek", topic, false); err != nil {
		return err
	}
	if err := ValidatePartition("seek", partition, true); err != nil {
		return err
	}
	if offset < 0 && offset != int64(kafka.OffsetBeginning) && offset != int64(kafka.OffsetEnd) {
		return newError(KindInvalidArgument, "seek", "offset must be >= 0 (or -2 beginning, -1 end), got %d", offset)
	}
	c.fetchMu.Lock()
	defer c.fetchMu.Unlock()
	assigned, err := c.kc.Assignment()
	if err != nil {
		return FromKafka("seek", err)
	}
	seeked := map[seekKey]bool{}
	for _, tp := range assigned {
		if *tp.Topic != topic || (partition >= 0 && tp.Partition != partition) {
			continue
		}
		tp.Offset = kafka.Offset(offset)
		if err := c.seekStarted(tp); err != nil {
			return FromKafka("seek", err)
		}
		key := seekKey{topic, tp.Partition}
		seeked[key] = true
		if pos, err := c.kc.Position([]kafka.TopicPartition{tp}); err == nil && len(pos) == 1 && pos[0].Offset < 0 && offset >= 0 {
			c.seekMu.Lock()
			if _, dup := c.startSeek[key]; !dup {
				c.startSeeks.Add(1)
			}
			c.startSeek[key] = offset
			c.seekMu.Unlock()
		}
	}
	if len(seeked) > 0 {
		c.dropBuffered(func(m *ConsumedMessage) bool { return seeked[seekKey{m.Topic, m.Partition}] })
		if partition >= 0 {
			return nil
		}
	}
	if len(seeked) == 0 || partition < 0 {
		c.seekMu.Lock()
		if partition < 0 {
			// The last seek wins, as it does on assigned partitions: a seek of the whole
			// topic replaces earlier pending seeks of single partitions.
			for k := range c.pendSeek {
				if k.topic == topic {
					delete(c.pendSeek, k)
				}
			}
		}
		c.pendSeek[seekKey{topic, max(partition, -1)}] = offset
		c.seekMu.Unlock()
	}
	return nil
}

// rewind seeks the given partitions back, for the relay after an aborted batch. Unlike
// Seek it never defers a seek to a later assignment: a partition revoked meanwhile
// restarts from its committed offset at its new owner, which is already right. It holds
// fetchMu, so no rebalance runs between keep's verdict and the seek.
func (c *Consumer) rewind(offsets []Offset, keep func(Offset) bool) error {
	if err := c.check("rewind"); err != nil {
		return err
	}
	c.fetchMu.Lock()
	defer c.fetchMu.Unlock()
	assigned, err := c.kc.Assignment()
	if err != nil {
		return FromKafka("rewind", err)
	}
	owned := map[seekKey]bool{}
	for _, tp := range assigned {
		owned[seekKey{*tp.Topic, tp.Partition}] = true
	}
	seeked := map[seekKey]bool{}
	for _, o := range offsets {
		k := seekKey{o.Topic, o.Partition}
		if !owned[k] || !keep(o) {
			continue
		}
		topic := o.Topic
		if err := c.seekStarted(kafka.TopicPartition{Topic: &topic, Partition: o.Partition, Offset: kafka.Offset(o.Offset)}); err != nil {
			return FromKafka("rewind", err)
		}
		seeked[k] = true
	}
	if len(seeked) > 0 {
		c.dropBuffered(func(m *ConsumedMessage) bool { return seeked[seekKey{m.Topic, m.Partition}] })
	}
	return nil
}

// resetToStartSeek reports whether m must be dropped because a seek made before its
// partition started fetching did not take effect (see Consumer.startSeek). Runs on the
// fetch goroutine with fetchMu held.
func (c *Consumer) resetToStartSeek(topic string, partition int32, offset int64) bool {
	key := seekKey{topic, partition}
	c.seekMu.Lock()
	target, ok := c.startSeek[key]
	if ok {
		delete(c.startSeek, key)
		c.startSeeks.Add(-1)
	}
	c.seekMu.Unlock()
	if !ok || offset == target {
		return false
	}
	tp := kafka.TopicPartition{Topic: &topic, Partition: partition, Offset: kafka.Offset(target)}
	if err := c.seekStarted(tp); err != nil {
		c.pushErr(FromKafka("seek", err))
		return false
	}
	return true
}

// seekStarted seeks one assigned partition. Right after an assignment librdkafka
// refuses a seek with _STATE until the partition's fetcher has started, which takes
// milliseconds: retry that for up to a second instead of failing.
func (c *Consumer) seekStarted(tp kafka.TopicPartition) error {
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		err = c.kc.Seek(tp, 0)
		var ke kafka.Error
		if err == nil || !errors.As(err, &ke) || ke.Code() != kafka.ErrState {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}

// forgetHanded drops what HandedOut remembers of a seeked partition (partition < 0:
// every partition of topic): the application starts over from the seek.
func (c *Consumer) forgetHanded(topic string, partition int32) {
	c.handedMu.Lock()
	defer c.handedMu.Unlock()
	for k := range c.handed {
		if k.topic == topic && (partition < 0 || k.partition == partition) {
			delete(c.handed, k)
		}
	}
}

// HandedOut returns, for each assigned partition, the offset after the last message
// handed to the application since it was assigned or seeked: the offsets a
// transaction must commit (Producer.SendOffsetsToTransaction).
func (c *Consumer) HandedOut() ([]Offset, error) {
	c.storeHanded() // a Stream's messages yielded so far
	assigned, err := c.Assignment()
	if err != nil {
		return nil, err
	}
	c.handedMu.Lock()
	defer c.handedMu.Unlock()
	var out []Offset
	for _, a := range assigned {
		if off, ok := c.handed[seekKey{a.Topic, a.Partition}]; ok {
			out = append(out, Offset{Topic: a.Topic, Partition: a.Partition, Offset: off})
		}
	}
	return out, nil
}

// Assignment lists the partitions currently assigned.
func (c *Consumer) Assignment() ([]Offset, error) {
	if err := c.check("assignment"); err != nil {
		return nil, err
	}
	tps, err := c.kc.Assignment()
	if err != nil {
		return nil, FromKafka("assignment", err)
	}
	return fromTopicPartitions(tps), nil
}

// Position returns the next offset to be handed out for each assigned partition, as
// librdkafka sees it (prefetched messages count as consumed there).
func (c *Consumer) Position() ([]Offset, error) {
	if err := c.check("position"); err != nil {
		return nil, err
	}
	tps, err := c.kc.Assignment()
	if err != nil {
		return nil, FromKafka("position", err)
	}
	pos, err := c.kc.Position(tps)
	if err != nil {
		return nil, FromKafka("position", err)
	}
	return fromTopicPartitions(pos), nil
}

// Close leaves the group (committing stored offsets when auto-commit is on) and
// releases the consumer and every file descriptor it holds.
// Leaving the group waits for the broker, for as long as librdkafka's own timeouts
// allow; when ctx ends first, Close returns a timeout error and the leave and the
// release finish in the background (ctx without a deadline or cancel: Close waits).
// Closing twice is a no-op.
func (c *Consumer) Close(ctx context.Context) error {
	if c == nil || !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	c.storeHanded() // a Stream's messages yielded so far: auto-commit on close covers them
	c.Stop()
	// Calls that checked closed before it was set finish before anything is freed.
	c.useMu.Lock()
	c.useMu.Unlock()
	close(c.stopLoop)
	c.fast.wake()
	if c.started.Load() {
		<-c.loopDone
	}
	c.inFlight.Wait() // a metadata request given up on ends within a second
	// Prefetched messages nobody took: their memory is freed now (by the pool's close
	// below), not when the GC finds it unused, which off the Go heap may be long after.
	c.Recycle(c.msgs.pop(0))
	// The queue references must go before kc.Close, which destroys the rd_kafka_t.
	c.fast.release()
	c.logs.Stop()
	c.msgs.close()
	c.rebEvents.close()
	return finishWithin(ctx, "close", "leaving the consumer group", func() error {
		err := c.kc.Close()
		if !c.keepReadyFD.Load() {
			c.releaseFDs()
		}
		if err != nil {
			return FromKafka("close", err)
		}
		return nil
	})
}

// releaseFDs closes the readiness descriptors (Close does, unless the C ABI kept them
// for its destroy). Calling it more than once is harmless.
func (c *Consumer) releaseFDs() {
	c.msgs.release()
	c.rebEvents.release()
}

// Kafka exposes the underlying confluent-kafka-go consumer.
func (c *Consumer) Kafka() *kafka.Consumer { return c.kc }
