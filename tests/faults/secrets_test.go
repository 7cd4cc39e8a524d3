package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klient-dev/klient/core/config"
)

// sensitiveProperties are librdkafka's secret properties (flagged _RK_SENSITIVE in its
// src/rdkafka_conf.c), written out here rather than read from the code under test.
// sasl.username is one of them but stays the real user name, so that the SASL runs
// reach the authentication step.
var sensitiveProperties = []string{
	"sasl.password", "sasl.oauthbearer.config", "sasl.oauthbearer.client.secret",
	"sasl.oauthbearer.assertion.private.key.file", "sasl.oauthbearer.assertion.private.key.passphrase",
	"sasl.oauthbearer.assertion.private.key.pem", "ssl.key.location", "ssl.key.password", "ssl.key.pem",
	"ssl_key", "ssl.ca.pem", "ssl.keystore.password",
}

// No secret in any output: the CLI (--show-config, info config-dump, a failing
// authentication, stream events, the relay), the Python package (exceptions, reprs,
// logged events) and the C ABI (error messages) run with every librdkafka sensitive
// property set to a unique marker; every byte they print is searched for the markers,
// and the masked dumps must show the mask in their place.
func TestNoSecretInAnyOutput(t *testing.T) {
	saslBS := readEnv(priv.state+".env", "KLIENT_TEST_SASL_BOOTSTRAP")
	if saslBS == "" {
		t.Fatal("the private broker has no SASL listener (KLIENT_TEST_SASL_BOOTSTRAP)")
	}
	r := rand.New(rand.NewSource(time.Now().UnixNano()))
	markers := map[string]string{}
	for _, k := range sensitiveProperties {
		markers[k] = fmt.Sprintf("MRK%08x%s", r.Uint32(), strings.NewReplacer(".", "", "_", "").Replace(k))
	}
	// Environments: "sasl" = the SCRAM listener with a wrong password (the marker);
	// "all" = every secret at once (ssl.* need files: creation fails, naming the problem).
	saslEnv := map[string]any{"bootstrap_servers": saslBS, "security_protocol": "SASL_PLAINTEXT",
		"sasl_mechanism": "SCRAM-SHA-512", "sasl_username": "klient", "sasl_password": markers["sasl.password"]}
	allEnv := map[string]any{"bootstrap_servers": saslBS}
	for k, v := range saslEnv {
		allEnv[k] = v
	}
	for k, v := range markers {
		allEnv[k] = v
	}
	cfgJSON, _ := json.Marshal(map[string]any{"default": map[string]any{"bootstrap_servers": priv.bootstrap},
		"sasl": saslEnv, "all": allEnv,
		"prod": map[string]any{"producer": allEnv, "consumer": allEnv, "admin": allEnv}})
	cfg := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(cfg, cfgJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	topic := newTopic(t, "t", 1)

	var outputs []string
	run := func(within time.Duration, args ...string) {
		ctx, cancel := context.WithTimeout(context.Background(), within)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--config-file", cfg}, args...)...)
		// Without $KLIENT_BOOTSTRAP_SERVERS: it would win over the config file's SASL address.
		for _, kv := range cliEnv(t) {
			if !strings.HasPrefix(kv, "KLIENT_BOOTSTRAP_SERVERS=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		out, err := cmd.CombinedOutput()
		outputs = append(outputs, fmt.Sprintf("$ klient %s  (exit: %v)\n%s", strings.Join(args, " "), err, out))
	}
	for _, env := range []string{"sasl", "all", "prod"} {
		run(30*time.Second, "-e", env, "--show-config", "admin", "list-topics")
		run(30*time.Second, "-e", env, "info", "config-dump")
		run(30*time.Second, "-e", env, "--json", "info", "config-dump")
		run(30*time.Second, "-e", env, "--producer-env", env, "--show-config", "produce", "send", topic, "--value", "x")
		run(30*time.Second, "-e", env, "--json", "consume", "batch", topic, "--group", name(t, "g"), "--timeout", "3")
		// Streams run until killed: the context ends them after their events were printed.
		run(12*time.Second, "-e", env, "--json", "consume", "stream", topic, "--group", name(t, "g"))
		run(12*time.Second, "-e", env, "--json", "relay", "stream", topic, topic+"-out", "--group", name(t, "g"), "--transactional-id", name(t, "tx"))
	}
	// Python and the C ABI.
	mj, _ := json.Marshal(markers)
	py := exec.Command(pythonBin(), filepath.Join(root, "tests", "faults", "secrets_probe.py"), saslBS, string(mj))
	py.Env = append(os.Environ(), "PYTHONPATH="+filepath.Join(root, "bindings", "python"))
	out, err := py.CombinedOutput()
	if err != nil {
		t.Fatalf("secrets_probe.py: %v\n%s", err, out)
	}
	outputs = append(outputs, "$ python secrets_probe.py\n"+string(out))

	all := strings.Join(outputs, "\n")
	// The runs must have reached their error paths, or the grep proves nothing.
	for _, want := range []string{"Authentication failed", "***MASKED***", "KafkaProducerFatalError", "C klient_producer_new rc"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in the captured output: the probe did not reach that path", want)
		}
	}
	for k, m := range markers {
		if strings.Contains(all, m) {
			for _, o := range outputs {
				if strings.Contains(o, m) {
					t.Errorf("%s leaked:\n%s", k, o)
				}
			}
		}
	}
	// The "all" environment's config dumps name every sensitive property, masked.
	for _, o := range outputs {
		if !strings.HasPrefix(o, "$ klient -e all --json info config-dump") {
			continue
		}
		for _, k := range sensitiveProperties {
			k = config.NormalizeKey(k) // the dump spells ssl_key as ssl.key, like every key
			if !strings.Contains(o, fmt.Sprintf("%q: %q", k, "***MASKED***")) && !strings.Contains(o, fmt.Sprintf("%q:%q", k, "***MASKED***")) {
				t.Errorf("info config-dump --json does not show %s as ***MASKED***:\n%s", k, o)
			}
		}
	}
	t.Logf("%d runs, %d bytes of output searched for %d markers", len(outputs), len(all), len(markers))
	if t.Failed() || testing.Verbose() {
		dump := filepath.Join(os.TempDir(), "klient-faults-secrets.log")
		_ = os.WriteFile(dump, []byte(all), 0o600)
		t.Logf("captured output: %s", dump)
	}
}
