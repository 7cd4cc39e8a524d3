// Package faults is the fault-injection suite (issue 8): every test drives ONE private
// Kafka broker of its own (build/kafka.sh with KLIENT_BROKER_STATE), which it SIGKILLs
// and restarts freely; the shared broker in KLIENT_TEST_BOOTSTRAP is never touched.
// Messages are counted in and out (Jepsen-style): every test ends by reading the
// topics back and comparing with what it sent.
//
// Run: make test-faults   (or: go test -count=1 -v -timeout 40m ./tests/faults/)
package faults

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
)

var (
	root     string // repository root
	bin      string // build/bin/klient
	priv     *broker
	prefix   string // "faults-<rand>-": unique topic/group/txid names per run
	shutdown []func()
)

// broker is the suite's private broker.
type broker struct {
	state     string // KLIENT_BROKER_STATE prefix
	bootstrap string
}

func (b *broker) run(sub string) error {
	cmd := exec.Command(filepath.Join(root, "build", "kafka.sh"), sub)
	cmd.Env = append(os.Environ(), "KLIENT_BROKER_STATE="+b.state)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("kafka.sh %s: %v\n%s", sub, err, out)
	}
	return nil
}

// kill9 SIGKILLs the broker (data kept); startAgain brings it back on the same ports.
func (b *broker) kill9(t testing.TB) {
	t.Helper()
	if err := b.run("kill9"); err != nil {
		t.Fatal(err)
	}
}

func (b *broker) startAgain(t testing.TB) {
	t.Helper()
	if err := b.run("start-again"); err != nil {
		t.Fatal(err)
	}
}

func TestMain(m *testing.M) {
	// The rule of every suite: no broker, no test (fail, never skip). This suite's own
	// broker is private, but a missing KLIENT_TEST_BOOTSTRAP means the environment is
	// not the test environment, and the private broker must never be the shared one.
	shared := os.Getenv("KLIENT_TEST_BOOTSTRAP")
	if shared == "" {
		fmt.Fprintln(os.Stderr, "KLIENT_TEST_BOOTSTRAP is not set: source build/broker.env (make broker-up) first")
		os.Exit(1)
	}
	wd, _ := os.Getwd()
	root = filepath.Clean(filepath.Join(wd, "..", ".."))
	bin = os.Getenv("KLIENT_BIN")
	if bin == "" {
		bin = filepath.Join(root, "build", "bin", "klient")
	}
	if _, err := os.Stat(bin); err != nil {
		fmt.Fprintf(os.Stderr, "klient binary %s missing: run make build\n", bin)
		os.Exit(1)
	}
	prefix = fmt.Sprintf("faults-%06d-", rand.New(rand.NewSource(time.Now().UnixNano())).Intn(1000000))
	dir, err := os.MkdirTemp("", "klient-faults")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	priv = &broker{state: filepath.Join(dir, "broker")}
	code := 1
	func() {
		defer func() {
			for i := len(shutdown) - 1; i >= 0; i-- {
				shutdown[i]()
			}
			_ = priv.run("down")
			os.RemoveAll(dir)
		}()
		t0 := time.Now()
		if err := priv.run("up"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return
		}
		priv.bootstrap = readEnv(priv.state+".env", "KLIENT_TEST_BOOTSTRAP")
		if priv.bootstrap == "" || priv.bootstrap == shared {
			fmt.Fprintf(os.Stderr, "private broker address %q unusable (shared broker is %s)\n", priv.bootstrap, shared)
			return
		}
		fmt.Fprintf(os.Stderr, "faults: private broker at %s (up in %v)\n", priv.bootstrap, time.Since(t0).Round(time.Second))
		code = m.Run()
	}()
	os.Exit(code)
}

func readEnv(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+"="); ok {
			return v
		}
	}
	return ""
}

// name returns a unique name for a topic, group or transactional id.
func name(t testing.TB, what string) string {
	return fmt.Sprintf("%s%s-%s-%d", prefix, strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())), what, time.Now().UnixNano()%1e6)
}

