package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/spf13/pflag"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/metrics"
)

// DefaultGroup is the consumer group of `consume poll` and `consume batch` run without
// --group, as in the released CLI (`consume stream` uses cli-stream). A group.id in the
// config file replaces any group starting with "cli-" (the released rule).
const DefaultGroup = "cli-consumer"

// joinTimeout bounds the wait for the group to assign partitions before poll/batch
// start counting --timeout.
const joinTimeout = 30 * time.Second

// exitNow ends the process at a second signal; a variable so unit tests can observe it.
var exitNow = os.Exit

const consumeLong = `poll, batch and stream differ in how long they run and how much they print:

  poll    one attempt: waits up to --timeout seconds for ONE message and prints it as a
          JSON document ({"message": null} when none arrived).
  batch   bounded fetch: up to --count messages within --timeout seconds, printed as a
          JSON list, offsets committed.
  stream  prints TOPIC[PARTITION]@OFFSET: VALUE lines (JSON values pretty-printed)
          until --limit messages were printed (filtered-out ones do not count) or it
          is interrupted. SIGINT/SIGTERM prints {"event": "shutdown_requested", ...},
          finishes within --grace-period seconds, commits and prints
          {"event": "stream_ended", ...}; a second signal exits at once. A closed
          stdout (klient consume stream T | head -1) stops it the same way: offsets
          committed, group left, exit 0.

--timeout counts from the moment the group has assigned partitions. The isolation
level defaults to read_committed. --seek-to-offset N starts every partition (or only
--seek-to-partition P, which then is the only partition read) at offset N.

kcat-style additions: --offset beginning|end|stored|N|-N|s@MS (-N: N before the end of
each partition; s@MS: the first message at or after the timestamp in ms), -p/--partition
P (read only partition P; only its offsets are committed), -e/--exit (stop at the end of
the partitions, as kcat -e; -e before the command name is still --env), --events stderr
(stream's lifecycle lines on stderr, so stdout holds only records).`

func consumeCommand() *command {
	leaf := func(kind, short string) *command {
		return &command{name: kind, args: "TOPIC", minArgs: 1, maxArgs: 1, short: short, long: consumeLong,
			flags: consumeFlags(kind), stream: kind == "stream", run: runConsume(kind)}
	}
	return &command{name: "consume", short: "consume messages (poll, batch, stream)", long: consumeLong, subs: []*command{
		leaf("poll", "wait for one message"),
		leaf("batch", "fetch up to --count messages"),
		leaf("stream", "print messages until --limit or Ctrl+C"),
	}}
}

func consumeFlags(kind string) func(fs *pflag.FlagSet) {
	return func(fs *pflag.FlagSet) {
		group := DefaultGroup
		if kind == "stream" {
			group = "cli-stream"
		}
		fs.StringP("group", "g", group, "consumer group id")
		switch kind {
		case "poll":
			fs.Float64P("timeout", "t", 5, "seconds to wait for a message")
		case "batch":
			fs.IntP("count", "n", 10, "maximum number of messages")
			fs.Float64P("timeout", "t", 5, "seconds to wait for the batch to fill")
		case "stream":
			fs.IntP("limit", "l", 0, "stop after this many printed messages (0: unlimited)")
			fs.Float64P("timeout", "t", 1, "seconds per poll")
			fs.Float64("grace-period", 2, "seconds to finish in-flight messages after SIGINT/SIGTERM")
			fs.String("metrics-addr", "", "serve Prometheus metrics on host:port while streaming")
			fs.String("events", "stdout", "where the lifecycle lines go: stdout (the released CLI) or stderr")
		}
		fs.String("isolation", "read_committed", "read_committed or read_uncommitted")
		fs.Int64("seek-to-offset", -1, "start at this offset (every partition unless --seek-to-partition)")
		fs.Int32("seek-to-partition", -1, "with --seek-to-offset: read only this partition")
		fs.String("offset", "", "start at beginning, end, stored, N, -N (from the end) or s@MS (timestamp)")
		fs.Int32P("partition", "p", -1, "read only this partition")
		fs.BoolP("exit", "e", false, "stop at the end of the partitions (kcat -e)")
	}
}

