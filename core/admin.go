package klient

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/klient-dev/klient/core/config"
	"github.com/klient-dev/klient/core/internal/rdk"
)

// Admin manages topics. Its error events must be read, or a wrong password or a
// refused connection would only show as a timeout (brokerWatch): confluent-kafka-go's
// standalone AdminClient leaves them on its main queue, which klient serves itself
// (rdk.ServeMain, with the statistics and log lines). Where librdkafka's handle cannot
// be read (see rdk.HandleOf), the AdminClient is derived from a producer, whose
// Events() and Logs() channels carry them; that producer's Close waits up to 100 ms for
// confluent-kafka-go's pollers.
type Admin struct {
	ac       *kafka.AdminClient
	events   *rdk.Server     // serves ac's main queue; nil when kp does
	kp       *kafka.Producer // the fallback's producer; nil when events serves
	name     string          // librdkafka's instance name
	watch    *brokerWatch
	inFlight sync.WaitGroup
	loopDone chan struct{} // the fallback's eventLoop has ended
	closed   atomic.Bool
}

// TopicSpec describes a topic to create. Zero NumPartitions or ReplicationFactor use
// the broker's defaults.
type TopicSpec struct {
	Topic             string            `json:"topic"`
	NumPartitions     int               `json:"num_partitions"`
	ReplicationFactor int               `json:"replication_factor"`
	Config            map[string]string `json:"config,omitempty"`
}

// TopicResult is the per-topic outcome of a create or delete.
type TopicResult struct {
	Topic string `json:"topic"`
	Err   error  `json:"-"`
}

// PartitionInfo describes one partition of a topic.
type PartitionInfo struct {
	Partition int   `json:"partition"`
	Leader    int   `json:"leader"`
	Replicas  []int `json:"replicas"`
	ISR       []int `json:"isr"`
}

// TopicInfo describes a topic.
type TopicInfo struct {
	Name       string          `json:"name"`
	Internal   bool            `json:"internal"`
	Partitions []PartitionInfo `json:"partitions"`
}

// NewAdmin creates an admin client from librdkafka properties.
func NewAdmin(props config.Map) (*Admin, error) {
	cm, _, err := kafkaConfig(props)
	if err != nil {
		return nil, err
	}
	bs, _ := cm.Get("bootstrap.servers", "")
	a := &Admin{watch: &brokerWatch{bootstrap: fmt.Sprint(bs)}}
	if rdk.Readable() {
		_ = cm.SetKey("log.queue", true) // the lines wait for ServeMain
		ac, err := kafka.NewAdminClient(cm)
		if err != nil {
			return nil, configError("create admin", err)
		}
		if h := rdk.HandleOf(ac); h != nil {
			a.ac, a.name = ac, h.Name()
			a.events = h.ServeMain(rdk.Sinks{
				Log:   serveLog("admin", h),
				Error: func(e rdk.ErrorEvent) { a.watch.observe(kafka.NewError(kafka.ErrorCode(e.Code), e.Text, e.Fatal)) },
				Stats: func(doc string) { publishStats("admin", doc) },
			})
			return a, nil
		}
		ac.Close()
		delete(*cm, "log.queue")
	}
	// Nothing is produced: small channels instead of confluent's million-entry ones.
	setDefault(cm, "go.events.channel.size", 100)
	setDefault(cm, "go.produce.channel.size", 1)
	enableLogs(cm)
	kp, err := kafka.NewProducer(cm)
	if err != nil {
		return nil, configError("create admin", err)
	}
	forwardLogs("admin", kp.Logs())
	ac, err := kafka.NewAdminClientFromProducer(kp)
	if err != nil {
		kp.Close()
		return nil, configError("create admin", err)
	}
	a.ac, a.kp, a.name, a.loopDone = ac, kp, kp.String(), make(chan struct{})
	go a.eventLoop()
	return a, nil
}

// eventLoop drains the fallback producer's Events() (see Admin).
func (a *Admin) eventLoop() {
	defer close(a.loopDone)
	for ev := range a.kp.Events() {
		switch e := ev.(type) {
		case kafka.Error:
			a.watch.observe(e)
		case *kafka.Stats:
			publishStats("admin", e.String())
		}
	}
}

