package rdk

// A consumer's log lines, served by a goroutine of klient's own. confluent-kafka-go's
// Logs() channel is fed by a goroutine that polls the log queue 100 ms at a time, and
// its Close waits for that poll to end: a consumer's close took 46–51 ms against
// confluent-kafka-python's 13 ms (the same join and librdkafka, measured). Stop here
// ends the wait at once (rd_kafka_queue_yield).

/*
#include <librdkafka/rdkafka.h>
*/
import "C"

import "sync/atomic"

// LogLine is one librdkafka log line: its syslog level, facility (e.g. "FAIL") and
// text.
type LogLine struct {
	Level    int
	Facility string
	Text     string
}

// LogServer hands a client's log lines to a function until Stop.
type LogServer struct {
	q       *C.rd_kafka_queue_t
	stopped atomic.Bool
	done    chan struct{}
}

// ServeLogs sends h's log lines to emit, from a goroutine of its own, until Stop. The
// client must have been created with log.queue=true: its lines wait in librdkafka
// until this gives them a queue. A nil Handle serves nothing (nil LogServer).
func (h *Handle) ServeLogs(emit func(LogLine)) *LogServer {
	if h == nil {
		return nil
	}
	s := &LogServer{q: C.rd_kafka_queue_new(h.rk), done: make(chan struct{})}
	C.rd_kafka_set_log_queue(h.rk, s.q)
	go s.serve(emit)
	return s
}

func (s *LogServer) serve(emit func(LogLine)) {
	defer close(s.done)
	for !s.stopped.Load() {
		ev := C.rd_kafka_queue_poll(s.q, 1000)
		if ev == nil {
			continue // timed out, or Stop yielded the wait
		}
		if C.rd_kafka_event_type(ev) == C.RD_KAFKA_EVENT_LOG {
			var fac, text *C.char
			var level C.int
			C.rd_kafka_event_log(ev, &fac, &text, &level)
			emit(LogLine{Level: int(level), Facility: C.GoString(fac), Text: C.GoString(text)})
		}
		C.rd_kafka_event_destroy(ev)
	}
}

// Stop ends the goroutine now and waits for it. Lines logged after that stay in the
// queue until the client is destroyed (so did confluent-kafka-go's, whose Close stops
// its log poller first too). It must run before the client's Close; a nil LogServer
// is fine.
func (s *LogServer) Stop() {
	if s == nil {
		return
	}
	s.stopped.Store(true)
	// Ends a poll under way, or makes the next one return at once: no wake-up is lost.
	C.rd_kafka_queue_yield(s.q)
	<-s.done
	C.rd_kafka_queue_destroy(s.q)
}

// Name is librdkafka's instance name, e.g. "rdkafka#consumer-1".
func (h *Handle) Name() string { return C.GoString(C.rd_kafka_name(h.rk)) }
