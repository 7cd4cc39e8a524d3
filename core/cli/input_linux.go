package cli

import (
	"os"
	"syscall"
)

// mapFile maps the first size bytes of the regular file f read-only, its pages
// populated at once (MAP_POPULATE), instead of reading it into fresh memory: for a
// 100 MB from-file input that saves a copy and ~25,000 page faults (10 KB records: 0.35
// -> 0.28 s in all, docs/BENCHMARKS.md). ok is false when the kernel refuses; the
// caller then reads the file. A file cut short while mapped faults on the lost pages:
// see readGuarded.
func mapFile(f *os.File, size int64) (data []byte, unmap func(), ok bool) {
	m, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_PRIVATE|syscall.MAP_POPULATE)
	if err != nil {
		return nil, nil, false
	}
	return m, func() { _ = syscall.Munmap(m) }, true
}
