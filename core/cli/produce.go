package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/spf13/pflag"

	klient "github.com/klient-dev/klient/core"
)

// cliMessageTimeout bounds delivery when the config does not: a CLI must not sit for
// librdkafka's default 5 minutes when the broker is unreachable.
const cliMessageTimeout = 30000

func (a *app) newProducer(transactionalID string) (*klient.Producer, error) {
	extra := map[string]any{}
	if _, ok := a.cfg.producer["message.timeout.ms"]; !ok {
		if _, ok := a.cfg.producer["delivery.timeout.ms"]; !ok {
			extra["message.timeout.ms"] = cliMessageTimeout
		}
	}
	if transactionalID != "" {
		extra["transactional.id"] = transactionalID
	}
	return klient.NewProducer(props(a.cfg.producer, extra))
}

func closeProducer(p *klient.Producer) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = p.Close(ctx)
}

// produceCommand is the released CLI's `produce` group (send, transaction, from-file)
// with klient's kcat-style additions to from-file (FILE "-", NDJSON, lines, -K).
func produceCommand() *command {
	return &command{name: "produce", short: "produce messages (sync & transactional)", subs: []*command{
		{name: "send", args: "TOPIC", minArgs: 1, maxArgs: 1, short: "produce one message and wait for its delivery",
			flags: func(fs *pflag.FlagSet) {
				fs.StringP("key", "k", "", "message key")
				fs.StringP("value", "v", "", "message value (required)")
				fs.StringArrayP("header", "H", nil, "header KEY=VALUE (repeatable)")
				fs.Int32P("partition", "p", -1, "partition (default: the partitioner chooses)")
				flushPair(fs)
				txIDFlags(fs, "", "produce it in a transaction with this transactional id")
			}, run: runProduceSend},
		{name: "transaction", args: "TOPIC", minArgs: 1, maxArgs: 1, short: "produce --count messages in one committed transaction",
			long: `Produces key-I / "Transactional message I" with headers batch=tx, index=I for
I = 0 .. --count-1 in one transaction and commits it.`,
			flags: func(fs *pflag.FlagSet) {
				fs.IntP("count", "n", 5, "messages in the transaction")
				txIDFlags(fs, "", "transactional id (required)")
			}, run: runProduceTransaction},
		{name: "from-file", args: "TOPIC FILE", minArgs: 2, maxArgs: 2, short: "produce every object of a JSON array file (FILE - reads stdin)",
			long: fromFileLong,
			flags: func(fs *pflag.FlagSet) {
				txIDFlags(fs, "", "produce in transactions of --batch-size messages")
				fs.IntP("batch-size", "b", 100, "messages per transaction (transactional mode only)")
				fs.String("key-field", "", "object field used as the message key")
				fs.String("partition-field", "", "object field used as the partition number")
				fs.String("headers-field", "", "object field (an object) used as the message headers")
				fs.String("format", "auto", "input format: array, ndjson, lines or auto (a file: array; stdin: array if it starts with '[', ndjson if with '{', else lines)")
				fs.StringP("key-delimiter", "K", "", "lines format: split each line at the first DELIM into key and value (kcat -K)")
			}, run: runProduceFromFile},
	}}
}

const fromFileLong = `FILE holds a JSON array of objects; each object becomes one message whose value is the
object as Python's json.dumps writes it (byte-identical to the released CLI). Fields named
by --key-field, --partition-field and --headers-field are removed from the object and
used as the key, partition and headers. Elements that are not objects are skipped with a
message on stderr. With --transactional-id every --batch-size messages are one
transaction.

kcat-style input (klient additions): FILE "-" reads stdin. --format ndjson takes one JSON
object per line (handled like array elements); --format lines takes every non-empty line
as a raw value, split into key and value at the first -K DELIM when given (a line
without DELIM has no key). -K implies --format lines.

  printf 'k1:hello\nk2:world\n' | klient produce from-file events - -K:
  jq -c '.[]' data.json | klient produce from-file events - --format ndjson --key-field id`

