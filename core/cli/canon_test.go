package cli

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	klient "github.com/klient-dev/klient/core"
)

// canonCases: objects whose canonical form canon must write without decoding (fast),
// and objects it must hand to the decoder (the values must match either way).
var canonCases = []struct {
	in   string
	fast bool
}{
	{`{"v": "abc"}`, true},
	{`{"v":"abc"}`, true}, // compact: only the separators change
	{" {\n\t\"a\" :1 ,\"b\":[ 1,2 , {}],\"c\":{ } , \"d\": [ ]}\r", true},
	{`{"n": null, "t": true, "f": false, "i": -12, "z": 0, "big": 123456789012345678901234567890}`, true},
	{`{"f": 1.5, "g": -0.0, "h": 1e+16, "k": 1e-05, "m": 0.0001}`, true}, // repr forms
	{`{"s": "q\" b\\ n\n r\r t\t b\b f\f c\u0001 del\u007f e\u00e9 a\ud83d\ude00"}`, true},
	{"{\"u\": \"é ☃ \U0001F600 \x7f\"}", true}, // raw UTF-8 and DEL become \u escapes
	{"{\"é\": 1, \"\\u00e9\": 2}", false},      // the same key twice, in two spellings
	{`{"a": 1, "a": 2}`, false},
	{`{"f": 1.50}`, false}, {`{"f": 1E5}`, false}, {`{"f": 1e16}`, false}, {`{"f": 1e400}`, false},
	{`{"i": -0}`, false},
	{`{"s": "\/"}`, false}, {`{"s": "\u0041"}`, false}, {`{"s": "\u00E9"}`, false}, {`{"s": "\u000a"}`, false},
	{`{"s": "\ud83d"}`, false}, {`{"s": "\ude00"}`, false}, {`{"s": "\ud83d\u0041"}`, false},
	{"{\"s\": \"\xff\"}", false}, // invalid UTF-8
	{`{"k": {"a": 1, "a": 1}}`, false},
	{`{"deep": ` + strings.Repeat("[", maxCanonDepth+1) + strings.Repeat("]", maxCanonDepth+1) + `}`, false},
	{manyKeys(maxCanonKeys + 1), false},
	{manyKeys(maxCanonKeys), true},
}

func manyKeys(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i)
	}
	return b.String() + "}"
}

// TestCanonMatchesDecode: canon takes the fast path exactly where it should, and every
// value equals json.dumps(json.loads(element)) as the decode path writes it.
func TestCanonMatchesDecode(t *testing.T) {
	for _, tc := range canonCases {
		// The decoder refuses some (1e400): canon must not take those either.
		var want []byte
		if v, err := pyParse([]byte(tc.in)); err == nil {
			want = pyJSON{}.dumps(v)
		}
		c := newCanon(nil, true)
		s, e, fast := c.line([]byte(tc.in))
		if fast != tc.fast {
			t.Errorf("%.80s: fast path %v, want %v", tc.in, fast, tc.fast)
		}
		if fast && string(c.out[s:e]) != string(want) {
			t.Errorf("%.80s: canon wrote %s, the decoder %s", tc.in, c.out[s:e], want)
		}
		// The same element in an array, between canonical ones, and as an NDJSON line.
		arr := `[{"x": 1},` + tc.in + `, {"y": 2}]`
		checkSameRecords(t, []byte(arr))
		// An input of canonical objects only is streamed batch by batch.
		if fr, err := parseRecords("f.json", []byte(arr), recordSpec{topic: "t"}); err == nil && (fr.stream != nil) != tc.fast {
			t.Errorf("%.80s: streamed %v, want %v", tc.in, fr.stream != nil, tc.fast)
		}
		if want == nil || strings.Contains(tc.in, "\n") {
			continue // not one NDJSON line
		}
		recs, err := parseRecords("-", []byte("{\"x\": 1}\n"+tc.in+"\n"), recordSpec{topic: "t", format: "ndjson"})
		if err != nil || len(recs.msgs) != 2 || string(recs.msgs[1].Value) != string(want) {
			t.Errorf("%.80s: ndjson: %v %v", tc.in, err, recs)
		}
	}
}

// checkSameRecords: the array format gives what decodeArray (decode everything, encode
// each object) gives, for every record spec: the same messages, notes and errors.
func checkSameRecords(t *testing.T, data []byte) {
	t.Helper()
	defer func(old int) { splitScanMin = old }(splitScanMin)
	for _, split := range []int{1 << 62, 0} { // one first scan; a split one wherever a guess can be made
		splitScanMin = split
		checkSameRecordsOnce(t, data)
	}
}

