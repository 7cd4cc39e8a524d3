package faults

import (
	"fmt"
	"testing"
	"time"
)

// `klient consume stream` while the broker is SIGKILLed and restarted: the stream
// resumes on its own and prints the messages produced after the restart; the group's
// committed offsets (auto-commit of offsets stored only when a message is handed out)
// are never ahead of what the stream printed, and after a quiet period equal it.
func TestConsumeStreamSurvivesBrokerRestart(t *testing.T) {
	const before, after = 3000, 3000
	topic := newTopic(t, "stream", 2)
	group := name(t, "g")
	produceValues(t, topic, before, func(i int) string { return fmt.Sprint(i % 17) }, func(i int) string { return fmt.Sprintf("before-%d", i) })

	cli := startProc(t, cliEnv(t), bin, "--compact-json", "consume", "stream", topic, "--group", group, "--timeout", "0.2")
	records := func() int { return cli.count(isRecord) }
	cli.waitFor(t, fmt.Sprintf("%d records before the restart", before), 60*time.Second, func() bool { return records() >= before })

	priv.kill9(t)
	time.Sleep(2 * time.Second) // the stream keeps polling a dead broker
	priv.startAgain(t)
	produceValues(t, topic, after, func(i int) string { return fmt.Sprint(i % 17) }, func(i int) string { return fmt.Sprintf("after-%d", i) })
	cli.waitFor(t, fmt.Sprintf("%d records after the restart", after), 120*time.Second, func() bool { return records() >= before+after })

	// Auto-commit runs every 5 s: let it catch up, then check while the stream still
	// runs, then SIGKILL it (no final commit) and check again from outside.
	time.Sleep(7 * time.Second)
	cli.kill()

	printed := map[int32]int64{} // highest offset printed per partition
	seen := map[string]int{}
	for _, o := range cli.objects() {
		if !isRecord(o) {
			continue
		}
		p, off := int32(o["partition"].(float64)), int64(o["offset"].(float64))
		if off+1 > printed[p] {
			printed[p] = off + 1
		}
		seen[o["value"].(string)]++
	}
	var missing []string
	dups := 0
	for i := 0; i < before; i++ {
		if seen[fmt.Sprintf("before-%d", i)] == 0 {
			missing = append(missing, fmt.Sprintf("before-%d", i))
		}
	}
	for i := 0; i < after; i++ {
		if seen[fmt.Sprintf("after-%d", i)] == 0 {
			missing = append(missing, fmt.Sprintf("after-%d", i))
		}
	}
	for _, c := range seen {
		if c > 1 {
			dups += c - 1
		}
	}
	com := committed(t, group, topic, 2)
	t.Logf("count in %d, printed %d (%d duplicates), printed end offsets %v, committed %v", before+after, records(), dups, printed, com)
	if len(missing) > 0 {
		t.Fatalf("%d messages never printed: %v", len(missing), head(missing))
	}
	for p := int32(0); p < 2; p++ {
		if com[p] > printed[p] {
			t.Errorf("partition %d: committed offset %d is ahead of the last printed offset+1 %d", p, com[p], printed[p])
		}
		if com[p] != printed[p] {
			t.Errorf("partition %d: committed %d after a quiet period, want %d (everything printed): commits did not resume after the restart", p, com[p], printed[p])
		}
	}
}