// txIDFlags defines --transactional-id and its released alias --tx-id on one variable,
// so the last one given wins (as in click).
func txIDFlags(fs *pflag.FlagSet, def, usage string) {
	v := new(string)
	fs.StringVar(v, "transactional-id", def, usage+" (alias --tx-id)")
	fs.StringVar(v, "tx-id", def, usage)
	_ = fs.MarkHidden("tx-id")
}

// flushPair is the released --flush/--no-flush. klient always waits for the delivery
// report (the released CLI's close() flushes too), so both only exist to be accepted.
func flushPair(fs *pflag.FlagSet) {
	fs.Bool("flush", true, "wait for the delivery report (always; kept for the released CLI)")
	fs.Bool("no-flush", false, "accepted for the released CLI; the message is still flushed before exit")
}

func runProduceSend(a *app, args []string) error {
	if !a.changed("value") {
		return usagef("Missing option '--value' / '-v'.")
	}
	hdrs, err := headerArgs(a.strs("header"))
	if err != nil {
		return err
	}
	topic, tid := args[0], a.str("transactional-id")
	m := klient.Message{Topic: topic, Partition: a.int32("partition"), Value: []byte(a.str("value")), Headers: hdrs}
	if a.changed("key") {
		m.Key = []byte(a.str("key"))
	}
	p, err := a.newProducer(tid)
	if err != nil {
		return err
	}
	defer closeProducer(p)
	if tid != "" {
		err = produceTxnBatch(p, []klient.Message{m}, 0)
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cliMessageTimeout+5000)*time.Millisecond)
		_, err = p.Produce(ctx, m)
		cancel()
	}
	if err != nil {
		return err
	}
	return a.echo(obj("status", "sent", "topic", topic, "transactional", tid != ""))
}

// headerArgs parses -H KEY=VALUE like the released CLI: a dict, so a repeated key keeps
// its first position and its last value. A missing "=" is an error (exit 1, as there).
func headerArgs(vals []string) ([]klient.Header, error) {
	var out []klient.Header
	for _, kv := range vals {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("Invalid header '%s' - expected key=value", kv)
		}
		out = setHeader(out, k, v)
	}
	return out, nil
}

func setHeader(hs []klient.Header, k, v string) []klient.Header {
	for i := range hs {
		if hs[i].Key == k {
			hs[i].Value = []byte(v)
			return hs
		}
	}
	return append(hs, klient.Header{Key: k, Value: []byte(v)})
}

func runProduceTransaction(a *app, args []string) error {
	tid := a.str("transactional-id")
	if tid == "" {
		return usagef("Missing option '--transactional-id' / '--tx-id'.")
	}
	topic, n := args[0], max(a.num("count"), 0) // range(count) of a negative count is empty
	msgs := make([]klient.Message, n)
	for i := range msgs {
		idx := strconv.Itoa(i)
		msgs[i] = klient.Message{Topic: topic, Partition: klient.AnyPartition, Key: []byte("key-" + idx),
			Value:   []byte("Transactional message " + idx),
			Headers: []klient.Header{{Key: "batch", Value: []byte("tx")}, {Key: "index", Value: []byte(idx)}}}
	}
	p, err := a.newProducer(tid)
	if err != nil {
		return err
	}
	defer closeProducer(p)
	start := time.Now()
	if err := produceTxnBatch(p, msgs, 0); err != nil {
		return err
	}
	d := time.Since(start)
	return a.echo(obj("transaction", tid, "committed", true, "duration_ms", float64(d.Microseconds())/1000))
}

// produceTxnBatch produces msgs in one transaction and commits it; on any failure it
// aborts, so nothing of the batch becomes visible. first is the index of msgs[0] in the
// whole input, for error messages.
func produceTxnBatch(p *klient.Producer, msgs []klient.Message, first int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := p.BeginTransaction(ctx); err != nil {
		return err
	}
	abort := func(cause error) error {
		actx, acancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer acancel()
		if _, aerr := p.AbortTransaction(actx); aerr != nil {
			return fmt.Errorf("%w (and the abort failed: %v)", cause, aerr)
		}
		return fmt.Errorf("transaction aborted, nothing of records %d..%d is visible: %w", first, first+len(msgs)-1, cause)
	}
	if len(msgs) > 0 {
		if err := produceAndWait(ctx, p, msgs, first); err != nil {
			return abort(err)
		}
	}
	if _, err := p.CommitTransaction(ctx); err != nil {
		return abort(err)
	}
	return nil
}

