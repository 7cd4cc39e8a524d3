package faults

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// relayStarter starts one relay process (same group and transactional id every time).
type relayStarter func(t *testing.T) *proc

func cliRelay(src, dst, group, txid string, batch int) relayStarter {
	return func(t *testing.T) *proc {
		// A short session timeout (from a config file, as a user would set it), so the
		// group reassigns a killed relay's partitions in seconds rather than 45 s.
		cfg := filepath.Join(t.TempDir(), "config.json")
		if err := os.WriteFile(cfg, []byte(`{"default": {"consumer": {"session.timeout.ms": 6000, "heartbeat.interval.ms": 500}}}`), 0o600); err != nil {
			t.Fatal(err)
		}
		return startProc(t, cliEnv(t), bin, "--config-file", cfg, "--compact-json", "relay", "stream", src, dst, "--group", group,
			"--transactional-id", txid, "--batch-size", fmt.Sprint(batch), "--timeout", "0.2", "--grace-period", "2",
			"--transform", "value.upper()", "--max-batch-time", "0.2")
	}
}

// pyRelay runs ExactlyOnceRelay.run of bindings/python in a subprocess.
func pyRelay(src, dst, group, txid string, batch int) relayStarter {
	return func(t *testing.T) *proc {
		env := append(os.Environ(), "PYTHONPATH="+filepath.Join(root, "bindings", "python"), "PYTHONUNBUFFERED=1")
		return startProc(t, env, pythonBin(), filepath.Join(root, "tests", "faults", "py_relay_worker.py"),
			priv.bootstrap, src, dst, group, txid, fmt.Sprint(batch))
	}
}

func pythonBin() string {
	if p := os.Getenv("PYTHON"); p != "" {
		return p
	}
	if p, err := exec.LookPath("python3"); err == nil {
		return p
	}
	return "python3"
}

// committedMessages sums the "messages" of a process's relay_batch_committed events.
func committedMessages(p *proc) int {
	n := 0
	for _, o := range p.objects() {
		if o["event"] == "relay_batch_committed" {
			if m, ok := o["messages"].(float64); ok {
				n += int(m)
			} else if m, ok := o["count"].(float64); ok { // the CLI's line (the released document)
				n += int(m)
			}
		}
	}
	return n
}

// checkRelayed reads target with read_committed and asserts it holds exactly
// "M-0".."M-<n-1>" (the source "m-<i>" through value.upper()), each once; and that the
// group committed every source partition to its end.
func checkRelayed(t *testing.T, src, dst, group string, n, partitions int) {
	t.Helper()
	out := readAll(t, dst, "read_committed", n, 3*time.Minute, 3*time.Second)
	seen := map[string]int{}
	for _, m := range out {
		seen[string(m.Value)]++
	}
	var missing, dup []string
	for i := 0; i < n; i++ {
		v := fmt.Sprintf("M-%d", i)
		switch seen[v] {
		case 0:
			missing = append(missing, v)
		case 1:
		default:
			dup = append(dup, fmt.Sprintf("%s x%d", v, seen[v]))
		}
		delete(seen, v)
	}
	var extra []string
	for v := range seen {
		extra = append(extra, v)
	}
	t.Logf("count in %d (source), count out %d (target, read_committed): missing %d, duplicated %d, unexpected %d",
		n, len(out), len(missing), len(dup), len(extra))
	if len(missing)+len(dup)+len(extra) > 0 {
		t.Fatalf("target %s: missing %v, duplicated %v, unexpected %v", dst, head(missing), head(dup), head(extra))
	}
	ends := endOffsets(t, src, partitions)
	com := committed(t, group, src, partitions)
	for p := int32(0); p < int32(partitions); p++ {
		if com[p] != ends[p] {
			t.Errorf("%s[%d]: group committed %d, end offset %d", src, p, com[p], ends[p])
		}
	}
}

// relayDone: the group's committed offsets reached the source's end offsets. The relay
// commits offsets in the same transaction as the outputs, so this means "all relayed".
func relayDone(t testing.TB, src, group string, partitions int) bool {
	ends := endOffsets(t, src, partitions)
	com := committed(t, group, src, partitions)
	for p, e := range ends {
		if com[p] != e {
			return false
		}
	}
	return true
}

// relayUntilDone starts a final relay and waits until every source message is relayed
// (by the sum of committed batches, this instance and the ones before), then SIGTERMs it.
func relayUntilDone(t *testing.T, start relayStarter, src, group string, partitions int) {
	t.Helper()
	p := start(t)
	deadline := time.Now().Add(4 * time.Minute)
	for {
		if relayDone(t, src, group, partitions) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the final relay did not commit the source to its end within 4 min\nstderr:\n%s", tail(p.stderr()))
		}
		select {
		case <-p.done:
			t.Fatalf("the final relay exited: %v\nstderr:\n%s", p.err, tail(p.stderr()))
		case <-time.After(2 * time.Second):
		}
	}
	if err := p.terminate(t, 30*time.Second); err != nil {
		t.Errorf("the final relay's exit after SIGTERM: %v\nstderr:\n%s", err, tail(p.stderr()))
	}
}

