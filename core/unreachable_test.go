package klient_test

import (
	"strings"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
)

// An async message of a producer that never reached a broker gets its failed report
// (with "connection refused by <address>") after about UnreachableAfter, as a sync
// produce fails, instead of after message.timeout.ms (30 s here).
func TestProduceAsyncToUnreachableBrokerReportsConnectionRefused(t *testing.T) {
	p, err := klient.NewProducer(config.Map{"bootstrap.servers": "127.0.0.1:1", "message.timeout.ms": 30000})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(t.Context())
	start := time.Now()
	id, _, err := p.ProduceAsync(t.Context(), klient.Message{Topic: "klient-unreachable", Partition: klient.AnyPartition, Value: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	reps := p.DeliveryReports(1, 20*time.Second)
	took := time.Since(start)
	if len(reps) != 1 || reps[0].ID != id || reps[0].Err == nil || !strings.Contains(reps[0].Err.Error(), "connection refused by 127.0.0.1:1") {
		t.Fatalf("report after %v: %+v", took, reps)
	}
	if took > klient.UnreachableAfter+3*time.Second {
		t.Errorf("the report took %v, want about %v", took, klient.UnreachableAfter)
	}
	if !klient.IsRetriable(reps[0].Err) {
		t.Errorf("%v is not retriable", reps[0].Err)
	}
}
