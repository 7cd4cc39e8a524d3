// Package clitest runs the klient binary (build/bin/klient, or $KLIENT_BIN) against the
// real broker in KLIENT_TEST_BOOTSTRAP. Topics, groups and transactional ids carry a
// unique prefix so the suite can run next to the others on the shared broker.
package clitest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	bin       string
	bootstrap string
	prefix    string // "test-cli-<rand>-": starts with "test" for the spec's name:^test.* filter
	noConfig  string // a config path that does not exist: the machine's ~/.kafka is ignored
)

func TestMain(m *testing.M) {
	bootstrap = os.Getenv("KLIENT_TEST_BOOTSTRAP")
	if bootstrap == "" {
		fmt.Fprintln(os.Stderr, "KLIENT_TEST_BOOTSTRAP is not set: the CLI suite needs the test broker (source build/broker.env)")
		os.Exit(1)
	}
	bin = os.Getenv("KLIENT_BIN")
	if bin == "" {
		bin, _ = filepath.Abs("../../build/bin/klient")
	}
	if _, err := os.Stat(bin); err != nil {
		fmt.Fprintf(os.Stderr, "klient binary %s missing: run make build\n", bin)
		os.Exit(1)
	}
	prefix = fmt.Sprintf("test-cli-%06d-", rand.New(rand.NewSource(time.Now().UnixNano())).Intn(1000000))
	dir, _ := os.MkdirTemp("", "klient-cli-test")
	noConfig = filepath.Join(dir, "absent", "config.json")
	code := m.Run()
	cleanupTopics()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	topicsMu sync.Mutex
	created  []string
)

func cleanupTopics() {
	topicsMu.Lock()
	defer topicsMu.Unlock()
	if len(created) > 0 {
		args := append([]string{"admin", "delete-topics"}, created...)
		cmd := exec.Command(bin, args...)
		cmd.Env = baseEnv()
		_ = cmd.Run()
	}
}

func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "KLIENT_BOOTSTRAP_SERVERS=") || strings.HasPrefix(kv, "KLIENT_CONFIG_FILE=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "KLIENT_BOOTSTRAP_SERVERS="+bootstrap, "KLIENT_CONFIG_FILE="+noConfig)
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s\n--- stderr:\n%s", r.code, r.stdout, r.stderr)
}

// klient runs the binary to completion (bounded at 90 s).
func klient(t *testing.T, args ...string) result {
	t.Helper()
	return klientEnv(t, nil, args...)
}

func klientEnv(t *testing.T, extraEnv []string, args ...string) result {
	t.Helper()
	return runKlient(t, extraEnv, nil, args...)
}

// runKlient runs the binary with extra environment and stdin (nil: none), bounded at 90 s.
func runKlient(t *testing.T, extraEnv []string, stdin io.Reader, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(baseEnv(), extraEnv...)
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("klient %v: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("klient %v did not finish within 90 s\n%s", args, r)
	}
	return r
}

// ok runs klient and fails the test unless it exits 0.
func ok(t *testing.T, args ...string) result {
	t.Helper()
	r := klient(t, args...)
	if r.code != 0 {
		t.Fatalf("klient %s: want exit 0\n%s", strings.Join(args, " "), r)
	}
	return r
}

// wantCode runs klient and checks the exit code and that stderr mentions every hint.
func wantCode(t *testing.T, code int, hints []string, args ...string) result {
	t.Helper()
	r := klient(t, args...)
	if r.code != code {
		t.Fatalf("klient %s: want exit %d\n%s", strings.Join(args, " "), code, r)
	}
	for _, h := range hints {
		if !strings.Contains(strings.ToLower(r.stderr), strings.ToLower(h)) {
			t.Errorf("klient %s: stderr should mention %q\n%s", strings.Join(args, " "), h, r)
		}
	}
	return r
}

// topic creates a uniquely named topic and returns its name.
func topic(t *testing.T, name string, partitions int) string {
	t.Helper()
	full := prefix + name
	ok(t, "admin", "create-topic", full, "--partitions", fmt.Sprint(partitions))
	topicsMu.Lock()
	created = append(created, full)
	topicsMu.Unlock()
	return full
}

func jsonOf(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return v
}

// jsonLines parses stdout as one JSON object per line.
func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line is not a JSON object: %q (%v)", l, err)
		}
		out = append(out, m)
	}
	return out
}

func eventsNamed(lines []map[string]any, name string) []map[string]any {
	var out []map[string]any
	for _, l := range lines {
		if l["event"] == name {
			out = append(out, l)
		}
	}
	return out
}

// writeFile writes content into the test's temp dir.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// produceN puts n messages on topic (partition p, or any when p < 0) through from-file.
func produceN(t *testing.T, topic string, n, p int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("[")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		if p >= 0 {
			fmt.Fprintf(&b, `{"id":"k%d","n":%d,"p":%d}`, i, i, p)
		} else {
			fmt.Fprintf(&b, `{"id":"k%d","n":%d}`, i, i)
		}
	}
	b.WriteString("]")
	f := writeFile(t, "records.json", b.String())
	args := []string{"produce", "from-file", topic, f, "--key-field", "id"}
	if p >= 0 {
		args = append(args, "--partition-field", "p")
	}
	ok(t, args...)
}

// running is a klient process started in the background (stream, relay).
type running struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stdout bytes.Buffer
	stderr bytes.Buffer
	lines  chan string
	done   chan struct{}
	code   int
}

func start(t *testing.T, args ...string) *running {
	t.Helper()
	r := &running{cmd: exec.Command(bin, args...), lines: make(chan string, 10000), done: make(chan struct{})}
	r.cmd.Env = baseEnv()
	r.cmd.Stderr = &lockedWriter{mu: &r.mu, b: &r.stderr}
	pipe, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			r.mu.Lock()
			r.stdout.WriteString(sc.Text() + "\n")
			r.mu.Unlock()
			select {
			case r.lines <- sc.Text():
			default:
			}
		}
		_ = r.cmd.Wait()
		r.code = r.cmd.ProcessState.ExitCode()
		close(r.done)
	}()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			_ = r.cmd.Process.Kill()
			<-r.done
		}
	})
	return r
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// waitLine waits for a stdout line containing s.
func (r *running) waitLine(t *testing.T, s string, timeout time.Duration) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l := <-r.lines:
			if strings.Contains(l, s) {
				return l
			}
		case <-r.done:
			// Drain what is left.
			for {
				select {
				case l := <-r.lines:
					if strings.Contains(l, s) {
						return l
					}
				default:
					t.Fatalf("process ended before printing %q\n%s", s, r.result())
				}
			}
		case <-deadline:
			t.Fatalf("no line containing %q within %s\n%s", s, timeout, r.result())
		}
	}
}

func (r *running) signal(sig syscall.Signal) { _ = r.cmd.Process.Signal(sig) }

// wait waits for the exit and returns the output.
func (r *running) wait(t *testing.T, timeout time.Duration) result {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(timeout):
		t.Fatalf("process did not exit within %s\n%s", timeout, r.result())
	}
	return r.result()
}

func (r *running) result() result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return result{stdout: r.stdout.String(), stderr: r.stderr.String(), code: r.code}
}
