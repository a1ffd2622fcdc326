package schedules

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// DaemonMark is the file beside the warehouse where a running daemon says
// that it holds it: its process id and HTTP address, nothing else. It is
// hidden, so drop folders and ingest of a folder pass it over. Another
// command refused the warehouse reads it to say who holds it and what to
// do (HeldByDaemon).
func DaemonMark(warehouse string) string {
	return filepath.Join(filepath.Dir(warehouse), "."+filepath.Base(warehouse)+".serve")
}

// markDaemon writes the daemon's mark; the result removes it.
func markDaemon(warehouse, addr string) (func(), error) {
	p := DaemonMark(warehouse)
	if err := os.WriteFile(p, []byte(fmt.Sprintf("%d %s\n", os.Getpid(), addr)), 0o644); err != nil {
		return func() {}, err
	}
	return func() { os.Remove(p) }, nil
}

// HeldByDaemon says whether pid, the process holding the warehouse for
// writing, is a wardstat daemon, and the address it serves /runs on. A
// mark left by a killed daemon names another pid and is not believed.
func HeldByDaemon(warehouse string, pid int) (addr string, ok bool) {
	b, err := os.ReadFile(DaemonMark(warehouse))
	if err != nil || pid <= 0 {
		return "", false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return "", false
	}
	if n, err := strconv.Atoi(f[0]); err != nil || n != pid {
		return "", false
	}
	return f[1], true
}
