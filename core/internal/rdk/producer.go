package rdk

// The producer handle: klient creates and owns its producers' rd_kafka_t through
// librdkafka's public API (see the package doc for why producers and not consumers).
// Its main queue, where librdkafka puts delivery reports, errors and statistics, and a
// queue of its log lines (log.queue) are served by one poller of klient's
// (Producer.Poll), and the transactional API is called directly (txn.go).

/*
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <librdkafka/rdkafka.h>

// Delivery reports, errors, statistics and logs as events on the main queue, which
// Producer.Poll serves; nothing is printed or called back from librdkafka's threads.
static void klient_conf_events(rd_kafka_conf_t *conf) {
	rd_kafka_conf_set_events(conf, RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_STATS | RD_KAFKA_EVENT_ERROR);
}

// ---- Waiters: a caller blocked until the reports of its messages came back ----
//
// A message's msg_opaque says where its report goes: NULL, nowhere but a count
// (untracked); an odd number, a tracked report with ID opaque>>1; otherwise a waiter,
// which the poller fills and signals in C, so the waiting thread is woken directly by
// the thread that served the report (no Go scheduler hand-off in between).
typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int64_t remaining; // reports still to come
	int64_t ok;        // successful reports
	int released;      // the caller stopped waiting: the last report frees the waiter
	int32_t err;       // the first failure's code (0: none)
	int32_t partition; // of the last report
	int64_t offset;
	int64_t timestamp; // ms, -1: none
	int32_t tstype;
} klient_waiter_t;

static klient_waiter_t *klient_waiter_new(void) {
	klient_waiter_t *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &a);
	pthread_condattr_destroy(&a);
	pthread_mutex_init(&w->mu, NULL);
	w->partition = -1;
	w->offset = -1;
	w->timestamp = -1;
	return w;
}

static void waiter_free(klient_waiter_t *w) {
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

// waiter_unlock ends a change made under the lock: it wakes the caller once no report
// is outstanding, and frees the waiter then if the caller already released it.
static void waiter_unlock(klient_waiter_t *w) {
	int last = w->remaining <= 0, gone = last && w->released;
	if (last)
		pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (gone)
		waiter_free(w);
}

// klient_waiter_expect adds delta reports to wait for: before a message is queued (so
// its report cannot come first), and back out for one that librdkafka refused.
static void klient_waiter_expect(klient_waiter_t *w, int64_t delta) {
	pthread_mutex_lock(&w->mu);
	w->remaining += delta;
	waiter_unlock(w);
}

static void waiter_report(klient_waiter_t *w, const rd_kafka_message_t *m) {
	rd_kafka_timestamp_type_t tt;
	int64_t ts = rd_kafka_message_timestamp(m, &tt);
	pthread_mutex_lock(&w->mu);
	if (m->err && !w->err)
		w->err = m->err;
	if (!m->err)
		w->ok++;
	w->partition = m->partition;
	w->offset = m->offset;
	w->timestamp = ts;
	w->tstype = tt;
	w->remaining--;
	waiter_unlock(w);
}

// klient_waiter_wait waits up to ms for the expected reports: 1 when all came. With ms
// 0 it only looks (a synchronous caller does, between its polls).
static int klient_waiter_wait(klient_waiter_t *w, int ms) {
	pthread_mutex_lock(&w->mu);
	if (ms > 0 && w->remaining > 0) {
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_sec += ms / 1000;
		t.tv_nsec += (long)(ms % 1000) * 1000000L;
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		while (w->remaining > 0 && pthread_cond_timedwait(&w->cv, &w->mu, &t) != ETIMEDOUT) {
		}
	}
	int done = w->remaining <= 0;
	pthread_mutex_unlock(&w->mu);
	return done;
}

// klient_waiter_release ends the caller's interest: the waiter is freed now when no
// report is outstanding, else by the poller after the last one.
static void klient_waiter_release(klient_waiter_t *w) {
	pthread_mutex_lock(&w->mu);
	w->released = 1;
	waiter_unlock(w);
}

// ---- The poller's output: what Go needs from one Poll ----

typedef struct {
	uint64_t id; // tracked ID, 0: an untracked message's failure
	int64_t offset;
	int64_t timestamp;
	int32_t partition;
	int32_t err;
	int32_t topic; // index into topics
	int32_t tstype;
} klient_report_t;

typedef struct {
	char *name;
	int64_t ok, failed; // every report of the topic, waiters' included (for metrics)
} klient_topic_count_t;

enum { KLIENT_EV_ERROR = 1, KLIENT_EV_STATS = 2, KLIENT_EV_LOG = 3 };

typedef struct {
	int32_t kind, code, fatal, level;
	char *a, *b; // error: text; stats: JSON; log: facility, message
} klient_pevent_t;

typedef struct {
	klient_report_t *reports;
	size_t nreports, capreports;
	klient_topic_count_t *topics;
	size_t ntopics, captopics;
	klient_pevent_t *events;
	size_t nevents, capevents;
	int64_t untracked_ok; // successes of untracked messages: counted, never reported
} klient_drbuf_t;

static klient_drbuf_t *klient_drbuf_new(void) { return calloc(1, sizeof(klient_drbuf_t)); }

// Out of memory while serving reports is not recoverable without losing one: stop.
static void *grow_or_die(void *p, size_t *cap, size_t elem) {
	size_t c = *cap ? *cap * 2 : 64;
	void *n = realloc(p, c * elem);
	if (!n) {
		fprintf(stderr, "klient: out of memory serving delivery reports\n");
		abort();
	}
	*cap = c;
	return n;
}

static char *dup_or_die(const char *s) {
	char *d = strdup(s ? s : "");
	if (!d) {
		fprintf(stderr, "klient: out of memory serving delivery reports\n");
		abort();
	}
	return d;
}

// klient_drbuf_reset frees what the last Poll handed to Go (which copied it).
static void klient_drbuf_reset(klient_drbuf_t *b) {
	for (size_t i = 0; i < b->ntopics; i++)
		free(b->topics[i].name);
	for (size_t i = 0; i < b->nevents; i++) {
		free(b->events[i].a);
		free(b->events[i].b);
	}
	b->nreports = b->ntopics = b->nevents = 0;
	b->untracked_ok = 0;
}

static void klient_drbuf_free(klient_drbuf_t *b) {
	if (!b)
		return;
	klient_drbuf_reset(b);
	free(b->reports);
	free(b->topics);
	free(b->events);
	free(b);
}

static int32_t topic_index(klient_drbuf_t *b, const char *name) {
	for (size_t i = 0; i < b->ntopics; i++)
		if (strcmp(b->topics[i].name, name) == 0)
			return (int32_t)i;
	if (b->ntopics == b->captopics)
		b->topics = grow_or_die(b->topics, &b->captopics, sizeof *b->topics);
	klient_topic_count_t *t = &b->topics[b->ntopics];
	t->name = dup_or_die(name);
	t->ok = t->failed = 0;
	return (int32_t)b->ntopics++;
}

static void add_report(klient_drbuf_t *b, uint64_t id, const rd_kafka_message_t *m, int32_t topic) {
	if (b->nreports == b->capreports)
		b->reports = grow_or_die(b->reports, &b->capreports, sizeof *b->reports);
	klient_report_t *r = &b->reports[b->nreports++];
	rd_kafka_timestamp_type_t tt;
	r->id = id;
	r->offset = m->offset;
	r->timestamp = rd_kafka_message_timestamp(m, &tt);
	r->tstype = tt;
	r->partition = m->partition;
	r->err = m->err;
	r->topic = topic;
}

static void add_event(klient_drbuf_t *b, int32_t kind, int32_t code, int32_t fatal, int32_t level, const char *a,
                      const char *s) {
	if (b->nevents == b->capevents)
		b->events = grow_or_die(b->events, &b->capevents, sizeof *b->events);
	klient_pevent_t *e = &b->events[b->nevents++];
	e->kind = kind;
	e->code = code;
	e->fatal = fatal;
	e->level = level;
	e->a = dup_or_die(a);
	e->b = s ? dup_or_die(s) : NULL;
}

static void serve_dr(klient_drbuf_t *b, rd_kafka_event_t *ev) {
	const rd_kafka_message_t *m;
	int32_t ti = -1;
	while ((m = rd_kafka_event_message_next(ev))) {
		if (ti < 0) // one DR event is one produce request's batch: one topic
			ti = topic_index(b, rd_kafka_topic_name(m->rkt));
		if (m->err)
			b->topics[ti].failed++;
		else
			b->topics[ti].ok++;
		uintptr_t op = (uintptr_t)m->_private;
		if (op == 0) {
			if (m->err)
				add_report(b, 0, m, ti);
			else
				b->untracked_ok++;
		} else if (op & 1) {
			add_report(b, (uint64_t)(op >> 1), m, ti);
		} else {
			waiter_report((klient_waiter_t *)op, m);
		}
	}
}

static void serve_event(klient_drbuf_t *b, rd_kafka_event_t *ev) {
	switch (rd_kafka_event_type(ev)) {
	case RD_KAFKA_EVENT_DR:
		serve_dr(b, ev);
		break;
	case RD_KAFKA_EVENT_ERROR:
		add_event(b, KLIENT_EV_ERROR, rd_kafka_event_error(ev), rd_kafka_event_error_is_fatal(ev), 0,
		          rd_kafka_event_error_string(ev), NULL);
		break;
	case RD_KAFKA_EVENT_STATS:
		add_event(b, KLIENT_EV_STATS, 0, 0, 0, rd_kafka_event_stats(ev), NULL);
		break;
	case RD_KAFKA_EVENT_LOG: {
		const char *fac = NULL, *str = NULL;
		int level = 0;
		rd_kafka_event_log(ev, &fac, &str, &level);
		add_event(b, KLIENT_EV_LOG, 0, 0, level, fac, str);
		break;
	}
	default:
		break;
	}
	rd_kafka_event_destroy(ev);
}

// klient_producer_poll serves up to max events of q, waiting up to timeout_ms for the
// first, then up to max waiting log lines of logq; it returns how many it served. Log
// lines have a queue of their own because librdkafka counts every event of the main
// queue in rd_kafka_outq_len, the producer's "messages in flight".
static int klient_producer_poll(rd_kafka_queue_t *q, rd_kafka_queue_t *logq, klient_drbuf_t *b, int timeout_ms,
                                int max) {
	int n = 0;
	rd_kafka_event_t *ev;
	while (n < max && (ev = rd_kafka_queue_poll(q, n == 0 ? timeout_ms : 0))) {
		serve_event(b, ev);
		n++;
	}
	for (int i = 0; i < max && (ev = rd_kafka_queue_poll(logq, 0)); i++) {
		serve_event(b, ev);
		n++;
	}
	return n;
}
*/
import "C"