// run is every request's wrapper: it fails early on an authentication failure or
// unreachable brokers (see brokerWatch).
func (a *Admin) run(ctx context.Context, op string, call func(context.Context) error) error {
	return a.watch.guard(ctx, &a.inFlight, op, call)
}

func (a *Admin) check(op string) error {
	if a == nil || a.closed.Load() {
		return newError(KindClosed, op, "admin client is closed")
	}
	return nil
}

// CreateTopics creates topics and returns one result per topic; err is set only when
// the request as a whole failed. opts are librdkafka's (ValidateTopics passes validate-only).
func (a *Admin) CreateTopics(ctx context.Context, specs []TopicSpec, opts ...kafka.CreateTopicsAdminOption) ([]TopicResult, error) {
	if err := a.check("create_topics"); err != nil {
		return nil, err
	}
	if len(specs) == 0 {
		return nil, newError(KindInvalidArgument, "create_topics", "no topics given")
	}
	ks := make([]kafka.TopicSpecification, len(specs))
	for i, s := range specs {
		if s.Topic == "" {
			return nil, newError(KindInvalidArgument, "create_topics", "topic %d has no name", i)
		}
		if err := ValidateTopic("create_topics", s.Topic, false); err != nil {
			return nil, err
		}
		// librdkafka takes C ints: 4294967297 partitions would become 1.
		if s.NumPartitions < -1 || s.NumPartitions > math.MaxInt32 {
			return nil, newError(KindInvalidArgument, "create_topics", "topic %q: num_partitions must be between 1 and %d (0 or -1: broker default), got %d", s.Topic, math.MaxInt32, s.NumPartitions)
		}
		if s.ReplicationFactor < -1 || s.ReplicationFactor > math.MaxInt16 {
			return nil, newError(KindInvalidArgument, "create_topics", "topic %q: replication_factor must be between 1 and %d (0 or -1: broker default), got %d", s.Topic, math.MaxInt16, s.ReplicationFactor)
		}
		for k, v := range s.Config {
			if err := validateName("create_topics", "topic config key", k); err != nil {
				return nil, err
			}
			if err := validateName("create_topics", "value of topic config "+k, v); err != nil {
				return nil, err
			}
		}
		np, rf := s.NumPartitions, s.ReplicationFactor
		if np == 0 {
			np = -1
		}
		if rf == 0 {
			rf = -1
		}
		ks[i] = kafka.TopicSpecification{Topic: s.Topic, NumPartitions: np, ReplicationFactor: rf, Config: s.Config}
	}
	var res []kafka.TopicResult
	err := a.run(ctx, "create_topics", func(ctx context.Context) (err error) {
		res, err = a.ac.CreateTopics(ctx, ks, opts...)
		return FromKafka("create_topics", err)
	})
	if err != nil {
		return nil, err
	}
	return topicResults("create_topics", res), nil
}

func topicResults(op string, res []kafka.TopicResult) []TopicResult {
	out := make([]TopicResult, len(res))
	for i, r := range res {
		out[i] = TopicResult{Topic: r.Topic}
		if r.Error.Code() != kafka.ErrNoError {
			out[i].Err = FromKafka(op+" "+r.Topic, r.Error)
		}
	}
	return out
}

// DeleteTopics deletes topics and returns one result per topic.
func (a *Admin) DeleteTopics(ctx context.Context, topics []string) ([]TopicResult, error) {
	if err := a.check("delete_topics"); err != nil {
		return nil, err
	}
	if len(topics) == 0 {
		return nil, newError(KindInvalidArgument, "delete_topics", "no topics given")
	}
	var res []kafka.TopicResult
	err := a.run(ctx, "delete_topics", func(ctx context.Context) (err error) {
		res, err = a.ac.DeleteTopics(ctx, topics)
		return FromKafka("delete_topics", err)
	})
	if err != nil {
		return nil, err
	}
	return topicResults("delete_topics", res), nil
}

