// Command klient-bench-go is the Go-core runner of the benchmark harness
// (tests/bench/run.py). It uses package klient directly, the way a Go program would,
// and prints ONE JSON line with its measurements on stdout. The driver measures the
// process's peak RSS itself (wait4), so this program does not.
//
// Modes:
//
//	create   create topics (-topics a,b -partitions N), used by the driver as its admin
//	delete   delete topics (-topics a,b)
//	produce  -topic T -n N -size S: ProduceAsync in chunks, delivery reports drained in
//	         bulk, then Flush; the clock runs from the first produce to the end of Flush
//	sync     -topic T -n N -size S: one synchronous Produce at a time (latency p50/p99)
//	consume  -topic T -n N: ConsumeBatch(-batch) until N messages, each batch given back
//	         with Recycle; the clock starts at the first message so that the group join
//	         is not counted
//	loop     -src S -dst D -n N -batch B: the plain consume-then-produce loop that the
//	         exactly-once relay is compared with (ConsumeBatch, ProduceAsync, wait for
//	         the batch's delivery reports, Commit; -flush: Producer.Flush instead)
//	relay    -src S -dst D -n N -batch B: the exactly-once relay until N are committed
//	cli      -- ARGS: the klient CLI in-process (for -cpuprofile)
package main

import (
	"context"
	"flag"
	"fmt"
	json "github.com/goccy/go-json"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	klient "github.com/klient-dev/klient/core"
)

type result struct {
	Client    string  `json:"client"`
	Mode      string  `json:"mode"`
	Msgs      int     `json:"msgs"`
	Bytes     int64   `json:"bytes"`
	Secs      float64 `json:"secs"`
	MsgsPerS  float64 `json:"msgs_per_s"`
	MBPerS    float64 `json:"mb_per_s"`
	P50Ms     float64 `json:"p50_ms,omitempty"`
	P99Ms     float64 `json:"p99_ms,omitempty"`
	Errors    int     `json:"errors"`
	ExtraNote string  `json:"note,omitempty"`
}

var (
	mode       = flag.String("mode", "", "create|delete|produce|sync|consume|loop|relay")
	bootstrap  = flag.String("bootstrap", os.Getenv("KLIENT_TEST_BOOTSTRAP"), "bootstrap servers")
	topic      = flag.String("topic", "", "topic")
	topics     = flag.String("topics", "", "comma-separated topics (create/delete)")
	partitions = flag.Int("partitions", 1, "partitions (create)")
	n          = flag.Int("n", 100000, "messages")
	size       = flag.Int("size", 100, "value size in bytes")
	batch      = flag.Int("batch", 1000, "produce chunk / consume batch / relay batch size")
	acks       = flag.String("acks", "all", "acks")
	group      = flag.String("group", "", "consumer group (consume/loop/relay)")
	src        = flag.String("src", "", "source topic (loop/relay)")
	dst        = flag.String("dst", "", "target topic (loop/relay)")
	useFlush   = flag.Bool("flush", false, "loop: wait for deliveries with Producer.Flush instead of the delivery reports")
	cpuProfile = flag.String("cpuprofile", "", "write a CPU profile (pprof) of the run to this file")
	timeout    = flag.Duration("timeout", 120*time.Second, "give up after this long")
)

func main() {
	flag.Parse()
	if *bootstrap == "" {
		fail("KLIENT_TEST_BOOTSTRAP (or -bootstrap) is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fail(err.Error())
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err.Error())
		}
		defer pprof.StopCPUProfile()
	}
	var r result
	var err error
	switch *mode {
	case "cli":
		rc := runCLI()
		pprof.StopCPUProfile()
		os.Exit(rc)
	case "create":
		err = create(ctx)
	case "delete":
		err = deleteTopics(ctx)
	case "produce":
		r, err = produce(ctx)
	case "sync":
		r, err = syncProduce(ctx)
	case "consume":
		r, err = consume(ctx)
	case "loop":
		r, err = loop(ctx)
	case "relay":
		r, err = relay(ctx)
	default:
		fail(fmt.Sprintf("unknown -mode %q", *mode))
	}
	if err != nil {
		pprof.StopCPUProfile()
		fail(err.Error())
	}
	if *mode == "create" || *mode == "delete" {
		return
	}
	r.Client, r.Mode = "klient-go", *mode
	if r.Secs > 0 {
		r.MsgsPerS = float64(r.Msgs) / r.Secs
		r.MBPerS = float64(r.Bytes) / r.Secs / 1e6
	}
	_ = json.NewEncoder(os.Stdout).Encode(r)
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "klient-bench-go:", msg)
	os.Exit(1)
}

