package klient_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
)

func TestSecondProducerWithSameTransactionalIDFencesTheFirst(t *testing.T) {
	topic := newTopic(t, 1)
	tid := "fence-" + topic
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	old := newProducer(t, config.Map{"transactional.id": tid})
	if _, err := old.BeginTransaction(ctx); err != nil {
		t.Fatal(err)
	}
	produceValues(t, old, topic, 0, 3, "zombie-")

	// The new instance's InitTransactions bumps the epoch: the old one is now a zombie.
	fresh := newProducer(t, config.Map{"transactional.id": tid})
	if err := fresh.InitTransactions(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.BeginTransaction(ctx); err != nil {
		t.Fatal(err)
	}
	produceValues(t, fresh, topic, 0, 2, "fresh-")
	if _, err := fresh.CommitTransaction(ctx); err != nil {
		t.Fatal(err)
	}

	// The zombie learns it is fenced when it next talks to the coordinator.
	_, _, err := old.ProduceAsync(ctx, klient.Message{Topic: topic, Partition: 0, Value: []byte("zombie-late")})
	if err == nil {
		_, err = old.CommitTransaction(ctx)
	}
	if !errors.Is(err, klient.ErrFenced) {
		t.Fatalf("zombie producer got %v, want ErrFenced", err)
	}

	c := newConsumer(t, "g-fence-"+topic, nil, klient.ConsumerOptions{})
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	got := consumeN(t, c, 3, 5*time.Second)
	if len(got) != 2 {
		t.Fatalf("read_committed saw %d messages, want only the 2 of the fresh producer", len(got))
	}
	for _, m := range got {
		if strings.HasPrefix(string(m.Value), "zombie") {
			t.Fatalf("fenced producer's message became visible: %s", m.Value)
		}
	}
}

// Kafka's own console consumer is an independent judge of transactional visibility.
func TestKafkaConsoleConsumerSeesOnlyCommittedTransactions(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	topic := newTopic(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p := newProducer(t, config.Map{"transactional.id": "console-" + topic})
	for _, outcome := range []string{"committed", "aborted", "committed2"} {
		if _, err := p.BeginTransaction(ctx); err != nil {
			t.Fatal(err)
		}
		produceValues(t, p, topic, 0, 2, outcome+"-")
		if outcome == "aborted" {
			_, err = p.AbortTransaction(ctx)
		} else {
			_, err = p.CommitTransaction(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.CommandContext(ctx, filepath.Join(root, "build", "kafka.sh"), "tool",
		"org.apache.kafka.tools.consumer.ConsoleConsumer", "--bootstrap-server", bootstrap(t),
		"--topic", topic, "--from-beginning", "--isolation-level", "read_committed",
		"--max-messages", "4", "--timeout-ms", "30000")
	cmd.Env = os.Environ()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("console consumer: %v\n%s", err, out)
	}
	lines := strings.Fields(strings.TrimSpace(string(out)))
	want := "committed-0 committed-1 committed2-0 committed2-1"
	if strings.Join(lines, " ") != want {
		t.Fatalf("console consumer (read_committed) printed %q, want %q", lines, want)
	}
}
