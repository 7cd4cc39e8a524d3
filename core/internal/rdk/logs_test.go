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
			select {
			case fail <- l:
			default:
			}
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
	time.Sleep(100 * time.Millisecond) // the server is back in a poll
	start := time.Now()
	s.Stop()
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Fatalf("Stop took %v: it waited for the poll to time out", took)
	}
	if name := h.Name(); name == "" {
		t.Fatal("no instance name")
	}
}
