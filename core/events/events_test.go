package events

import (
	"bytes"
	"encoding/json"
	"sync"
	"testing"
)

func TestSinkGetsCompactOneLineJSONWithEventFirst(t *testing.T) {
	var got [][]byte
	SetSink(func(line []byte) { got = append(got, line) })
	t.Cleanup(func() { SetSink(nil) })
	if !Enabled() {
		t.Fatalf("Enabled is false with a sink set")
	}
	Emit("transaction_commit", F("transaction_id", "tx-1"), F("duration_ms", 3.25), F("note", "two\nlines \"quoted\""), F("parts", []string{"a[0]"}))
	Emit("bare")
	if len(got) != 2 {
		t.Fatalf("sink called %d times, want 2", len(got))
	}
	want := `{"event":"transaction_commit","transaction_id":"tx-1","duration_ms":3.25,"note":"two\nlines \"quoted\"","parts":["a[0]"]}`
	if string(got[0]) != want {
		t.Fatalf("line\n%s\nwant\n%s", got[0], want)
	}
	if string(got[1]) != `{"event":"bare"}` {
		t.Fatalf("bare event: %s", got[1])
	}
	for _, l := range got {
		if bytes.ContainsAny(l, "\n\r") || !json.Valid(l) {
			t.Fatalf("not one line of valid JSON: %q", l)
		}
	}
}

func TestNoSinkEmitsNothing(t *testing.T) {
	calls := 0
	SetSink(func([]byte) { calls++ })
	SetSink(nil)
	if Enabled() {
		t.Fatalf("Enabled is true after SetSink(nil)")
	}
	Emit("transaction_begin", F("transaction_id", "x"))
	if calls != 0 {
		t.Fatalf("a removed sink was called %d times", calls)
	}
}

func TestUnencodableValueStillGivesValidJSON(t *testing.T) {
	line := Encode("odd", F("ch", make(chan int)), F("ok", 1))
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatalf("invalid JSON %s: %v", line, err)
	}
	if m["ok"] != 1.0 || m["ch"] == nil {
		t.Fatalf("fields lost: %s", line)
	}
}

func TestConcurrentEmit(t *testing.T) {
	var mu sync.Mutex
	lines := map[string]bool{}
	SetSink(func(l []byte) { mu.Lock(); lines[string(l)] = true; mu.Unlock() })
	t.Cleanup(func() { SetSink(nil) })
	var wg sync.WaitGroup
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				Emit("e", F("g", g), F("i", i)) // pooled encoders must not share buffers
			}
		}(g)
	}
	wg.Wait()
	if len(lines) != 32*200 {
		t.Fatalf("%d distinct lines, want %d", len(lines), 32*200)
	}
	for l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("corrupted line %q", l)
		}
	}
}
