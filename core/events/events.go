// Package events emits klient's structured, one-line JSON events
// ({"event":"transaction_commit","transaction_id":"tx","duration_ms":3.2}).
//
// Library code never prints: events go to the sink the application installed with
// SetSink, and nowhere when none is set. The CLI installs a stdout sink; the C ABI and
// the Python package install theirs (Python routes them to the logging logger "klient").
package events

import (
	"sync"
	"sync/atomic"

	json "github.com/goccy/go-json"
)

// Sink receives each event as one compact JSON line without the trailing newline.
// It may be called from any goroutine, concurrently.
type Sink func(line []byte)

var (
	sink    atomic.Pointer[Sink]
	encPool = sync.Pool{New: func() any { return new(orderedEncoder) }}
)

// SetSink installs the process-wide sink; nil removes it.
func SetSink(s Sink) {
	if s == nil {
		sink.Store(nil)
		return
	}
	sink.Store(&s)
}

// Enabled reports whether a sink is installed, so callers can skip building fields.
func Enabled() bool { return sink.Load() != nil }

// Field is one key/value of an event, kept in order so lines read naturally.
type Field struct {
	Key   string
	Value any
}

// F builds a Field.
func F(key string, value any) Field { return Field{key, value} }

// Emit sends {"event":name, fields...} to the sink, if one is set.
func Emit(name string, fields ...Field) {
	s := sink.Load()
	if s == nil {
		return
	}
	(*s)(Encode(name, fields...))
}

// Encode renders an event as compact JSON, with "event" first.
func Encode(name string, fields ...Field) []byte {
	e := encPool.Get().(*orderedEncoder)
	defer encPool.Put(e)
	e.buf = e.buf[:0]
	e.buf = append(e.buf, `{"event":`...)
	e.value(name)
	for _, f := range fields {
		e.buf = append(e.buf, ',')
		e.value(f.Key)
		e.buf = append(e.buf, ':')
		e.value(f.Value)
	}
	e.buf = append(e.buf, '}')
	out := make([]byte, len(e.buf))
	copy(out, e.buf)
	return out
}

type orderedEncoder struct{ buf []byte }

func (e *orderedEncoder) value(v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		raw, _ = json.Marshal(err.Error())
	}
	e.buf = append(e.buf, raw...)
}
