package klient

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/klient-dev/klient/core/internal/rdk"
)

// LogRecord is one of librdkafka's log lines (e.g. "Connect to ... failed"), taken
// from the client instead of letting librdkafka print it to stderr.
type LogRecord struct {
	Client   string // "producer", "consumer" or "admin": which kind of klient client
	Name     string // librdkafka's instance name, e.g. "rdkafka#producer-1"
	Facility string // librdkafka's tag, e.g. "FAIL", "METADATA"
	Level    int    // syslog level: 0 emergency ... 3 error, 4 warning, 6 info, 7 debug
	Message  string
	Time     time.Time
}

// LogSink receives every client's log records, on library goroutines (possibly
// concurrently). It must not block for long: the client's log queue waits for it.
type LogSink func(LogRecord)

var logSink atomic.Pointer[LogSink]

// SetLogSink routes the log records of every client to fn (process-wide, clients
// already created included). nil restores the default: librdkafka's own line format on
// stderr, so a program that configured nothing still sees connection problems.
func SetLogSink(fn LogSink) { storeSink(&logSink, fn) }

// SetLogger routes the log records to l (nil: back to stderr), with the level mapped
// from the syslog level and the record's fields as attributes.
func SetLogger(l *slog.Logger) {
	if l == nil {
		SetLogSink(nil)
		return
	}
	SetLogSink(func(r LogRecord) {
		l.LogAttrs(context.Background(), SlogLevel(r.Level), r.Message,
			slog.String("client", r.Client), slog.String("name", r.Name),
			slog.String("facility", r.Facility), slog.Int("syslog_level", r.Level))
	})
}

// SlogLevel maps a syslog level to slog's: 0-3 error, 4 warning, 5-6 info, 7 debug.
func SlogLevel(syslog int) slog.Level {
	switch {
	case syslog <= 3:
		return slog.LevelError
	case syslog == 4:
		return slog.LevelWarn
	case syslog <= 6:
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

// enableLogs asks confluent-kafka-go for the Logs() channel instead of librdkafka's
// stderr printer; forwardLogs must then drain it.
func enableLogs(cm *kafka.ConfigMap) {
	_ = cm.SetKey("go.logs.channel.enable", true)
}

// serveLog is what rdk.ServeLogs calls with each log line of client (named after its
// handle h, which may be nil: then nothing calls it).
func serveLog(client string, h *rdk.Handle) func(rdk.LogLine) {
	if h == nil {
		return nil
	}
	name := h.Name()
	return func(l rdk.LogLine) {
		emitLog(LogRecord{Client: client, Name: name, Facility: l.Facility, Level: l.Level, Message: l.Text, Time: time.Now()})
	}
}

// forwardLogs hands each record of ch to the sink until the client closes ch.
func forwardLogs(client string, ch chan kafka.LogEvent) {
	if ch == nil {
		return
	}
	go func() {
		for ev := range ch {
			emitLog(LogRecord{Client: client, Name: ev.Name, Facility: ev.Tag, Level: ev.Level, Message: ev.Message, Time: ev.Timestamp})
		}
	}()
}

// emitLog hands r to the sink, or prints it to stderr in librdkafka's own format
// ("%3|1700000000.123|FAIL|rdkafka#producer-1| ...") when there is none.
func emitLog(r LogRecord) {
	if s := logSink.Load(); s != nil {
		(*s)(r)
		return
	}
	ms := r.Time.UnixMilli()
	fmt.Fprintf(os.Stderr, "%%%d|%d.%03d|%s|%s| %s\n", r.Level, ms/1000, ms%1000, r.Facility, r.Name, r.Message)
}
