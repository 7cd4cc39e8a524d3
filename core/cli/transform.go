package cli

import (
	"fmt"
	"strings"
	"time"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	klient "github.com/klient-dev/klient/core"
)

// transformMaxSteps bounds one evaluation, so `--transform` cannot loop forever (Starlark
// has no while loops, but comprehensions over huge ranges would still spin).
const transformMaxSteps = 1_000_000

// transformMaxTime cancels an evaluation that runs too long in few steps (huge string
// operations are one step each). Starlark itself refuses single allocations over 1 GiB;
// transformMaxResult keeps a runaway result from reaching the producer.
const (
	transformMaxTime   = 2 * time.Second
	transformMaxResult = 16 << 20
)

// transformParams are the names bound for --transform, in call order.
var transformParams = []string{"value", "key", "headers", "topic", "partition", "offset"}

// transform is a compiled --transform expression.
type transform struct {
	expr string
	fn   starlark.Value // lambda value, key, headers, topic, partition, offset: EXPR
}

var transformFileOptions = &syntax.FileOptions{}

// compileTransform checks and compiles expr. Starlark is sandboxed: no load() (the
// thread has no Load hook), no file, network, clock or randomness.
func compileTransform(expr string) (*transform, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, usagef("--transform is empty")
	}
	// Parse as one expression first, so text like "value), (1" cannot escape the lambda.
	if _, err := transformFileOptions.ParseExpr("transform", expr, 0); err != nil {
		return nil, usagef("--transform %q does not compile: %v", expr, err)
	}
	src := "fn = lambda " + strings.Join(transformParams, ", ") + ": (\n" + expr + "\n)\n"
	// Nothing is predeclared: the lambda's parameters are its only free names, and the
	// universal builtins (int, str, len, ...) resolve on their own.
	_, prog, err := starlark.SourceProgramOptions(transformFileOptions, "transform", src, func(string) bool { return false })
	if err != nil {
		return nil, usagef("--transform %q does not compile: %v", expr, trimPos(err))
	}
	th := &starlark.Thread{Name: "transform-init"}
	globals, err := prog.Init(th, nil)
	if err != nil {
		return nil, usagef("--transform %q: %v", expr, err)
	}
	globals.Freeze()
	return &transform{expr: expr, fn: globals["fn"]}, nil
}

func trimPos(err error) string {
	s := err.Error()
	// "transform:2:1: undefined: foo" -> "undefined: foo"; the line numbers refer to the
	// generated wrapper, not to anything the user wrote.
	if i := strings.Index(s, ": "); i >= 0 && strings.HasPrefix(s, "transform:") {
		return s[i+2:]
	}
	return s
}

// apply runs the expression on one message: (newValue, keep, error).
func (t *transform) apply(m *klient.ConsumedMessage) ([]byte, bool, error) {
	th := &starlark.Thread{Name: "transform"}
	th.SetMaxExecutionSteps(transformMaxSteps)
	timer := time.AfterFunc(transformMaxTime, func() { th.Cancel("took longer than " + transformMaxTime.String()) })
	defer timer.Stop()
	var key starlark.Value = starlark.None
	if m.Key != nil {
		key = starlark.String(m.Key)
	}
	hd := starlark.NewDict(len(m.Headers))
	for _, h := range m.Headers {
		_ = hd.SetKey(starlark.String(h.Key), starlark.String(h.Value))
	}
	var val starlark.Value = starlark.None
	if m.Value != nil {
		val = starlark.String(m.Value)
	}
	args := starlark.Tuple{val, key, hd, starlark.String(m.Topic), starlark.MakeInt(int(m.Partition)), starlark.MakeInt64(m.Offset)}
	res, err := starlark.Call(th, t.fn, args, nil)
	if err != nil {
		return nil, false, fmt.Errorf("--transform %q on %s[%d]@%d: %v", t.expr, m.Topic, m.Partition, m.Offset, err)
	}
	var out string
	switch r := res.(type) {
	case starlark.NoneType:
		return nil, false, nil
	case starlark.String:
		out = string(r)
	case starlark.Bytes:
		out = string(r)
	default:
		out = res.String() // str(result), as the released CLI converts a non-str result
	}
	if len(out) > transformMaxResult {
		return nil, false, fmt.Errorf("--transform %q on %s[%d]@%d returned %d bytes; the limit is %d", t.expr, m.Topic, m.Partition, m.Offset, len(out), transformMaxResult)
	}
	return []byte(out), true, nil
}
