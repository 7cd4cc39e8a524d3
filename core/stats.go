package klient

import (
	"strings"
	"sync/atomic"

	json "github.com/goccy/go-json"
)

// StatsRecord is one librdkafka statistics report: the JSON document librdkafka emits
// every statistics.interval.ms (0, the default, emits none) with brokers, topics,
// partitions, queue depths and latencies; see librdkafka's STATISTICS.md.
type StatsRecord struct {
	Client string // "producer", "consumer" or "admin": which kind of klient client
	// Name is librdkafka's instance name ("rdkafka#producer-3", the document's "name"),
	// unique in the process: it tells apart the clients of one kind (see InstanceName).
	Name string
	JSON string // the document as librdkafka wrote it
}

// StatsSink receives every client's statistics, on library goroutines (possibly
// concurrently). It must not block for long: the client's event loop waits for it.
type StatsSink func(StatsRecord)

var statsSink atomic.Pointer[StatsSink]

// SetStatsSink routes the statistics of every client to fn (process-wide, clients
// already created included); nil drops them. A client emits statistics only when its
// configuration sets statistics.interval.ms.
func SetStatsSink(fn StatsSink) { storeSink(&statsSink, fn) }

// storeSink sets a process-wide sink (log records, statistics); nil clears it.
func storeSink[F ~func(R), R any](p *atomic.Pointer[F], fn F) {
	if fn == nil {
		p.Store(nil)
		return
	}
	p.Store(&fn)
}

// publishStats hands one statistics document of a client to the sink.
func publishStats(client, doc string) {
	if sink := statsSink.Load(); sink != nil {
		(*sink)(StatsRecord{Client: client, Name: statsName(doc), JSON: doc})
	}
}

// statsName is the "name" of a statistics document. librdkafka writes it as the first
// member ({ "name": "rdkafka#producer-1", ...), so only that string is decoded, not the
// whole document (which grows with the number of partitions); "" if it is not there.
func statsName(doc string) string {
	rest := strings.TrimLeft(doc, " \t\r\n")
	rest, ok := strings.CutPrefix(rest, "{")
	if !ok {
		return ""
	}
	rest = strings.TrimLeft(rest, " \t\r\n")
	rest, ok = strings.CutPrefix(rest, `"name"`)
	if !ok {
		return ""
	}
	rest = strings.TrimLeft(rest, " \t\r\n")
	rest, ok = strings.CutPrefix(rest, ":")
	if !ok {
		return ""
	}
	rest = strings.TrimLeft(rest, " \t\r\n")
	if !strings.HasPrefix(rest, `"`) {
		return ""
	}
	// The closing quote is the first one not escaped by a backslash.
	for i := 1; i < len(rest); i++ {
		switch rest[i] {
		case '\\':
			i++
		case '"':
			var name string
			if json.Unmarshal([]byte(rest[:i+1]), &name) != nil {
				return ""
			}
			return name
		}
	}
	return ""
}

// InstanceName is librdkafka's name of the producer's instance, as its statistics
// (StatsRecord.Name) and log records (LogRecord.Name) carry it.
func (p *Producer) InstanceName() string { return p.name }

// InstanceName is librdkafka's name of the consumer's instance, as its statistics
// (StatsRecord.Name) and log records (LogRecord.Name) carry it.
func (c *Consumer) InstanceName() string { return c.kc.String() }

// InstanceName is librdkafka's name of the admin client's instance, as its statistics
// (StatsRecord.Name) and log records (LogRecord.Name) carry it.
func (a *Admin) InstanceName() string { return a.name }
