package klient

import "sync/atomic"

// StatsRecord is one librdkafka statistics report: the JSON document librdkafka emits
// every statistics.interval.ms (0, the default, emits none) with brokers, topics,
// partitions, queue depths and latencies; see librdkafka's STATISTICS.md.
type StatsRecord struct {
	Client string // "producer", "consumer" or "admin": which kind of klient client
	JSON   string // the document as librdkafka wrote it
}

// StatsSink receives every client's statistics, on library goroutines (possibly
// concurrently). It must not block for long: the client's event loop waits for it.
type StatsSink func(StatsRecord)

var statsSink atomic.Pointer[StatsSink]

// SetStatsSink routes the statistics of every client to fn (process-wide, clients
// already created included); nil drops them. A client emits statistics only when its
// configuration sets statistics.interval.ms.
func SetStatsSink(fn StatsSink) {
	if fn == nil {
		statsSink.Store(nil)
		return
	}
	statsSink.Store(&fn)
}

// publishStats hands one statistics document of a client to the sink.
func publishStats(client, json string) {
	if sink := statsSink.Load(); sink != nil {
		(*sink)(StatsRecord{Client: client, JSON: json})
	}
}
