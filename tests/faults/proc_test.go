package faults

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is a klient CLI (or Python) process whose stdout lines the test collects.
type proc struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	errb  bytes.Buffer
	done  chan struct{}
	err   error
}

// cliEnv is the CLI's environment: the private broker, and no config file of the machine.
func cliEnv(t testing.TB, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "KLIENT_BOOTSTRAP_SERVERS=") || strings.HasPrefix(kv, "KLIENT_CONFIG_FILE=") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "KLIENT_BOOTSTRAP_SERVERS="+priv.bootstrap,
		"KLIENT_CONFIG_FILE="+filepath.Join(t.TempDir(), "absent.json"))
	return append(env, extra...)
}

func startProc(t testing.TB, env []string, argv ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(argv[0], argv[1:]...), done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stderr = &lockedWriter{mu: &p.mu, b: &p.errb}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
		}
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(b)
}

func (p *proc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.errb.String()
}

// objects returns the stdout lines decoded as JSON objects.
func (p *proc) objects() []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []map[string]any
	for _, l := range p.lines {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil {
			out = append(out, m)
		} else if r := streamLine.FindStringSubmatch(l); r != nil {
			// `consume stream` prints the released CLI's TOPIC[P]@OFFSET: VALUE lines.
			part, _ := strconv.Atoi(r[2])
			off, _ := strconv.ParseInt(r[3], 10, 64)
			out = append(out, map[string]any{"topic": r[1], "partition": float64(part), "offset": float64(off), "value": r[4]})
		}
	}
	return out
}

var streamLine = regexp.MustCompile(`^(.+)\[(\d+)\]@(\d+): (.*)$`)

// count returns how many stdout objects satisfy pred.
func (p *proc) count(pred func(map[string]any) bool) int {
	n := 0
	for _, o := range p.objects() {
		if pred(o) {
			n++
		}
	}
	return n
}

func isEvent(name string) func(map[string]any) bool {
	return func(o map[string]any) bool { return o["event"] == name }
}

func isRecord(o map[string]any) bool { _, ok := o["offset"]; return ok && o["event"] == nil }

// waitFor waits until cond holds, failing if the process exits first or within passes.
func (p *proc) waitFor(t testing.TB, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		select {
		case <-p.done:
			if cond() {
				return
			}
			t.Fatalf("process exited (%v) before %s\nstderr:\n%s", p.err, what, tail(p.stderr()))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v\nstderr:\n%s", what, within, tail(p.stderr()))
		}
	}
}

func (p *proc) kill() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-p.done
}

// terminate sends SIGTERM and waits for the exit (SIGKILL after within).
func (p *proc) terminate(t testing.TB, within time.Duration) error {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(within):
		p.kill()
		t.Fatalf("process ignored SIGTERM for %v\nstderr:\n%s", within, tail(p.stderr()))
		return nil
	}
}

func tail(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}