import (
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"
)

// Producer is an rd_kafka_t of type producer that klient created, with its main queue.
type Producer struct {
	Handle
	q    *C.rd_kafka_queue_t // main queue
	logq *C.rd_kafka_queue_t
	buf  *C.klient_drbuf_t
	// Messages handed to librdkafka (counted before the call, the refused taken off
	// after it, so a report served at once never finds them uncounted) and reports
	// served: Messages is the difference.
	queued, served atomic.Int64
}

// onlyErrorReportsKey is librdkafka's property for delivery reports of failures only
// (see NewProducer).
const onlyErrorReportsKey = "delivery.report.only.error"

// ConfigError is librdkafka refusing a configuration: its own text, e.g. `No such
// configuration property: "foo"`.
type ConfigError struct{ Text string }

func (e *ConfigError) Error() string { return e.Text }

// NewProducer creates a producer from string properties (librdkafka's names and value
// syntax). Its log lines go to a queue of their own (log.queue), served by Poll.
func NewProducer(props map[string]string) (*Producer, error) {
	errstr := (*C.char)(C.calloc(1, 512))
	defer C.free(unsafe.Pointer(errstr))
	conf := C.rd_kafka_conf_new()
	set := func(k, v string) error {
		ck, cv := C.CString(k), C.CString(v)
		defer C.free(unsafe.Pointer(ck))
		defer C.free(unsafe.Pointer(cv))
		if C.rd_kafka_conf_set(conf, ck, cv, errstr, 512) != C.RD_KAFKA_CONF_OK {
			return &ConfigError{Text: C.GoString(errstr)}
		}
		return nil
	}
	for k, v := range props {
		if k == onlyErrorReportsKey {
			// Messages, waiters and the core's Flush and Close count every message's
			// report, so this one is checked and not passed on: every report comes,
			// and the faces apply it where it shows (Python's delivery callbacks).
			if _, err := strconv.ParseBool(v); err != nil {
				C.rd_kafka_conf_destroy(conf)
				return nil, &ConfigError{Text: `Invalid value "` + v + `" for configuration property "` + k + `" (true or false)`}
			}
			continue
		}
		if err := set(k, v); err != nil {
			C.rd_kafka_conf_destroy(conf)
			return nil, err
		}
	}
	if err := set("log.queue", "true"); err != nil {
		C.rd_kafka_conf_destroy(conf)
		return nil, err
	}
	C.klient_conf_events(conf)
	rk := C.rd_kafka_new(C.RD_KAFKA_PRODUCER, conf, errstr, 512)
	if rk == nil { // on failure the configuration is still ours
		C.rd_kafka_conf_destroy(conf)
		return nil, &ConfigError{Text: strings.TrimSpace(C.GoString(errstr))}
	}
	logq := C.rd_kafka_queue_new(rk)
	C.rd_kafka_set_log_queue(rk, logq)
	return &Producer{Handle: Handle{rk: rk}, q: C.rd_kafka_queue_get_main(rk), logq: logq, buf: C.klient_drbuf_new()}, nil
}