func validIsolation(s string) error {
	if s != "read_committed" && s != "read_uncommitted" {
		return usagef("Invalid value for '--isolation': '%s' is not one of 'read_committed', 'read_uncommitted'.", s)
	}
	return nil
}

// groupID is the released rule: a config group.id replaces a group starting with
// "cli-" (the defaults), an explicit other group wins.
func (a *app) groupID(def string) string {
	g := def
	if a.fs != nil && a.fs.Lookup("group") != nil {
		g = a.str("group")
	}
	if cg, ok := a.cfg.consumer["group.id"]; ok && cg != nil && strings.HasPrefix(g, "cli-") {
		return fmt.Sprint(cg)
	}
	return g
}

func (a *app) newConsumer(group, isolation string, extra map[string]any) (*klient.Consumer, error) {
	e := map[string]any{"group.id": group, "isolation.level": isolation}
	for k, v := range extra {
		e[k] = v
	}
	return klient.NewConsumer(props(a.cfg.consumer, e), klient.ConsumerOptions{})
}

// topicPartitions fails clearly when the topic does not exist, instead of waiting for
// an assignment that will never come, and returns its partitions. The metadata request
// never creates the topic.
func topicPartitions(c *klient.Consumer, topic string) ([]int32, error) {
	t := topic
	md, err := c.Kafka().GetMetadata(&t, false, 10000)
	if err != nil {
		return nil, klient.FromKafka("metadata", err)
	}
	tm, ok := md.Topics[topic]
	if !ok || tm.Error.Code() == kafka.ErrUnknownTopicOrPart || tm.Error.Code() == kafka.ErrUnknownTopic {
		return nil, klient.Errorf(klient.KindNotFound, "consume", "topic %q does not exist (create it with: klient admin create-topic %s)", topic, topic)
	}
	if tm.Error.Code() != kafka.ErrNoError {
		return nil, klient.FromKafka("metadata "+topic, tm.Error)
	}
	parts := make([]int32, len(tm.Partitions))
	for i, p := range tm.Partitions {
		parts[i] = p.ID
	}
	return parts, nil
}

func checkTopic(c *klient.Consumer, topic string) error {
	_, err := topicPartitions(c, topic)
	return err
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

// pyDecode is bytes.decode() for output: text that is not UTF-8 (where the released
// CLI crashes with UnicodeDecodeError) is printed with U+FFFD replacements.
func pyDecode(b []byte) any {
	if len(b) == 0 { // `x.decode() if x else None`
		return nil
	}
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		sb.WriteRune(r) // utf8.RuneError (U+FFFD) for each invalid byte, as Python's "replace"
		b = b[n:]
	}
	return sb.String()
}

var errNotJSON = errors.New("not JSON")

// notJSON reports whether pyParse certainly fails on b: its first byte after JSON
// whitespace is ASCII and cannot begin a JSON value (or there is none). A stream of
// plain-text values then skips building a decoder, and its error, per message.
func notJSON(b []byte) bool {
	for _, c := range b {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		case c == '{' || c == '[' || c == '"' || c == '-' || c == 't' || c == 'f' || c == 'n' || (c >= '0' && c <= '9'):
			return false
		}
		return c < 0x80
	}
	return true
}

// messageDoc is the released CLI's document of a consumed message.
func messageDoc(m *klient.ConsumedMessage) *Obj {
	var txID any
	for _, h := range m.Headers {
		if h.Key == "__transaction_id" && len(h.Value) > 0 {
			txID = pyDecode(h.Value)
		}
	}
	return obj("topic", m.Topic, "partition", m.Partition, "offset", m.Offset,
		"key", pyDecode(m.Key), "value", pyDecode(m.Value), "transactional", txID != nil, "transaction_id", txID)
}

