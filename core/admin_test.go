package klient_test

import (
	"context"
	"slices"
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
// (an admin client now serves its own events, rdk.ServeMain). Five rounds, whose
// medians are bounded: a wait left in either place is in every round (new client, list
// and close took ~100 ms before; ~5-20 ms now), while one round slowed by a busy
// machine is not a failure (CI saw one list take 48 ms).
func TestAdminListsAndClosesQuickly(t *testing.T) {
	bs := bootstrap(t)
	var lists, closes []time.Duration
	for range 5 {
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
		lists, closes = append(lists, listed), append(closes, time.Since(closeStart))
	}
	slices.Sort(lists)
	slices.Sort(closes)
	if lists[2] > 45*time.Millisecond || closes[2] > 45*time.Millisecond {
		t.Fatalf("median of 5 rounds: new client + list %v, close %v (want each under 45ms; rounds %v, %v)", lists[2], closes[2], lists, closes)
	}
}
