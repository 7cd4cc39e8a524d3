package klient_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
)

// secureEnv reads the SASL/TLS listener settings that build/kafka.sh writes into
// build/broker.env next to KLIENT_TEST_BOOTSTRAP.
func secureEnv(t *testing.T, name string) string {
	t.Helper()
	bootstrap(t)
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: source build/broker.env from a broker started by build/kafka.sh up", name)
	}
	return v
}

func roundTrip(t *testing.T, props config.Map) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	topic := newTopic(t, 1)
	p, err := klient.NewProducer(props)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	if _, err := p.Produce(ctx, klient.Message{Topic: topic, Value: []byte("secure")}); err != nil {
		t.Fatalf("produce over %v: %v", props["security.protocol"], err)
	}
	cprops := config.Map{"group.id": "g-" + topic}
	for k, v := range props {
		cprops[k] = v
	}
	c, err := klient.NewConsumer(cprops, klient.ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	if got := consumeN(t, c, 1, 20*time.Second); len(got) != 1 || string(got[0].Value) != "secure" {
		t.Fatalf("consume over %v: %v", props["security.protocol"], got)
	}
}

func saslProps(t *testing.T, password string) config.Map {
	return config.Map{
		"bootstrap.servers": secureEnv(t, "KLIENT_TEST_SASL_BOOTSTRAP"), "security.protocol": "SASL_PLAINTEXT",
		"sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": secureEnv(t, "KLIENT_TEST_SASL_USERNAME"),
		"sasl.password": password,
	}
}

func TestSASLSCRAMRoundTrip(t *testing.T) {
	roundTrip(t, saslProps(t, secureEnv(t, "KLIENT_TEST_SASL_PASSWORD")))
}

func TestTLSRoundTrip(t *testing.T) {
	roundTrip(t, config.Map{
		"bootstrap.servers": secureEnv(t, "KLIENT_TEST_SSL_BOOTSTRAP"), "security.protocol": "SSL",
		"ssl.ca.location": secureEnv(t, "KLIENT_TEST_SSL_CA"),
	})
}

func TestWrongPasswordFailsFastWithoutLeakingIt(t *testing.T) {
	const wrong = "definitely-not-the-password"
	p, err := klient.NewProducer(saslProps(t, wrong))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = p.Close(ctx)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err = p.Produce(ctx, klient.Message{Topic: "klient-sasl-wrong", Value: []byte("x")})
	if err == nil {
		t.Fatal("produce with a wrong password succeeded")
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("authentication failure took %v", time.Since(start))
	}
	var ke *klient.Error
	if !errors.As(err, &ke) || !(ke.Fatal || strings.Contains(strings.ToLower(err.Error()), "auth")) {
		t.Fatalf("want an authentication error, got %v", err)
	}
	if strings.Contains(err.Error(), wrong) {
		t.Fatal("the error message contains the password")
	}
}