// consumePlan is what a consume command reads: which partitions (nil: all the group
// assigns) from where, and whether it stops at their end.
type consumePlan struct {
	topic  string
	only   int32 // -1: every partition
	seeks  map[int32]int64
	atEnd  bool
	ends   map[int32]int64 // -e: high watermark per partition read
	next   map[int32]int64 // -e: next offset to read per partition
	commit map[int32]int64 // with `only`: next offset of the printed messages
}

// parseOffset reads --offset: beginning, end, stored, N, -N or s@MS.
func parseOffset(s string) (kind string, n int64, err error) {
	switch {
	case s == "beginning" || s == "end" || s == "stored":
		return s, 0, nil
	case strings.HasPrefix(s, "s@"):
		n, err = strconv.ParseInt(s[2:], 10, 64)
		if err != nil || n < 0 {
			return "", 0, usagef("--offset %s: s@ needs a timestamp in milliseconds", s)
		}
		return "time", n, nil
	}
	n, err = strconv.ParseInt(s, 10, 64)
	if err != nil {
		return "", 0, usagef("--offset must be beginning, end, stored, N, -N or s@MS, got %q", s)
	}
	if n < 0 {
		return "relative", -n, nil
	}
	return "absolute", n, nil
}

// plan resolves the offset and partition flags against the topic, before subscribing.
func (a *app) plan(c *klient.Consumer, topic string) (*consumePlan, error) {
	parts, err := topicPartitions(c, topic)
	if err != nil {
		return nil, err
	}
	pl := &consumePlan{topic: topic, only: -1, seeks: map[int32]int64{}, atEnd: a.flag("exit")}
	if a.changed("partition") {
		pl.only = a.int32("partition")
	}
	if a.changed("seek-to-partition") {
		pl.only = a.int32("seek-to-partition")
	}
	if pl.only >= 0 {
		found := false
		for _, p := range parts {
			found = found || p == pl.only
		}
		if !found {
			return nil, usagef("partition %d does not exist in %s (%d partition(s))", pl.only, topic, len(parts))
		}
		parts = []int32{pl.only}
		pl.commit = map[int32]int64{}
	}
	kind, n := "stored", int64(0)
	if a.changed("offset") {
		if kind, n, err = parseOffset(a.str("offset")); err != nil {
			return nil, err
		}
	}
	if a.changed("seek-to-offset") {
		kind, n = "absolute", a.num64("seek-to-offset")
	}
	needMarks := pl.atEnd || kind == "relative" || kind == "time"
	lo, hi := map[int32]int64{}, map[int32]int64{}
	if needMarks {
		for _, p := range parts {
			l, h, err := c.Kafka().QueryWatermarkOffsets(topic, p, 10000)
			if err != nil {
				return nil, klient.FromKafka("watermarks", err)
			}
			lo[p], hi[p] = l, h
		}
	}
	var times map[int32]int64
	if kind == "time" {
		q := make([]kafka.TopicPartition, len(parts))
		for i, p := range parts {
			q[i] = kafka.TopicPartition{Topic: &topic, Partition: p, Offset: kafka.Offset(n)}
		}
		res, err := c.Kafka().OffsetsForTimes(q, 10000)
		if err != nil {
			return nil, klient.FromKafka("offsets for times", err)
		}
		times = map[int32]int64{}
		for _, tp := range res {
			times[tp.Partition] = int64(tp.Offset)
		}
	}
	for _, p := range parts {
		switch kind {
		case "beginning":
			pl.seeks[p] = int64(kafka.OffsetBeginning)
		case "end":
			pl.seeks[p] = int64(kafka.OffsetEnd)
		case "absolute":
			pl.seeks[p] = n
		case "relative":
			pl.seeks[p] = max(lo[p], hi[p]-n)
		case "time":
			if o, ok := times[p]; ok && o >= 0 {
				pl.seeks[p] = o
			} else {
				pl.seeks[p] = int64(kafka.OffsetEnd) // no message at or after the time
			}
		}
	}
	if pl.atEnd {
		if err := pl.startOffsets(c, a, parts, lo, hi); err != nil {
			return nil, err
		}
	}
	return pl, nil
}

