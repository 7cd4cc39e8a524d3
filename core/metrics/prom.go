package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// topicCounters are the per-topic message counters. They live beside the named
// counters, not in them, so that the C and Python snapshot API keeps its contents.
type topicCounters struct {
	produced, producedBytes, deliveryErrors atomic.Int64
	consumed, consumedBytes                 atomic.Int64
}

type partitionKey struct {
	topic     string
	partition int32
}

var (
	// Lookups happen once per message on the hot paths: sync.Map reads take no lock.
	topics sync.Map // topic -> *topicCounters
	lags   sync.Map // partitionKey -> *atomic.Int64

	produceLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "klient_produce_sync_latency_seconds",
		Help:    "Time from a synchronous Produce call to its delivery report.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16), // 0.5 ms .. ~16 s
	})
)

func topicOf(topic string) *topicCounters {
	if t, ok := topics.Load(topic); ok {
		return t.(*topicCounters)
	}
	t, _ := topics.LoadOrStore(topic, new(topicCounters))
	return t.(*topicCounters)
}

// Delivered counts n messages the broker acknowledged.
func Delivered(topic string, n int64) {
	if n != 0 {
		topicOf(topic).produced.Add(n)
	}
}

// QueuedBytes adds the key+value bytes of messages just handed to librdkafka.
func QueuedBytes(topic string, bytes int64) { topicOf(topic).producedBytes.Add(bytes) }

// DeliveryFailed counts n messages whose delivery reports carried an error.
func DeliveryFailed(topic string, n int64) {
	if n != 0 {
		topicOf(topic).deliveryErrors.Add(n)
	}
}

// Consumed counts n messages of topic handed to the application, totalling bytes of
// key+value.
func Consumed(topic string, n, bytes int64) {
	t := topicOf(topic)
	t.consumed.Add(n)
	t.consumedBytes.Add(bytes)
}

// SetLag records a partition's consumer lag: its high watermark minus the next offset
// the application will get.
func SetLag(topic string, partition int32, lag int64) {
	k := partitionKey{topic, partition}
	g, ok := lags.Load(k)
	if !ok {
		g, _ = lags.LoadOrStore(k, new(atomic.Int64))
	}
	g.(*atomic.Int64).Store(lag)
}

// ForgetLag drops a partition's lag once it is no longer assigned, so a scrape does
// not keep reporting a frozen value for a partition another member now consumes.
func ForgetLag(topic string, partition int32) { lags.Delete(partitionKey{topic, partition}) }

// ObserveProduceLatency records one synchronous produce's call-to-report time.
func ObserveProduceLatency(d time.Duration) { produceLatency.Observe(d.Seconds()) }

var (
	descProduced       = prometheus.NewDesc("klient_messages_produced_total", "Messages delivered to the broker.", []string{"topic"}, nil)
	descProducedBytes  = prometheus.NewDesc("klient_bytes_produced_total", "Key+value bytes of the messages handed to librdkafka for sending (counted when queued).", []string{"topic"}, nil)
	descDeliveryErrors = prometheus.NewDesc("klient_delivery_errors_total", "Messages whose delivery report carried an error.", []string{"topic"}, nil)
	descConsumed       = prometheus.NewDesc("klient_messages_consumed_total", "Messages handed to the application.", []string{"topic"}, nil)
	descConsumedBytes  = prometheus.NewDesc("klient_bytes_consumed_total", "Key+value bytes of the messages handed to the application.", []string{"topic"}, nil)
	descLag            = prometheus.NewDesc("klient_consumer_lag", "High watermark minus the next offset handed to the application, as of the last batch taken.", []string{"topic", "partition"}, nil)
)

type collector struct{}

// Collector returns a prometheus.Collector over klient's process-wide metrics: the
// named counters (klient_<name>_total, e.g. transactions and rebalances), per-topic
// message/byte/delivery-error counters, per-partition consumer lag and the
// synchronous produce latency histogram. Register it once per registry.
func Collector() prometheus.Collector { return collector{} }

// Describe sends nothing: the named counters are created at run time (users add their
// own from C and Python), which makes this an unchecked collector.
func (collector) Describe(chan<- *prometheus.Desc) {}

func (collector) Collect(ch chan<- prometheus.Metric) {
	for _, f := range families() {
		d := prometheus.NewDesc(f.metric, "klient counter "+strings.Join(f.names, ", "), nil, nil)
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(f.value))
	}
	topics.Range(func(k, v any) bool {
		topic, t := k.(string), v.(*topicCounters)
		counter := func(d *prometheus.Desc, v *atomic.Int64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v.Load()), topic)
		}
		counter(descProduced, &t.produced)
		counter(descProducedBytes, &t.producedBytes)
		counter(descDeliveryErrors, &t.deliveryErrors)
		counter(descConsumed, &t.consumed)
		counter(descConsumedBytes, &t.consumedBytes)
		return true
	})
	lags.Range(func(k, v any) bool {
		p := k.(partitionKey)
		ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, float64(v.(*atomic.Int64).Load()), p.topic, strconv.Itoa(int(p.partition)))
		return true
	})
	produceLatency.Collect(ch)
}

// Handler serves Collector in the Prometheus exposition format on /metrics and
// answers 404 on every other path, for the CLI's --metrics-addr.
func Handler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(Collector())
	mux := http.NewServeMux()
	// The text format written with expfmt rather than promhttp: promhttp adds content
	// negotiation and compression that a local scrape endpoint does not need, and its
	// code would ship inside libklient.so (the CLI is linked into it) and the wheel.
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		families, err := reg.Gather()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		format := expfmt.NewFormat(expfmt.TypeTextPlain)
		w.Header().Set("Content-Type", string(format))
		enc := expfmt.NewEncoder(w, format)
		for _, f := range families {
			if err := enc.Encode(f); err != nil {
				return // the client went away; nothing more to send
			}
		}
	})
	return mux
}
