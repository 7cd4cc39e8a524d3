package cli

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	json "github.com/goccy/go-json"

	"github.com/klient-dev/klient/core/config"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// marshalJSON renders v as pretty (2-space) or compact JSON, without HTML escaping.
func marshalJSON(v any, compact bool) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if !compact {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		b, _ := json.Marshal(map[string]string{"error": err.Error()})
		return b
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// filter is --filter: a case-insensitive regex on text lines, or KEY:REGEX on JSON.
type filter struct {
	re  *regexp.Regexp
	key string // normalised key for KEY:REGEX ("" for a plain regex)
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_.\-]+$`)

// compileFilter parses --filter. KEY:REGEX applies when the part before the first colon
// is a plain key name; anything else is a regex on the whole line or value.
func compileFilter(pattern string) (*filter, error) {
	if pattern == "" {
		return nil, nil
	}
	f := &filter{}
	expr := pattern
	if i := strings.IndexByte(pattern, ':'); i > 0 && plainKey.MatchString(pattern[:i]) {
		f.key = strings.ToLower(config.NormalizeKey(pattern[:i]))
		expr = pattern[i+1:]
	}
	re, err := regexp.Compile("(?i)" + expr)
	if err != nil {
		return nil, usagef("bad --filter regex %q: %v", expr, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	f.re = re
	return f, nil
}

// keyMatches: the filter key matches a JSON key containing it, so "server" selects
// "bootstrap.servers" and "bootstrap_servers" alike.
func (f *filter) keyMatches(k string) bool {
	return strings.Contains(strings.ToLower(config.NormalizeKey(k)), f.key)
}

// line reports whether a text line passes.
func (f *filter) line(s string) bool {
	if f == nil {
		return true
	}
	if f.key != "" && !strings.Contains(strings.ToLower(config.NormalizeKey(s)), f.key) {
		return false
	}
	return f.re.MatchString(s)
}

func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case nil:
		return "null", true
	case bool:
		return strconv.FormatBool(x), true
	case map[string]any, []any:
		return "", false
	}
	return fmt.Sprint(v), true
}

// record reports whether a JSON record has a match at any depth (records are kept whole).
func (f *filter) record(v any) bool {
	if f == nil {
		return true
	}
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := scalarString(val); ok {
				if (f.key == "" || f.keyMatches(k)) && f.re.MatchString(s) {
					return true
				}
			} else if f.record(val) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if f.record(e) {
				return true
			}
		}
	default:
		if s, ok := scalarString(x); ok && f.key == "" {
			return f.re.MatchString(s)
		}
	}
	return false
}

// prune filters a JSON document: an object holding a direct match is kept whole; other
// containers keep only the members that contain a match, so the path to each match
// stays visible.
func (f *filter) prune(v any) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := scalarString(val); ok && (f.key == "" || f.keyMatches(k)) && f.re.MatchString(s) {
				return x, true
			}
		}
		out := map[string]any{}
		for k, val := range x {
			if _, scalar := scalarString(val); scalar {
				continue
			}
			if p, ok := f.prune(val); ok {
				out[k] = p
			}
		}
		return out, len(out) > 0
	case []any:
		out := []any{}
		for _, e := range x {
			if s, ok := scalarString(e); ok {
				if f.key == "" && f.re.MatchString(s) {
					out = append(out, e)
				}
				continue
			}
			if p, ok := f.prune(e); ok {
				out = append(out, p)
			}
		}
		return out, len(out) > 0
	}
	return v, false
}

// output writes a command's data (to stdout or --output-file) in the chosen format.
type output struct {
	app     *app
	w       io.Writer
	filter  *filter
	json    bool
	compact bool
}

// toGeneric turns a Go value into maps/slices, so filters see what JSON shows.
func toGeneric(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if dec.Decode(&out) != nil {
		return v
	}
	return out
}

func (o *output) emit(b []byte) { o.app.writeLine(o.w, b) }

// doc prints a single document: JSON (pruned by a key filter) or text lines.
func (o *output) doc(v any, lines []string) {
	if o.json {
		g := toGeneric(v)
		if o.filter != nil {
			g, _ = o.filter.prune(g)
		}
		o.emit(marshalJSON(g, o.compact))
		return
	}
	o.lines(lines, 0)
}

// records prints a list of records: a JSON array, or a table whose header line always
// stays. textRows are tab-separated cells.
func (o *output) records(items []any, header string, textRows []string) {
	if o.json {
		g, _ := toGeneric(items).([]any)
		kept := []any{}
		for _, r := range g {
			if o.filter.record(r) {
				kept = append(kept, r)
			}
		}
		o.emit(marshalJSON(kept, o.compact))
		return
	}
	var keep []string
	for _, r := range textRows {
		if o.filter.line(strings.ReplaceAll(r, "\t", "  ")) {
			keep = append(keep, r)
		}
	}
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	if header != "" {
		fmt.Fprintln(tw, header)
	}
	for _, r := range keep {
		fmt.Fprintln(tw, r)
	}
	_ = tw.Flush()
	if buf.Len() > 0 {
		o.emit(bytes.TrimRight(buf.Bytes(), "\n"))
	}
}

// streamRecord prints one record of a stream: one compact JSON object per line.
func (o *output) streamRecord(v any, text string) bool {
	if o.json {
		g := toGeneric(v)
		if !o.filter.record(g) {
			return false
		}
		o.emit(marshalJSON(g, true))
		return true
	}
	if !o.filter.line(text) {
		return false
	}
	o.emit([]byte(text))
	return true
}

// lines prints text lines; the first `keep` lines (headers) bypass the filter.
func (o *output) lines(lines []string, keep int) {
	var out []string
	for i, l := range lines {
		if i < keep || o.filter.line(l) {
			out = append(out, l)
		}
	}
	if len(out) > 0 {
		o.emit([]byte(strings.Join(out, "\n")))
	}
}

// flatten renders a nested map as sorted "a.b = v" lines for text output.
func flatten(prefix string, m map[string]any, out *[]string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		switch v := m[k].(type) {
		case map[string]any:
			flatten(name, v, out)
		case []string:
			*out = append(*out, fmt.Sprintf("%s = %s", name, strings.Join(v, ", ")))
		default:
			*out = append(*out, fmt.Sprintf("%s = %v", name, v))
		}
	}
}