func split(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func create(ctx context.Context) error {
	a, err := klient.NewAdmin(map[string]any{"bootstrap.servers": *bootstrap})
	if err != nil {
		return err
	}
	defer a.Close(context.Background())
	var specs []klient.TopicSpec
	for _, t := range split(*topics) {
		specs = append(specs, klient.TopicSpec{Topic: t, NumPartitions: *partitions, ReplicationFactor: 1})
	}
	res, err := a.CreateTopics(ctx, specs)
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.Err != nil {
			return fmt.Errorf("create %s: %w", r.Topic, r.Err)
		}
	}
	return nil
}

func deleteTopics(ctx context.Context) error {
	a, err := klient.NewAdmin(map[string]any{"bootstrap.servers": *bootstrap})
	if err != nil {
		return err
	}
	defer a.Close(context.Background())
	_, err = a.DeleteTopics(ctx, split(*topics))
	return err
}

func payload(size int) []byte {
	v := make([]byte, size)
	for i := range v {
		v[i] = 'a' + byte(i%26)
	}
	return v
}

func newProducer(extra map[string]any) (*klient.Producer, error) {
	props := map[string]any{"bootstrap.servers": *bootstrap, "acks": *acks}
	for k, v := range extra {
		props[k] = v
	}
	return klient.NewProducer(props)
}

func newConsumer(g string) (*klient.Consumer, error) {
	return klient.NewConsumer(map[string]any{
		"bootstrap.servers": *bootstrap, "group.id": g, "auto.offset.reset": "earliest",
		"enable.auto.commit": false,
	}, klient.ConsumerOptions{})
}

func produce(ctx context.Context) (result, error) {
	p, err := newProducer(nil)
	if err != nil {
		return result{}, err
	}
	defer p.Close(context.Background())
	val := payload(*size)
	chunk := make([]klient.Message, *batch)
	for i := range chunk {
		chunk[i] = klient.Message{Topic: *topic, Partition: klient.AnyPartition, Value: val}
	}
	errs := 0
	drain := func() {
		for _, r := range p.DeliveryReports(0, 0) {
			if r.Err != nil {
				errs++
			}
		}
	}
	start := time.Now()
	for sent := 0; sent < *n; {
		k := min(*batch, *n-sent)
		_, got, err := p.ProduceAsync(ctx, chunk[:k]...)
		if err != nil {
			return result{}, err
		}
		sent += got
		drain()
	}
	if _, err := p.Flush(ctx); err != nil {
		return result{}, err
	}
	secs := time.Since(start).Seconds()
	drain()
	return result{Msgs: *n, Bytes: int64(*n) * int64(*size), Secs: secs, Errors: errs}, nil
}

func syncProduce(ctx context.Context) (result, error) {
	p, err := newProducer(map[string]any{"linger.ms": 0})
	if err != nil {
		return result{}, err
	}
	defer p.Close(context.Background())
	val := payload(*size)
	m := klient.Message{Topic: *topic, Partition: klient.AnyPartition, Value: val}
	// One warm-up message: connection and metadata set-up is not per-message latency.
	if _, err := p.Produce(ctx, m); err != nil {
		return result{}, err
	}
	lat := make([]float64, 0, *n)
	start := time.Now()
	for i := 0; i < *n; i++ {
		t0 := time.Now()
		if _, err := p.Produce(ctx, m); err != nil {
			return result{}, err
		}
		lat = append(lat, float64(time.Since(t0).Microseconds())/1000)
	}
	secs := time.Since(start).Seconds()
	p50, p99 := percentiles(lat)
	return result{Msgs: *n, Bytes: int64(*n) * int64(*size), Secs: secs, P50Ms: p50, P99Ms: p99}, nil
}

