package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	klient "github.com/klient-dev/klient/core"
)

// Fuzz targets of the CLI's input handling (make fuzz runs each for 60 s). Inputs that
// once found a bug stay under testdata/fuzz/<Target>/ and run with every `go test`.

// FuzzParseRecords: `produce from-file` record extraction never panics; it returns
// either a clear error naming the file, or one message per array element whose value
// is a JSON object without the extracted fields.
func FuzzParseRecords(f *testing.F) {
	f.Add([]byte(`[{"user_id": 1, "shard": 0, "metadata": {"type": "event"}, "data": "x"}]`), "user_id", "shard", "metadata")
	f.Add([]byte(`[{"k": null, "p": 99999999999}]`), "k", "p", "")
	f.Add([]byte(`[{"k": {"a": 1}}]`), "k", "", "")
	f.Add([]byte(`[{"p": -1}, {"p": 1.5}, {"p": "2"}]`), "", "p", "")
	f.Add([]byte(`{"not": "an array"}`), "", "", "")
	f.Add([]byte(``), "", "", "")
	f.Add([]byte(`[1, "x", null]`), "k", "", "")
	f.Add([]byte(`[{"h": [1, 2]}, {"h": {"n": {"deep": true}}}]`), "", "", "h")
	f.Add([]byte("[{\"k\": \"\xff\xfe\"}]"), "k", "k", "k")
	f.Fuzz(func(t *testing.T, data []byte, keyField, partField, hdrField string) {
		recs, err := parseRecords("in.json", data, recordSpec{topic: "topic", keyField: keyField, partField: partField, hdrField: hdrField, format: "array"})
		if err != nil {
			if !strings.Contains(err.Error(), "JSON") && !strings.Contains(err.Error(), "out of range") {
				t.Fatalf("the error does not say what is wrong: %v", err)
			}
			return
		}
		msgs := allRecords(recs)
		var arr []json.RawMessage
		if json.Unmarshal(data, &arr) == nil && len(arr) != len(msgs)+len(recs.notes) && len(recs.notes) == 0 {
			t.Fatalf("%d records in, %d messages out", len(arr), len(msgs))
		}
		for i, m := range msgs {
			if m.Topic != "topic" || m.Partition < klient.AnyPartition {
				t.Fatalf("message %d: topic %q partition %d", i, m.Topic, m.Partition)
			}
			var obj map[string]json.RawMessage
			dec := json.NewDecoder(bytes.NewReader(m.Value))
			if err := dec.Decode(&obj); err != nil || obj == nil {
				t.Fatalf("message %d: value %q is not a JSON object: %v", i, m.Value, err)
			}
			for _, fld := range []string{keyField, partField, hdrField} {
				if _, ok := obj[fld]; fld != "" && ok {
					t.Fatalf("message %d: extracted field %q is still in the value %s", i, fld, m.Value)
				}
			}
		}
	})
}

// FuzzFilter: any --filter applies to any JSON document (the released CLI's
// _apply_filter) and to any table line without panicking; KEY:REGEX never adds members
// and keeps the document's kind.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{"name:^test", "^demo", "server:9092", "(", "a:(", ":x", "key:", "[[:alpha:]]+", "(?P<x>", "a{1000}{1000}", "\\"} {
		f.Add(s, `{"name": "test-1", "bootstrap.servers": "localhost:9092", "n": [1, {"k": "v"}]}`)
	}
	f.Fuzz(func(t *testing.T, pattern, text string) {
		if flt, err := compileFilter(pattern); err == nil {
			_ = flt.line(text)
		}
		doc, err := pyParse([]byte(text))
		if err != nil {
			return
		}
		got, ok := compilePyFilter(pattern, func(string, ...any) {}).apply(doc, true)
		if !ok || !strings.Contains(pattern, ":") || !isPyContainer(doc) {
			return
		}
		if _, isObj := doc.(*Obj); isObj {
			if o, same := got.(*Obj); !same || len(o.Keys()) > len(doc.(*Obj).Keys()) {
				t.Fatalf("filter %q on %s gave %s", pattern, text, dumpJSON(got, jsonCompact))
			}
		}
	})
}

// FuzzTransform: any --transform either fails to compile with a usage error naming
// --transform, or evaluates on any message within the step limit to a value, a drop,
// or an error naming the expression; never a panic, never a hang.
func FuzzTransform(f *testing.F) {
	for _, s := range []string{"value.upper()", "None", "value + key", "headers", "int(value)", "value[::-1]",
		"[x for x in range(100000000)]", "value * 100", "str(offset) + topic", "b'x'", "open('/etc/passwd')",
		"load('x', 'y')", "value.upper(", "lambda: 1", "fail('boom')", "{1: 2}[3]", "1 // 0"} {
		f.Add(s, []byte(`{"id": 1}`), []byte("k1"))
	}
	f.Fuzz(func(t *testing.T, expr string, value, key []byte) {
		tr, err := compileTransform(expr)
		if err != nil {
			var u *usageError
			if !errors.As(err, &u) || !strings.Contains(err.Error(), "--transform") {
				t.Fatalf("transform %q: %v, want a usage error naming --transform", expr, err)
			}
			return
		}
		m := &klient.ConsumedMessage{Topic: "t", Partition: 1, Offset: 7, Key: key, Value: value,
			Headers: []klient.Header{{Key: "h", Value: []byte("v")}}}
		start := time.Now()
		out, keep, err := tr.apply(m)
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("transform %q ran for %v: the step limit did not stop it", expr, d)
		}
		if err != nil {
			if !strings.Contains(err.Error(), "--transform") {
				t.Fatalf("transform %q: error %v does not name --transform", expr, err)
			}
			return
		}
		if !keep && out != nil {
			t.Fatalf("transform %q dropped the message but returned %q", expr, out)
		}
		_ = utf8.Valid(out)
	})
}
