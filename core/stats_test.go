package klient_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
)

// librdkafka's statistics (statistics.interval.ms) reach the stats sink from each kind
// of client, as parsable JSON naming the client's type, with the consumer's document
// counting the messages it received (the fast fetch path and the producer's channel
// carry them, not only confluent-kafka-go's Poll).
func TestStatisticsReachTheSinkFromEveryClient(t *testing.T) {
	topic := newTopic(t, 1)
	var mu sync.Mutex
	docs := map[string][]map[string]any{}
	names := map[string]bool{} // StatsRecord.Name of every document
	klient.SetStatsSink(func(r klient.StatsRecord) {
		var doc map[string]any
		if err := json.Unmarshal([]byte(r.JSON), &doc); err != nil {
			t.Errorf("%s statistics are not JSON: %v\n%.200s", r.Client, err, r.JSON)
			return
		}
		if r.Name != doc["name"] {
			t.Errorf("%s record Name %q, document name %v", r.Client, r.Name, doc["name"])
		}
		mu.Lock()
		docs[r.Client] = append(docs[r.Client], doc)
		names[r.Name] = true
		mu.Unlock()
	})
	defer klient.SetStatsSink(nil)

	stats := config.Map{"statistics.interval.ms": 100}
	p := newProducer(t, stats)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := 0; i < 3; i++ {
		if _, err := p.Produce(ctx, klient.Message{Topic: topic, Partition: 0, Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
	}
	c := newConsumer(t, "g-stats-"+topic, config.Map{"statistics.interval.ms": 100, "auto.offset.reset": "earliest"}, klient.ConsumerOptions{})
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	consumeN(t, c, 3, 30*time.Second)
	a, err := klient.NewAdmin(config.Map{"bootstrap.servers": bootstrap(t), "statistics.interval.ms": 100})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())

	// Each client's document type; the consumer's rxmsgs (messages received) >= 3; each
	// client's documents carry its InstanceName (what tells apart clients of one kind).
	want := map[string]string{"producer": "producer", "consumer": "consumer", "admin": "producer"}
	instance := map[string]string{"producer": p.InstanceName(), "consumer": c.InstanceName(), "admin": a.InstanceName()}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		missing := ""
		for client, typ := range want {
			ok := false
			for _, d := range docs[client] {
				rx, _ := d["rxmsgs"].(float64)
				if d["type"] == typ && (client != "consumer" || rx >= 3) {
					ok = true
				}
			}
			if !ok || !names[instance[client]] {
				missing = client
			}
		}
		mu.Unlock()
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no statistics from the %s (%s) within 20 s (got %d documents; names %v)", missing, instance[missing], len(docs[missing]), names)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