// The exactly-once relay is SIGKILLed at >= 6 random points (one during start-up, five
// at random amounts of relayed messages, each plus a random 0-300 ms) while it relays
// 50,000 messages; a restart with the same group and transactional id finishes the
// job. The target, read with read_committed, holds exactly the source's messages,
// transformed, none twice and none missing.
func testRelayKills(t *testing.T, mk func(src, dst, group, txid string, batch int) relayStarter) {
	const n, partitions = 50000, 3
	src, dst := newTopic(t, "src", partitions), newTopic(t, "dst", partitions)
	group, txid := name(t, "g"), name(t, "tx")
	produceValues(t, src, n, func(i int) string { return fmt.Sprint(i % 101) }, func(i int) string { return fmt.Sprintf("m-%d", i) })
	start := mk(src, dst, group, txid, 200)

	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	// Kill thresholds: random amounts of committed messages in the first part of the
	// run. The count is read from the relay's relay_batch_committed events, which a kill
	// can lose (a batch committed but not yet printed), so it may undercount; thresholds
	// near the end could then never be reached. Room is left for that and for each
	// kill's overshoot (the relay keeps going for up to 300 ms after a threshold).
	thresholds := make([]int, 5)
	for i := range thresholds {
		thresholds[i] = 2000 + rng.Intn(n/2)
	}
	sort.Ints(thresholds)
	var log []string

	// Kill 1: during start-up, before or around the first transaction.
	p := start(t)
	d := time.Duration(300+rng.Intn(1500)) * time.Millisecond
	time.Sleep(d)
	p.kill()
	total := committedMessages(p)
	log = append(log, fmt.Sprintf("kill after %v of start-up (%d committed)", d, total))

	for _, th := range thresholds {
		if total >= th {
			th = total + 1 + rng.Intn(1000) // the previous instance went past it: pick a later point
		}
		if th > n-5000 {
			t.Fatalf("kill point %d is too close to the end (%d messages) to be reached for sure; kills so far: %s", th, n, strings.Join(log, "; "))
		}
		p := start(t)
		before := total
		p.waitFor(t, fmt.Sprintf("%d relayed messages", th), 3*time.Minute, func() bool { return before+committedMessages(p) >= th })
		jitter := time.Duration(rng.Intn(300)) * time.Millisecond
		time.Sleep(jitter)
		p.kill()
		total = before + committedMessages(p)
		log = append(log, fmt.Sprintf("kill at >=%d committed (+%v, %d committed)", th, jitter, total))
		if total >= n {
			t.Fatalf("the relay finished before kill point %d; the kill points are not inside the run", th)
		}
	}
	t.Logf("SIGKILLs: %s", strings.Join(log, "; "))
	relayUntilDone(t, start, src, group, partitions)
	checkRelayed(t, src, dst, group, n, partitions)
}

func TestCLIRelaySIGKILLAtRandomPoints(t *testing.T) { testRelayKills(t, cliRelay) }

func TestPythonRelaySIGKILLAtRandomPoints(t *testing.T) { testRelayKills(t, pyRelay) }

// `klient relay stream` while the broker is SIGKILLed and restarted: the relay resumes
// on its own (aborting and retrying the batch the outage broke), relays what is produced
// after the restart, and ends with the target holding every message once and the
// group's offsets committed to the source's end (never ahead: checkRelayed counts).
func TestCLIRelaySurvivesBrokerRestart(t *testing.T) {
	const n, partitions = 20000, 2
	src, dst := newTopic(t, "src", partitions), newTopic(t, "dst", partitions)
	group, txid := name(t, "g"), name(t, "tx")
	produceValues(t, src, n/2, func(i int) string { return fmt.Sprint(i % 13) }, func(i int) string { return fmt.Sprintf("m-%d", i) })
	p := cliRelay(src, dst, group, txid, 100)(t)
	p.waitFor(t, "the first committed batches", time.Minute, func() bool { return committedMessages(p) >= 1000 })
	priv.kill9(t)
	time.Sleep(2 * time.Second)
	priv.startAgain(t)
	produceValues(t, src, n/2, func(i int) string { return fmt.Sprint(i % 13) }, func(i int) string { return fmt.Sprintf("m-%d", n/2+i) })
	p.waitFor(t, "every message relayed after the restart", 3*time.Minute, func() bool { return relayDone(t, src, group, partitions) })
	aborted := p.count(isEvent("relay_batch_aborted"))
	if err := p.terminate(t, 30*time.Second); err != nil {
		t.Errorf("relay exit after SIGTERM: %v\nstderr:\n%s", err, tail(p.stderr()))
	}
	t.Logf("relay: %d batches committed for %d messages, %d aborted", p.count(isEvent("relay_batch_committed")), committedMessages(p), aborted)
	checkRelayed(t, src, dst, group, n, partitions)
}
