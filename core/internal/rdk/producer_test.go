package rdk_test

// The owned producer against librdkafka's mock cluster (no broker needed): where each
// kind of message's delivery report goes, failures, the non-report events, the
// transactional calls and configuration errors.

import (
	"strings"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/klient-dev/klient/core/internal/rdk"
)

// Untracked messages are only counted, tracked ones come back with their IDs, and a
// waiter's are handed to the waiter (never to Poll's output); every one is in the
// per-topic counts.
func TestReportsGoWhereTheTagSays(t *testing.T) {
	p := newProducer(t, map[string]string{"bootstrap.servers": mockCluster(t)})
	vals := [][]byte{[]byte("a"), []byte("b"), []byte("c")}
	keys := [][]byte{nil, nil, nil}
	if done, code := p.Produce(pack("t", 0, nil, keys, vals), 0); done != 3 || code != 0 {
		t.Fatalf("untracked: %d %d", done, code)
	}
	tracked := pack("t", 1, nil, keys, vals)
	tracked.Tag = rdk.Tag{FirstID: 41}
	if done, code := p.Produce(tracked, 1); done != 3 || code != 0 { // from index 1: IDs 42, 43
		t.Fatalf("tracked: %d %d", done, code)
	}
	w := rdk.NewWaiter()
	defer w.Release()
	waited := pack("t", 0, nil, keys[:2], vals[:2])
	waited.Tag = rdk.Tag{Waiter: w}
	if done, code := p.Produce(waited, 0); done != 2 || code != 0 {
		t.Fatalf("waited: %d %d", done, code)
	}
	var untracked, ok int64
	ids := map[uint64]rdk.Report{}
	pollUntil(t, p, func(out *rdk.Polled) bool {
		untracked += out.UntrackedOK
		for _, r := range out.Reports {
			ids[r.ID] = r
		}
		for _, c := range out.Topics {
			if c.Topic != "t" || c.Failed != 0 {
				t.Fatalf("topic count %+v", c)
			}
			ok += c.OK
		}
		return ok == 7
	})
	if untracked != 3 || len(ids) != 2 {
		t.Fatalf("untracked %d, tracked reports %+v", untracked, ids)
	}
	for id, off := range map[uint64]int64{42: 0, 43: 1} {
		if r := ids[id]; r.Topic != "t" || r.Partition != 1 || r.Offset != off || r.Err != 0 || r.Timestamp <= 0 {
			t.Fatalf("report %d = %+v", id, r)
		}
	}
	if !w.Wait(1000) {
		t.Fatal("waiter not done after its reports were served")
	}
	if code, n, part, off, ts, _ := w.Result(); code != 0 || n != 2 || part != 0 || off != 4 || ts <= 0 {
		t.Fatalf("waiter result: code %d ok %d partition %d offset %d ts %d", code, n, part, off, ts)
	}
}

// With the broker down, every kind of message fails with librdkafka's code: an
// untracked one gets a report with ID 0, a tracked one its ID, a waiter the code.
func TestFailedDeliveriesAreReported(t *testing.T) {
	mc, err := kafka.NewMockCluster(1)
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	if err := mc.CreateTopic("t", 1, 1); err != nil {
		t.Fatal(err)
	}
	if err := mc.SetBrokerDown(1); err != nil {
		t.Fatal(err)
	}
	p := newProducer(t, map[string]string{"bootstrap.servers": mc.BootstrapServers(), "message.timeout.ms": "300"})
	one := [][]byte{[]byte("x")}
	if _, code := p.Produce(pack("t", 0, nil, [][]byte{nil}, one), 0); code != 0 {
		t.Fatal(code)
	}
	tracked := pack("t", 0, nil, [][]byte{nil}, one)
	tracked.Tag = rdk.Tag{FirstID: 7}
	if _, code := p.Produce(tracked, 0); code != 0 {
		t.Fatal(code)
	}
	w := rdk.NewWaiter()
	defer w.Release()
	if code := p.ProduceOne(&rdk.Message{Topic: "t", Partition: 0, Value: []byte("y")}, rdk.Tag{Waiter: w}); code != 0 {
		t.Fatal(code)
	}
	var reports []rdk.Report
	var failed int64
	pollUntil(t, p, func(out *rdk.Polled) bool {
		reports = append(reports, out.Reports...)
		for _, c := range out.Topics {
			failed += c.Failed
		}
		return failed == 3
	})
	if len(reports) != 2 {
		t.Fatalf("reports %+v", reports)
	}
	for _, r := range reports {
		if (r.ID != 0 && r.ID != 7) || r.Err != int(kafka.ErrMsgTimedOut) {
			t.Fatalf("report %+v", r)
		}
	}
	if !w.Wait(1000) {
		t.Fatal("waiter not done")
	}
	if code, n, _, _, _, _ := w.Result(); code != int(kafka.ErrMsgTimedOut) || n != 0 {
		t.Fatalf("waiter: code %d ok %d", code, n)
	}
}

// A waiter released before its report arrives is freed by the poller when it does
// (run under the race detector and ASan builds, this is where a use-after-free shows).
func TestReleasedWaiterIsFreedByItsReport(t *testing.T) {
	p := newProducer(t, map[string]string{"bootstrap.servers": mockCluster(t)})
	for i := 0; i < 100; i++ {
		w := rdk.NewWaiter()
		if code := p.ProduceOne(&rdk.Message{Topic: "t", Partition: 0, Value: []byte("x")}, rdk.Tag{Waiter: w}); code != 0 {
			t.Fatal(code)
		}
		w.Release()
	}
	var ok int64
	pollUntil(t, p, func(out *rdk.Polled) bool {
		for _, c := range out.Topics {
			ok += c.OK
		}
		return ok == 100
	})
}

