package rdk_test

import (
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/klient-dev/klient/core/internal/rdk"
)

// A consumer created with log.queue=true hands its log lines to ServeLogs' function (a
// refused connection to 127.0.0.1:1 is a FAIL line), and Stop ends the server at once,
// not at the end of the 1 s poll it is waiting in.
func TestServeLogsServesAndStopsAtOnce(t *testing.T) {
	kc, err := kafka.NewConsumer(&kafka.ConfigMap{"bootstrap.servers": "127.0.0.1:1", "group.id": "logs", "log.queue": true})
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	h := rdk.HandleOf(kc)
	if h == nil {
		t.Fatal("no rd_kafka_t in the consumer")
	}
	fail := make(chan rdk.LogLine, 1)
	s := h.ServeLogs(func(l rdk.LogLine) {
		if l.Facility == "FAIL" {
			offer(fail, l)
		}
	})
	select {
	case l := <-fail:
		if l.Level != 3 || l.Text == "" {
			t.Fatalf("FAIL line %+v", l)
		}
	case <-time.After(20 * time.Second):
		s.Stop()
		t.Fatal("no FAIL log line within 20s")
	}
	stopsAtOnce(t, s)
	if name := h.Name(); name == "" {
		t.Fatal("no instance name")
	}
}

// ServeMain serves what an admin client (confluent-kafka-go's standalone AdminClient,
// which polls nothing itself) puts on its main queue: a refused connection to
// 127.0.0.1:1 is a transport error event and a FAIL log line (log.queue=true), and
// statistics come every statistics.interval.ms. Stop ends the server at once.
func TestServeMainServesAnAdminClientsEvents(t *testing.T) {
	ac, err := kafka.NewAdminClient(&kafka.ConfigMap{"bootstrap.servers": "127.0.0.1:1", "log.queue": true, "statistics.interval.ms": 100})
	if err != nil {
		t.Fatal(err)
	}
	defer ac.Close()
	h := rdk.HandleOf(ac)
	if h == nil {
		t.Fatal("no rd_kafka_t in the admin client")
	}
	logs, errs, stats := make(chan rdk.LogLine, 100), make(chan rdk.ErrorEvent, 100), make(chan string, 100)
	s := h.ServeMain(rdk.Sinks{
		Log: func(l rdk.LogLine) {
			if l.Facility == "FAIL" {
				offer(logs, l)
			}
		},
		Error: func(e rdk.ErrorEvent) { offer(errs, e) },
		Stats: func(j string) { offer(stats, j) },
	})
	deadline := time.After(20 * time.Second)
	var gotLog, gotErr, gotStats bool
	for !gotLog || !gotErr || !gotStats {
		select {
		case l := <-logs:
			gotLog = gotLog || l.Level == 3 && l.Text != ""
		case e := <-errs:
			// -195 transport failure, -187 all brokers down
			gotErr = gotErr || (e.Code == -195 || e.Code == -187) && e.Text != "" && !e.Fatal
		case j := <-stats:
			gotStats = gotStats || len(j) > 2 && j[0] == '{'
		case <-deadline:
			s.Stop()
			t.Fatalf("within 20s: FAIL line %v, error event %v, statistics %v", gotLog, gotErr, gotStats)
		}
	}
	stopsAtOnce(t, s)
}

// offer sends v on ch unless ch is full (a sink must not block the server).
func offer[T any](ch chan T, v T) {
	select {
	case ch <- v:
	default:
	}
}

// stopsAtOnce checks that Stop ends s without waiting for its poll to time out.
func stopsAtOnce(t *testing.T, s *rdk.Server) {
	t.Helper()
	time.Sleep(100 * time.Millisecond) // the server is back in a poll
	start := time.Now()
	s.Stop()
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Fatalf("Stop took %v: it waited for the poll to time out", took)
	}
}
