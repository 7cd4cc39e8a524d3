package clitest

// produce from-file's fast path (objects already in json.dumps form are sent without
// decoding and encoding them): the values stay exactly what Python's json.dumps (the
// released CLI) writes, whichever path an object takes.

import (
	"fmt"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fromFileObjects: canonical objects (the fast path), compact or spaced ones (the fast
// path rewrites the separators) and ones only a decode gets right (other escape forms,
// floats repr writes differently, repeated keys).
var fromFileObjects = []string{
	`{"v": "abc", "n": 1, "l": [1, 2.5, null, true, false], "o": {}}`,
	`{"v":"abc","n":-12,"big":123456789012345678901234567890}`,
	" {\n \"a\" : [ ] , \"b\":{ \"c\" :[ {} ] } }",
	`{"s": "q\" b\\ n\n t\t c\u0001 e\u00e9 a\ud83d\ude00"}`,
	`{"u": "é ☃ 😀"}`,
	`{"f": 1.50, "g": 1E5, "h": 1e16, "k": 0.00001}`,
	`{"s": "\/ \u0041 \u00E9 \u000a"}`,
	`{"a": 1, "b": 2, "a": 3}`,
	`{"k": {"x": 1, "x": {"y": [1, 1.0]}}}`,
}

// pyDumps is json.dumps of every object of the JSON array data, by Python.
func pyDumps(t *testing.T, data string) []string {
	t.Helper()
	py := os.Getenv("KLIENT_TEST_PYTHON")
	if py == "" {
		py, _ = filepath.Abs("../../build/venv/test-3.12/bin/python")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-c", "import json, sys\nfor o in json.load(sys.stdin): print(json.dumps(o))")
	cmd.Stdin = strings.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s (the test venv's Python: tests/venv.sh test 3.12): %v", py, err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

func TestFromFileValuesAsPython(t *testing.T) {
	tp := topic(t, "ff-canon", 1)
	canonical := "[" + strings.Join(fromFileObjects[:5], ",\n") + "]"
	mixed := "[" + strings.Join(fromFileObjects, ", ") + "]"
	var want []string
	// All canonical (streamed batch by batch), then mixed, then the mixed objects as
	// NDJSON on stdin.
	for _, in := range []string{canonical, mixed} {
		r := ok(t, "produce", "from-file", tp, writeFile(t, "in.json", in))
		if !strings.Contains(r.stdout, `"messages": `) {
			t.Fatalf("from-file:\n%s", r)
		}
		want = append(want, pyDumps(t, in)...)
	}
	var nd []string
	for _, o := range fromFileObjects {
		if !strings.Contains(o, "\n") {
			nd = append(nd, o)
		}
	}
	if r := klientIn(t, strings.Join(nd, "\n")+"\n", "produce", "from-file", tp, "-"); r.code != 0 {
		t.Fatalf("ndjson:\n%s", r)
	}
	want = append(want, pyDumps(t, "["+strings.Join(nd, ",")+"]")...)
	got := batch(t, tp, "-e", "--offset", "beginning")
	if len(got) != len(want) {
		t.Fatalf("want %d messages, got %d: %+v", len(want), len(got), got)
	}
	for i, w := range want {
		if got[i].Key != nil || str(got[i].Value) != w {
			t.Errorf("message %d: key %s value %s, want Python's %s", i, str(got[i].Key), str(got[i].Value), w)
		}
	}

	// Field extraction on canonical objects: the key and partition are taken out, the
	// rest is the value.
	tp2 := topic(t, "ff-canon-fields", 2)
	f := writeFile(t, "fields.json", `[{"id": "a", "p": 1, "v": "x"}, {"v": "y", "id": 7, "p": 0}]`)
	ok(t, "produce", "from-file", tp2, f, "--key-field", "id", "--partition-field", "p")
	got = batch(t, tp2, "-e", "--offset", "beginning")
	if len(got) != 2 {
		t.Fatalf("fields: %+v", got)
	}
	for _, d := range got {
		k, v := str(d.Key), str(d.Value)
		if !(k == "a" && d.Partition == 1 && v == `{"v": "x"}`) && !(k == "7" && d.Partition == 0 && v == `{"v": "y"}`) {
			t.Errorf("fields: partition %d key %s value %s", d.Partition, k, v)
		}
	}
}

// Invalid input after many canonical objects still fails as a whole before anything
// is produced, with the decoder's error.
func TestFromFileCanonicalThenInvalid(t *testing.T) {
	tp := topic(t, "ff-canon-bad", 1)
	good := strings.Repeat(`{"v": "ok"}, `, 500)
	for _, c := range []struct{ content, hint string }{
		{"[" + good + `{"v": "x"}`, "Invalid JSON in file"},
		{"[" + good + `{"v": "x"}] trailing`, "Invalid JSON in file"},
		{"[" + good + `{"v": "x",}]`, "Invalid JSON in file"},
		{"[" + good + `{"v": 1.5e}]`, "Invalid JSON in file"},
		{"[" + good + `{"v": "` + "\x01" + `"}]`, "Invalid JSON in file"},
	} {
		wantCode(t, 1, []string{c.hint}, "produce", "from-file", tp, writeFile(t, "bad.json", c.content))
	}
	r := ok(t, "--json", "consume", "batch", tp, "--group", prefix+"ff-canon-bad", "--count", "5", "--timeout", "2", "--isolation", "read_uncommitted")
	if arr := jsonOf(t, r.stdout).([]any); len(arr) != 0 {
		t.Fatalf("invalid files produced %d messages", len(arr))
	}
}

// Inputs of 1 MiB and more are mapped rather than read (core/cli mapFile): an array
// streams from the mapping, a lines file gets a copy of its own (its values are sent as
// they are), and invalid JSON at the end still sends nothing.
func TestFromFileMappedInputs(t *testing.T) {
	tp := topic(t, "ff-mapped", 1)
	val := strings.Repeat("m", 1000)
	n := 1200 // > 1 MiB either way
	objs := make([]string, n)
	lines := make([]string, n)
	for i := range objs {
		objs[i] = fmt.Sprintf(`{"i":%d,"v":"%s"}`, i, val)
		lines[i] = fmt.Sprintf("k%d:%d-%s", i, i, val)
	}
	ok(t, "produce", "from-file", tp, writeFile(t, "big.json", "["+strings.Join(objs, ",\n")+"]\n"))
	ok(t, "produce", "from-file", tp, writeFile(t, "big.txt", strings.Join(lines, "\n")+"\n"), "--format", "lines", "-K", ":")
	wantCode(t, 1, []string{"Invalid JSON in file"}, "produce", "from-file", tp,
		writeFile(t, "bad.json", "["+strings.Join(objs, ",\n")+",]\n"))
	got := batch(t, tp, "-e", "--offset", "beginning", "-n", fmt.Sprint(2*n))
	if len(got) != 2*n {
		t.Fatalf("want %d messages, got %d", 2*n, len(got))
	}
	for i := range n {
		if w := fmt.Sprintf(`{"i": %d, "v": "%s"}`, i, val); got[i].Key != nil || str(got[i].Value) != w {
			t.Fatalf("array message %d: key %s value %.40s...", i, str(got[i].Key), str(got[i].Value))
		}
		if k, v := str(got[n+i].Key), str(got[n+i].Value); k != fmt.Sprintf("k%d", i) || v != fmt.Sprintf("%d-%s", i, val) {
			t.Fatalf("lines message %d: key %s value %.40s...", i, k, v)
		}
	}
}