// Log lines (log.queue) and statistics arrive as events of the main queue.
func TestLogsAndStatsArePolled(t *testing.T) {
	p := newProducer(t, map[string]string{"bootstrap.servers": mockCluster(t), "debug": "metadata", "statistics.interval.ms": "100"})
	if !strings.HasPrefix(p.Name(), "rdkafka#producer-") {
		t.Fatalf("name %q", p.Name())
	}
	var logs, stats int
	pollUntil(t, p, func(out *rdk.Polled) bool {
		for _, e := range out.Events {
			switch e.Kind {
			case rdk.PolledLog:
				if e.Facility == "" || e.Text == "" || e.Level <= 0 {
					t.Fatalf("log event %+v", e)
				}
				logs++
			case rdk.PolledStats:
				if !strings.Contains(e.Text, `"name":`) {
					t.Fatalf("stats %q", e.Text)
				}
				stats++
			}
		}
		return logs > 0 && stats > 0
	})
}

// Log lines have a queue of their own: unserved, they do not count as messages in
// flight (Len), which Flush and Close wait on. On the main queue they did: a close
// after connection-refused lines reported a message "not delivered".
func TestLogLinesAreNotMessagesInFlight(t *testing.T) {
	p := newProducer(t, map[string]string{"bootstrap.servers": mockCluster(t), "debug": "all"})
	deadline := time.Now().Add(20 * time.Second)
	var out rdk.Polled
	logs := 0
	for logs == 0 && time.Now().Before(deadline) {
		if n := p.Len(); n != 0 {
			t.Fatalf("Len %d with no message produced", n)
		}
		p.Poll(10, 1000, &out)
		for _, e := range out.Events {
			if e.Kind == rdk.PolledLog {
				logs++
			}
		}
	}
	if logs == 0 {
		t.Fatal("no log line served within 20s")
	}
}

// The transactional calls work against the mock cluster's coordinator, and their
// errors carry librdkafka's flags.
func TestTransactions(t *testing.T) {
	p := newProducer(t, map[string]string{"bootstrap.servers": mockCluster(t), "transactional.id": "tx-1"})
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() { // commit waits for delivery reports: someone must serve them
		defer close(stopped)
		var out rdk.Polled
		for {
			select {
			case <-stop:
				return
			default:
				p.Poll(100, 1000, &out)
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-stopped }) // before newProducer's Destroy
	if e := p.CommitTransaction(1000); e == nil || e.Code != int(kafka.ErrState) {
		t.Fatalf("commit before init: %+v", e)
	}
	if e := p.InitTransactions(20000); e != nil {
		t.Fatalf("init: %+v", e)
	}
	if e := p.BeginTransaction(); e != nil {
		t.Fatalf("begin: %+v", e)
	}
	if code := p.ProduceOne(&rdk.Message{Topic: "t", Partition: 0, Value: []byte("in txn")}, rdk.Tag{}); code != 0 {
		t.Fatal(code)
	}
	if e := p.CommitTransaction(20000); e != nil {
		t.Fatalf("commit: %+v", e)
	}
	if e := p.BeginTransaction(); e != nil {
		t.Fatalf("begin 2: %+v", e)
	}
	if e := p.AbortTransaction(20000); e != nil {
		t.Fatalf("abort: %+v", e)
	}
}

func TestConfigErrorsAreLibrdkafkas(t *testing.T) {
	if _, err := rdk.NewProducer(map[string]string{"no.such.property": "1"}); err == nil || !strings.Contains(err.Error(), `No such configuration property: "no.such.property"`) {
		t.Fatalf("unknown property: %v", err)
	}
	if _, err := rdk.NewProducer(map[string]string{"acks": "sometimes"}); err == nil || !strings.Contains(err.Error(), "acks") {
		t.Fatalf("bad value: %v", err)
	}
}

// Messages counts the messages librdkafka holds, whatever else its main queue holds and
// however fast the poller serves it: one undeliverable message reads 1 on every look
// while statistics events arrive every millisecond and are served concurrently.
// (Taken as rd_kafka_outq_len minus the main queue's length, two reads, it could read
// 0: an event queued between them was subtracted without having been counted.)
func TestMessagesIsExactWhileEventsComeAndGo(t *testing.T) {
	p := newProducer(t, map[string]string{"bootstrap.servers": "127.0.0.1:1", "statistics.interval.ms": "1",
		"message.timeout.ms": "60000", "reconnect.backoff.ms": "1", "reconnect.backoff.max.ms": "1"})
	if done, code := p.Produce(pack("t", 0, nil, [][]byte{nil}, [][]byte{[]byte("v")}), 0); done != 1 || code != 0 {
		t.Fatalf("produce: %d %d", done, code)
	}
	stop := make(chan struct{})
	served := make(chan int)
	go func() {
		var out rdk.Polled
		n := 0
		for {
			select {
			case <-stop:
				served <- n
				return
			default:
			}
			p.Poll(1, 1, &out)
			n += len(out.Events)
		}
	}()
	deadline := time.Now().Add(2 * time.Second)
	looks, wrong, got := 0, 0, 0
	for time.Now().Before(deadline) {
		for range 1000 {
			if got = p.Messages(); got != 1 {
				wrong++
			}
		}
		looks += 1000
	}
	close(stop)
	events := <-served
	if events < 100 {
		t.Fatalf("only %d events were served in 2 s: the test did not exercise the race", events)
	}
	if wrong > 0 {
		t.Fatalf("Messages() was not 1 on %d of %d looks (last %d) while %d events were served", wrong, looks, got, events)
	}
}
