package cli

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime/debug"
	"strconv"
	"unicode/utf8"

	klient "github.com/klient-dev/klient/core"
)

// from-file's fast path. A message value is json.dumps of the input object (pyJSON{}:
// ", " and ": " separators, keys in input order, ensure_ascii escapes). Decoding each
// object into an *Obj and encoding it again costs most of from-file's time, so canon
// rewrites an object's bytes into that form directly, token by token, when every token
// already is what json.dumps writes back: only the whitespace between tokens changes,
// and raw non-ASCII and DEL in strings become their \u escapes. Anything else (another
// escape form, a float that repr writes differently, a repeated key, ...) marks the
// element non-canonical and the caller decodes and encodes it as before, so every value
// stays byte-identical to the decode+encode path (FuzzCanonMatchesDecode checks it).

// errCanonSyntax: the input is not strict JSON as canon reads it; the caller runs the
// full decode, which gives the exact error (or result) it always gave.
var errCanonSyntax = errors.New("not strict JSON")

// maxCanonDepth bounds canon's recursion; deeper input takes the decode path.
const maxCanonDepth = 1000

// maxCanonKeys bounds the pairwise repeated-key check; larger objects take the decode path.
const maxCanonKeys = 32

type canon struct {
	in    []byte
	pos   int
	out   []byte // canonical bytes of the values scanned so far
	ok    bool   // no non-canonical token since ok was last set
	keys  []int  // start, end in out of the keys of the objects being scanned, innermost last
	depth int
}

func (c *canon) ws() { c.pos = skipWS(c.in, c.pos) }

func (c *canon) peek() byte {
	if c.pos < len(c.in) {
		return c.in[c.pos]
	}
	return 0
}

// value scans one JSON value at pos (no leading whitespace) and appends its canonical
// form to out; a non-canonical token clears ok (out is then meaningless).
func (c *canon) value() error {
	switch b := c.peek(); {
	case b == '{':
		return c.object()
	case b == '[':
		return c.array()
	case b == '"':
		return c.str()
	case b == '-' || (b >= '0' && b <= '9'):
		return c.number()
	case b == 't':
		return c.literal("true")
	case b == 'f':
		return c.literal("false")
	case b == 'n':
		return c.literal("null")
	}
	return errCanonSyntax
}

func (c *canon) literal(lit string) error {
	if len(c.in)-c.pos < len(lit) || string(c.in[c.pos:c.pos+len(lit)]) != lit {
		return errCanonSyntax
	}
	c.pos += len(lit)
	c.out = append(c.out, lit...)
	return nil
}

func (c *canon) enter() error {
	if c.depth++; c.depth > maxCanonDepth {
		return errCanonSyntax
	}
	return nil
}

func (c *canon) object() error {
	if err := c.enter(); err != nil {
		return err
	}
	defer func() { c.depth-- }()
	c.pos++
	c.out = append(c.out, '{')
	c.ws()
	if c.peek() == '}' {
		c.pos++
		c.out = append(c.out, '}')
		return nil
	}
	first := len(c.keys)
	defer func() { c.keys = c.keys[:first] }()
	for {
		if c.peek() != '"' {
			return errCanonSyntax
		}
		start := len(c.out)
		if err := c.str(); err != nil {
			return err
		}
		// Python keeps a repeated key once (first place, last value): decode it. The
		// written keys compare like the decoded ones while ok holds (one canonical
		// encoding per string).
		key := c.out[start:]
		if len(c.keys)-first >= 2*maxCanonKeys {
			c.ok = false
		}
		for k := first; k < len(c.keys); k += 2 {
			if string(c.out[c.keys[k]:c.keys[k+1]]) == string(key) {
				c.ok = false
			}
		}
		c.keys = append(c.keys, start, len(c.out))
		c.ws()
		if c.peek() != ':' {
			return errCanonSyntax
		}
		c.pos++
		c.out = append(c.out, ':', ' ')
		c.ws()
		if err := c.value(); err != nil {
			return err
		}
		if done, err := c.next('}'); done || err != nil {
			return err
		}
	}
}

// next scans what follows a member or an element: a comma, written ", " (false: another
// one follows), or the closing bracket (true).
func (c *canon) next(closer byte) (bool, error) {
	c.ws()
	switch c.peek() {
	case ',':
		c.pos++
		c.out = append(c.out, ',', ' ')
		c.ws()
		return false, nil
	case closer:
		c.pos++
		c.out = append(c.out, closer)
		return true, nil
	}
	return false, errCanonSyntax
}