func percentiles(v []float64) (float64, float64) {
	if len(v) == 0 {
		return 0, 0
	}
	sort.Float64s(v)
	at := func(q float64) float64 { return v[min(len(v)-1, int(q*float64(len(v))))] }
	return at(0.50), at(0.99)
}

func consume(ctx context.Context) (result, error) {
	c, err := newConsumer(*group)
	if err != nil {
		return result{}, err
	}
	defer c.Close(context.Background())
	if err := c.Subscribe([]string{*topic}); err != nil {
		return result{}, err
	}
	// The clock starts when the first batch arrives and that batch is not counted, so
	// neither the group join nor the prefetch done during it is measured.
	var got, counted int
	var bytes int64
	var start time.Time
	for got < *n {
		if ctx.Err() != nil {
			return result{}, fmt.Errorf("consumed %d of %d messages before the timeout", got, *n)
		}
		window, cancel := context.WithTimeout(ctx, time.Second)
		msgs, err := c.ConsumeBatch(window, *batch)
		cancel()
		if err != nil {
			return result{}, err
		}
		if len(msgs) == 0 {
			continue
		}
		if got == 0 {
			start = time.Now()
		} else {
			counted += len(msgs)
			for _, m := range msgs {
				bytes += int64(len(m.Value))
			}
		}
		got += len(msgs)
		c.Recycle(msgs) // nothing of them is kept: later fetches may reuse their memory
	}
	secs := time.Since(start).Seconds()
	return result{Msgs: counted, Bytes: bytes, Secs: secs}, nil
}

// loop is the plain consume-then-produce loop (at-least-once, no transactions): the
// baseline the exactly-once relay is measured against.
func loop(ctx context.Context) (result, error) {
	c, err := newConsumer(*group)
	if err != nil {
		return result{}, err
	}
	defer c.Close(context.Background())
	p, err := newProducer(nil)
	if err != nil {
		return result{}, err
	}
	defer p.Close(context.Background())
	if err := c.Subscribe([]string{*src}); err != nil {
		return result{}, err
	}
	var got int
	var bytes int64
	var start time.Time
	out := make([]klient.Message, 0, *batch)
	var tConsume, tProduce, tCommit time.Duration
	for got < *n {
		if ctx.Err() != nil {
			return result{}, fmt.Errorf("relayed %d of %d messages before the timeout", got, *n)
		}
		t0 := time.Now()
		window, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		msgs, err := c.ConsumeBatch(window, *batch)
		cancel()
		if err != nil {
			return result{}, err
		}
		if len(msgs) == 0 {
			continue
		}
		if got > 0 {
			tConsume += time.Since(t0)
		}
		if got == 0 {
			start = time.Now()
		}
		out = out[:0]
		for _, m := range msgs {
			out = append(out, klient.Message{Topic: *dst, Partition: klient.AnyPartition, Key: m.Key, Value: m.Value})
			bytes += int64(len(m.Value))
		}
		if _, _, err := p.ProduceAsync(ctx, out...); err != nil {
			return result{}, err
		}
		t1 := time.Now()
		if *useFlush {
			if _, err := p.Flush(ctx); err != nil {
				return result{}, err
			}
			p.DeliveryReports(0, 0)
		} else {
			// Wait for this batch's delivery reports (what Flush does, without its
			// polling interval: see docs/BENCHMARKS.md).
			for left := len(out); left > 0; {
				if ctx.Err() != nil {
					return result{}, ctx.Err()
				}
				for _, r := range p.DeliveryReports(left, 100*time.Millisecond) {
					if r.Err != nil {
						return result{}, r.Err
					}
					left--
				}
			}
		}
		t2 := time.Now()
		if _, err := c.Commit(ctx); err != nil {
			return result{}, err
		}
		tProduce += t2.Sub(t1)
		tCommit += time.Since(t2)
		got += len(msgs)
	}
	// Where the time goes, so that a slow loop can be explained without a profiler.
	note := fmt.Sprintf("consume %.2fs, produce+flush %.2fs, commit %.2fs", tConsume.Seconds(), tProduce.Seconds(), tCommit.Seconds())
	return result{Msgs: got, Bytes: bytes, Secs: time.Since(start).Seconds(), ExtraNote: note}, nil
}
