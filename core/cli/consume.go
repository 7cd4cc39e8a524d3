package cli

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/events"
	"github.com/klient-dev/klient/core/metrics"
)

// joinTimeout bounds the wait for the group to assign partitions before poll/batch
// start counting --timeout.
const joinTimeout = 30 * time.Second

// exitNow ends the process at a second signal; a variable so unit tests can observe it.
var exitNow = os.Exit

func validIsolation(s string) error {
	if s != "read_committed" && s != "read_uncommitted" {
		return usagef("--isolation must be read_committed or read_uncommitted, got %q", s)
	}
	return nil
}

// groupID: --group when given, else the config's group.id, else the default.
func (a *app) groupID(def string) string {
	if a.changed("group") || a.cfg.consumer["group.id"] == nil {
		if g := a.str("group"); g != "" {
			return g
		}
		return def
	}
	return fmt.Sprint(a.cfg.consumer["group.id"])
}

func (a *app) newConsumer(group, isolation string, extra map[string]any) (*klient.Consumer, error) {
	e := map[string]any{"group.id": group, "isolation.level": isolation}
	for k, v := range extra {
		e[k] = v
	}
	return klient.NewConsumer(props(a.cfg.consumer, e), klient.ConsumerOptions{})
}

// checkTopic fails clearly when the topic does not exist, instead of waiting for an
// assignment that will never come. The consumer's metadata request never creates it.
func checkTopic(c *klient.Consumer, topic string) error {
	t := topic
	md, err := c.Kafka().GetMetadata(&t, false, 10000)
	if err != nil {
		return klient.FromKafka("metadata", err)
	}
	tm, ok := md.Topics[topic]
	if !ok || tm.Error.Code() == kafka.ErrUnknownTopicOrPart || tm.Error.Code() == kafka.ErrUnknownTopic {
		return klient.Errorf(klient.KindNotFound, "consume", "topic %q does not exist (create it with: klient admin create-topic %s)", topic, topic)
	}
	if tm.Error.Code() != kafka.ErrNoError {
		return klient.FromKafka("metadata "+topic, tm.Error)
	}
	return nil
}

