package clitest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// librdkafkaSensitive are the properties librdkafka flags _RK_SENSITIVE
// (src/rdkafka_conf.c), written out here so that the test fails if masking drops one.
var librdkafkaSensitive = []string{
	"sasl.username", "sasl.password", "sasl.oauthbearer.config", "sasl.oauthbearer.client.secret",
	"sasl.oauthbearer.assertion.private.key.file", "sasl.oauthbearer.assertion.private.key.passphrase",
	"sasl.oauthbearer.assertion.private.key.pem", "ssl.key.location", "ssl.key.password", "ssl.key.pem",
	"ssl.ca.pem", "ssl.keystore.password",
}

// Every librdkafka sensitive property, flat and in a role section, is shown as
// ***MASKED*** by --show-config and info config-dump (text and JSON), and its value
// appears nowhere (TestShowConfigMasksSecrets only looked at sasl.password and
// sasl.username, and missed sasl.oauthbearer.config).
func TestEverySensitivePropertyIsMasked(t *testing.T) {
	env := map[string]any{}
	for _, k := range librdkafkaSensitive {
		env[k] = "marker-" + k
	}
	env["producer"] = map[string]any{"sasl.oauthbearer.config": "marker-producer-section"}
	doc, _ := json.Marshal(map[string]any{"default": map[string]any{"bootstrap.servers": "prod-kafka-shared:9092"}, "secrets": env})
	cfg := writeFile(t, "config.json", string(doc))
	runs := []result{
		ok(t, "--config-file", cfg, "-e", "secrets", "info", "config-dump"),
		ok(t, "--config-file", cfg, "-e", "secrets", "--json", "info", "config-dump"),
	}
	for _, extra := range [][]string{nil, {"--json"}} {
		runs = append(runs, ok(t, append(append([]string{"--config-file", cfg}, extra...), "-e", "secrets", "--show-config", "admin", "list-topics")...))
	}
	for i, r := range runs {
		all := r.stdout + r.stderr
		if strings.Contains(all, "marker-") {
			t.Errorf("run %d printed a secret:\n%s%s", i, r.stdout, r.stderr)
		}
		for _, k := range librdkafkaSensitive {
			if !strings.Contains(all, k) {
				t.Errorf("run %d does not list %s", i, k)
			}
		}
	}
	// The JSON dump: each property's value is exactly the marker.
	for _, k := range librdkafkaSensitive {
		if !strings.Contains(runs[1].stdout, fmt.Sprintf("%q: %q", k, "***MASKED***")) {
			t.Errorf("config-dump --json does not show %s as ***MASKED***:\n%s", k, runs[1].stdout)
		}
	}
}