// startOffsets records, for -e, where each partition starts and where it ends now.
func (pl *consumePlan) startOffsets(c *klient.Consumer, a *app, parts []int32, lo, hi map[int32]int64) error {
	pl.ends, pl.next = hi, map[int32]int64{}
	var stored []kafka.TopicPartition
	for _, p := range parts {
		if s, ok := pl.seeks[p]; ok {
			switch s {
			case int64(kafka.OffsetBeginning):
				pl.next[p] = lo[p]
			case int64(kafka.OffsetEnd):
				pl.next[p] = hi[p]
			default:
				pl.next[p] = s
			}
			continue
		}
		stored = append(stored, kafka.TopicPartition{Topic: &pl.topic, Partition: p})
	}
	if len(stored) == 0 {
		return nil
	}
	committed, err := c.Kafka().Committed(stored, 10000)
	if err != nil {
		return klient.FromKafka("committed offsets", err)
	}
	latest := fmt.Sprint(a.cfg.consumer["auto.offset.reset"]) == "latest" || fmt.Sprint(a.cfg.consumer["auto.offset.reset"]) == "largest"
	for _, tp := range committed {
		switch {
		case tp.Offset >= 0:
			pl.next[tp.Partition] = int64(tp.Offset)
		case latest:
			pl.next[tp.Partition] = hi[tp.Partition]
		default:
			pl.next[tp.Partition] = lo[tp.Partition]
		}
	}
	return nil
}

// seen notes a message read (printed or filtered out) for -e and --partition.
func (pl *consumePlan) seen(m *klient.ConsumedMessage) {
	if pl.next != nil && m.Offset+1 > pl.next[m.Partition] {
		pl.next[m.Partition] = m.Offset + 1
	}
	if pl.commit != nil && m.Partition == pl.only {
		pl.commit[m.Partition] = m.Offset + 1
	}
}

// keep reports whether m belongs to the partitions read.
func (pl *consumePlan) keep(m *klient.ConsumedMessage) bool {
	return pl.only < 0 || m.Partition == pl.only
}

// done reports whether -e's end is reached: every partition read up to the high
// watermark it had when the command started. A transaction's commit marker takes the
// last offset without being a message, so the consumer's position (which moves past
// markers) counts too once nothing fetched is left unread.
func (pl *consumePlan) done(c *klient.Consumer) bool {
	if !pl.atEnd {
		return false
	}
	var pos map[int32]int64
	for p, end := range pl.ends {
		if pl.next[p] >= end {
			continue
		}
		if pos == nil {
			if c.Buffered() > 0 {
				return false
			}
			pos = map[int32]int64{}
			if ps, err := c.Position(); err == nil {
				for _, o := range ps {
					if o.Topic == pl.topic {
						pos[o.Partition] = o.Offset
					}
				}
			}
		}
		if pos[p] < end {
			return false
		}
	}
	return true
}

// start subscribes and applies the seeks (they take effect at assignment).
func (pl *consumePlan) start(c *klient.Consumer) error {
	if err := c.Subscribe([]string{pl.topic}); err != nil {
		return err
	}
	for p, off := range pl.seeks {
		if err := c.Seek(pl.topic, p, off); err != nil {
			return err
		}
	}
	return nil
}