func waitAssigned(c *klient.Consumer, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for {
		if as, err := c.Assignment(); err == nil && len(as) > 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// messageView is the JSON shape of a consumed message. Values that are not UTF-8 are
// base64-encoded and say so.
func messageView(m *klient.ConsumedMessage) map[string]any {
	v := map[string]any{"topic": m.Topic, "partition": m.Partition, "offset": m.Offset, "key": nil, "value": nil}
	if m.Key != nil {
		v["key"] = bytesView(m.Key, v, "key_encoding")
	}
	if m.Value != nil {
		v["value"] = bytesView(m.Value, v, "value_encoding")
	}
	if len(m.Headers) > 0 {
		h := map[string]any{}
		for _, hd := range m.Headers {
			h[hd.Key] = string(hd.Value)
		}
		v["headers"] = h
	}
	if !m.Timestamp.IsZero() {
		v["timestamp"] = m.Timestamp.UTC().Format(time.RFC3339Nano)
	}
	return v
}

func bytesView(b []byte, v map[string]any, encKey string) string {
	if utf8.Valid(b) {
		return string(b)
	}
	v[encKey] = "base64"
	return base64.StdEncoding.EncodeToString(b)
}

func messageText(m *klient.ConsumedMessage) string { return string(appendMessageText(nil, m)) }

// appendMessageText appends the text form of m: TOPIC[P]@OFFSET, key, value and the
// sorted headers, tab-separated. Appending into one reused buffer keeps `consume
// stream` free of per-message formatting allocations.
func appendMessageText(b []byte, m *klient.ConsumedMessage) []byte {
	b = append(b, m.Topic...)
	b = append(b, '[')
	b = strconv.AppendInt(b, int64(m.Partition), 10)
	b = append(b, "]@"...)
	b = strconv.AppendInt(b, m.Offset, 10)
	b = append(b, "\tkey="...)
	if m.Key != nil {
		b = append(b, m.Key...)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, "\tvalue="...)
	if m.Value != nil {
		b = append(b, m.Value...)
	} else {
		b = append(b, "null"...)
	}
	if len(m.Headers) > 0 {
		hs := make([]string, len(m.Headers))
		for i, h := range m.Headers {
			hs[i] = h.Key + "=" + string(h.Value)
		}
		sort.Strings(hs)
		b = append(b, "\theaders="...)
		b = append(b, strings.Join(hs, ",")...)
	}
	return b
}

func runConsume(kind string) func(a *app, args []string) error {
	return func(a *app, args []string) error {
		topic := args[0]
		iso := a.str("isolation")
		if err := validIsolation(iso); err != nil {
			return err
		}
		timeout, err := a.seconds("timeout")
		if err != nil {
			return err
		}
		seekOff, seekPart := a.num64("seek-to-offset"), a.int32("seek-to-partition")
		if a.changed("seek-to-offset") && seekOff < 0 {
			return usagef("--seek-to-offset must be >= 0, got %d", seekOff)
		}
		if a.changed("seek-to-partition") && !a.changed("seek-to-offset") {
			return usagef("--seek-to-partition needs --seek-to-offset")
		}
		if a.changed("seek-to-partition") && seekPart < 0 {
			return usagef("--seek-to-partition must be >= 0, got %d", seekPart)
		}
		var count, limit int
		var grace time.Duration
		switch kind {
		case "batch":
			if count = a.num("count"); count < 1 {
				return usagef("--count must be >= 1, got %d", count)
			}
		case "stream":
			if limit = a.num("limit"); limit < 0 {
				return usagef("--limit must be >= 0, got %d", limit)
			}
			if grace, err = a.seconds("grace-period"); err != nil {
				return err
			}
		}
		var stopMetrics func()
		if kind == "stream" {
			if stopMetrics, err = a.serveMetrics(); err != nil {
				return err
			}
			defer stopMetrics()
		}
		c, err := a.newConsumer(a.groupID(DefaultGroup), iso, nil)
		if err != nil {
			return err
		}
		defer func() { _ = c.Close(); c.Release() }()
		if err := checkTopic(c, topic); err != nil {
			return err
		}
		if err := c.Subscribe([]string{topic}); err != nil {
			return err
		}
		if a.changed("seek-to-offset") {
			p := int32(-1)
			if a.changed("seek-to-partition") {
				p = seekPart
			}
			if err := c.Seek(topic, p, seekOff); err != nil {
				return err
			}
		}
		if kind == "stream" {
			return a.stream(c, topic, timeout, limit, grace)
		}
		if !waitAssigned(c, joinTimeout) {
			return fmt.Errorf("group %q was assigned no partition of %s within %s (another member may hold them all)", c.GroupID(), topic, joinTimeout)
		}
		ctx := context.Background()
		var msgs []*klient.ConsumedMessage
		if kind == "poll" {
			m, err := c.Poll(ctx, timeout)
			if err != nil {
				return err
			}
			if m == nil {
				a.diag("no message received from %s within %gs", topic, timeout.Seconds())
			} else {
				msgs = append(msgs, m)
				if a.out.json {
					a.out.doc(messageView(m), nil)
				} else {
					a.out.lines([]string{messageText(m)}, 0)
				}
			}
		} else {
			msgs, err = c.ConsumeBatch(ctx, count, timeout)
			if err != nil {
				return err
			}
			items := make([]any, len(msgs))
			rows := make([]string, len(msgs))
			for i, m := range msgs {
				items[i], rows[i] = messageView(m), messageText(m)
			}
			if a.out.json {
				a.out.records(items, "", nil)
			} else {
				a.out.lines(rows, 0)
			}
			a.diag("%d message(s) received from %s", len(msgs), topic)
		}
		if len(msgs) > 0 {
			if _, err := c.Commit(ctx); err != nil {
				return fmt.Errorf("printed %d message(s) but could not commit their offsets: %w", len(msgs), err)
			}
		}
		return nil
	}
}

// shutdown tracks SIGINT/SIGTERM for stream and relay: the first signal starts a
// graceful stop, the second exits at once.
type shutdown struct {
	ch        chan os.Signal
	requested atomic.Bool
	sig       atomic.Int32
	at        atomic.Int64 // unix nanos of the first signal
	done      chan struct{}
}

func (a *app) watchSignals(topic string, onFirst func()) *shutdown {
	s := &shutdown{ch: make(chan os.Signal, 2), done: make(chan struct{})}
	signal.Notify(s.ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		for {
			select {
			case <-s.done:
				return
			case sig := <-s.ch:
				num := int(sig.(syscall.Signal))
				if s.requested.CompareAndSwap(false, true) {
					s.sig.Store(int32(num))
					s.at.Store(time.Now().UnixNano())
					metrics.Inc(metrics.ConsumerShutdownSignal, 1)
					events.Emit("shutdown_requested", events.F("signal", num), events.F("topic", topic))
					onFirst()
					continue
				}
				a.diag("klient: second signal (%d): exiting immediately", num)
				exitNow(128 + num)
			}
		}
	}()
	return s
}

func (s *shutdown) stop() {
	signal.Stop(s.ch)
	close(s.done)
}

// graceLeft is the time left of the grace period after the first signal.
func (s *shutdown) graceLeft(grace time.Duration) time.Duration {
	return time.Until(time.Unix(0, s.at.Load()).Add(grace))
}

func (a *app) stream(c *klient.Consumer, topic string, poll time.Duration, limit int, grace time.Duration) error {
	start := time.Now()
	sh := a.watchSignals(topic, c.Stop)
	defer sh.stop()
	n, reason := 0, "limit"
	var streamErr error
	ctx := context.Background()
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	// Buffered output: one write(2) per batch instead of one per message. The buffer is
	// flushed after every batch, so a slow topic's messages still show up at once.
	orig := a.out.w
	bw := bufio.NewWriterSize(orig, 256<<10)
	a.out.w = bw
	flush := func() {
		a.lineMu.Lock()
		_ = bw.Flush()
		a.lineMu.Unlock()
	}
	defer func() { flush(); a.out.w = orig }()
	plain := !a.out.json && a.out.filter == nil
	var line []byte
	for limit <= 0 || n < limit {
		want := 1000
		if limit > 0 {
			want = min(want, limit-n)
		}
		var msgs []*klient.ConsumedMessage
		var err error
		if sh.requested.Load() {
			// Grace: finish what was already fetched, but not past the deadline.
			if grace <= 0 || sh.graceLeft(grace) <= 0 || c.Buffered() == 0 {
				reason = "signal"
				break
			}
			msgs, err = c.ConsumeBatch(ctx, want, 0)
		} else {
			msgs, err = c.ConsumeBatch(ctx, want, poll)
			if len(msgs) == 0 && err == nil {
				// ConsumeBatch waits for a full batch; with nothing buffered a short
				// poll keeps latency low for sparse topics.
				continue
			}
		}
		if err != nil {
			streamErr, reason = err, "error"
			break
		}
		for _, m := range msgs {
			switch {
			case plain:
				line = appendMessageText(line[:0], m)
				a.out.emit(line)
			case a.out.json:
				a.out.streamRecord(messageView(m), "")
			default:
				a.out.streamRecord(nil, messageText(m))
			}
			n++
		}
		flush()
	}
	flush() // before stream_ended and any error line
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Commit(cctx); err != nil && streamErr == nil {
		streamErr = fmt.Errorf("committing offsets at the end of the stream: %w", err)
	}
	metrics.Inc(metrics.ConsumerShutdownComplete, 1)
	events.Emit("stream_ended", events.F("reason", reason), events.F("messages", n), events.F("duration_s", seconds3(time.Since(start))))
	return streamErr
}

func seconds3(d time.Duration) float64 {
	return float64(d.Milliseconds()) / 1000
}

// serveMetrics serves metrics.Handler on --metrics-addr (no-op when unset).
func (a *app) serveMetrics() (func(), error) {
	addr := a.str("metrics-addr")
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot serve metrics on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics.Handler())
	mux.Handle("/", metrics.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	a.diag("serving metrics on http://%s/metrics", ln.Addr())
	return func() { _ = srv.Close() }, nil
}