// produceAndWait queues msgs with one ProduceAsync call and waits for every report;
// the first failed delivery is returned naming its record index.
func produceAndWait(ctx context.Context, p *klient.Producer, msgs []klient.Message, first int) error {
	firstID, n, err := p.ProduceAsync(ctx, msgs...)
	var firstErr error
	if err != nil {
		firstErr = fmt.Errorf("record %d: %w", first+n, err)
	}
	for got := 0; got < n; {
		if ctx.Err() != nil {
			return fmt.Errorf("delivery reports still missing at the deadline: %w", ctx.Err())
		}
		for _, r := range p.DeliveryReports(0, 200*time.Millisecond) {
			if r.ID < firstID || r.ID >= firstID+uint64(n) {
				continue
			}
			got++
			if r.Err != nil && firstErr == nil {
				firstErr = fmt.Errorf("record %d: %w", first+int(r.ID-firstID), r.Err)
			}
		}
	}
	return firstErr
}

// fileRecords are the parsed input of from-file: the messages and a note per skipped
// element (printed to stderr, as the released CLI does).
type fileRecords struct {
	msgs   []klient.Message
	stream *canonStream // when set, the messages (msgs is unused)
	sent   int          // how many of msgs next has returned
	notes  []string
}

func (fr *fileRecords) count() int {
	if fr.stream != nil {
		return fr.stream.n
	}
	return len(fr.msgs)
}

// next returns the next up to n messages in input order (none at the end); their
// values may be reused by the following call.
func (fr *fileRecords) next(n int) []klient.Message {
	if fr.stream != nil {
		return fr.stream.next(n)
	}
	b := fr.msgs[fr.sent:min(fr.sent+n, len(fr.msgs))]
	fr.sent += len(b)
	return b
}

// recordSpec says how input becomes messages.
type recordSpec struct {
	topic                         string
	keyField, partField, hdrField string
	format                        string // array, ndjson, lines or auto
	keyDelim                      string
}

// resolveFormat is the input format that --format auto (or none) stands for.
func resolveFormat(path string, data []byte, format, keyDelim string) string {
	if format != "auto" && format != "" {
		return format
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case keyDelim != "":
		return "lines"
	case path != "-" || (len(trimmed) > 0 && trimmed[0] == '['):
		return "array" // a named file is the released CLI's JSON array
	case len(trimmed) > 0 && trimmed[0] == '{':
		return "ndjson"
	default:
		return "lines"
	}
}

// readGuarded turns a memory fault inside the mapped input data, while the calling
// goroutine reads it (the file was cut short after it was mapped), into an error in
// *err; any other panic goes on. Use: defer readGuarded(path, data, &err)().
func readGuarded(path string, data []byte, err *error) func() {
	old := debug.SetPanicOnFault(true)
	start := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	return func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			f, fault := r.(interface{ Addr() uintptr })
			if !fault || f.Addr() < start || f.Addr()-start >= uintptr(len(data)) {
				panic(r)
			}
			*err = fmt.Errorf("Failed to read file %s: it was cut short while being read (%v)", path, r)
		}
	}
}

