package cli

import "os"

// ownProcess is true when the CLI runs as the klient executable (ProcessMain), which
// owns its process: it may then change process-wide settings for the command it runs.
// klient_cli_main (the C ABI) runs the CLI inside someone else's process and leaves
// them alone.
var ownProcess bool

// ProcessMain is Main for the klient executable.
func ProcessMain(args []string) int {
	ownProcess = true
	return Main(args)
}

// limitMallocArenas is oneMallocArena; tests replace it.
var limitMallocArenas = oneMallocArena

// tuneForBulkProduce gives a bulk produce (from-file) one glibc malloc arena, unless
// the CLI runs inside another program or MALLOC_ARENA_MAX says otherwise. librdkafka
// copies every message into memory malloc'ed by whichever Go thread sends it and frees
// it on its broker thread: with an arena per thread, each arena grows on its own and
// the kernel clears the fresh pages. One arena halved from-file's system time (1M ×
// 100 B: 0.11-0.13 s against 0.17-0.29 s, wall 0.56-0.79 s against 0.60-0.98 s;
// docs/BENCHMARKS.md). Not for consuming: consume stream was ~10% slower with it.
func tuneForBulkProduce() {
	if ownProcess && os.Getenv("MALLOC_ARENA_MAX") == "" {
		limitMallocArenas()
	}
}