// newTopic creates a topic on the private broker.
func newTopic(t testing.TB, what string, partitions int) string {
	t.Helper()
	topic := name(t, what)
	adm, err := klient.NewAdmin(config.Map{"bootstrap.servers": priv.bootstrap})
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := adm.CreateTopics(ctx, []klient.TopicSpec{{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("create topic %s: %v %v", topic, err, res)
	}
	return topic
}

// readAll reads topic from the beginning with a fresh group until want messages arrived
// and then nothing more for quiet (so duplicates beyond want show up), or within ends.
func readAll(t testing.TB, topic, isolation string, want int, within, quiet time.Duration) []*klient.ConsumedMessage {
	t.Helper()
	c, err := klient.NewConsumer(config.Map{"bootstrap.servers": priv.bootstrap, "group.id": name(t, "check"),
		"isolation.level": isolation, "enable.auto.commit": false}, klient.ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close(context.Background()) }()
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	var out []*klient.ConsumedMessage
	deadline := time.Now().Add(within)
	last := time.Now()
	for time.Now().Before(deadline) {
		window, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		msgs, err := c.ConsumeBatch(window, 5000)
		cancel()
		if err != nil {
			t.Fatalf("reading %s back: %v", topic, err)
		}
		out = append(out, msgs...)
		if len(msgs) > 0 {
			last = time.Now()
		}
		if len(out) >= want && time.Since(last) >= quiet {
			break
		}
	}
	return out
}

// committed returns group's committed offset per partition of topic (-1001 = none).
func committed(t testing.TB, group, topic string, partitions int) map[int32]int64 {
	t.Helper()
	c, err := klient.NewConsumer(config.Map{"bootstrap.servers": priv.bootstrap, "group.id": group, "enable.auto.commit": false}, klient.ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close(context.Background()) }()
	tps := make([]kafka.TopicPartition, partitions)
	for p := range tps {
		tps[p] = kafka.TopicPartition{Topic: &topic, Partition: int32(p)}
	}
	// A restarted broker can answer with a retriable error per partition (coordinator
	// load in progress, not coordinator) and offset -1001 until it has read
	// __consumer_offsets back: ask again, so that this never reads as "nothing
	// committed", and fail on any other error (it was ignored before).
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := c.Kafka().Committed(tps, 15000)
		if err == nil {
			for _, tp := range got {
				if tp.Error != nil {
					err = fmt.Errorf("partition %d: %w", tp.Partition, tp.Error)
					break
				}
			}
		}
		if err == nil {
			out := map[int32]int64{}
			for _, tp := range got {
				out[tp.Partition] = int64(tp.Offset)
			}
			return out
		}
		var ke kafka.Error
		retry := errors.As(err, &ke) && (ke.IsRetriable() || ke.Code() == kafka.ErrCoordinatorLoadInProgress ||
			ke.Code() == kafka.ErrNotCoordinator || ke.Code() == kafka.ErrCoordinatorNotAvailable)
		if !retry || time.Now().After(deadline) {
			t.Fatalf("committed offsets of %s: %v", group, err)
		}
		t.Logf("committed offsets of %s: %v; asking again", group, err)
		time.Sleep(250 * time.Millisecond)
	}
}

// produceValues writes values (keyed by key(i)) to topic on the private broker and
// checks every delivery report.
func produceValues(t testing.TB, topic string, n int, key func(int) string, value func(int) string) {
	t.Helper()
	p, err := klient.NewProducer(config.Map{"bootstrap.servers": priv.bootstrap, "linger.ms": 5, "enable.idempotence": true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, c := context.WithTimeout(context.Background(), 30*time.Second)
		defer c()
		_ = p.Close(ctx)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	for start := 0; start < n; start += 10000 {
		end := min(start+10000, n)
		msgs := make([]klient.Message, 0, end-start)
		for i := start; i < end; i++ {
			msgs = append(msgs, klient.Message{Topic: topic, Partition: klient.AnyPartition, Key: []byte(key(i)), Value: []byte(value(i))})
		}
		if _, _, err := p.ProduceAsync(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range p.DeliveryReports(0, 0) {
		if r.Err != nil {
			t.Fatalf("seeding %s: %v", topic, r.Err)
		}
	}
}

// endOffsets returns the high watermark of each partition of topic.
func endOffsets(t testing.TB, topic string, partitions int) map[int32]int64 {
	t.Helper()
	c, err := klient.NewConsumer(config.Map{"bootstrap.servers": priv.bootstrap, "group.id": name(t, "wm")}, klient.ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close(context.Background()) }()
	out := map[int32]int64{}
	for p := int32(0); p < int32(partitions); p++ {
		_, high, err := c.Kafka().QueryWatermarkOffsets(topic, p, 15000)
		if err != nil {
			t.Fatalf("end offset of %s[%d]: %v", topic, p, err)
		}
		out[p] = high
	}
	return out
}