// parseRecords turns a whole from-file input into messages the way the released CLI
// does: the input is parsed completely first, so invalid JSON sends nothing.
func parseRecords(path string, data []byte, spec recordSpec) (*fileRecords, error) {
	format := resolveFormat(path, data, spec.format, spec.keyDelim)
	if spec.keyDelim != "" && format != "lines" {
		return nil, usagef("-K/--key-delimiter needs --format lines, got --format %s", format)
	}
	out := &fileRecords{}
	switch format {
	case "array":
		if fr, ok := canonArray(data, spec); ok {
			return fr, nil
		}
		return decodeArray(path, data, spec)
	case "ndjson":
		i := 0
		raw := spec.raw()
		c := newCanon(data, raw)
		var spans []int // as canonArray's
		for n, line := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			if raw {
				if s, e, ok := c.line(line); ok {
					out.msgs = append(out.msgs, klient.Message{Topic: spec.topic, Partition: klient.AnyPartition})
					spans = append(spans, s, e)
					i++
					continue
				}
			}
			el, err := pyParse(line)
			if err != nil {
				return nil, fmt.Errorf("%s: line %d is not JSON: %v", path, n+1, err)
			}
			m := len(out.msgs)
			if err := out.add(spec, i, el); err != nil {
				return nil, err
			}
			for ; m < len(out.msgs); m++ {
				spans = append(spans, -1, -1)
			}
			i++
		}
		c.fill(out.msgs, spans)
	case "lines":
		for _, line := range bytes.Split(data, []byte("\n")) {
			line = bytes.TrimSuffix(line, []byte("\r"))
			if len(line) == 0 {
				continue
			}
			m := klient.Message{Topic: spec.topic, Partition: klient.AnyPartition, Value: line}
			if spec.keyDelim != "" {
				if k, v, ok := bytes.Cut(line, []byte(spec.keyDelim)); ok {
					m.Key, m.Value = k, v
				}
			}
			out.msgs = append(out.msgs, m)
		}
	default:
		return nil, usagef("--format must be array, ndjson, lines or auto, got %q", format)
	}
	return out, nil
}

