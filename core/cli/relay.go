package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	json "github.com/goccy/go-json"
	"github.com/spf13/pflag"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/events"
	"github.com/klient-dev/klient/core/metrics"
)

const relayLong = `Consumes SOURCE, buffers --batch-size messages, applies --transform to each value and
produces the batch to TARGET in one transaction together with the source offsets
(exactly-once): a batch is either fully visible with its offsets committed or aborted
and retried. As in the released CLI, only full batches are relayed while running
(--max-batch-time S also seals a partial batch after S seconds), keys are kept, headers
are not (--keep-headers keeps them), and each committed batch prints
{"event": "relay_batch_committed", "count": N, "duration_ms": MS}. --max-batches N
exits after N committed batches.

--transform: under ` + "`python -m klient`" + ` a Python expression evaluated with value (str)
in scope, exactly as the released CLI does. The native binary evaluates it as Starlark
(a Python dialect, sandboxed) with value (str), key (str or None), headers (dict),
topic, partition and offset in scope; it returns the new value (str or bytes; other
values are converted with str()) or None to drop the message. Example: -x 'value.upper()'.

SIGINT/SIGTERM: shutdown_requested, up to --grace-period seconds to commit the batch
being built, then relay_stream_ended; a second signal exits at once.`

func relayCommand() *command {
	return &command{name: "relay", short: "relay messages from a source topic to a target topic", subs: []*command{
		{name: "stream", args: "SOURCE TARGET", minArgs: 2, maxArgs: 2, stream: true,
			short: "consume SOURCE, transform, produce to TARGET in transactions", long: relayLong,
			flags: func(fs *pflag.FlagSet) {
				fs.StringP("group", "g", "cli-relay", "consumer group id for the source")
				txIDFlags(fs, "cli-relay-tx", "transactional id for the producer batches")
				fs.IntP("batch-size", "b", 25, "messages per transactional batch")
				fs.Int("max-batches", 0, "exit after this many committed batches (0: no limit)")
				fs.Int("max-in-flight", 1, "transactions in flight at once")
				fs.Float64P("timeout", "t", 0.5, "per-poll timeout in seconds (accepted for the released CLI)")
				fs.Float64("grace-period", 2, "seconds to finish the current batch after SIGINT/SIGTERM")
				fs.String("isolation", "read_committed", "read_committed or read_uncommitted")
				fs.StringP("transform", "x", "", "expression computing the new value from value (see above)")
				fs.Float64("max-batch-time", 0, "also seal a partial batch after this many seconds (0: full batches only)")
				fs.Bool("keep-headers", false, "copy the source headers to the target")
				fs.String("metrics-addr", "", "serve Prometheus metrics on host:port while relaying")
				fs.String("events", "stdout", "where the lifecycle lines go: stdout (the released CLI) or stderr")
			}, run: runRelayStream},
	}}
}

// errMaxBatches stops the relay when --max-batches batches are sealed: the transform
// refuses the next batch, which is aborted before its transaction begins (nothing of
// it is produced, its offsets stay uncommitted).
var errMaxBatches = errors.New("--max-batches reached")

