package metrics_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
	"github.com/klient-dev/klient/core/internal/testbroker"
	"github.com/klient-dev/klient/core/metrics"
)

// scrape GETs path from srv and returns the status and body.
func scrape(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// sample returns the value of the exposition line "<series> <value>", -1 when absent.
func sample(body, series string) float64 {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// TestScrapeAfterProduceConsume produces and consumes through the core against the
// real broker and checks the scraped counters against the test's own counts.
func TestScrapeAfterProduceConsume(t *testing.T) {
	bs, err := testbroker.Bootstrap()
	if err != nil {
		t.Fatalf("no Kafka broker: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	topic := fmt.Sprintf("klient-metrics-%d", time.Now().UnixNano())
	adm, err := klient.NewAdmin(config.Map{"bootstrap.servers": bs})
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close(context.Background())
	if res, err := adm.CreateTopics(ctx, []klient.TopicSpec{{Topic: topic, NumPartitions: 1, ReplicationFactor: 1}}); err != nil || res[0].Err != nil {
		t.Fatalf("create topic: %v %v", err, res)
	}
	defer func() { _, _ = adm.DeleteTopics(context.Background(), []string{topic}) }()

	srv := httptest.NewServer(metrics.Handler())
	defer srv.Close()
	_, before := scrape(t, srv, "/metrics")
	syncBefore := max(sample(before, "klient_produce_sync_latency_seconds_count"), 0)

	p, err := klient.NewProducer(config.Map{"bootstrap.servers": bs, "linger.ms": 5})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Close(ctx) }()
	const syncN, batchN = 4, 6
	wantBytes := 0
	var batch []klient.Message
	for i := range syncN + batchN {
		m := klient.Message{Topic: topic, Partition: 0, Key: []byte("k" + strconv.Itoa(i)), Value: []byte(fmt.Sprintf("value-%03d", i))}
		wantBytes += len(m.Key) + len(m.Value)
		if i < syncN {
			if _, err := p.Produce(ctx, m); err != nil {
				t.Fatalf("produce: %v", err)
			}
		} else {
			batch = append(batch, m)
		}
	}
	if n, err := p.SendBatch(ctx, batch); err != nil || n != batchN {
		t.Fatalf("send batch: %d %v", n, err)
	}
	if left, err := p.Flush(ctx); err != nil || left != 0 {
		t.Fatalf("flush: %d %v", left, err)
	}

	c, err := klient.NewConsumer(config.Map{"bootstrap.servers": bs, "group.id": topic, "auto.offset.reset": "earliest"}, klient.ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close(context.Background()) }()
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	got := 0
	for got < syncN+batchN && ctx.Err() == nil {
		window, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		msgs, err := c.ConsumeBatch(window, syncN+batchN-got)
		cancel()
		if err != nil {
			t.Fatalf("consume: %v", err)
		}
		got += len(msgs)
	}
	if got != syncN+batchN {
		t.Fatalf("consumed %d of %d messages", got, syncN+batchN)
	}

	code, body := scrape(t, srv, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	l := `{topic="` + topic + `"}`
	for series, want := range map[string]float64{
		"klient_messages_produced_total" + l:                       syncN + batchN,
		"klient_bytes_produced_total" + l:                          float64(wantBytes),
		"klient_delivery_errors_total" + l:                         0,
		"klient_messages_consumed_total" + l:                       syncN + batchN,
		"klient_bytes_consumed_total" + l:                          float64(wantBytes),
		`klient_consumer_lag{partition="0",topic="` + topic + `"}`: 0,
		"klient_produce_sync_latency_seconds_count":                syncBefore + syncN,
	} {
		if got := sample(body, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if sample(body, "klient_consumer_rebalance_assign_total") < 1 {
		t.Errorf("no rebalance counted:\n%s", body)
	}
	for _, path := range []string{"/", "/metrics/", "/other"} {
		if code, _ := scrape(t, srv, path); code != http.StatusNotFound {
			t.Errorf("%s answered %d, want 404", path, code)
		}
	}
}