// ListTopics returns the names of the cluster's topics, sorted; internal topics
// (names starting with "__") are included only when internal is true.
func (a *Admin) ListTopics(ctx context.Context, internal bool) ([]string, error) {
	if err := a.check("list_topics"); err != nil {
		return nil, err
	}
	var md *kafka.Metadata
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultMetadataTimeout)
		defer cancel()
	}
	err := a.run(ctx, "list_topics", func(ctx context.Context) error {
		m, err := metadataSliced(ctx, func(ms int) (*kafka.Metadata, error) { return a.ac.GetMetadata(nil, true, ms) })
		if err == nil {
			md = m
		}
		return FromKafka("list_topics", err)
	})
	if err != nil {
		return nil, err
	}
	var names []string
	for name := range md.Topics {
		if !internal && len(name) > 1 && name[:2] == "__" {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// DescribeTopics returns partitions, leaders, replicas and ISR of each topic. A topic
// that does not exist is an ErrNotFound error.
func (a *Admin) DescribeTopics(ctx context.Context, topics []string) ([]TopicInfo, error) {
	if err := a.check("describe_topics"); err != nil {
		return nil, err
	}
	if len(topics) == 0 {
		return nil, newError(KindInvalidArgument, "describe_topics", "no topics given")
	}
	var res kafka.DescribeTopicsResult
	err := a.run(ctx, "describe_topics", func(ctx context.Context) (err error) {
		res, err = a.ac.DescribeTopics(ctx, kafka.NewTopicCollectionOfTopicNames(topics))
		return FromKafka("describe_topics", err)
	})
	if err != nil {
		return nil, err
	}
	out := make([]TopicInfo, 0, len(res.TopicDescriptions))
	for _, d := range res.TopicDescriptions {
		if d.Error.Code() != kafka.ErrNoError {
			return nil, FromKafka("describe_topics "+d.Name, d.Error)
		}
		ti := TopicInfo{Name: d.Name, Internal: d.IsInternal}
		for _, p := range d.Partitions {
			pi := PartitionInfo{Partition: p.Partition, Leader: -1, Replicas: nodeIDs(p.Replicas), ISR: nodeIDs(p.Isr)}
			if p.Leader != nil {
				pi.Leader = p.Leader.ID
			}
			ti.Partitions = append(ti.Partitions, pi)
		}
		out = append(out, ti)
	}
	return out, nil
}

func nodeIDs(nodes []kafka.Node) []int {
	ids := make([]int, len(nodes))
	for i, n := range nodes {
		ids[i] = n.ID
	}
	return ids
}

func timeoutMs(ctx context.Context, def int) int {
	if dl, ok := ctx.Deadline(); ok {
		if ms := int(timeUntilMs(dl)); ms > 0 {
			return ms
		}
		return 1
	}
	return def
}

// Close releases the admin client, after any request still running (one that was
// abandoned early ends within its own timeout). When ctx ends first, Close returns a
// timeout error and the release finishes in the background, once those requests end
// (ctx without a deadline or cancel: Close waits). Closing twice is a no-op.
func (a *Admin) Close(ctx context.Context) error {
	if a == nil || !a.closed.CompareAndSwap(false, true) {
		return nil
	}
	return finishWithin(ctx, "close", "waiting for admin requests still running", func() error {
		a.inFlight.Wait()
		a.events.Stop()
		a.ac.Close()
		if a.kp != nil {
			a.kp.Close()
			<-a.loopDone
		}
		return nil
	})
}

// finishWithin runs the last, blocking step of a Close: to its end when ctx can never
// end (the defaults of the C ABI and of callers with context.Background()), else until
// ctx ends, after which it goes on in the background (what is freed must not be freed
// while still in use) and the caller gets a timeout error naming what.
func finishWithin(ctx context.Context, op, what string, finish func() error) error {
	if ctx.Done() == nil {
		return finish()
	}
	done := make(chan error, 1)
	go func() { done <- finish() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return &Error{Kind: KindTimeout, Op: op, Message: "still " + what + " at the deadline; the client is released in the background when that ends", Err: ctx.Err()}
	}
}