// decodeArray is the array format by decoding the whole input (json.loads) and encoding
// each object (json.dumps): what canonArray falls back to.
func decodeArray(path string, data []byte, spec recordSpec) (*fileRecords, error) {
	doc, err := pyParse(data)
	if err != nil {
		return nil, fmt.Errorf("Invalid JSON in file %s: %v", path, err)
	}
	arr, ok := doc.([]any)
	if !ok {
		return nil, fmt.Errorf("JSON file must contain an array of objects, got %s", pyTypeName(doc))
	}
	if len(arr) == 0 {
		return nil, fmt.Errorf("JSON file contains empty array, nothing to send")
	}
	out := &fileRecords{}
	for i, el := range arr {
		if err := out.add(spec, i, el); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// add converts array element i as the released CLI does: non-objects are skipped,
// the key is str() of the key field, an unusable partition is dropped with a note,
// headers are str() of an object's items, the value is json.dumps of what remains.
func (fr *fileRecords) add(spec recordSpec, i int, el any) error {
	o, ok := el.(*Obj)
	if !ok {
		fr.notes = append(fr.notes, fmt.Sprintf("Message at index %d is not an object: %s", i, pyTypeName(el)))
		return nil
	}
	m := klient.Message{Topic: spec.topic, Partition: klient.AnyPartition}
	if spec.keyField != "" {
		if kv := objPop(o, spec.keyField); kv != nil {
			m.Key = []byte(pyStr(kv))
		}
	}
	if spec.partField != "" {
		if pv := objPop(o, spec.partField); pv != nil {
			if p, ok := pyIntOf(pv); ok {
				if p < -1 || p > math.MaxInt32 {
					// The released produce call raises here and the command fails.
					return fmt.Errorf("Failed to send messages: partition %d at index %d is out of range", p, i)
				}
				m.Partition = int32(p)
			} else {
				fr.notes = append(fr.notes, fmt.Sprintf("Invalid partition value at index %d: %s", i, pyStr(pv)))
			}
		}
	}
	if spec.hdrField != "" {
		if hv := objPop(o, spec.hdrField); hv != nil {
			if ho, ok := hv.(*Obj); ok {
				for _, k := range ho.keys {
					m.Headers = append(m.Headers, klient.Header{Key: k, Value: []byte(pyStr(ho.vals[k]))})
				}
			}
		}
	}
	m.Value = pyJSON{}.dumps(o)
	fr.msgs = append(fr.msgs, m)
	return nil
}

// pyIntOf is Python's int() of a partition field; ok=false where int() raises
// ValueError/TypeError (the released CLI then lets the partitioner choose).
func pyIntOf(v any) (int64, bool) {
	var n int64
	var err error
	switch x := v.(type) {
	case pyInt:
		n, err = strconv.ParseInt(string(x), 10, 64)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, false
		}
		n = int64(x)
	case bool:
		if x {
			n = 1
		}
	case string:
		n, err = strconv.ParseInt(strings.TrimSpace(x), 10, 64)
	default:
		return 0, false
	}
	if errors.Is(err, strconv.ErrRange) {
		return math.MaxInt64, true // a valid Python int, out of any partition's range
	}
	return n, err == nil
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// maxInputBytes bounds a from-file input read into memory (the released CLI reads the
// whole file too); beyond it the command fails clearly instead of exhausting memory.
const maxInputBytes = 4 << 30

// mapFromBytes: a regular file at least this large is mapped rather than read (see
// mapFile); smaller ones cost little to read.
const mapFromBytes = 1 << 20

// readInput returns the whole input and, when it is a mapped file, the function that
// unmaps it (nil otherwise; the data must not be used after). A mapped input is
// read-only and may fault if the file is cut short meanwhile: read it inside
// readGuarded.
func readInput(a *app, path string) (data []byte, unmap func(), err error) {
	var r io.Reader
	size := int64(1 << 20) // a guess for stdin; a file's size is known
	if path == "-" {
		r = a.stdin
	} else {
		st, err := os.Stat(path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, nil, usagef("Invalid value for 'JSON_FILE': File '%s' does not exist.", path)
			}
			return nil, nil, usagef("Invalid value for 'JSON_FILE': %v", err)
		}
		if st.IsDir() {
			return nil, nil, usagef("Invalid value for 'JSON_FILE': File '%s' is a directory.", path)
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, usagef("Invalid value for 'JSON_FILE': %v", err)
		}
		defer f.Close()
		r, size = f, st.Size()
		if st.Mode().IsRegular() && size >= mapFromBytes && size <= maxInputBytes {
			if data, unmap, ok := mapFile(f, size); ok {
				return data, unmap, nil
			}
		}
	}
	// Read into a buffer of the file's size (+1 to see EOF without growing), as
	// os.ReadFile does: growing it by doubling would copy and touch twice the memory.
	data = make([]byte, 0, min(size, maxInputBytes)+1)
	lr := io.LimitReader(r, maxInputBytes+1)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := lr.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("Failed to read file %s: %w", path, err)
		}
	}
	if len(data) > maxInputBytes {
		return nil, nil, fmt.Errorf("%s is larger than %d bytes", path, maxInputBytes)
	}
	return data, nil, nil
}

