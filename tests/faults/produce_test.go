package faults

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
	"github.com/klient-dev/klient/core/metrics"
)

// 100,000 idempotent messages sent with ProduceWithRetry by 200 senders (one per key,
// each sending its key's messages in order) while the broker is SIGKILLed and
// restarted: afterwards the topic holds every message exactly once, and each key's
// messages in the order they were sent.
func TestIdempotentProduceSurvivesBrokerKill(t *testing.T) {
	const keys, perKey = 200, 500 // 100,000 messages
	topic := newTopic(t, "idem", 3)
	p, err := klient.NewProducer(config.Map{"bootstrap.servers": priv.bootstrap, "enable.idempotence": true,
		"linger.ms": 5, "message.timeout.ms": 60000, "reconnect.backoff.max.ms": 500})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, c := context.WithTimeout(context.Background(), 30*time.Second)
		defer c()
		_ = p.Close(ctx)
	}()

	retries0 := metrics.Get(metrics.ProducerRetry)
	var sent, failed atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, keys)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for k := 0; k < keys; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			key := []byte(fmt.Sprintf("k%03d", k))
			for s := 0; s < perKey; s++ {
				m := klient.Message{Topic: topic, Partition: klient.AnyPartition, Key: key, Value: []byte(fmt.Sprintf("k%03d:%d", k, s))}
				if _, err := p.ProduceWithRetry(ctx, m, klient.RetryOptions{MaxAttempts: 20, BaseBackoff: 500 * time.Millisecond}); err != nil {
					failed.Add(1)
					errs <- fmt.Errorf("k%03d:%d: %w", k, s, err)
					return // the rest of this key would be out of order anyway
				}
				sent.Add(1)
			}
		}(k)
	}
	// Kill the broker once a fifth has been acknowledged, while all senders are busy.
	for sent.Load() < keys*perKey/5 {
		time.Sleep(20 * time.Millisecond)
	}
	atKill := sent.Load()
	priv.kill9(t)
	down := time.Now()
	priv.startAgain(t)
	t.Logf("broker SIGKILLed after %d acknowledged messages, back after %v", atKill, time.Since(down).Round(100*time.Millisecond))
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("produce failed: %v", err)
	}
	if t.Failed() {
		t.FailNow()
	}
	if retries := sent.Load(); retries != keys*perKey {
		t.Fatalf("acknowledged %d, want %d", retries, keys*perKey)
	}

	// Count out: every value once, each key's sequence numbers strictly increasing.
	out := readAll(t, topic, "read_committed", keys*perKey, 3*time.Minute, 3*time.Second)
	seen := make(map[string]int, keys*perKey)
	lastSeq := map[string]int{}
	var disorder []string
	for _, m := range out {
		v := string(m.Value)
		seen[v]++
		k, seqS, _ := strings.Cut(v, ":")
		seq, _ := strconv.Atoi(seqS)
		if last, ok := lastSeq[k]; ok && seq <= last {
			disorder = append(disorder, fmt.Sprintf("%s after %s:%d", v, k, last))
		}
		lastSeq[k] = seq
	}
	var missing, dup []string
	for k := 0; k < keys; k++ {
		for s := 0; s < perKey; s++ {
			v := fmt.Sprintf("k%03d:%d", k, s)
			switch seen[v] {
			case 0:
				missing = append(missing, v)
			case 1:
			default:
				dup = append(dup, fmt.Sprintf("%s x%d", v, seen[v]))
			}
		}
	}
	t.Logf("count in %d (acknowledged, %d retries), count out %d (read_committed), missing %d, duplicated %d, out of order %d",
		sent.Load(), metrics.Get(metrics.ProducerRetry)-retries0, len(out), len(missing), len(dup), len(disorder))
	if len(missing)+len(dup)+len(disorder) > 0 || len(out) != keys*perKey {
		t.Fatalf("read %d messages, want %d: missing %v, duplicated %v, out of order %v",
			len(out), keys*perKey, head(missing), head(dup), head(disorder))
	}
}

func head(s []string) []string {
	if len(s) > 5 {
		return s[:5]
	}
	return s
}
