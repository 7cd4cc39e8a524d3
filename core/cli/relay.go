package cli

import (
	"context"
	"sync/atomic"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/events"
	"github.com/klient-dev/klient/core/metrics"
)

// runRelayStream is `relay stream SRC DST` on the core's exactly-once Relay. Every
// argument (including --transform) is checked before anything is consumed.
func runRelayStream(a *app, args []string) error {
	src, dst := args[0], args[1]
	group, tid := a.str("group"), a.str("transactional-id")
	if group == "" {
		return usagef("relay stream needs --group (the source consumer group)")
	}
	if tid == "" {
		return usagef("relay stream needs --transactional-id (unique per relay process)")
	}
	bs, inflight := a.num("batch-size"), a.num("max-in-flight")
	if bs < 1 {
		return usagef("--batch-size must be >= 1, got %d", bs)
	}
	if inflight < 1 {
		return usagef("--max-in-flight must be >= 1, got %d", inflight)
	}
	iso := a.str("isolation")
	if err := validIsolation(iso); err != nil {
		return err
	}
	batchTime, err := a.seconds("timeout")
	if err != nil {
		return err
	}
	grace, err := a.seconds("grace-period")
	if err != nil {
		return err
	}
	var tr *transform
	if a.changed("transform") {
		if tr, err = compileTransform(a.str("transform")); err != nil {
			return err
		}
	}
	stopMetrics, err := a.serveMetrics()
	if err != nil {
		return err
	}
	defer stopMetrics()

	c, err := a.newConsumer(group, iso, map[string]any{"enable.auto.commit": false})
	if err != nil {
		return err
	}
	defer func() { _ = c.Close(); c.Release() }()
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

	opts := klient.RelayOptions{BatchSize: bs, MaxInFlight: inflight, MaxBatchTime: max(batchTime, time.Millisecond),
		// The core reads 0 as "default"; the CLI's 0 means "no grace at all".
		GracePeriod: max(grace, time.Nanosecond)}
	var trErr atomic.Pointer[error]
	var relayRef *klient.Relay
	if tr != nil {
		opts.Transform = func(batch []*klient.ConsumedMessage) ([]klient.Message, error) {
			out := make([]klient.Message, 0, len(batch))
			for _, m := range batch {
				v, keep, err := tr.apply(m)
				if err != nil {
					// A transform error is deterministic: retrying the batch would abort
					// forever. Stop instead; the batch's offsets stay uncommitted.
					trErr.CompareAndSwap(nil, &err)
					relayRef.Stop()
					return nil, err
				}
				if keep {
					out = append(out, klient.Message{Partition: klient.AnyPartition, Key: m.Key, Value: v, Headers: m.Headers})
				}
			}
			return out, nil
		}
	}
	relay, err := klient.NewRelay(c, p, opts)
	if err != nil {
		return err
	}
	relayRef = relay
	start := time.Now()
	sh := a.watchSignals(src, relay.Stop)
	defer sh.stop()
	err = relay.Run(context.Background(), src, dst)
	if te := trErr.Load(); te != nil && err == nil {
		err = *te
	}
	reason := "stopped"
	switch {
	case err != nil:
		reason = "error"
	case sh.requested.Load():
		reason = "signal"
	}
	st := relay.Stats()
	metrics.Inc(metrics.ConsumerShutdownComplete, 1)
	events.Emit("relay_stream_ended", events.F("reason", reason), events.F("messages", st.Forwarded),
		events.F("batches", st.Batches), events.F("aborted", st.Aborted), events.F("duration_s", seconds3(time.Since(start))))
	return err
}