func TestConsumerWithWrongPasswordReportsAuthentication(t *testing.T) {
	const wrong = "definitely-not-the-password"
	props := saslProps(t, wrong)
	props["group.id"] = "g-wrong-password"
	c, err := klient.NewConsumer(props, klient.ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if err := c.Subscribe([]string{"klient-sasl-wrong"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		_, err = consumeWithin(context.Background(), c, 10, 500*time.Millisecond)
		if err != nil {
			break
		}
	}
	if err == nil || !strings.Contains(err.Error(), "authentication failed") || strings.Contains(err.Error(), wrong) {
		t.Fatalf("want an authentication error within 10 s (without the password), got %v", err)
	}
}

// The admin client reports a wrong password as an authentication failure within
// seconds, not as a transport failure after its timeout (it used to end after ~10 s
// with "Broker transport failure"), and the password is not in the message.
func TestAdminWithWrongPasswordReportsAuthentication(t *testing.T) {
	const wrong = "definitely-not-the-password"
	a, err := klient.NewAdmin(saslProps(t, wrong))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	calls := map[string]func() error{
		"list_topics":     func() error { _, err := a.ListTopics(ctx, false); return err },
		"describe_topics": func() error { _, err := a.DescribeTopics(ctx, []string{"klient-sasl-wrong"}); return err },
		"create_topics": func() error {
			_, err := a.CreateTopics(ctx, []klient.TopicSpec{{Topic: "klient-sasl-wrong", NumPartitions: 1}})
			return err
		},
	}
	for name, call := range calls {
		start := time.Now()
		err := call()
		took := time.Since(start)
		if err == nil || !strings.Contains(err.Error(), "authentication failed") || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: want an authentication failure naming the call, got %v", name, err)
		}
		if !errors.Is(err, klient.ErrFatal) {
			t.Errorf("%s: want a fatal (not retriable transport) error, got kind %v", name, err)
		}
		if took > 8*time.Second {
			t.Errorf("%s: authentication failure took %v", name, took)
		}
		if err != nil && strings.Contains(err.Error(), wrong) {
			t.Errorf("%s: the error message contains the password", name)
		}
	}
	// The right password through the same listener still works (the watch does not
	// fail healthy calls).
	good, err := klient.NewAdmin(saslProps(t, secureEnv(t, "KLIENT_TEST_SASL_PASSWORD")))
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close(context.Background())
	if _, err := good.ListTopics(ctx, false); err != nil {
		t.Fatalf("list_topics with the right password: %v", err)
	}
}

// An unreachable broker is a clear "connection refused" naming the address, within
// about UnreachableAfter of the refusal (it used to take 10-30 s and say "transport
// failure" or "timed out"), for every admin call; the context's own deadline still
// wins when it is shorter.
func TestAdminUnreachableBrokerSaysConnectionRefused(t *testing.T) {
	a, err := klient.NewAdmin(config.Map{"bootstrap.servers": "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	calls := []struct {
		name string
		call func() error
	}{
		{"list_topics", func() error { _, err := a.ListTopics(ctx, false); return err }},
		{"create_topics", func() error {
			_, err := a.CreateTopics(ctx, []klient.TopicSpec{{Topic: "klient-unreachable", NumPartitions: 1}})
			return err
		}},
		{"describe_topics", func() error { _, err := a.DescribeTopics(ctx, []string{"klient-unreachable"}); return err }},
		{"delete_topics", func() error { _, err := a.DeleteTopics(ctx, []string{"klient-unreachable"}); return err }},
	}
	for _, c := range calls {
		start := time.Now()
		err := c.call()
		took := time.Since(start)
		if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "127.0.0.1:1") ||
			!strings.Contains(err.Error(), "bootstrap.servers") {
			t.Errorf("%s: want \"connection refused\" with the address and a hint, got %v", c.name, err)
		}
		if took > klient.UnreachableAfter+3*time.Second {
			t.Errorf("%s: took %v, want about %v", c.name, took, klient.UnreachableAfter)
		}
	}
	short, cancelShort := context.WithTimeout(context.Background(), time.Second)
	defer cancelShort()
	start := time.Now()
	if _, err := a.ListTopics(short, false); err == nil || time.Since(start) > 3*time.Second {
		t.Errorf("a 1 s deadline: err %v after %v", err, time.Since(start))
	}
}

// A producer that never reached a broker fails as clearly and as soon: a sync produce,
// a flush and a close end with "connection refused" and the address after about
// UnreachableAfter instead of waiting out message.timeout.ms (30 s here). The queued
// messages are purged (a retry cannot duplicate them) and their reports say why.
func TestProducerUnreachableBrokerSaysConnectionRefused(t *testing.T) {
	p, err := klient.NewProducer(config.Map{"bootstrap.servers": "127.0.0.1:1", "message.timeout.ms": 30000})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	refused := func(what string, err error, took time.Duration) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), "connection refused by 127.0.0.1:1") || !strings.Contains(err.Error(), "bootstrap.servers") {
			t.Errorf("%s: want \"connection refused by 127.0.0.1:1\" and a hint, got %v", what, err)
		}
		if took > klient.UnreachableAfter+3*time.Second {
			t.Errorf("%s: took %v, want about %v", what, took, klient.UnreachableAfter)
		}
	}
	start := time.Now()
	_, err = p.Produce(ctx, klient.Message{Topic: "klient-unreachable", Value: []byte("x")})
	refused("produce", err, time.Since(start))
	if !klient.IsRetriable(err) {
		t.Errorf("produce: %v is not retriable", err)
	}
	id, _, err := p.ProduceAsync(ctx, klient.Message{Topic: "klient-unreachable", Value: []byte("y")})
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	left, err := p.Flush(ctx)
	refused("flush", err, time.Since(start))
	if left != 1 {
		t.Errorf("flush: %d messages not delivered, want 1", left)
	}
	reps := p.DeliveryReports(10, time.Second)
	if len(reps) != 1 || reps[0].ID != id || reps[0].Err == nil || !strings.Contains(reps[0].Err.Error(), "connection refused by 127.0.0.1:1") {
		t.Errorf("the purged message's report: %+v", reps)
	}
	if _, _, err := p.ProduceAsync(ctx, klient.Message{Topic: "klient-unreachable", Value: []byte("z")}); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	err = p.Close(ctx)
	if took := time.Since(start); err == nil || !strings.Contains(err.Error(), "1 messages were not delivered because no broker was reachable") || took > 3*time.Second {
		t.Errorf("close: %v after %v; want the queued message purged at once", err, took)
	}
}