// Len is the number of messages librdkafka still holds (queued, in flight, or
// delivered with the report not yet served), plus error and statistics events not yet
// served (rd_kafka_outq_len); log lines are not counted.
func (p *Producer) Len() int { return int(C.rd_kafka_outq_len(p.rk)) }

// Messages is the number of messages librdkafka still holds (queued, in flight, or
// delivered with the report not yet served by Poll), counted by klient: librdkafka's
// rd_kafka_outq_len counts the main queue's events too, and subtracting that queue's
// length (a second read) miscounts whenever an event arrives or is served between the
// two, which happened hundreds of times a second (TestMessagesIsExactWhileEventsComeAndGo).
// It relies on a report for every message: NewProducer keeps delivery.report.only.error
// from librdkafka.
func (p *Producer) Messages() int {
	served := p.served.Load() // first: a report served meanwhile only over-counts
	return max(int(p.queued.Load()-served), 0)
}

// Flush asks librdkafka to send what lingers and waits up to ms for its queue to empty
// (the reports are served by Poll meanwhile). It returns true when it is empty.
func (p *Producer) Flush(ms int) bool { return C.rd_kafka_flush(p.rk, C.int(ms)) == 0 }

// Purge flags (rdkafka.h).
const (
	PurgeQueue    = C.RD_KAFKA_PURGE_F_QUEUE
	PurgeInFlight = C.RD_KAFKA_PURGE_F_INFLIGHT
)

