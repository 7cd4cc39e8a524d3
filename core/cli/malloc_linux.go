//go:build linux && cgo

package cli

/*
#include <malloc.h>

static void klient_one_malloc_arena(void) {
#ifdef M_ARENA_MAX
	mallopt(M_ARENA_MAX, 1);
#endif
}
*/
import "C"

// oneMallocArena makes every thread that has no malloc arena yet share the main one
// (glibc; elsewhere a no-op).
func oneMallocArena() { C.klient_one_malloc_arena() }