// commitRead commits what was read: the stored offsets, or with --partition only that
// partition's (the other partitions' messages were fetched but not read).
func (pl *consumePlan) commitRead(ctx context.Context, c *klient.Consumer) error {
	if pl.commit == nil {
		_, err := c.Commit(ctx)
		if err != nil && strings.Contains(err.Error(), "No offset stored") {
			return nil // nothing read: nothing to commit
		}
		return err
	}
	var offs []klient.Offset
	for p, o := range pl.commit {
		offs = append(offs, klient.Offset{Topic: pl.topic, Partition: p, Offset: o})
	}
	if len(offs) == 0 {
		return nil
	}
	return c.CommitOffsets(ctx, offs)
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
		if a.changed("seek-to-partition") && !a.changed("seek-to-offset") {
			return usagef("--seek-to-partition requires --seek-to-offset")
		}
		if a.changed("seek-to-offset") && a.num64("seek-to-offset") < 0 {
			return usagef("--seek-to-offset must be >= 0, got %d", a.num64("seek-to-offset"))
		}
		if a.changed("seek-to-offset") && a.changed("offset") {
			return usagef("--offset and --seek-to-offset both say where to start: give one")
		}
		for _, f := range []string{"seek-to-partition", "partition"} {
			if a.changed(f) && a.int32(f) < 0 {
				return usagef("--%s must be >= 0, got %d", f, a.int32(f))
			}
		}
		if a.changed("seek-to-partition") && a.changed("partition") && a.int32("partition") != a.int32("seek-to-partition") {
			return usagef("--partition and --seek-to-partition name different partitions")
		}
		// A closed stdout must not kill the process before it commits and leaves the
		// group: writes then fail with EPIPE, which the commands handle.
		signal.Ignore(syscall.SIGPIPE)
		var count, limit int
		var grace time.Duration
		switch kind {
		case "batch":
			count = a.num("count")
			if count < 1 {
				return usagef("--count must be >= 1, got %d", count)
			}
		case "stream":
			if limit = a.num("limit"); limit < 0 {
				limit = 0 // the released CLI: only a limit > 0 limits
			}
			if grace, err = a.seconds("grace-period"); err != nil {
				return err
			}
			if ev := a.str("events"); ev != "stdout" && ev != "stderr" {
				return usagef("--events must be stdout or stderr, got %q", ev)
			}
		}
		var stopMetrics func()
		if kind == "stream" {
			if stopMetrics, err = a.serveMetrics(); err != nil {
				return err
			}
			defer stopMetrics()
		}
		var extra map[string]any
		if a.changed("partition") || a.changed("seek-to-partition") {
			// Only the chosen partition's offsets are committed (explicitly, at the end):
			// the others' messages are fetched but not read.
			extra = map[string]any{"enable.auto.commit": false}
		}
		c, err := a.newConsumer(a.groupID(DefaultGroup), iso, extra)
		if err != nil {
			return err
		}
		defer func() { _ = c.Close(context.Background()) }()
		pl, err := a.plan(c, topic)
		if err != nil {
			return err
		}
		if err := pl.start(c); err != nil {
			return err
		}
		if kind == "stream" {
			return a.stream(c, pl, timeout, limit, grace)
		}
		if pl.done(c) {
			// -e and nothing to read: answer at once.
			return a.echo(emptyResult(kind))
		}
		if !waitAssigned(c, joinTimeout) {
			return fmt.Errorf("group %q was assigned no partition of %s within %s (another member may hold them all)", c.GroupID(), topic, joinTimeout)
		}
		want := 1
		if kind == "batch" {
			want = count
		}
		msgs, err := collect(c, pl, want, timeout)
		if err != nil {
			return err
		}
		// Commit before printing, as the released batch does: a failed commit prints
		// nothing, so the messages are not shown as read when they will come again.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if len(msgs) > 0 {
			if err := pl.commitRead(ctx, c); err != nil {
				return fmt.Errorf("could not commit the offsets of %d message(s): %w", len(msgs), err)
			}
		}
		if kind == "poll" {
			if len(msgs) == 0 {
				return a.echo(emptyResult(kind))
			}
			return a.echo(messageDoc(msgs[0]))
		}
		docs := make([]any, len(msgs))
		for i, m := range msgs {
			docs[i] = messageDoc(m)
		}
		return a.echo(docs)
	}
}

func emptyResult(kind string) any {
	if kind == "poll" {
		return obj("message", nil)
	}
	return []any{}
}

