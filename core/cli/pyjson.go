package cli

import (
	"bytes"
	"fmt"
	json "github.com/goccy/go-json"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The released CLI is Python: it parses JSON with json.loads, prints results with
// json.dumps and str(), and filters them with its _apply_filter. Scripts parse (and
// sometimes compare) those bytes, so this file reproduces them for the values the
// commands build and read. Values are: nil, bool, string, pyInt, float64, []any, *Obj.

// Obj is a JSON object that keeps its keys in insertion order, like a Python dict:
// json.dumps without sort_keys and str() print keys in that order.
type Obj struct {
	keys []string
	vals map[string]any
}

// obj builds an Obj from alternating keys and values.
func obj(kv ...any) *Obj {
	o := &Obj{vals: map[string]any{}}
	for i := 0; i+1 < len(kv); i += 2 {
		o.Set(kv[i].(string), toPy(kv[i+1]))
	}
	return o
}

// Set adds or replaces a key; a new key goes last, a replaced one keeps its place.
func (o *Obj) Set(k string, v any) *Obj {
	if o.vals == nil {
		o.vals = map[string]any{}
	}
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
	return o
}

// Get returns the value of k.
func (o *Obj) Get(k string) (any, bool) { v, ok := o.vals[k]; return v, ok }

// Keys returns the keys in insertion order.
func (o *Obj) Keys() []string { return o.keys }

// pyInt is a JSON integer of any size, kept as its digits (Python ints are unbounded).
type pyInt string

// pyParse is json.loads: objects keep their key order, integers stay exact, numbers
// with a fraction or exponent are floats.
func pyParse(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := parseValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("extra data after the JSON value")
	}
	return v, nil
}

func parseValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			o := obj()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				o.Set(kt.(string), v)
			}
			_, err := dec.Token()
			return o, err
		}
		l := []any{}
		for dec.More() {
			v, err := parseValue(dec)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		_, err := dec.Token()
		return l, err
	case json.Number:
		if strings.ContainsAny(string(t), ".eE") {
			return t.Float64()
		}
		return pyInt(t), nil
	}
	return tok, nil
}

// toPy converts Go values (command results: maps, slices, structs, Go ints) to the
// values above. Go maps have no order: their keys are sorted.
func toPy(v any) any {
	switch x := v.(type) {
	case nil, bool, string, pyInt, float64, *Obj:
		return x
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = toPy(e)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	case map[string]any:
		o := obj()
		for _, k := range sortedKeys(x) {
			o.Set(k, toPy(x[k]))
		}
		return o
	case json.Number:
		return toPy(mustParse(string(x)))
	case error:
		return x.Error()
	case fmt.Stringer:
		return x.String()
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return pyInt(fmt.Sprint(x))
	case float32:
		return float64(x)
	}
	// Named numbers and strings, structs, typed maps and slices: what their JSON
	// encoding says (a named int is a JSON number, which parses back to a pyInt).
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return mustParse(string(b))
}

func mustParse(s string) any {
	v, err := pyParse([]byte(s))
	if err != nil {
		return s
	}
	return v
}

// pyJSON is json.dumps with ensure_ascii: the zero value is the default style (", " and
// ": ", insertion order); indent/sort/compact select json.dumps' arguments.
type pyJSON struct {
	indent  int  // indent=N
	sort    bool // sort_keys=True
	compact bool // separators=(',', ':')
}

type jsonStyle int

const (
	jsonPretty  jsonStyle = iota // json.dumps(v, indent=2, sort_keys=True)
	jsonCompact                  // json.dumps(v, separators=(',', ':'))
	jsonDefault                  // json.dumps(v)
)

// dumpJSON is json.dumps(v) in one of the styles the released CLI uses.
func dumpJSON(v any, style jsonStyle) string {
	p := pyJSON{}
	switch style {
	case jsonPretty:
		p = pyJSON{indent: 2, sort: true}
	case jsonCompact:
		p = pyJSON{compact: true}
	}
	return string(p.dumps(v))
}

func (p pyJSON) dumps(v any) []byte {
	var b bytes.Buffer
	p.write(&b, toPy(v), 0)
	return b.Bytes()
}

func (p pyJSON) write(b *bytes.Buffer, v any, depth int) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case string:
		writeJSONString(b, x)
	case pyInt:
		b.WriteString(string(x))
	case float64:
		b.WriteString(pyFloat(x, true))
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i, e := range x {
			p.sep(b, i, depth+1)
			p.write(b, toPy(e), depth+1)
		}
		p.close(b, depth, ']')
	case *Obj:
		if len(x.keys) == 0 {
			b.WriteString("{}")
			return
		}
		order := make([]int, len(x.keys))
		for i := range order {
			order[i] = i
		}
		if p.sort {
			sort.SliceStable(order, func(i, j int) bool { return x.keys[order[i]] < x.keys[order[j]] })
		}
		b.WriteByte('{')
		for n, i := range order {
			p.sep(b, n, depth+1)
			writeJSONString(b, x.keys[i])
			if p.compact {
				b.WriteByte(':')
			} else {
				b.WriteString(": ")
			}
			p.write(b, toPy(x.vals[x.keys[i]]), depth+1)
		}
		p.close(b, depth, '}')
	default:
		p.write(b, toPy(v), depth)
	}
}

