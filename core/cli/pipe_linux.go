package cli

import (
	"os"
	"syscall"
	"unsafe"
)

// readerGone reports whether f is a pipe or socket whose reading end is closed
// (`klient consume stream T | head -1` after head exited). poll(2) reports POLLERR or
// POLLHUP on the write end then, so an idle stream notices without writing.
func readerGone(f *os.File) bool {
	st, err := f.Stat()
	if err != nil || st.Mode()&(os.ModeNamedPipe|os.ModeSocket) == 0 {
		return false
	}
	const pollErr, pollHup = 0x8, 0x10
	fds := [1]struct {
		fd              int32
		events, revents int16
	}{{fd: int32(f.Fd())}}
	var ts syscall.Timespec // zero: do not wait
	n, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
	return errno == 0 && n == 1 && fds[0].revents&(pollErr|pollHup) != 0
}
