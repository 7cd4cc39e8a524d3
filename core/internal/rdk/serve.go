package rdk

// Queues served by a goroutine of klient's own: a consumer's log lines, and an admin
// client's main queue (its error events, statistics and log lines).
// confluent-kafka-go's Logs() channel is fed by a goroutine that polls the log queue
// 100 ms at a time, and so is a producer's Events() channel: their Close waits for that
// poll to end. A consumer's close took 46–51 ms against confluent-kafka-python's 13 ms
// (the same join and librdkafka, measured), an admin client's ~50 ms. Stop here ends
// the wait at once (rd_kafka_queue_yield).

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

// ErrorEvent is one of librdkafka's error events (e.g. "all brokers down"): its error
// code, text and whether it is fatal.
type ErrorEvent struct {
	Code  int
	Text  string
	Fatal bool
}

// Sinks are the functions a Server hands each kind of event to; nil ones drop theirs.
type Sinks struct {
	Log   func(LogLine)
	Error func(ErrorEvent)
	Stats func(json string)
}

// Server hands the events of one of a client's queues to its Sinks until Stop.
type Server struct {
	q       *C.rd_kafka_queue_t
	stopped atomic.Bool
	done    chan struct{}
}

// ServeLogs sends h's log lines to emit, from a goroutine of its own, until Stop. The
// client must have been created with log.queue=true: its lines wait in librdkafka
// until this gives them a queue. A nil Handle serves nothing (nil Server).
func (h *Handle) ServeLogs(emit func(LogLine)) *Server {
	if h == nil {
		return nil
	}
	q := C.rd_kafka_queue_new(h.rk)
	C.rd_kafka_set_log_queue(h.rk, q)
	return serve(q, Sinks{Log: emit})
}

// ServeMain serves h's main queue: for a client nothing else polls (an admin client
// created with confluent-kafka-go's NewAdminClient, whose error and statistics events
// wait there). With a Log sink the log lines go there too (the client must have been
// created with log.queue=true). A nil Handle serves nothing (nil Server).
func (h *Handle) ServeMain(sinks Sinks) *Server {
	if h == nil {
		return nil
	}
	if sinks.Log != nil {
		C.rd_kafka_set_log_queue(h.rk, nil) // nil: the main queue
	}
	return serve(C.rd_kafka_queue_get_main(h.rk), sinks)
}

func serve(q *C.rd_kafka_queue_t, sinks Sinks) *Server {
	s := &Server{q: q, done: make(chan struct{})}
	go s.serve(sinks)
	return s
}

func (s *Server) serve(sinks Sinks) {
	defer close(s.done)
	for !s.stopped.Load() {
		ev := C.rd_kafka_queue_poll(s.q, 1000)
		if ev == nil {
			continue // timed out, or Stop yielded the wait
		}
		switch C.rd_kafka_event_type(ev) {
		case C.RD_KAFKA_EVENT_LOG:
			if sinks.Log != nil {
				var fac, text *C.char
				var level C.int
				C.rd_kafka_event_log(ev, &fac, &text, &level)
				sinks.Log(LogLine{Level: int(level), Facility: C.GoString(fac), Text: C.GoString(text)})
			}
		case C.RD_KAFKA_EVENT_ERROR:
			if sinks.Error != nil {
				sinks.Error(ErrorEvent{Code: int(C.rd_kafka_event_error(ev)), Text: C.GoString(C.rd_kafka_event_error_string(ev)),
					Fatal: C.rd_kafka_event_error_is_fatal(ev) != 0})
			}
		case C.RD_KAFKA_EVENT_STATS:
			if sinks.Stats != nil {
				sinks.Stats(C.GoString(C.rd_kafka_event_stats(ev)))
			}
		}
		C.rd_kafka_event_destroy(ev)
	}
}

// Stop ends the goroutine now and waits for it. Events that come after that stay in
// the queue until the client is destroyed (so did confluent-kafka-go's, whose Close
// stops its pollers first too). It must run before the client's Close; a nil Server
// is fine.
func (s *Server) Stop() {
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
