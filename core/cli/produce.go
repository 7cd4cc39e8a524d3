package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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

// fileRecord is one parsed record of a from-file input.
func parseRecords(path string, data []byte, topic, keyField, partField, hdrField string) ([]klient.Message, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON: %v", path, err)
	}
	arr, ok := doc.([]any)
	if !ok {
		return nil, fmt.Errorf("%s must contain a JSON array of objects ([{...}, ...]), got %s", path, config.JSONKind(doc))
	}
	msgs := make([]klient.Message, 0, len(arr))
	for i, el := range arr {
		obj, ok := el.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: record %d must be a JSON object, got %s", path, i, config.JSONKind(el))
		}
		m := klient.Message{Topic: topic, Partition: klient.AnyPartition}
		if keyField != "" {
			if kv, present := obj[keyField]; present {
				delete(obj, keyField)
				if kv != nil {
					s, ok := scalarString(kv)
					if !ok {
						return nil, fmt.Errorf("%s: record %d: key field %q must be a string or number, got %s", path, i, keyField, config.JSONKind(kv))
					}
					m.Key = []byte(s)
				}
			}
		}
		if partField != "" {
			if pv, present := obj[partField]; present {
				delete(obj, partField)
				n, ok := pv.(json.Number)
				p, err := strconv.ParseInt(string(n), 10, 32)
				if !ok || err != nil || p < 0 {
					return nil, fmt.Errorf("%s: record %d: partition field %q must be a non-negative integer, got %s", path, i, partField, jsonText(pv))
				}
				m.Partition = int32(p)
			}
		}
		if hdrField != "" {
			if hv, present := obj[hdrField]; present {
				delete(obj, hdrField)
				hm, ok := hv.(map[string]any)
				if !ok && hv != nil {
					return nil, fmt.Errorf("%s: record %d: headers field %q must be an object, got %s", path, i, hdrField, config.JSONKind(hv))
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
		msgs = append(msgs, m)
	}
	return msgs, nil
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

func runProduceFromFile(a *app, args []string) error {
	topic, path := args[0], args[1]
	bs := a.num("batch-size")
	if bs < 1 {
		return usagef("--batch-size must be >= 1, got %d", bs)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return usagef("input file %s does not exist", path)
		}
		return err
	}
	// Every record is validated before the first one is sent: a bad record fails the
	// command with nothing produced.
	msgs, err := parseRecords(path, data, topic, a.str("key-field"), a.str("partition-field"), a.str("headers-field"))
	if err != nil {
		return err
	}
	tid := a.str("transactional-id")
	p, err := a.newProducer(tid)
	if err != nil {
		return err
	}
	defer closeProducer(p)
	progress := isTerminal(a.stderr)
	start := time.Now()
	batches := 0
	for off := 0; off < len(msgs); off += bs {
		end := min(off+bs, len(msgs))
		if tid != "" {
			err = produceTxnBatch(p, msgs[off:end], off)
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cliMessageTimeout+5000)*time.Millisecond)
			err = produceAndWait(ctx, p, msgs[off:end], off)
			cancel()
		}
		if err != nil {
			if progress {
				fmt.Fprintln(a.stderr)
			}
			return fmt.Errorf("%s: %w (%d record(s) before this batch were produced)", path, err, off)
		}
		batches++
		if progress {
			drawProgress(a, end, len(msgs))
		}
	}
	if progress {
		fmt.Fprintln(a.stderr)
	}
	d := time.Since(start)
	v := map[string]any{"status": "success", "topic": topic, "file": path, "messages": len(msgs), "batches": batches,
		"transactional": tid != "", "duration_ms": float64(d.Microseconds()) / 1000}
	mode := ""
	if tid != "" {
		mode = fmt.Sprintf(" in %d transaction(s)", batches)
	}
	a.out.doc(v, []string{fmt.Sprintf("Produced %d message(s) from %s to %s%s in %.1f ms", len(msgs), path, topic, mode, v["duration_ms"])})
	return nil
}

func drawProgress(a *app, done, total int) {
	const width = 30
	filled := width * done / max(total, 1)
	fmt.Fprintf(a.stderr, "\r[%s%s] %d/%d", strings.Repeat("#", filled), strings.Repeat(" ", width-filled), done, total)
}