// Purge removes messages from librdkafka's queues (flags: PurgeQueue, PurgeInFlight);
// each gets a failed delivery report (RD_KAFKA_RESP_ERR__PURGE_QUEUE / _INFLIGHT).
func (p *Producer) Purge(flags int) { C.rd_kafka_purge(p.rk, C.int(flags)) }

// Wake makes a Poll that is waiting return at once.
func (p *Producer) Wake() { C.rd_kafka_queue_yield(p.q) }

// Destroy releases the handle. Every Poll must have returned and none may start; a
// message still queued is dropped without a report (Close purges and flushes first).
func (p *Producer) Destroy() {
	C.rd_kafka_queue_destroy(p.q)
	C.rd_kafka_queue_destroy(p.logq)
	C.rd_kafka_destroy(p.rk)
	C.klient_drbuf_free(p.buf)
	p.rk, p.q, p.logq, p.buf = nil, nil, nil, nil
}

// Report is the delivery report of a tracked message, or of an untracked one that
// failed (ID 0).
type Report struct {
	ID        uint64
	Topic     string
	Partition int32
	Offset    int64
	Timestamp int64 // ms since the epoch, -1: none
	TsType    int   // rd_kafka_timestamp_type_t
	Err       int   // librdkafka error code, 0: delivered
}

// TopicCount is how many reports of one topic a Poll served (every kind of message).
type TopicCount struct {
	Topic      string
	OK, Failed int64
}

// Kinds of PolledEvent.
const (
	PolledError = C.KLIENT_EV_ERROR
	PolledStats = C.KLIENT_EV_STATS
	PolledLog   = C.KLIENT_EV_LOG
)

// PolledEvent is a non-report event: an error (Code, Fatal, Text), a statistics
// document (Text) or a log line (Level, Facility, Text).
type PolledEvent struct {
	Kind     int
	Code     int
	Fatal    bool
	Level    int
	Facility string
	Text     string
}

