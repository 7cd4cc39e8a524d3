package klient_test

import (
	"context"
	"errors"
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
	defer c.Close()
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
	defer c.Close()
	if err := c.Subscribe([]string{"klient-sasl-wrong"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		_, err = c.ConsumeBatch(context.Background(), 10, 500*time.Millisecond)
		if err != nil {
			break
		}
	}
	if err == nil || !strings.Contains(err.Error(), "authentication failed") || strings.Contains(err.Error(), wrong) {
		t.Fatalf("want an authentication error within 10 s (without the password), got %v", err)
	}
}
