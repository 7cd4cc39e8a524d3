package klient_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
)

// A refused connection is one of librdkafka's log lines: with SetLogger it must arrive as
// a slog record and nothing may reach stderr, from a producer (served by klient's
// producer poller), a consumer (rdk.ServeLogs) and an admin client (rdk.ServeMain). The
// clients run in a child process (this test binary again) so its stderr can be captured
// whole.
func TestLogsReachSlogNotStderr(t *testing.T) {
	if os.Getenv("KLIENT_LOGS_CHILD") == "1" {
		logsChild()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestLogsReachSlogNotStderr$", "-test.count=1")
	cmd.Env = append(os.Environ(), "KLIENT_LOGS_CHILD=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{`"level":"ERROR"`, `"facility":"FAIL"`, `"client":"producer"`, `"client":"consumer"`,
		`"client":"admin"`, `"name":"rdkafka#consumer-`, `"syslog_level":3`, "127.0.0.1:1"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in the slog record:\n%s", want, out)
		}
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr is not empty:\n%s", stderr.String())
	}
}

// logsChild writes slog records as JSON lines to stdout until a FAIL record came from
// each client.
func logsChild() {
	got := make(chan string, 100)
	h := slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelDebug})
	klient.SetLogger(slog.New(&notifyHandler{Handler: h, got: got}))
	defer klient.SetLogger(nil)
	p, err := klient.NewProducer(config.Map{"bootstrap.servers": "127.0.0.1:1"})
	if err != nil {
		panic(err)
	}
	defer p.Close(context.Background())
	c, err := klient.NewConsumer(config.Map{"bootstrap.servers": "127.0.0.1:1", "group.id": "logs"}, klient.ConsumerOptions{})
	if err != nil {
		panic(err)
	}
	defer c.Close(context.Background())
	a, err := klient.NewAdmin(config.Map{"bootstrap.servers": "127.0.0.1:1"})
	if err != nil {
		panic(err)
	}
	defer a.Close(context.Background())
	seen := map[string]bool{}
	timeout := time.After(20 * time.Second)
	for !seen["producer"] || !seen["consumer"] || !seen["admin"] {
		select {
		case client := <-got:
			seen[client] = true
		case <-timeout:
			panic(fmt.Sprintf("FAIL log records within 20s only from %v", seen))
		}
	}
}

// notifyHandler sends the client of every FAIL record to got.
type notifyHandler struct {
	slog.Handler
	got chan string
}

func (h *notifyHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	fail, client := false, ""
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "facility":
			fail = a.Value.String() == "FAIL"
		case "client":
			client = a.Value.String()
		}
		return true
	})
	if fail {
		select {
		case h.got <- client:
		default:
		}
	}
	return err
}

func TestSlogLevel(t *testing.T) {
	want := map[int]slog.Level{0: slog.LevelError, 3: slog.LevelError, 4: slog.LevelWarn, 5: slog.LevelInfo, 6: slog.LevelInfo, 7: slog.LevelDebug}
	for syslog, lvl := range want {
		if got := klient.SlogLevel(syslog); got != lvl {
			t.Errorf("SlogLevel(%d) = %v, want %v", syslog, got, lvl)
		}
	}
}
