package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// from-file limits malloc arenas only in the klient executable's own process, and not
// when MALLOC_ARENA_MAX is set. The input here is not JSON: the command fails after the
// tuning, before any client is made.
func TestFromFileTunesMallocOnlyInItsOwnProcess(t *testing.T) {
	calls := 0
	limitMallocArenas = func() { calls++ }
	defer func() { limitMallocArenas, ownProcess = oneMallocArena, false }()
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile := func() {
		t.Helper()
		if _, errOut, code := run(t, "-b", "127.0.0.1:1", "produce", "from-file", "t", bad); code != ExitError {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	}
	t.Setenv("MALLOC_ARENA_MAX", "")
	fromFile()
	if calls != 0 {
		t.Fatalf("inside another program: limited %d times", calls)
	}
	ownProcess = true
	fromFile()
	if calls != 1 {
		t.Fatalf("own process: limited %d times, want 1", calls)
	}
	t.Setenv("MALLOC_ARENA_MAX", "4")
	fromFile()
	if calls != 1 {
		t.Fatalf("with MALLOC_ARENA_MAX set: limited %d times, want still 1", calls)
	}
	if _, _, code := run(t, "-b", "127.0.0.1:1", "produce", "send", "t", "--help"); code != ExitOK || calls != 1 {
		t.Fatalf("another command: exit %d, limited %d times", code, calls)
	}
}