// runRelayStream is `relay stream SRC DST` on the core's exactly-once Relay. Every
// argument (including --transform) is checked before anything is consumed.
func runRelayStream(a *app, args []string) error {
	src, dst := args[0], args[1]
	group, tid := a.str("group"), a.str("transactional-id")
	if group == "" {
		return usagef("relay stream needs a non-empty --group")
	}
	if tid == "" {
		return usagef("relay stream needs a non-empty --transactional-id")
	}
	bs, inflight := max(a.num("batch-size"), 1), max(a.num("max-in-flight"), 1)
	maxBatches := a.num("max-batches")
	iso := a.str("isolation")
	if err := validIsolation(iso); err != nil {
		return err
	}
	if _, err := a.seconds("timeout"); err != nil {
		return err
	}
	grace, err := a.seconds("grace-period")
	if err != nil {
		return err
	}
	batchTime, err := a.seconds("max-batch-time")
	if err != nil {
		return err
	}
	if batchTime == 0 {
		batchTime = 100 * 365 * 24 * time.Hour // full batches only, as in the released CLI
	}
	if ev := a.str("events"); ev != "stdout" && ev != "stderr" {
		return usagef("--events must be stdout or stderr, got %q", ev)
	}
	evw := a.stdout
	if a.str("events") == "stderr" {
		evw = a.stderr
	}
	var tr *transform
	if a.changed("transform") && a.str("transform") != "" {
		if tr, err = compileTransform(a.str("transform")); err != nil {
			return err
		}
	}
	signal.Ignore(syscall.SIGPIPE) // a closed stdout must not kill a relay mid-transaction
	stopMetrics, err := a.serveMetrics()
	if err != nil {
		return err
	}
	defer stopMetrics()

	c, err := a.newConsumer(a.groupID(group), iso, map[string]any{"enable.auto.commit": false})
	if err != nil {
		return err
	}
	defer func() { _ = c.Close(context.Background()) }()
	for _, t := range []string{src, dst} {
		if err := checkTopic(c, t); err != nil {
			return err
		}
	}
	p, err := a.newProducer(tid)
	if err != nil {
		return err
	}
	defer closeProducer(p)

	var relayRef atomic.Pointer[klient.Relay]
	var trErr atomic.Pointer[error]
	keepHeaders := a.flag("keep-headers")
	var sealedMu sync.Mutex
	sealed := map[string]bool{} // first message of each sealed batch (a retried batch counts once)
	opts := klient.RelayOptions{BatchSize: bs, MaxInFlight: inflight, MaxBatchTime: batchTime,
		// The core reads 0 as "default"; the CLI's 0 means "no grace at all".
		GracePeriod: max(grace, time.Nanosecond),
		// The transform's outputs alias their inputs' bytes only until they are produced,
		// and an expression's values are copies (Starlark strings).
		TransformKeepsNoInput: true,
		Transform: func(batch []*klient.ConsumedMessage) ([]klient.Message, error) {
			if maxBatches > 0 && len(batch) > 0 {
				id := fmt.Sprintf("%d@%d", batch[0].Partition, batch[0].Offset)
				sealedMu.Lock()
				if !sealed[id] && len(sealed) >= maxBatches {
					sealedMu.Unlock()
					if r := relayRef.Load(); r != nil {
						r.Stop()
					}
					return nil, errMaxBatches
				}
				sealed[id] = true
				sealedMu.Unlock()
			}
			out := make([]klient.Message, 0, len(batch))
			for _, m := range batch {
				// The released relay: key kept (an empty one becomes none), value decoded
				// and re-encoded (a null value becomes empty), headers and timestamp not.
				om := klient.Message{Partition: klient.AnyPartition, Value: m.Value}
				if len(m.Key) > 0 {
					om.Key = m.Key
				}
				if om.Value == nil {
					om.Value = []byte{}
				}
				if keepHeaders {
					om.Headers = m.Headers
				}
				if tr != nil {
					v, keep, err := tr.apply(m)
					if err != nil {
						// A transform error is deterministic: retrying the batch would abort
						// forever. Stop instead; the batch's offsets stay uncommitted.
						trErr.CompareAndSwap(nil, &err)
						if r := relayRef.Load(); r != nil {
							r.Stop()
						}
						return nil, err
					}
					if !keep {
						continue
					}
					om.Value = v
				}
				out = append(out, om)
			}
			return out, nil
		}}
	relay, err := klient.NewRelay(c, p, opts)
	if err != nil {
		return err
	}
	relayRef.Store(relay)
	// klient's own events go to stderr; the released CLI's batch lines are made from
	// them here.
	var committed atomic.Int64
	events.SetSink(func(line []byte) {
		a.writeLine(a.stderr, line)
		if a.relayEventLine(evw, line) && maxBatches > 0 && committed.Add(1) >= int64(maxBatches) {
			relay.Stop() // --max-batches reached: exit even when no further message comes
		}
	})
	start := time.Now()
	sh := a.watchSignals(func(sig int) {
		a.lifecycle(evw, "event", "shutdown_requested", "signal", sig, "source", src, "target", dst)
		relay.Stop()
	})
	defer sh.stop()
	err = relay.Run(context.Background(), src, dst)
	if te := trErr.Load(); te != nil && err == nil {
		err = *te
	}
	metrics.Inc(metrics.ConsumerShutdownComplete, 1)
	a.lifecycle(evw, "event", "relay_stream_ended", "source", src, "target", dst, "duration_s", seconds3(time.Since(start)))
	return err
}

// relayEventLine prints the released CLI's line for a core relay event: committed
// batches, and aborted ones (except the abort that --max-batches causes). It reports
// whether the event was a committed batch.
func (a *app) relayEventLine(w io.Writer, line []byte) bool {
	var ev struct {
		Event      string  `json:"event"`
		Messages   int     `json:"messages"`
		DurationMs float64 `json:"duration_ms"`
		Error      string  `json:"error"`
	}
	if json.Unmarshal(line, &ev) != nil {
		return false
	}
	switch ev.Event {
	case "relay_batch_committed":
		a.lifecycle(w, "event", "relay_batch_committed", "count", ev.Messages, "duration_ms", ev.DurationMs)
		return true
	case "relay_batch_aborted":
		if !strings.Contains(ev.Error, errMaxBatches.Error()) {
			a.lifecycle(w, "event", "relay_batch_aborted", "error", ev.Error, "count", ev.Messages)
		}
	}
	return false
}
