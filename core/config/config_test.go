package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const roles = `{
  "default": {"bootstrap.servers": "shared:9092", "client.id": "app-base"},
  "prod-producer": {"bootstrap.servers": "prod-write:9092", "compression.type": "lz4", "linger.ms": 25},
  "prod-consumer": {"bootstrap.servers": "prod-read:9092", "auto.offset.reset": "earliest", "fetch.max.bytes": 5242880}
}`

func TestResolveMergesDefaultUnderEnv(t *testing.T) {
	f, err := LoadFile(write(t, roles))
	if err != nil {
		t.Fatal(err)
	}
	got := f.Resolve("prod-producer")
	if got["bootstrap.servers"] != "prod-write:9092" || got["client.id"] != "app-base" || got["compression.type"] != "lz4" {
		t.Fatalf("merge = %v", got)
	}
	if _, leaked := got["fetch.max.bytes"]; leaked {
		t.Fatal("consumer env leaked into producer env")
	}
	if d := f.Resolve(""); len(d) != 2 || d["bootstrap.servers"] != "shared:9092" {
		t.Fatalf("no env → default, got %v", d)
	}
	if m := f.Resolve("nope"); len(m) != 0 {
		t.Fatalf("missing env → empty map, got %v", m)
	}
	if envs := f.Environments(); strings.Join(envs, ",") != "prod-consumer,prod-producer" {
		t.Fatalf("environments = %v", envs)
	}
}

