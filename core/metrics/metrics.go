// Package metrics is klient's process-wide registry of named counters.
//
// There is exactly one registry per process, shared by every face of klient: a counter
// incremented by the Go core is the same counter that C (klient_metrics_get) and Python
// (klient.metrics.get) read, because all of them end up in this package.
package metrics

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Names of the counters the core emits. Users may add their own with Inc.
const (
	ProducerTxBegin          = "producer.tx.begin"
	ProducerTxCommit         = "producer.tx.commit"
	ProducerTxAbort          = "producer.tx.abort"
	ProducerRetry            = "producer.retry"
	ProducerCircuitOpen      = "producer.circuit.open"
	ProducerCircuitClose     = "producer.circuit.close"
	ProducerCircuitHalfOpen  = "producer.circuit.half_open"
	ProducerCircuitRejected  = "producer.circuit.rejected"
	ConsumerRebalanceAssign  = "consumer.rebalance.assign"
	ConsumerRebalanceRevoke  = "consumer.rebalance.revoke"
	ConsumerRebalanceLost    = "consumer.rebalance.lost"
	ConsumerShutdownSignal   = "consumer.shutdown.signal"
	ConsumerShutdownComplete = "consumer.shutdown.complete"
	RelayBatchCommit         = "relay.batch.commit"
	RelayBatchAbort          = "relay.batch.abort"
	RelayMessagesForwarded   = "relay.messages.forwarded"
)

var (
	mu       sync.RWMutex
	counters = map[string]*atomic.Int64{}
)

func counter(name string) *atomic.Int64 {
	mu.RLock()
	c := counters[name]
	mu.RUnlock()
	if c != nil {
		return c
	}
	mu.Lock()
	defer mu.Unlock()
	if c = counters[name]; c == nil {
		c = new(atomic.Int64)
		counters[name] = c
	}
	return c
}

// Inc adds value to the named counter, creating it at zero first if needed. The sum
// saturates at the int64 limits instead of wrapping (INT64_MAX twice must not read -2).
func Inc(name string, value int64) {
	c := counter(name)
	for {
		old := c.Load()
		sum := old + value
		switch {
		case value > 0 && sum < old:
			sum = math.MaxInt64
		case value < 0 && sum > old:
			sum = math.MinInt64
		}
		if c.CompareAndSwap(old, sum) {
			return
		}
	}
}

// Get returns the named counter's value, 0 for a counter never incremented.
func Get(name string) int64 {
	mu.RLock()
	defer mu.RUnlock()
	if c := counters[name]; c != nil {
		return c.Load()
	}
	return 0
}

// Snapshot returns a copy of every counter.
func Snapshot() map[string]int64 {
	mu.RLock()
	defer mu.RUnlock()
	out := make(map[string]int64, len(counters))
	for name, c := range counters {
		out[name] = c.Load()
	}
	return out
}

// Reset removes every counter, per-topic counter and lag. Meant for tests.
func Reset() {
	mu.Lock()
	counters = map[string]*atomic.Int64{}
	mu.Unlock()
	topics.Clear()
	lags.Clear()
}

// family is one Prometheus metric: the counters whose names map to it, summed.
type family struct {
	metric string
	names  []string
	value  int64
}

// families groups the snapshot by metric name, sorted. Different counter names can
// map to one metric name ("a.b" and "a_b"): a metric may appear only once in an
// exposition, so such counters are summed.
func families() []*family {
	byMetric := map[string]*family{}
	for name, v := range Snapshot() {
		metric := PrometheusName(name)
		f := byMetric[metric]
		if f == nil {
			f = &family{metric: metric}
			byMetric[metric] = f
		}
		f.names = append(f.names, name)
		f.value += v
	}
	out := make([]*family, 0, len(byMetric))
	for _, f := range byMetric {
		sort.Strings(f.names)
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].metric < out[j].metric })
	return out
}

// Prometheus renders the named counters in the Prometheus text exposition format
// (0.0.4), one counter per metric: "producer.tx.begin" becomes
// klient_producer_tx_begin_total. It is what C's klient_metrics_prometheus returns;
// Go users and the CLI get the richer Collector (per-topic counters, lag, latency).
func Prometheus() string {
	var b strings.Builder
	for _, f := range families() {
		fmt.Fprintf(&b, "# HELP %s klient counter %s\n# TYPE %s counter\n%s %d\n", f.metric, helpEscaper.Replace(strings.Join(f.names, ", ")), f.metric, f.metric, f.value)
	}
	return b.String()
}

// helpEscaper escapes HELP text as the exposition format requires: user counter names
// from C or Python may contain anything.
var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)

// PrometheusName maps a dotted counter name to a valid Prometheus metric name.
func PrometheusName(name string) string {
	var b strings.Builder
	b.WriteString("klient_")
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	b.WriteString("_total")
	return b.String()
}