// Polled is what one Poll served, for the Go side: tracked reports and untracked
// failures, a count of untracked successes, per-topic counts and other events. Its
// slices are reused by the next Poll.
type Polled struct {
	Served      int
	Reports     []Report
	UntrackedOK int64
	Topics      []TopicCount
	Events      []PolledEvent
}

// Poll serves up to max events of the main queue, waiting up to timeoutMs for the
// first (Wake ends the wait), and the log lines waiting meanwhile. Waiters' reports
// are handed to their waiters in C; everything else is copied into out, with one
// crossing per call.
func (p *Producer) Poll(timeoutMs, max int, out *Polled) {
	b := p.buf
	out.Served = int(C.klient_producer_poll(p.q, p.logq, b, C.int(timeoutMs), C.int(max)))
	out.Reports, out.Topics, out.Events = out.Reports[:0], out.Topics[:0], out.Events[:0]
	out.UntrackedOK = int64(b.untracked_ok)
	if out.Served == 0 {
		return
	}
	topics := unsafe.Slice(b.topics, b.ntopics)
	reports := int64(0)
	for _, t := range topics {
		out.Topics = append(out.Topics, TopicCount{Topic: C.GoString(t.name), OK: int64(t.ok), Failed: int64(t.failed)})
		reports += int64(t.ok + t.failed)
	}
	p.served.Add(reports)
	for _, r := range unsafe.Slice(b.reports, b.nreports) {
		out.Reports = append(out.Reports, Report{ID: uint64(r.id), Topic: out.Topics[r.topic].Topic, Partition: int32(r.partition),
			Offset: int64(r.offset), Timestamp: int64(r.timestamp), TsType: int(r.tstype), Err: int(r.err)})
	}
	for _, e := range unsafe.Slice(b.events, b.nevents) {
		pe := PolledEvent{Kind: int(e.kind), Code: int(e.code), Fatal: e.fatal != 0, Level: int(e.level), Text: C.GoString(e.a)}
		if e.kind == C.KLIENT_EV_LOG {
			pe.Facility, pe.Text = pe.Text, C.GoString(e.b)
		}
		out.Events = append(out.Events, pe)
	}
	C.klient_drbuf_reset(b)
}

// Waiter collects the reports of messages produced with Tag{Waiter: w}: the thread
// blocked in Wait is woken from the thread that served the last one.
type Waiter struct {
	w *C.klient_waiter_t
}

// NewWaiter returns a waiter expecting no report yet: Produce and ProduceOne add one
// per message they queue with Tag{Waiter: w}. Release it when done.
func NewWaiter() *Waiter {
	w := C.klient_waiter_new()
	if w == nil {
		panic("klient: out of memory")
	}
	return &Waiter{w: w}
}

// expect adds n reports to wait for (negative: messages librdkafka refused); Produce
// and ProduceOne call it around queueing a waiter's messages.
func (w *Waiter) expect(n int) { C.klient_waiter_expect(w.w, C.int64_t(n)) }

// Wait waits up to ms for every expected report; true when they all came.
func (w *Waiter) Wait(ms int) bool { return C.klient_waiter_wait(w.w, C.int(ms)) != 0 }

// Result is the outcome once Wait returned true: the first failure's code (0: none),
// how many succeeded, and the last report's partition, offset and timestamp.
func (w *Waiter) Result() (err int, ok int64, partition int32, offset, timestamp int64, tsType int) {
	c := w.w
	return int(c.err), int64(c.ok), int32(c.partition), int64(c.offset), int64(c.timestamp), int(c.tstype)
}

// Release ends the wait: reports still to come free the waiter when they arrive.
// The Waiter must not be used afterwards.
func (w *Waiter) Release() {
	C.klient_waiter_release(w.w)
	w.w = nil
}

// opaqueOf returns the msg_opaque base and per-message step of a run's tag.
func (t Tag) opaqueOf() (base, step C.uintptr_t) {
	switch {
	case t.Waiter != nil:
		return C.uintptr_t(uintptr(unsafe.Pointer(t.Waiter.w))), 0
	case t.FirstID != 0:
		return C.uintptr_t(t.FirstID<<1 | 1), 2
	}
	return 0, 0
}
