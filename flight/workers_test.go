package flight

import (
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// TestWorkerPeakLine: a worker's peak is its own (VmHWM since its exec),
// read back from its standard error's tail, a failure line after it; the
// rusage's is the fallback when the line is missing.
func TestWorkerPeakLine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("VmHWM is Linux's")
	}
	line := WorkerPeakLine()
	if !strings.HasPrefix(line, workerPeakPrefix) || strings.HasSuffix(line, "-1") {
		t.Fatalf("peak line %q", line)
	}
	if got := peakOf("noise\n"+workerPeakPrefix+"123\n"+WorkerFailure(WorkerError, "bad"), nil); got != 123 {
		t.Errorf("peak %d, want 123", got)
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip(err)
	}
	if got := peakOf("no line\n", cmd.ProcessState); got < 0 {
		t.Errorf("fallback peak %d", got)
	}
}