func (p pyJSON) sep(b *bytes.Buffer, i, depth int) {
	switch {
	case p.indent > 0:
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
		b.WriteString(strings.Repeat(" ", p.indent*depth))
	case i == 0:
	case p.compact:
		b.WriteByte(',')
	default:
		b.WriteString(", ")
	}
}

func (p pyJSON) close(b *bytes.Buffer, depth int, c byte) {
	if p.indent > 0 {
		b.WriteByte('\n')
		b.WriteString(strings.Repeat(" ", p.indent*(depth)))
	}
	b.WriteByte(c)
}

// writeJSONString escapes like Python's ensure_ascii encoder: everything outside
// printable ASCII is \u-escaped (astral characters as surrogate pairs).
func writeJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if e := whitespaceEscape(r); e != "" {
			b.WriteString(e)
			continue
		}
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			fmt.Fprintf(b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
}

// whitespaceEscape is how JSON and Python's repr both escape \n, \r and \t ("" for any
// other rune).
func whitespaceEscape(r rune) string {
	switch r {
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	}
	return ""
}

// pyFloat is Python's repr of a float (jsonMode: NaN and Infinity as json.dumps
// writes them).
func pyFloat(f float64, jsonMode bool) string {
	switch {
	case math.IsNaN(f) && jsonMode:
		return "NaN"
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 0):
		s := "inf"
		if jsonMode {
			s = "Infinity"
		}
		if f < 0 {
			s = "-" + s
		}
		return s
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// pyStr is Python's str(v): strings as they are, everything else as its repr.
func pyStr(v any) string {
	v = toPy(v)
	if s, ok := v.(string); ok {
		return s
	}
	return pyRepr(v)
}

func pyRepr(v any) string {
	switch x := toPy(v).(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return pyReprString(x)
	case pyInt:
		return string(x)
	case float64:
		return pyFloat(x, false)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *Obj:
		parts := make([]string, len(x.keys))
		for i, k := range x.keys {
			parts[i] = pyReprString(k) + ": " + pyRepr(x.vals[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

func pyReprString(s string) string {
	q := '\''
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		q = '"'
	}
	var b strings.Builder
	b.WriteRune(q)
	for _, r := range s {
		if e := whitespaceEscape(r); e != "" {
			b.WriteString(e)
			continue
		}
		switch {
		case r == q || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x80 || unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteRune(q)
	return b.String()
}

func isPyContainer(v any) bool {
	switch v.(type) {
	case *Obj, []any:
		return true
	}
	return false
}

// pyFilter is the released CLI's --filter (_apply_filter): "KEY:REGEX" on a document
// keeps its shape (members named KEY stay only when their value matches, everything
// else stays, containers left empty disappear); a plain regex keeps the whole document,
// as one line of json.dumps text, when it matches anywhere. Case-insensitive.
type pyFilter struct {
	pattern string
	warn    func(format string, args ...any) // the released CLI's "Invalid regex" line
}

// compilePyFilter returns nil for no filter. A regex Go cannot compile is not a usage
// error: like the released CLI, apply warns and leaves the output unfiltered.
func compilePyFilter(pattern string, warn func(string, ...any)) *pyFilter {
	if pattern == "" {
		return nil
	}
	return &pyFilter{pattern: pattern, warn: warn}
}

func (f *pyFilter) compile(expr string) *regexp.Regexp {
	re, err := regexp.Compile("(?i)" + expr)
	if err != nil {
		f.warn("Invalid regex pattern '%s': %s", expr, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return re
}

// apply filters v; isJSON is the released CLI's `json_out or isinstance(data, (dict,
// list))`. ok=false: nothing is left to print.
func (f *pyFilter) apply(v any, isJSON bool) (any, bool) {
	v = toPy(v)
	if f == nil {
		return v, true
	}
	text := func(s string) (any, bool) {
		re := f.compile(f.pattern)
		if re == nil || re.MatchString(s) {
			return s, true
		}
		return nil, false
	}
	if !isJSON || !isPyContainer(v) {
		return text(pyStr(v))
	}
	key, expr, ok := strings.Cut(f.pattern, ":")
	if !ok {
		return text(string(pyJSON{}.dumps(v)))
	}
	re := f.compile(expr)
	if re == nil {
		return v, true
	}
	out := filterByKey(v, strings.TrimSpace(key), re)
	return out, out != nil
}

func filterByKey(v any, key string, re *regexp.Regexp) any {
	switch x := v.(type) {
	case *Obj:
		out := obj()
		for _, k := range x.keys {
			val := toPy(x.vals[k])
			switch {
			case k == key:
				if re.MatchString(pyStr(val)) {
					out.Set(k, val)
				}
			case isPyContainer(val):
				if n := filterByKey(val, key, re); n != nil {
					out.Set(k, n)
				}
			default:
				out.Set(k, val)
			}
		}
		if len(out.keys) == 0 {
			return nil
		}
		return out
	case []any:
		var out []any
		for _, e := range x {
			if n := filterByKey(toPy(e), key, re); n != nil {
				out = append(out, n)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return v
}