func (c *canon) array() error {
	if err := c.enter(); err != nil {
		return err
	}
	defer func() { c.depth-- }()
	c.pos++
	c.out = append(c.out, '[')
	c.ws()
	if c.peek() == ']' {
		c.pos++
		c.out = append(c.out, ']')
		return nil
	}
	for {
		if err := c.value(); err != nil {
			return err
		}
		if done, err := c.next(']'); done || err != nil {
			return err
		}
	}
}

// str scans a string. Canonical (writeJSONString's output): printable ASCII except '"'
// and '\', the escapes \" \\ \n \r \t \b \f, and \u with lowercase hex for what has no
// short escape (control characters, DEL, non-ASCII; astral characters as a surrogate
// pair). Raw DEL and valid UTF-8 are rewritten as those \u escapes.
func (c *canon) str() error {
	in := c.in
	c.out = append(c.out, '"')
	c.pos++
	run := c.pos // start of the bytes not yet copied to out
	for {
		i := skipPlain(in, c.pos)
		c.pos = i
		if i >= len(in) {
			return errCanonSyntax
		}
		switch b := in[i]; {
		case b == '"':
			c.out = append(c.out, in[run:i+1]...)
			c.pos++
			return nil
		case b == '\\':
			if i+1 >= len(in) {
				return errCanonSyntax
			}
			switch in[i+1] {
			case '"', '\\', 'n', 'r', 't', 'b', 'f':
				c.pos += 2
			case '/':
				c.pos += 2
				c.ok = false
			case 'u':
				v, lower, ok := hex4(in[i+2:])
				if !ok {
					return errCanonSyntax
				}
				c.pos += 6
				switch {
				case !lower:
					c.ok = false
				case v >= 0xd800 && v < 0xdc00:
					// A high surrogate is canonical only as the first half of a pair.
					if lo, lower, ok := hex4(in[min(c.pos+2, len(in)):]); ok && lower && in[c.pos] == '\\' && in[c.pos+1] == 'u' && lo >= 0xdc00 && lo < 0xe000 {
						c.pos += 6
					} else {
						c.ok = false
					}
				case v >= 0xdc00 && v < 0xe000:
					c.ok = false
				case v == '\b' || v == '\f' || v == '\n' || v == '\r' || v == '\t':
					c.ok = false // written as its short escape
				case v >= 0x20 && v < 0x7f:
					c.ok = false // written as itself
				}
			default:
				return errCanonSyntax
			}
		case b < 0x20:
			return errCanonSyntax
		default: // DEL or the first byte of a UTF-8 sequence
			r, size := utf8.DecodeRune(in[i:])
			if r == utf8.RuneError && size <= 1 {
				c.ok = false // invalid UTF-8: what the decoder makes of it is its business
				c.pos++
				continue
			}
			c.out = append(c.out, in[run:i]...)
			c.out = appendUEscape(c.out, r)
			c.pos += size
			run = c.pos
		}
	}
}

// skipPlain returns the index of the first byte at or after i that is not plainASCII
// (len(in) if none). The first 128 bytes are tested eight at a time (most strings end
// there); a longer run goes by windows of up to plainWindow bytes, each searched for a
// quote with IndexByte (vector code) and checked by allPlain. A word or window that is
// not all plain is left to the byte loop from its start, so no byte is looked at more
// than three times, however many escapes a string has. A 10 KB string costs half of
// the byte loop's time (BenchmarkFromFileRecords).
func skipPlain(in []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for end := min(len(in), i+128); i+8 <= end; i += 8 {
		x := binary.LittleEndian.Uint64(in[i:])
		// Per byte, the high bit of: x-0x01 (zero) on x^'"' and x^'\\' (with ^x, the
		// classic exact "has a byte" test), and unprintable.
		q, bs := x^(ones*'"'), x^(ones*'\\')
		if ((q-ones)&^q|(bs-ones)&^bs|unprintable(x))&highs != 0 {
			return skipPlainBytes(in, i)
		}
	}
	for i < len(in) {
		w := in[i:min(len(in), i+plainWindow)]
		q := bytes.IndexByte(w, '"')
		if q >= 0 {
			w = w[:q]
		}
		if !allPlain(w) {
			break
		}
		i += len(w)
		if q >= 0 {
			return i
		}
	}
	return skipPlainBytes(in, i)
}

