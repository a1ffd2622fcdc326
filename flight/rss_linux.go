package flight

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// peakRSSMB is a waited child's peak resident memory in MB (-1 unknown).
func peakRSSMB(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss >> 10 // Linux counts it in KB
	}
	return -1
}

// selfPeakRSSMB is this process's own peak resident memory in MB since
// its exec (VmHWM; -1 unknown). A child's rusage also counts the parent's
// memory it shared between fork and exec.
func selfPeakRSSMB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return -1
			}
			return kb >> 10
		}
	}
	return -1
}
