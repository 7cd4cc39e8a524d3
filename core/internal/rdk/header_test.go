package rdk

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The header this package compiles against must be the one confluent-kafka-go links:
// a copy from another librdkafka version would declare functions and constants that do
// not match the library in the binary.
func TestVendoredHeaderMatches(t *testing.T) {
	ours, err := os.ReadFile(filepath.Join("include", "librdkafka", "rdkafka.h"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/confluentinc/confluent-kafka-go/v2").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	mod := strings.TrimSpace(string(out))
	theirs, err := os.ReadFile(filepath.Join(mod, "kafka", "librdkafka_vendor", "rdkafka.h"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours, theirs) {
		t.Fatalf("core/internal/rdk/include/librdkafka/rdkafka.h differs from %s/kafka/librdkafka_vendor/rdkafka.h: copy it again after a confluent-kafka-go upgrade", mod)
	}
}