// plainWindow: see skipPlain.
const plainWindow = 4096

func skipPlainBytes(in []byte, i int) int {
	for i < len(in) && plainASCII[in[i]] {
		i++
	}
	return i
}

// allPlain: every byte of b, which holds no '"' (skipPlain cut it at the first), is
// plainASCII. Backslashes are looked for with IndexByte (vector code); the rest of the
// test takes eight bytes at a time (unprintable).
func allPlain(b []byte) bool {
	if bytes.IndexByte(b, '\\') >= 0 {
		return false
	}
	const highs = 0x8080808080808080
	var acc uint64
	i := 0
	for ; i+32 <= len(b); i += 32 {
		x0, x1 := binary.LittleEndian.Uint64(b[i:]), binary.LittleEndian.Uint64(b[i+8:])
		x2, x3 := binary.LittleEndian.Uint64(b[i+16:]), binary.LittleEndian.Uint64(b[i+24:])
		acc |= unprintable(x0) | unprintable(x1) | unprintable(x2) | unprintable(x3)
		if acc&highs != 0 {
			return false
		}
	}
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		acc |= unprintable(x)
	}
	for ; i < len(b); i++ {
		if !plainASCII[b[i]] {
			return false
		}
	}
	return acc&highs == 0
}

// unprintable sets the high bit of each byte of x that is a control byte (below 0x20),
// DEL or from 0x80: x-0x20 with ^x, the classic exact "has a byte below" test; x+1 or x
// for DEL and up (a carry only leaves a byte already 0xff). Exact as an "any byte"
// test on the whole word.
func unprintable(x uint64) uint64 {
	const ones = 0x0101010101010101
	return (x-ones*0x20)&^x | (x + ones) | x
}