func TestNoDefaultReturnsRawMapping(t *testing.T) {
	f, err := LoadFile(write(t, `{"bootstrap.servers": "raw:9092"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Resolve(""); got["bootstrap.servers"] != "raw:9092" {
		t.Fatalf("raw mapping = %v", got)
	}
}

func TestSplitSectionsAndNormalisesKeys(t *testing.T) {
	f, err := LoadFile(write(t, `{
  "default": {"bootstrap_servers": "localhost:9092"},
  "dev": {
    "bootstrap_servers": "dev-broker:9092",
    "producer": {"linger_ms": 5},
    "consumer": {"group_id": "demo-group", "auto_offset_reset": "earliest"},
    "admin": {"security_protocol": "PLAINTEXT"}
  }
}`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Split(f.Resolve("dev"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Producer["bootstrap.servers"] != "dev-broker:9092" || s.Producer["linger.ms"] != int64(5) {
		t.Fatalf("producer = %v", s.Producer)
	}
	if s.Consumer["group.id"] != "demo-group" || s.Consumer["auto.offset.reset"] != "earliest" {
		t.Fatalf("consumer = %v", s.Consumer)
	}
	if _, ok := s.Producer["group.id"]; ok {
		t.Fatal("consumer section leaked into producer")
	}
	if s.Admin["security.protocol"] != "PLAINTEXT" || s.Common["bootstrap.servers"] != "dev-broker:9092" {
		t.Fatalf("admin = %v common = %v", s.Admin, s.Common)
	}
	if _, err := Split(map[string]any{"producer": "x"}); err == nil {
		t.Fatal("a non-object section must be rejected")
	}
	if _, err := Split(map[string]any{"nested": map[string]any{"a": 1}}); err == nil {
		t.Fatal("a nested non-section object must be rejected")
	}
}

func TestMalformedFileNamesFileLineAndColumn(t *testing.T) {
	p := write(t, "{\n  \"default\": {\n    \"a\": 1,\n  }\n}")
	_, err := LoadFile(p)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "line 4") {
		t.Fatalf("error = %v", err)
	}
	for body, want := range map[string]string{"": "empty", "[1]": "an array", "{} {}": "after the JSON object"} {
		if _, err := LoadFile(write(t, body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("%q: error = %v, want %q", body, err, want)
		}
	}
	if _, err := LoadFile(filepath.Join(t.TempDir(), "missing.json")); !errors.Is(err, ErrFileNotFound) {
		t.Fatalf("missing file: %v", err)
	}
	if m, err := ResolveEnv(filepath.Join(t.TempDir(), "missing.json"), "dev"); err != nil || len(m) != 0 {
		t.Fatalf("ResolveEnv on a missing file = %v, %v; want empty map", m, err)
	}
}

func TestMaskHidesSecretsEverywhere(t *testing.T) {
	in := map[string]any{
		"bootstrap.servers": "b:9092", "sasl.password": "hunter2", "ssl.key.password": "k",
		"ssl.keystore.password": "ks", "sasl.oauthbearer.client.secret": "s", "sasl_username": "me",
		"producer": map[string]any{"sasl.jaas.config": "x password=y"}, "api_key": "AKIA", "token": "t",
	}
	out := Mask(in)
	for k, v := range out {
		if k == "bootstrap.servers" {
			if v != "b:9092" {
				t.Fatal("non-secret masked")
			}
			continue
		}
		if sub, ok := v.(map[string]any); ok {
			if sub["sasl.jaas.config"] != Masked {
				t.Fatalf("nested secret shown: %v", sub)
			}
			continue
		}
		if v != Masked {
			t.Fatalf("%s shown: %v", k, v)
		}
	}
	if in["sasl.password"] != "hunter2" {
		t.Fatal("Mask modified its input")
	}
}

func TestScalarConversion(t *testing.T) {
	if v, _ := Scalar("a", 5.0); v != int64(5) {
		t.Fatalf("5.0 → %v", v)
	}
	if v, _ := Scalar("a", 0.5); v != "0.5" {
		t.Fatalf("0.5 → %v", v)
	}
	if _, err := Scalar("a", nil); err == nil {
		t.Fatal("null must be rejected")
	}
	if _, err := Scalar("a", []any{1}); err == nil {
		t.Fatal("array must be rejected")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(roles))
	f.Add([]byte(`{"default":{"a":1},"x":{"producer":{"b":"c"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse(data)
		if err != nil {
			return
		}
		file := &File{Doc: doc}
		for _, env := range append(file.Environments(), "") {
			if s, err := Split(file.Resolve(env)); err == nil {
				_ = Mask(s.Producer)
			}
		}
	})
}

// librdkafkaSensitiveList is written out here (not read from the code under test) so
// that dropping a property from IsSensitive fails this test. Source: the properties
// flagged _RK_SENSITIVE in librdkafka's src/rdkafka_conf.c.
var librdkafkaSensitiveList = []string{
	"sasl.username", "sasl.password", "sasl.oauthbearer.config", "sasl.oauthbearer.client.secret",
	"sasl.oauthbearer.assertion.private.key.file", "sasl.oauthbearer.assertion.private.key.passphrase",
	"sasl.oauthbearer.assertion.private.key.pem", "ssl.key.location", "ssl.key.password", "ssl.key.pem",
	"ssl_key", "ssl.ca.pem", "ssl.keystore.password",
}

// Every librdkafka sensitive property, in every spelling a config can use (dotted,
// Python-style underscores, upper case) and in every place (flat, role sections, after
// Split), is masked with the replaced CLI's marker.
func TestEveryLibrdkafkaSensitivePropertyIsMasked(t *testing.T) {
	if Masked != "***MASKED***" {
		t.Fatalf("Masked = %q, want the released CLI's ***MASKED***", Masked)
	}
	if got := SensitiveProperties(); len(got) != len(librdkafkaSensitiveList) {
		t.Errorf("SensitiveProperties() = %v, want the %d of librdkafka", got, len(librdkafkaSensitiveList))
	}
	for _, prop := range librdkafkaSensitiveList {
		for _, spelling := range []string{prop, strings.ReplaceAll(prop, ".", "_"), strings.ToUpper(prop)} {
			secret := "marker-" + spelling
			raw := map[string]any{spelling: secret, "bootstrap.servers": "b:9092",
				SectionProducer: map[string]any{spelling: secret}, SectionConsumer: map[string]any{spelling: secret},
				SectionAdmin: map[string]any{spelling: secret}}
			dumps := []map[string]any{Mask(raw)}
			s, err := Split(raw)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range []Map{s.Common, s.Producer, s.Consumer, s.Admin} {
				dumps = append(dumps, Mask(m))
			}
			for _, d := range dumps {
				if text := fmt.Sprint(d); strings.Contains(text, secret) || !strings.Contains(text, Masked) {
					t.Errorf("%s: secret shown or not masked: %s", spelling, text)
				}
			}
			if !IsSensitive(spelling) {
				t.Errorf("IsSensitive(%q) = false", spelling)
			}
		}
	}
	for _, plain := range []string{"bootstrap.servers", "client.id", "linger.ms", "compression.type", "group.id"} {
		if IsSensitive(plain) {
			t.Errorf("IsSensitive(%q) = true: a plain property would be hidden", plain)
		}
	}
}

// A config file path that is a device or a huge file is refused with a clear error
// instead of being read until memory runs out (--config-file /dev/zero).
func TestLoadFileIsBounded(t *testing.T) {
	done := make(chan error, 1)
	go func() { _, err := LoadFile("/dev/zero"); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "/dev/zero") || !strings.Contains(err.Error(), "16 MiB") {
			t.Fatalf("LoadFile(/dev/zero) = %v, want ErrTooLarge naming the file and the limit", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("LoadFile(/dev/zero) still reading after 10 s")
	}
	big := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(big, []byte(`{"a":"`+strings.Repeat("x", MaxFileSize)+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(big); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("LoadFile(17 MiB file) = %v, want ErrTooLarge", err)
	}
	if _, err := LoadFile(t.TempDir()); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Fatalf("LoadFile(directory) = %v, want an error saying it is a directory", err)
	}
	// Just under the limit still loads.
	ok := filepath.Join(t.TempDir(), "ok.json")
	if err := os.WriteFile(ok, []byte(`{"a":"`+strings.Repeat("x", MaxFileSize-16)+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(ok); err != nil {
		t.Fatalf("LoadFile(file under the limit) = %v", err)
	}
}