func checkSameRecordsOnce(t *testing.T, data []byte) {
	t.Helper()
	for _, spec := range []recordSpec{{topic: "t"}, {topic: "t", keyField: "k", partField: "p", hdrField: "h"}} {
		spec.format = "array"
		got, gerr := parseRecords("f.json", data, spec)
		want, werr := decodeArray("f.json", data, spec)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Fatalf("%.200q: error %v, the decode path %v", data, gerr, werr)
		}
		if gerr != nil {
			continue
		}
		gm := allRecords(got)
		if fmt.Sprint(got.notes) != fmt.Sprint(want.notes) || len(gm) != len(want.msgs) || got.count() != len(gm) {
			t.Fatalf("%.200q: %d messages %q, the decode path %d %q", data, len(gm), got.notes, len(want.msgs), want.notes)
		}
		for i := range gm {
			g, w := gm[i], want.msgs[i]
			if !bytes.Equal(g.Value, w.Value) || !bytes.Equal(g.Key, w.Key) || (g.Key == nil) != (w.Key == nil) ||
				g.Partition != w.Partition || fmt.Sprint(g.Headers) != fmt.Sprint(w.Headers) || g.Topic != w.Topic {
				t.Fatalf("%.200q: message %d: %+v, the decode path %+v", data, i, g, w)
			}
		}
	}
}

// allRecords takes every message of fr in batches of 2 (next reuses value buffers, so
// they are copied).
func allRecords(fr *fileRecords) []klient.Message {
	var out []klient.Message
	for b := fr.next(2); len(b) > 0; b = fr.next(2) {
		for _, m := range b {
			m.Value = bytes.Clone(m.Value)
			out = append(out, m)
		}
	}
	return out
}

// FuzzCanonMatchesDecode: for any input, from-file's records (fast path where it
// applies) are the decode path's, byte for byte, errors included.
func FuzzCanonMatchesDecode(f *testing.F) {
	for _, tc := range canonCases {
		f.Add([]byte(`[` + tc.in + `]`))
	}
	f.Add([]byte(`[{"k": 1, "p": 0, "h": {"a": 1}, "v": "x"}, 3, "s", null, {}]`))
	f.Add([]byte(`[{"a": 1}, {"p": 99999999999999}]`))
	f.Add([]byte(`[{"a": 1}] x`))
	f.Add([]byte(`[{"a": 1},]`))
	f.Add([]byte(`[NaN]`))
	f.Add([]byte("\xef\xbb\xbf[{}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSameRecords(t, data)
	})
}

// TestSplitFirstScanAgreesWithOneScan: the first scan of a large input, split at a
// guessed element start, counts the elements a single scan counts and fails where it
// fails, whether the guess is an element start (the two halves are used) or lies inside
// a string (the first half's scan goes on to the end).
func TestSplitFirstScanAgreesWithOneScan(t *testing.T) {
	defer func(old int) { splitScanMin = old }(splitScanMin)
	splitScanMin = 1024
	rec := func(i int) string { return fmt.Sprintf(`{"v": "%06d abcdefghijklmnopqrstuvwxyz"}`, i) }
	array := func(recs []string) []byte { return []byte("[" + strings.Join(recs, ",\n ") + "]\n") }
	var plain, trap []string
	for i := range 200 {
		plain = append(plain, rec(i))
		trap = append(trap, rec(i))
	}
	// A string that looks like element starts, long enough to hold the trap's middle.
	trap[100] = `{"v": "` + strings.Repeat(`}, {`, 2000) + `"}`
	bad := append([]string(nil), plain...)
	bad[150] = `{"v": 1.0E5}` // not json.dumps' form (1e5 -> 100000.0): not canonical
	broken := append([]string(nil), plain...)
	broken[150] = `{"v" "x"}`
	for _, tc := range []struct {
		name          string
		data          []byte
		split, wantOK bool
	}{
		{"plain", array(plain), true, true},
		{"guess inside a string", array(trap), false, true},
		{"non-canonical in the second half", array(bad), true, false},
		{"invalid in the second half", array(broken), true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			one := &canon{in: tc.data}
			split := &canon{in: tc.data}
			if !one.arrayStart() || !split.arrayStart() {
				t.Fatal("no array")
			}
			mid := guessElementStart(tc.data, split.pos)
			if mid < 0 {
				t.Fatal("no guess")
			}
			if _, atMid, _ := (&canon{in: tc.data, pos: split.pos}).objectsUntil(mid); atMid != tc.split {
				t.Fatalf("the guess at %d is an element start: %v, want %v", mid, atMid, tc.split)
			}
			wn, _, wok := one.objectsUntil(-1)
			n, ok := split.countObjects()
			if ok != tc.wantOK || ok != wok || (ok && n != wn) {
				t.Fatalf("split scan: %d elements, ok %v; one scan: %d, ok %v (want ok %v)", n, ok, wn, wok, tc.wantOK)
			}
			checkSameRecords(t, tc.data)
		})
	}
}