// plainASCII: the bytes a canonical string holds as themselves (printable ASCII but
// '"' and '\\'); a table is faster than the comparisons in str's inner loop.
var plainASCII = func() (t [256]bool) {
	for b := 0x20; b < 0x7f; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

// appendUEscape is writeJSONString's \u form of r.
func appendUEscape(b []byte, r rune) []byte {
	if r > 0xffff {
		r -= 0x10000
		b = appendU4(b, 0xd800+(r>>10))
		return appendU4(b, 0xdc00+(r&0x3ff))
	}
	return appendU4(b, r)
}

func appendU4(b []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	return append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
}

// hex4 reads the 4 hex digits of a \u escape; lower: no uppercase A-F among them.
func hex4(b []byte) (v rune, lower, ok bool) {
	if len(b) < 4 {
		return 0, false, false
	}
	lower = true
	for _, d := range b[:4] {
		switch {
		case d >= '0' && d <= '9':
			v = v<<4 | rune(d-'0')
		case d >= 'a' && d <= 'f':
			v = v<<4 | rune(d-'a'+10)
		case d >= 'A' && d <= 'F':
			v = v<<4 | rune(d-'A'+10)
			lower = false
		default:
			return 0, false, false
		}
	}
	return v, lower, true
}

// number scans a number. Canonical: an integer without a sign on zero (kept as its
// digits), or a float exactly as Python's repr writes it.
func (c *canon) number() error {
	in, start := c.in, c.pos
	digits := func() bool {
		from := c.pos
		for c.pos < len(in) && in[c.pos] >= '0' && in[c.pos] <= '9' {
			c.pos++
		}
		return c.pos > from
	}
	if in[c.pos] == '-' {
		c.pos++
	}
	switch {
	case c.pos < len(in) && in[c.pos] == '0':
		c.pos++
	case !digits():
		return errCanonSyntax
	}
	float := false
	if c.peek() == '.' {
		c.pos++
		if !digits() {
			return errCanonSyntax
		}
		float = true
	}
	if b := c.peek(); b == 'e' || b == 'E' {
		c.pos++
		if b := c.peek(); b == '+' || b == '-' {
			c.pos++
		}
		if !digits() {
			return errCanonSyntax
		}
		float = true
	}
	raw := in[start:c.pos]
	switch {
	case float:
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil || pyFloat(f, true) != string(raw) {
			c.ok = false
		}
	case string(raw) == "-0":
		c.ok = false
	}
	c.out = append(c.out, raw...)
	return nil
}

// canonArray is parseRecords' array format on the fast path: with no field to extract,
// an element that is an object in canonical form becomes a message without decoding;
// other elements are decoded and added as before. ok=false: the input needs the full
// decode (it is invalid or unusual JSON, or an element has an error to report), which
// then gives exactly the result or error it always gave.
func canonArray(data []byte, spec recordSpec) (*fileRecords, bool) {
	if spec.raw() {
		if st, ok := newCanonStream(data, spec.topic); ok {
			return &fileRecords{stream: st}, true
		}
	}
	raw := spec.raw()
	c := newCanon(data, raw)
	if !c.arrayStart() {
		return nil, false
	}
	fr := &fileRecords{}
	var spans []int // per message: its value's start and end in c.out, or -1, -1
	for i, more := 0, true; more; i++ {
		start, mark := c.pos, len(c.out)
		c.ok = true
		if err := c.value(); err != nil {
			return nil, false
		}
		if raw && c.ok && data[start] == '{' {
			fr.msgs = append(fr.msgs, klient.Message{Topic: spec.topic, Partition: klient.AnyPartition})
			spans = append(spans, mark, len(c.out))
		} else {
			c.out = c.out[:mark]
			el, err := pyParse(data[start:c.pos])
			if err != nil {
				return nil, false
			}
			n := len(fr.msgs)
			if err := fr.add(spec, i, el); err != nil {
				return nil, false
			}
			for ; n < len(fr.msgs); n++ {
				spans = append(spans, -1, -1)
			}
		}
		var err error
		if more, err = c.afterElement(); err != nil {
			return nil, false
		}
	}
	c.fill(fr.msgs, spans)
	return fr, true
}

// arrayStart moves past the '[' of a top-level array that has an element (an empty
// one is the decode path's error).
func (c *canon) arrayStart() bool {
	c.ws()
	if c.peek() != '[' {
		return false
	}
	c.pos++
	c.ws()
	return c.peek() != ']'
}

// afterElement moves past what follows an array element: more is true after a ','
// (the next element is at pos), false after the closing ']' (then only whitespace may
// follow).
func (c *canon) afterElement() (more bool, err error) {
	c.ws()
	switch c.peek() {
	case ',':
		c.pos++
		c.ws()
		return true, nil
	case ']':
		c.pos++
		if c.ws(); c.pos != len(c.in) {
			return false, errCanonSyntax
		}
		return false, nil
	}
	return false, errCanonSyntax
}

// canonStream is an array input whose every element is an object in canonical form
// (a first scan checked them all). Its values are written batch by batch into a buffer
// reused per batch, by a second scan, so from-file's memory stays near the input's
// size instead of holding every value and message at once.
type canonStream struct {
	c     *canon // at the next element
	topic string
	n     int // elements
	done  int
	msgs  []klient.Message
	ends  []int
}

func newCanonStream(data []byte, topic string) (*canonStream, bool) {
	c := &canon{in: data}
	if !c.arrayStart() {
		return nil, false
	}
	n, ok := c.countObjects()
	if !ok {
		return nil, false
	}
	c.pos = 0
	c.arrayStart()
	return &canonStream{c: c, topic: topic, n: n}, true
}

// splitScanMin: an input at least this large has its first scan split in two, the second
// half scanned on another goroutine. Nothing is sent before that scan ends (invalid JSON
// sends nothing, as the released CLI's json.load), so the broker and the producer's
// threads are idle and a second core is free: 1,000,000 records of 100 B were scanned in
// 48–59 ms instead of 100–116 ms. A variable for the tests.
var splitScanMin = 4 << 20

// countObjects scans the elements of the array from pos (an element's start) to its
// end, each of which must be an object in canonical form, and counts them. With input
// enough, the second half is scanned at the same time from a guessed element start
// (guessElementStart); the guess counts only when the first half's scan, element by
// element, arrives exactly there, so the result is always the one-scan result.
func (c *canon) countObjects() (int, bool) {
	mid := guessElementStart(c.in, c.pos)
	if mid < 0 {
		n, _, ok := c.objectsUntil(-1)
		return n, ok
	}
	type half struct {
		n  int
		ok bool
	}
	second := make(chan half, 1)
	go func() {
		var h half
		defer func() {
			// A fault (the input, a mapped file, was cut short) or any other panic: this
			// half is not canonical, and the paths after this one, on the goroutine that
			// turns a fault into an error, give the result or the error.
			_ = recover()
			second <- h
		}()
		debug.SetPanicOnFault(true)
		b := &canon{in: c.in, pos: mid}
		n, _, ok := b.objectsUntil(-1)
		h = half{n, ok}
	}()
	n, atMid, ok := c.objectsUntil(mid)
	h := <-second // before returning: the caller may unmap the input
	if !ok || !atMid {
		return n, ok // invalid, or the guess was no element start and this scan went on to the end
	}
	return n + h.n, h.ok
}

// objectsUntil scans canonical objects, the array's elements, from pos: to the array's
// end, or, when an element's separator ends exactly at stop, to there (atStop). n
// counts the elements scanned; ok=false: one is not a canonical object, or the array is
// not strict JSON.
func (c *canon) objectsUntil(stop int) (n int, atStop, ok bool) {
	for more := true; more; {
		c.out, c.ok = c.out[:0], true
		if c.peek() != '{' || c.value() != nil || !c.ok {
			return n, false, false
		}
		n++
		var err error
		if more, err = c.afterElement(); err != nil {
			return n, false, false
		}
		if more && c.pos == stop {
			return n, true, true
		}
	}
	return n, false, true
}

// guessElementStart returns a position near the middle of in[from:] that looks like the
// start of an array element of objects: a '{' after '}', whitespace, ',' and whitespace.
// The bytes may as well be inside a string: countObjects checks. -1: in[from:] is under
// splitScanMin, or no such position follows the middle closely.
func guessElementStart(in []byte, from int) int {
	if len(in)-from < max(splitScanMin, 2) {
		return -1
	}
	i := from + (len(in)-from)/2
	for end := min(len(in), i+1<<20); i < end; i++ {
		j := bytes.IndexByte(in[i:end], '}')
		if j < 0 {
			return -1
		}
		i += j
		k := skipWS(in, i+1)
		if k < len(in) && in[k] == ',' {
			if k = skipWS(in, k+1); k < len(in) && in[k] == '{' {
				return k
			}
		}
	}
	return -1
}

// skipWS is the index of the first byte at or after i that is not JSON whitespace.
func skipWS(in []byte, i int) int {
	for i < len(in) && (in[i] == ' ' || in[i] == '\t' || in[i] == '\n' || in[i] == '\r') {
		i++
	}
	return i
}

// next returns the next up to max messages; their values are valid until the next call.
func (s *canonStream) next(max int) []klient.Message {
	c := s.c
	k := min(max, s.n-s.done)
	c.out, s.ends, s.msgs = c.out[:0], s.ends[:0], s.msgs[:0]
	for range k {
		_ = c.value() // the first scan took these bytes
		_, _ = c.afterElement()
		s.ends = append(s.ends, len(c.out))
	}
	start := 0
	for _, end := range s.ends {
		s.msgs = append(s.msgs, klient.Message{Topic: s.topic, Partition: klient.AnyPartition, Value: c.out[start:end:end]})
		start = end
	}
	s.done += k
	return s.msgs
}

// newCanon is a canon over data. With values to write (raw), out has room for data's
// canonical form when that only adds separator spaces.
func newCanon(data []byte, raw bool) *canon {
	c := &canon{in: data}
	if raw {
		c.out = make([]byte, 0, len(data)+len(data)/4)
	}
	return c
}

// raw: no field is extracted, so a message value is the whole object.
func (s recordSpec) raw() bool {
	return s.keyField == "" && s.partField == "" && s.hdrField == ""
}

// line scans in (an NDJSON line) as one object in canonical form, appending it to out:
// ok=false when it is anything else (the line is then decoded as before).
func (c *canon) line(in []byte) (start, end int, ok bool) {
	c.in, c.pos, c.ok = in, 0, true
	c.ws()
	start = len(c.out)
	if c.peek() == '{' && c.value() == nil && c.ok {
		if c.ws(); c.pos == len(in) {
			return start, len(c.out), true
		}
	}
	c.out = c.out[:start]
	return 0, 0, false
}

// fill sets the values of msgs taken on the fast path (spans: start and end in out per
// message, -1 for a decoded one). out is complete, so the values no longer move.
func (c *canon) fill(msgs []klient.Message, spans []int) {
	for i := range msgs {
		if s, e := spans[2*i], spans[2*i+1]; s >= 0 {
			msgs[i].Value = c.out[s:e:e]
		}
	}
}
