package cli

import (
	"testing"

	klient "github.com/klient-dev/klient/core"
)

func TestParseOffset(t *testing.T) {
	for in, want := range map[string]struct {
		kind string
		n    int64
	}{
		"beginning": {"beginning", 0}, "end": {"end", 0}, "stored": {"stored", 0},
		"42": {"absolute", 42}, "-10": {"relative", 10}, "s@1700000000000": {"time", 1700000000000},
	} {
		kind, n, err := parseOffset(in)
		if err != nil || kind != want.kind || n != want.n {
			t.Errorf("%s: %s %d %v", in, kind, n, err)
		}
	}
	for _, bad := range []string{"", "yesterday", "s@", "s@-1", "1.5"} {
		if _, _, err := parseOffset(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The released stream line: TOPIC[P]@OFFSET: VALUE, JSON values re-printed as
// json.dumps(indent=2, sort_keys=True) on the next lines, "None" for an empty value,
// invalid UTF-8 replaced byte by byte.
func TestRecordLine(t *testing.T) {
	a := &app{g: globals{pretty: true}}
	a.out = newOutput(a)
	for value, want := range map[string]string{
		`{"b": 1, "a": [1.50, "é"]}`: "t[2]@7:\n{\n  \"a\": [\n    1.5,\n    \"\\u00e9\"\n  ],\n  \"b\": 1\n}",
		"plain text":                 "t[2]@7: plain text",
		"42":                         "t[2]@7: 42",
		`"q"`:                        `t[2]@7: "q"`,
		"{}":                         "t[2]@7: {}",
		"":                           "t[2]@7: None",
		"v\xfe\xfd":                  "t[2]@7: v\uFFFD\uFFFD",
	} {
		got, ok := a.recordLine(nil, &klient.ConsumedMessage{Topic: "t", Partition: 2, Offset: 7, Value: []byte(value)})
		if !ok || string(got) != want {
			t.Errorf("%q:\n%s\nwant\n%s", value, got, want)
		}
	}
}

// notJSON only skips the decoder where it would fail: for every ASCII byte it calls
// not JSON, a value starting with it (after whitespace) does not parse.
func TestNotJSONAgreesWithDecoder(t *testing.T) {
	skipped := 0
	for c := 0; c < 0x80; c++ {
		for _, v := range []string{string(rune(c)), string(rune(c)) + "1", string(rune(c)) + `"x"`, " \t\r\n" + string(rune(c)) + "[]"} {
			if !notJSON([]byte(v)) {
				continue
			}
			skipped++
			if _, err := pyParse([]byte(v)); err == nil {
				t.Errorf("%q: notJSON, but the decoder parses it", v)
			}
		}
	}
	for _, v := range []string{" 1", "\n{}", "\t[]", `"s"`, "-1", "true", "null", "é", "\xef\xbb\xbf{}"} {
		if notJSON([]byte(v)) {
			t.Errorf("%q: notJSON skips a value the decoder is to judge", v)
		}
	}
	if !notJSON([]byte(" \t")) || skipped < 100 {
		t.Errorf("notJSON skips too little (%d cases)", skipped)
	}
}