// BenchmarkFromFileRecords: from-file's input handling of the benchmark's records
// (tests/bench: compact {"v":"abc..."} objects of 100 bytes and of 10 KB), per record.
func BenchmarkFromFileRecords(b *testing.B) {
	for _, size := range []int{100, 10240} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			n := 10000
			if size > 1000 {
				n = 1000
			}
			rec := `{"v":"` + strings.Repeat("abcdefghijklmnopqrstuvwxyz", size/26+1)[:size-8] + `"}`
			data := []byte("[" + strings.Repeat(rec+",\n", n-1) + rec + "]\n")
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				fr, err := parseRecords("f.json", data, recordSpec{topic: "t", format: "array"})
				if err != nil {
					b.Fatal(err)
				}
				for batch := fr.next(100); len(batch) > 0; batch = fr.next(100) {
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
		})
	}
}

// TestPlainScansMatchTheTable: skipPlain and allPlain (given no '"'), which test eight bytes at a time,
// agree with plainASCII byte by byte for every byte value at every position of strings
// up to 80 bytes long (around the 8- and 32-byte steps), among plain bytes of several
// kinds (the carries of the word arithmetic come from the bytes beside the tested one).
func TestPlainScansMatchTheTable(t *testing.T) {
	for _, fill := range []byte{' ', 'a', '~', '!', '0'} {
		for n := 0; n <= 80; n++ {
			for at := 0; at < n; at++ {
				for v := 0; v < 256; v++ {
					b := bytes.Repeat([]byte{fill}, n)
					b[at] = byte(v)
					if at > 0 {
						b[at-1] = 0x7e // beside the tested byte: the largest plain byte
					}
					want := len(b)
					for i, c := range b {
						if !plainASCII[c] {
							want = i
							break
						}
					}
					if got := skipPlain(b, 0); got != want {
						t.Fatalf("skipPlain(%q) = %d, want %d", b, got, want)
					}
					if got := allPlain(b); v != '"' && got != (want == len(b)) { // str cuts at '"' first
						t.Fatalf("allPlain(%q) = %v, want %v", b, got, want == len(b))
					}
				}
			}
		}
	}
}

// TestPlainScanOfLongRuns: skipPlain past its first 128 bytes (windows searched with
// IndexByte) agrees with the table for a special byte around every step and window
// boundary, from two starting points.
func TestPlainScanOfLongRuns(t *testing.T) {
	var at []int
	for p := 0; p < 140; p++ {
		at = append(at, p)
	}
	for _, edge := range []int{128 + plainWindow, 128 + 2*plainWindow} {
		for p := edge - 10; p <= edge+10; p++ {
			at = append(at, p)
		}
	}
	for _, n := range []int{127, 128, 129, 136, 200, 128 + plainWindow - 1, 128 + plainWindow, 128 + plainWindow + 1, 128 + 2*plainWindow + 50} {
		for _, from := range []int{0, 5} {
			for _, p := range append(at, n-1) {
				for _, v := range []byte{'"', '\\', 0x01, 0x1f, 0x7f, 0x80, 0xff} {
					if p < from || p >= n {
						continue
					}
					b := bytes.Repeat([]byte{'a'}, n)
					b[p] = v
					if got := skipPlain(b, from); got != p {
						t.Fatalf("n %d from %d: byte %#x at %d: skipPlain = %d", n, from, v, p, got)
					}
				}
			}
			if got := skipPlain(bytes.Repeat([]byte{'~'}, n), from); got != n {
				t.Fatalf("n %d from %d, all plain: skipPlain = %d", n, from, got)
			}
		}
	}
}

// toPy turns command results into the values json.dumps writes: Go integers of every
// size, named numbers and strings (through their JSON encoding) and structs.
func TestToPyWritesGoValuesAsPythonWould(t *testing.T) {
	type level int16
	type name string
	cases := []struct {
		in   any
		want string
	}{
		{int8(-8), "-8"}, {uint64(1 << 63), "9223372036854775808"}, {int64(-1 << 63), "-9223372036854775808"},
		{level(3), "3"}, {name("é"), `"\u00e9"`}, {float32(0.5), "0.5"},
		{struct {
			A uint16 `json:"a"`
			B []int  `json:"b"`
		}{7, []int{1, 2}}, `{"a": 7, "b": [1, 2]}`},
		{map[string]any{"z": uint8(1), "a": nil}, `{"a": null, "z": 1}`},
	}
	for _, c := range cases {
		if got := string(pyJSON{}.dumps(toPy(c.in))); got != c.want {
			t.Errorf("toPy(%#v) dumps to %s, want %s", c.in, got, c.want)
		}
	}
}