// A consumer's metadata request (the CLI's "does the topic exist" check, before any
// subscription) ends early too: "connection refused" with the address after
// UnreachableAfter, "authentication failed" at once; a missing topic is ErrNotFound and
// an existing one lists its partitions.
func TestConsumerTopicPartitionsFailsClearly(t *testing.T) {
	down := newConsumer(t, "g-unreachable", config.Map{"bootstrap.servers": "127.0.0.1:1"}, klient.ConsumerOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	_, err := down.TopicPartitions(ctx, "klient-unreachable")
	if took := time.Since(start); err == nil || !strings.Contains(err.Error(), "connection refused by 127.0.0.1:1") || took > klient.UnreachableAfter+3*time.Second {
		t.Errorf("unreachable: %v after %v", err, took)
	}

	props := saslProps(t, "definitely-not-the-password")
	props["group.id"] = "g-wrong-password-md"
	wrong, err := klient.NewConsumer(props, klient.ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close(context.Background())
	start = time.Now()
	_, err = wrong.TopicPartitions(ctx, "klient-sasl-wrong")
	if took := time.Since(start); err == nil || !strings.Contains(err.Error(), "authentication failed") || took > 8*time.Second {
		t.Errorf("wrong password: %v after %v", err, took)
	}

	topic := newTopic(t, 3)
	c := newConsumer(t, "g-md-"+topic, nil, klient.ConsumerOptions{})
	if parts, err := c.TopicPartitions(ctx, topic); err != nil || len(parts) != 3 {
		t.Errorf("existing topic: %v, %v; want 3 partitions", parts, err)
	}
	if _, err := c.TopicPartitions(ctx, topic+"-missing"); !errors.Is(err, klient.ErrNotFound) {
		t.Errorf("missing topic: %v, want ErrNotFound", err)
	}
	// After Subscribe the fetch goroutine owns the queue; the request still works.
	if err := c.Subscribe([]string{topic}); err != nil {
		t.Fatal(err)
	}
	if parts, err := c.TopicPartitions(ctx, topic); err != nil || len(parts) != 3 {
		t.Errorf("after subscribe: %v, %v", parts, err)
	}
}

// A broker that accepts connections again is not reported unreachable from the stale
// "all brokers down" event (librdkafka announces brokers going down, not coming back):
// the call gets its whole deadline, as it did before the early failure existed.
func TestAdminDoesNotFailEarlyOnceTheBrokerListensAgain(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	a, err := klient.NewAdmin(config.Map{"bootstrap.servers": addr})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := a.ListTopics(ctx, false); err == nil || !strings.Contains(err.Error(), "connection refused by "+addr) {
		t.Fatalf("nothing listening: %v", err)
	}
	// Something listens there now (it accepts and never answers, like a broker still
	// starting up).
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s was taken meanwhile: %v", addr, err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	short, cancelShort := context.WithTimeout(context.Background(), 7*time.Second)
	defer cancelShort()
	start := time.Now()
	_, err = a.ListTopics(short, false)
	if took := time.Since(start); err == nil || strings.Contains(err.Error(), "connection refused") || took < 6*time.Second {
		t.Fatalf("listening again: %v after %v; want the call's own timeout (7 s), not an early 'connection refused'", err, took)
	}
}
