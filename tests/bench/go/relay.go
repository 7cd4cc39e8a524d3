package main

import (
	"context"
	"fmt"
	"time"

	klient "github.com/klient-dev/klient/core"
)

// relay runs the exactly-once relay (transactional batches, offsets in the transaction)
// from -src to -dst until -n messages are committed. The clock starts when the first
// source message is taken, like the plain loop's clock, so the group join and
// InitTransactions are not counted in either.
func relay(ctx context.Context) (result, error) {
	c, err := klient.NewConsumer(map[string]any{
		"bootstrap.servers": *bootstrap, "group.id": *group, "auto.offset.reset": "earliest",
		"enable.auto.commit": false,
	}, klient.ConsumerOptions{})
	if err != nil {
		return result{}, err
	}
	defer c.Close(context.Background())
	p, err := newProducer(map[string]any{"transactional.id": *group + "-tx"})
	if err != nil {
		return result{}, err
	}
	defer p.Close(context.Background())
	r, err := klient.NewRelay(c, p, klient.RelayOptions{BatchSize: *batch, MaxBatchTime: time.Second})
	if err != nil {
		return result{}, err
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, *src, *dst) }()
	var start time.Time
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return result{}, fmt.Errorf("relay stopped after %d messages: %v", r.Stats().Forwarded, err)
		case <-tick.C:
		}
		st := r.Stats()
		if start.IsZero() && st.Consumed > 0 {
			start = time.Now()
		}
		if st.Forwarded >= int64(*n) {
			secs := time.Since(start).Seconds()
			r.Stop()
			<-done
			note := ""
			if st.Aborted > 0 {
				note = fmt.Sprintf("%d aborted batches", st.Aborted)
			}
			return result{Msgs: int(st.Forwarded), Bytes: st.Forwarded * int64(*size), Secs: secs, ExtraNote: note}, nil
		}
	}
}
