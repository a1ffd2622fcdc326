package flight

import (
	"os"
	"syscall"
)

// peakRSSMB is a waited child's peak resident memory in MB (-1 unknown).
func peakRSSMB(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss >> 10 // Linux counts it in KB
	}
	return -1
}
