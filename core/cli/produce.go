package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	json "github.com/goccy/go-json"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
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
	p.Release()
}

func runProduceSend(a *app, args []string) error {
	if !a.changed("value") {
		return usagef("produce send needs --value (the message value)")
	}
	hdrs, err := headerFlags(a.strs("header"))
	if err != nil {
		return err
	}
	m := klient.Message{Topic: args[0], Partition: a.int32("partition"), Value: []byte(a.str("value")), Headers: hdrs}
	if a.changed("key") {
		m.Key = []byte(a.str("key"))
	}
	p, err := a.newProducer("")
	if err != nil {
		return err
	}
	defer closeProducer(p)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cliMessageTimeout+5000)*time.Millisecond)
	defer cancel()
	r, err := p.Produce(ctx, m)
	if err != nil {
		return err
	}
	v := map[string]any{"status": r.Status(), "topic": r.Topic, "partition": r.Partition, "offset": r.Offset, "timestamp": r.Timestamp.UTC().Format(time.RFC3339Nano)}
	if m.Key != nil {
		v["key"] = string(m.Key)
	}
	a.out.doc(v, []string{fmt.Sprintf("Delivered to %s [%d] at offset %d", r.Topic, r.Partition, r.Offset)})
	return nil
}

func headerFlags(vals []string) ([]klient.Header, error) {
	var out []klient.Header
	for _, kv := range vals {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usagef("--header %q: expected KEY=VALUE", kv)
		}
		out = append(out, klient.Header{Key: k, Value: []byte(v)})
	}
	return out, nil
}

func runProduceTransaction(a *app, args []string) error {
	tid := a.str("transactional-id")
	if tid == "" {
		return usagef("produce transaction needs --transactional-id")
	}
	n := a.num("count")
	if n < 1 {
		return usagef("--count must be >= 1, got %d", n)
	}
	topic := args[0]
	msgs := make([]klient.Message, n)
	for i := range msgs {
		msgs[i] = klient.Message{Topic: topic, Partition: klient.AnyPartition,
			Key: []byte(strconv.Itoa(i + 1)), Value: []byte(fmt.Sprintf("%s-%d", a.str("value-prefix"), i+1))}
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
	v := map[string]any{"status": "committed", "transaction_id": tid, "topic": topic, "messages": n, "duration_ms": float64(d.Microseconds()) / 1000}
	a.out.doc(v, []string{fmt.Sprintf("Committed transaction %s: %d message(s) to %s in %.1f ms", tid, n, topic, v["duration_ms"])})
	return nil
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
	if err := produceAndWait(ctx, p, msgs, first); err != nil {
		return abort(err)
	}
	if _, err := p.CommitTransaction(ctx); err != nil {
		return abort(err)
	}
	return nil
}

// produceAndWait queues msgs with one ProduceBatch call and waits for every report;
// the first failed delivery is returned naming its record index.
func produceAndWait(ctx context.Context, p *klient.Producer, msgs []klient.Message, first int) error {
	firstID, n, err := p.ProduceBatch(ctx, msgs)
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

// recordReader decodes a from-file input one array element at a time, so memory stays
// bounded by a batch whatever the file size, and validates each record as it goes.
type recordReader struct {
	path, topic                   string
	keyField, partField, hdrField string
	dec                           *json.Decoder
	next                          int // index of the next record
	done                          bool
}

func newRecordReader(path string, r io.Reader, topic, keyField, partField, hdrField string) (*recordReader, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%s is not valid JSON: %v", path, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("%s must contain a JSON array of objects ([{...}, ...]), got %s", path, tokenKind(tok))
	}
	return &recordReader{path: path, topic: topic, keyField: keyField, partField: partField, hdrField: hdrField, dec: dec}, nil
}

// tokenKind names the JSON type a value starting with tok has.
func tokenKind(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return "an object"
		}
		return "an array"
	case json.Number:
		return "a number"
	}
	return config.JSONKind(tok)
}