func runProduceFromFile(a *app, args []string) (err error) {
	topic, path := args[0], args[1]
	// Before the threads that send allocate.
	tuneForBulkProduce()
	bs := max(a.num("batch-size"), 1) // the released loop commits after every message when <= 0
	data, unmap, err := readInput(a, path)
	if err != nil {
		return err
	}
	if unmap != nil {
		defer func() {
			if unmap != nil {
				unmap()
			}
		}()
		// A mapped input is read (a second time, batch by batch, when its values
		// stream) by this goroutine only: a fault on a file cut short becomes this
		// error (deferred after the unmap, so it runs first).
		defer readGuarded(path, data, &err)()
	}
	spec := recordSpec{topic: topic, keyField: a.str("key-field"), partField: a.str("partition-field"),
		hdrField: a.str("headers-field"), format: resolveFormat(path, data, a.str("format"), a.str("key-delimiter")),
		keyDelim: a.str("key-delimiter")}
	if unmap != nil && spec.format != "array" {
		// Only the array format copies every value out of the input before it is sent
		// (librdkafka reads the values in C, where a fault could not be caught): the
		// others get a copy of their own.
		data = bytes.Clone(data)
		unmap()
		unmap = nil
	}
	recs, err := parseRecords(path, data, spec)
	if err != nil {
		return err
	}
	for _, n := range recs.notes {
		a.diag("%s", n)
	}
	tid := a.str("transactional-id")
	p, err := a.newProducer(tid)
	if err != nil {
		return err
	}
	defer closeProducer(p)
	progress := isTerminal(a.stderr)
	var pipe *pipeline
	if tid == "" {
		pipe = &pipeline{p: p}
	}
	sent := 0
	fail := func(err error) error {
		if progress {
			fmt.Fprintln(a.stderr)
		}
		if pipe != nil {
			// What was sent before the failure is still delivered (or reported).
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cliMessageTimeout+5000)*time.Millisecond)
			_, _ = p.Flush(ctx)
			cancel()
			derr := pipe.collect()
			if derr != nil && err != pipe.failure {
				return fmt.Errorf("Failed to send messages from %s: %w (and %v)", path, err, derr)
			}
			if derr != nil {
				err = derr
			}
			return fmt.Errorf("Failed to send messages from %s: %w (%d record(s) were sent before the failure was seen)", path, err, sent)
		}
		return fmt.Errorf("Failed to send messages from %s: %w (%d record(s) before this batch were committed)", path, err, sent)
	}
	total := recs.count()
	for off := 0; off < total; off += bs {
		batch := recs.next(bs)
		if pipe == nil {
			err = produceTxnBatch(p, batch, off)
		} else {
			err = pipe.send(batch, off)
		}
		if err != nil {
			return fail(err)
		}
		sent += len(batch)
		if progress {
			drawProgress(a, sent, total)
		}
	}
	if pipe != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cliMessageTimeout+5000)*time.Millisecond)
		left, ferr := p.Flush(ctx)
		cancel()
		if pipe.drain(); pipe.failure != nil {
			return fail(pipe.failure)
		}
		if ferr != nil {
			return fail(fmt.Errorf("%d record(s) still undelivered: %w", left, ferr))
		}
	}
	if progress && sent > 0 {
		fmt.Fprintln(a.stderr)
	}
	return a.echo(obj("status", "sent", "topic", topic, "messages", sent, "source_file", path, "transactional", tid != ""))
}

// pipeline keeps batches flowing without waiting for each one's delivery reports (as
// kcat does); librdkafka's queue limit is the back-pressure. Messages are sent
// untracked (the producer's fast path): a delivery failure is reported without its
// record index, so the error names the partition and the count instead.
type pipeline struct {
	p       *klient.Producer
	failure error // the first failed delivery
	failed  int
}

func (pl *pipeline) send(msgs []klient.Message, off int) error {
	n, err := pl.p.SendBatch(context.Background(), msgs)
	if err != nil {
		return fmt.Errorf("record %d: %w", off+n, err)
	}
	pl.drain()
	return pl.failure
}

// drain takes the failure reports that are ready, remembering the first one.
func (pl *pipeline) drain() {
	for {
		reps := pl.p.DeliveryReports(4096, 0)
		if len(reps) == 0 {
			return
		}
		for _, r := range reps {
			if r.Err == nil {
				continue
			}
			pl.failed++
			if pl.failure == nil {
				pl.failure = fmt.Errorf("delivery to %s [%d] failed: %w", r.Topic, r.Partition, r.Err)
			}
		}
	}
}

// collect drains the last reports (after a flush) and returns the first failure.
func (pl *pipeline) collect() error {
	pl.drain()
	if pl.failure != nil {
		return fmt.Errorf("%w (%d record(s) failed in all)", pl.failure, pl.failed)
	}
	return nil
}

func drawProgress(a *app, done, total int) {
	const width = 30
	filled := width * done / max(total, 1)
	fmt.Fprintf(a.stderr, "\r[%s%s] %d/%d", strings.Repeat("#", filled), strings.Repeat(" ", width-filled), done, total)
}

// pyTypeName is type(v).__name__ of a parsed JSON value.
func pyTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case pyInt:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	}
	return "dict"
}

// objPop is dict.pop(k, None).
func objPop(o *Obj, k string) any {
	v, ok := o.vals[k]
	if !ok {
		return nil
	}
	delete(o.vals, k)
	for i, key := range o.keys {
		if key == k {
			o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
			break
		}
	}
	return v
}
