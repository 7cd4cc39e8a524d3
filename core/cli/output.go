package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
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

// filter is --filter on klient's tables and text lines (--format table): a
// case-insensitive regex on each line, or KEY:REGEX on lines that mention KEY.
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

// output writes a command's results: by default as the released CLI's _echo does
// (dict/list results as JSON, plain values as text, --filter applied to the document,
// --output-file overwritten per result); with --format table as klient's tables.
type output struct {
	app      *app
	w        io.Writer // stdout (streams may buffer it)
	file     string    // --output-file
	pyFilter *pyFilter // --filter on documents (nil: none)
	filter   *filter   // --filter on table rows and stream lines (nil: none or invalid)
	json     bool      // --json
	pretty   bool      // --pretty-json (default) / --compact-json
	table    bool      // --format table
}

func newOutput(a *app) *output {
	o := &output{app: a, w: a.stdout, file: a.g.outputFile, json: a.g.json, pretty: a.g.pretty,
		table: a.g.format == "table", pyFilter: compilePyFilter(a.g.filter, a.diag)}
	if f, err := compileFilter(a.g.filter); err == nil {
		o.filter = f
	}
	return o
}

// echo prints a command's result document: the released CLI's _ctx_echo.
func (a *app) echo(v any) error { return a.out.Print(v) }

// Print formats v (JSON when it is an object or a list, or with --json), filters it and
// writes it to stdout, or overwrites --output-file with it. Nothing is printed when the
// filter leaves nothing.
func (o *output) Print(v any) error {
	text := o.Format(v, o.json)
	if text == "" {
		return nil
	}
	if o.file == "" {
		o.emit([]byte(text))
		return nil
	}
	if err := os.WriteFile(o.file, []byte(text+"\n"), 0o666); err != nil {
		return fmt.Errorf("Failed to write to %s: %w", o.file, err)
	}
	o.app.diag("Output written to %s", o.file)
	return nil
}

// Format is the released CLI's _format_output: "" when the filter removed everything.
// asJSON forces JSON for plain values (--json; stream records parsed as JSON).
func (o *output) Format(v any, asJSON bool) string {
	v, ok := o.pyFilter.apply(v, asJSON || isPyContainer(toPy(v)))
	if !ok {
		return ""
	}
	if asJSON || isPyContainer(v) {
		return string(o.jsonStyle().dumps(v))
	}
	return pyStr(v)
}

// jsonStyle is json.dumps(indent=2, sort_keys=True), or compact with --compact-json.
func (o *output) jsonStyle() pyJSON {
	if o.pretty {
		return pyJSON{indent: 2, sort: true}
	}
	return pyJSON{compact: true}
}

// result prints a command's result: the released CLI's document v by default, or
// klient's table (tab-separated rows under header) with --format table.
func (o *output) result(v any, header string, rows []string) error {
	if !o.table {
		return o.Print(v)
	}
	o.tableRows(header, rows)
	return nil
}

func (o *output) emit(b []byte) { o.app.writeLine(o.w, b) }

// tableRows prints a table (tab-separated cells) whose header line always stays;
// --filter keeps the matching rows.
func (o *output) tableRows(header string, textRows []string) {
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
