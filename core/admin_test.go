package klient_test

import (
	"context"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
)

// An admin client's first request and its Close are quick, as the CLI's one-shot
// `klient admin` commands need: librdkafka drops the bootstrap broker once metadata
// names the real one, and the request then waited ~50 ms for a new connection to be
// allowed (reconnect.backoff.ms / 2; klient's default is 20 ms, see
// firstConnectBackoffMs); Close waited up to 100 ms for confluent-kafka-go's pollers
// (an admin client now serves its own events, rdk.ServeMain). Five rounds, each one
// bounded: a wait left in either place fails nearly every run (new client, list and
// close took ~100 ms before; ~5-20 ms now).
func TestAdminListsAndClosesQuickly(t *testing.T) {
	bs := bootstrap(t)
	for i := range 5 {
		start := time.Now()
		a, err := klient.NewAdmin(config.Map{"bootstrap.servers": bs})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err = a.ListTopics(ctx, false)
		cancel()
		listed := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		closeStart := time.Now()
		if err := a.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		closed := time.Since(closeStart)
		if listed > 45*time.Millisecond || closed > 45*time.Millisecond {
			t.Fatalf("round %d: new client + list took %v, close %v (want each under 45ms)", i, listed, closed)
		}
	}
}
