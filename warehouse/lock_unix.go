//go:build unix

package warehouse

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// LockHolder says which process holds the warehouse file locked (DuckDB
// takes a shared POSIX lock for a read-only open, an exclusive one for a
// read-write open) and whether that lock is for writing. pid is 0 when
// nobody holds it.
//
// Call it only from a process that does not itself have the file open in
// DuckDB: closing any descriptor of a file drops the POSIX locks the
// process holds on it.
func LockHolder(path string) (pid int, writer bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0, Start: 0, Len: 0}
	if err := unix.FcntlFlock(f.Fd(), unix.F_GETLK, &lk); err != nil {
		return 0, false, fmt.Errorf("asking who holds %s: %w", path, err)
	}
	if lk.Type == unix.F_UNLCK {
		return 0, false, nil
	}
	return int(lk.Pid), lk.Type == unix.F_WRLCK, nil
}
