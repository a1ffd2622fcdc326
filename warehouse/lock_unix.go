//go:build unix

package warehouse

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// LockHolder says which other process holds the warehouse file locked
// (DuckDB takes a shared POSIX lock for a read-only open, an exclusive one
// for a read-write open) and whether that lock is for writing. pid is 0
// when no other process holds it.
//
// A process that has the file open in DuckDB asks through DuckDB's own
// descriptor: closing any descriptor of a file drops the POSIX locks the
// process holds on it, so it must not open (and close) one of its own. A
// process with no descriptor of the file holds no lock on it, and opens
// one to ask.
func LockHolder(path string) (pid int, writer bool, err error) {
	fd := heldFD(path)
	if fd < 0 {
		f, err := os.Open(path)
		if err != nil {
			return 0, false, err
		}
		defer f.Close()
		fd = int(f.Fd())
	}
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0, Start: 0, Len: 0}
	if err := unix.FcntlFlock(uintptr(fd), unix.F_GETLK, &lk); err != nil {
		return 0, false, fmt.Errorf("asking who holds %s: %w", path, err)
	}
	if lk.Type == unix.F_UNLCK {
		return 0, false, nil
	}
	return int(lk.Pid), lk.Type == unix.F_WRLCK, nil
}