// read returns up to max more messages; an empty slice means the array ended.
func (rr *recordReader) read(max int) ([]klient.Message, error) {
	var msgs []klient.Message
	for !rr.done && len(msgs) < max {
		if !rr.dec.More() {
			if _, err := rr.dec.Token(); err != nil { // the closing ]
				return nil, fmt.Errorf("%s is not valid JSON: %v", rr.path, err)
			}
			rr.done = true
			break
		}
		var el any
		if err := rr.dec.Decode(&el); err != nil {
			return nil, fmt.Errorf("%s is not valid JSON: %v", rr.path, err)
		}
		m, err := rr.record(rr.next, el)
		if err != nil {
			return nil, err
		}
		rr.next++
		if msgs == nil {
			msgs = make([]klient.Message, 0, min(max, 4096))
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// record turns array element i into a message, or an error naming the record.
func (rr *recordReader) record(i int, el any) (klient.Message, error) {
	path := rr.path
	obj, ok := el.(map[string]any)
	if !ok {
		return klient.Message{}, fmt.Errorf("%s: record %d must be a JSON object, got %s", path, i, config.JSONKind(el))
	}
	m := klient.Message{Topic: rr.topic, Partition: klient.AnyPartition}
	if keyField := rr.keyField; keyField != "" {
		if kv, present := obj[keyField]; present {
			delete(obj, keyField)
			if kv != nil {
				s, ok := scalarString(kv)
				if !ok {
					return m, fmt.Errorf("%s: record %d: key field %q must be a string or number, got %s", path, i, keyField, config.JSONKind(kv))
				}
				m.Key = []byte(s)
			}
		}
	}
	if partField := rr.partField; partField != "" {
		if pv, present := obj[partField]; present {
			delete(obj, partField)
			n, ok := pv.(json.Number)
			p, err := strconv.ParseInt(string(n), 10, 32)
			if !ok || err != nil || p < 0 {
				return m, fmt.Errorf("%s: record %d: partition field %q must be a non-negative integer, got %s", path, i, partField, jsonText(pv))
			}
			m.Partition = int32(p)
		}
	}
	if hdrField := rr.hdrField; hdrField != "" {
		if hv, present := obj[hdrField]; present {
			delete(obj, hdrField)
			hm, ok := hv.(map[string]any)
			if !ok && hv != nil {
				return m, fmt.Errorf("%s: record %d: headers field %q must be an object, got %s", path, i, hdrField, config.JSONKind(hv))
			}
			for _, k := range sortedKeys(hm) {
				s, ok := scalarString(hm[k])
				if !ok {
					s = string(jsonText(hm[k]))
				}
				m.Headers = append(m.Headers, klient.Header{Key: k, Value: []byte(s)})
			}
		}
	}
	m.Value = jsonText(obj)
	return m, nil
}

// parseRecords decodes a whole from-file input (tests and fuzzing; the command
// streams with recordReader).
func parseRecords(path string, data []byte, topic, keyField, partField, hdrField string) ([]klient.Message, error) {
	rr, err := newRecordReader(path, bytes.NewReader(data), topic, keyField, partField, hdrField)
	if err != nil {
		return nil, err
	}
	var all []klient.Message
	for {
		msgs, err := rr.read(1 << 20)
		if err != nil {
			return nil, err
		}
		if len(msgs) == 0 {
			return all, nil
		}
		all = append(all, msgs...)
	}
}

func jsonText(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// fileBatch is one batch of from-file records, parsed ahead of the producer.
type fileBatch struct {
	msgs []klient.Message
	off  int   // index of msgs[0] in the file
	pos  int64 // bytes of the file read so far (progress)
	err  error
}

func runProduceFromFile(a *app, args []string) error {
	topic, path := args[0], args[1]
	bs := a.num("batch-size")
	if bs < 1 {
		return usagef("--batch-size must be >= 1, got %d", bs)
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return usagef("input file %s does not exist", path)
		}
		return err
	}
	defer f.Close()
	var total int64 = -1 // for the progress bar: bytes, since the record count is unknown
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		total = st.Size()
	}
	rr, err := newRecordReader(path, bufio.NewReaderSize(f, 1<<20), topic, a.str("key-field"), a.str("partition-field"), a.str("headers-field"))
	if err != nil {
		return err
	}
	// Records are parsed and validated on their own goroutine, a batch ahead of the
	// producer: a whole batch is validated before any of it is sent, so a bad record
	// fails the command with nothing of its batch produced (and nothing at all when
	// the file fits in one batch); the error names the record.
	batches := make(chan fileBatch, 2)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(batches)
		for off := 0; ; {
			msgs, err := rr.read(bs)
			if len(msgs) == 0 && err == nil {
				return
			}
			select {
			case batches <- fileBatch{msgs: msgs, off: off, pos: rr.dec.InputOffset(), err: err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
			off += len(msgs)
		}
	}()
	tid := a.str("transactional-id")
	p, err := a.newProducer(tid)
	if err != nil {
		return err
	}
	defer closeProducer(p)
	progress := isTerminal(a.stderr)
	start := time.Now()
	var sent, nbatches int
	var pipe *pipeline
	if tid == "" {
		pipe = &pipeline{p: p}
	}
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
				return fmt.Errorf("%s: %w (and %v)", path, err, derr)
			}
			if derr != nil {
				err = derr
			}
			return fmt.Errorf("%s: %w (%d record(s) were sent before the failure was seen)", path, err, sent)
		}
		return fmt.Errorf("%s: %w (%d record(s) before this batch were produced)", path, err, sent)
	}
	for b := range batches {
		if b.err != nil {
			return fail(b.err)
		}
		if pipe == nil {
			err = produceTxnBatch(p, b.msgs, b.off)
		} else {
			err = pipe.send(b.msgs, b.off)
		}
		if err != nil {
			return fail(err)
		}
		sent += len(b.msgs)
		nbatches++
		if progress {
			drawProgressBytes(a, b.pos, total, sent)
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
	if progress {
		drawProgressBytes(a, total, total, sent)
		fmt.Fprintln(a.stderr)
	}
	d := time.Since(start)
	v := map[string]any{"status": "success", "topic": topic, "file": path, "messages": sent, "batches": nbatches,
		"transactional": tid != "", "duration_ms": float64(d.Microseconds()) / 1000}
	mode := ""
	if tid != "" {
		mode = fmt.Sprintf(" in %d transaction(s)", nbatches)
	}
	a.out.doc(v, []string{fmt.Sprintf("Produced %d message(s) from %s to %s%s in %.1f ms", sent, path, topic, mode, v["duration_ms"])})
	return nil
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

// drawProgressBytes draws the bar by bytes read (the record count is not known ahead).
func drawProgressBytes(a *app, pos, total int64, sent int) {
	if total <= 0 {
		return
	}
	const width = 30
	filled := int(int64(width) * min(pos, total) / total)
	fmt.Fprintf(a.stderr, "\r[%s%s] %d record(s)", strings.Repeat("#", filled), strings.Repeat(" ", width-filled), sent)
}

func drawProgress(a *app, done, total int) {
	const width = 30
	filled := width * done / max(total, 1)
	fmt.Fprintf(a.stderr, "\r[%s%s] %d/%d", strings.Repeat("#", filled), strings.Repeat(" ", width-filled), done, total)
}