// batchWithin takes up to want messages, waiting at most wait for them (0: only those
// already fetched).
func batchWithin(c *klient.Consumer, want int, wait time.Duration) ([]*klient.ConsumedMessage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	return c.ConsumeBatch(ctx, want)
}

// collect reads up to want messages of the plan's partitions within timeout (or until
// -e's end).
func collect(c *klient.Consumer, pl *consumePlan, want int, timeout time.Duration) ([]*klient.ConsumedMessage, error) {
	deadline := time.Now().Add(timeout)
	var out []*klient.ConsumedMessage
	for len(out) < want && !pl.done(c) {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		wait := left
		if pl.atEnd {
			wait = min(left, 100*time.Millisecond) // re-check the end often
		}
		msgs, err := batchWithin(c, want-len(out), wait)
		if err != nil {
			return out, err
		}
		for _, m := range msgs {
			pl.seen(m)
			if pl.keep(m) {
				out = append(out, m)
			}
		}
	}
	return out, nil
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

// watchSignals calls onFirst(signal) at the first SIGINT/SIGTERM.
func (a *app) watchSignals(onFirst func(sig int)) *shutdown {
	s := &shutdown{ch: make(chan os.Signal, 2), done: make(chan struct{})}
	signal.Notify(s.ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		for {
			select {
			case <-s.done:
				return
			case sig := <-s.ch:
				num := int(sig.(syscall.Signal))
				if s.request(num) {
					onFirst(num)
					continue
				}
				a.diag("klient: second signal (%d): exiting immediately", num)
				exitNow(128 + num)
			}
		}
	}()
	return s
}

// request marks the shutdown (num 0: not a signal, e.g. a closed stdout); it reports
// whether this was the first request.
func (s *shutdown) request(num int) bool {
	if !s.requested.CompareAndSwap(false, true) {
		return false
	}
	s.sig.Store(int32(num))
	s.at.Store(time.Now().UnixNano())
	if num != 0 {
		metrics.Inc(metrics.ConsumerShutdownSignal, 1)
	}
	return true
}

func (s *shutdown) stop() {
	signal.Stop(s.ch)
	close(s.done)
}

// graceLeft is the time left of the grace period after the first signal.
func (s *shutdown) graceLeft(grace time.Duration) time.Duration {
	return time.Until(time.Unix(0, s.at.Load()).Add(grace))
}

// lifecycle prints one of the released CLI's event lines (json.dumps with its default
// separators, keys in the released order) on stdout, or stderr with --events stderr.
func (a *app) lifecycle(w io.Writer, kv ...any) {
	a.writeLine(w, pyJSON{}.dumps(obj(kv...)))
}

// recordLine appends the released stream line of m to b: TOPIC[P]@OFFSET: VALUE, a JSON
// value re-printed (indented JSON on the following lines), "None" for an empty value.
// ok=false: --filter removed it.
func (a *app) recordLine(b []byte, m *klient.ConsumedMessage) ([]byte, bool) {
	b = append(b, m.Topic...)
	b = append(b, '[')
	b = strconv.AppendInt(b, int64(m.Partition), 10)
	b = append(b, "]@"...)
	b = strconv.AppendInt(b, m.Offset, 10)
	b = append(b, ':')
	if len(m.Value) == 0 {
		return append(b, " None"...), true
	}
	var parsed any
	err := errNotJSON
	if !notJSON(m.Value) {
		parsed, err = pyParse(m.Value)
	}
	if err != nil {
		b = append(b, ' ')
		if utf8.Valid(m.Value) {
			return append(b, m.Value...), true // pyDecode's text, without a string per message
		}
		return append(b, pyDecode(m.Value).(string)...), true
	}
	text := a.out.Format(parsed, true)
	if text == "" {
		return b, false
	}
	if strings.Contains(text, "\n") {
		b = append(b, '\n')
	} else {
		b = append(b, ' ')
	}
	return append(b, text...), true
}

func (a *app) stream(c *klient.Consumer, pl *consumePlan, poll time.Duration, limit int, grace time.Duration) error {
	start := time.Now()
	evw := a.stdout
	if a.str("events") == "stderr" {
		evw = a.stderr
	}
	sh := a.watchSignals(func(sig int) {
		a.lifecycle(evw, "event", "shutdown_requested", "signal", sig, "topic", pl.topic)
		c.Stop()
	})
	defer sh.stop()
	n := 0
	var streamErr error
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	if pl.atEnd {
		poll = min(poll, 100*time.Millisecond) // re-check the end often
	}
	// Buffered output: one write(2) per batch instead of one per message, flushed after
	// every batch so a slow topic's messages still show up at once. The records go to
	// stdout (not --output-file), as in the released CLI.
	bw := bufio.NewWriterSize(a.stdout, 256<<10)
	var broken atomic.Bool // stdout was closed (EPIPE): stop like a signal, without printing
	flush := func() {
		a.lineMu.Lock()
		err := bw.Flush()
		a.lineMu.Unlock()
		if err != nil && broken.CompareAndSwap(false, true) {
			if !errors.Is(err, syscall.EPIPE) {
				streamErr = fmt.Errorf("writing to stdout: %w", err)
			}
			sh.request(0)
		}
	}
	if f, ok := a.stdout.(*os.File); ok {
		// An idle stream writes nothing, so it would not see EPIPE: watch the pipe.
		stopWatch := make(chan struct{})
		defer close(stopWatch)
		go func() {
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stopWatch:
					return
				case <-tick.C:
					if readerGone(f) && broken.CompareAndSwap(false, true) {
						sh.request(0)
						c.Stop() // wakes a waiting ConsumeBatch
						return
					}
				}
			}
		}()
	}
	var line []byte
	for (limit <= 0 || n < limit) && !broken.Load() && !pl.done(c) {
		want := 1000
		if limit > 0 {
			want = min(want, limit-n)
		}
		var msgs []*klient.ConsumedMessage
		var err error
		if sh.requested.Load() {
			// Grace: finish what was already fetched, but not past the deadline.
			if grace <= 0 || sh.graceLeft(grace) <= 0 || c.Buffered() == 0 {
				break
			}
			msgs, err = batchWithin(c, want, 0)
		} else {
			msgs, err = batchWithin(c, want, poll)
		}
		if err != nil {
			streamErr = err
			break
		}
		for _, m := range msgs {
			pl.seen(m)
			if !pl.keep(m) {
				continue
			}
			var ok bool
			if line, ok = a.recordLine(line[:0], m); !ok {
				continue // filtered out: does not count toward --limit
			}
			line = append(line, '\n')
			_, _ = bw.Write(line)
			n++
			if limit > 0 && n >= limit {
				break
			}
		}
		c.Recycle(msgs) // every line is a copy (in line and bw): their memory can take later fetches
		flush()
	}
	flush() // before stream_ended and any error line
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := pl.commitRead(cctx, c); err != nil && streamErr == nil {
		streamErr = fmt.Errorf("committing offsets at the end of the stream: %w", err)
	}
	metrics.Inc(metrics.ConsumerShutdownComplete, 1)
	reason := "limit_or_exit"
	if sh.requested.Load() && sh.sig.Load() != 0 {
		reason = "signal"
	}
	if !broken.Load() || evw != a.stdout {
		a.lifecycle(evw, "event", "stream_ended", "reason", reason, "messages", n, "duration_s", seconds3(time.Since(start)))
	}
	return streamErr
}

func seconds3(d time.Duration) float64 {
	return float64(d.Milliseconds()) / 1000
}

// serveMetrics serves metrics.Handler (/metrics only) on --metrics-addr (no-op when unset).
func (a *app) serveMetrics() (func(), error) {
	addr := a.str("metrics-addr")
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot serve metrics on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: metrics.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	a.diag("serving metrics on http://%s/metrics", ln.Addr())
	return func() { _ = srv.Close() }, nil
}
