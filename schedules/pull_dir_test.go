package schedules

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDropFolderRefusesWhatIsNotAFile: a named pipe and a link to
// /dev/zero in a drop folder are refused in one line each, moved to
// failed/ with their reason, and the good export beside them loads; the
// pull ends (a pipe used to stall the night).
func TestDropFolderRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	drop := filepath.Join(dir, "drop")
	os.MkdirAll(drop, 0o755)
	os.WriteFile(filepath.Join(drop, "a-good.csv"), []byte("Mã hồ sơ,Ngày tiếp nhận,Hình thức nộp\nH08.01-240301-0001,01/03/2024,Trực tiếp\n"), 0o644)
	if err := syscall.Mkfifo(filepath.Join(drop, "z.csv"), 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(drop, "x.csv")); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, `
warehouse: w.duckdb
sources:
  - name: drop
    path: drop
    settle: 10ms
    schedule: "@daily"
`)
	r := openRunner(t, cfg, NewMetrics())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	type pulled struct {
		res PullResult
		err error
	}
	done := make(chan pulled, 1)
	go func() {
		res, err := r.Pull(ctx, "drop", "test", time.Now())
		done <- pulled{res, err}
	}()
	var p pulled
	select {
	case p = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("the pull hangs on a drop folder holding a named pipe")
	}
	if p.res.Run.RowsLoaded != 1 {
		t.Errorf("rows loaded = %d, want the good file's 1 (err %v)", p.res.Run.RowsLoaded, p.err)
	}
	if len(p.res.Failures) != 2 {
		t.Fatalf("failures = %v, want the pipe and the device refused", p.res.Failures)
	}
	for _, f := range p.res.Failures {
		if !strings.Contains(f.Error(), "not a regular file") || strings.Count(f.Error(), "\n") > 0 {
			t.Errorf("failure %q: want one line saying it is not a regular file", f)
		}
	}
	for _, name := range []string{"z.csv", "x.csv"} {
		if _, err := os.Lstat(filepath.Join(drop, FailedDir, name)); err != nil {
			t.Errorf("%s not moved to failed/: %v", name, err)
		}
		reason, err := os.ReadFile(filepath.Join(drop, FailedDir, name+".reason"))
		if err != nil || !strings.Contains(string(reason), "không phải tệp thường") {
			t.Errorf("%s.reason = %q, %v", name, reason, err)
		}
	}
}

// TestDropFolderHoldingTheWarehouse: a drop folder that holds the
// warehouse loads the exports beside it and leaves the warehouse where it
// is (it was read as an export, refused, and moved to failed/).
func TestDropFolderHoldingTheWarehouse(t *testing.T) {
	dir := t.TempDir()
	drop := filepath.Join(dir, "drop")
	os.MkdirAll(drop, 0o755)
	os.WriteFile(filepath.Join(drop, "a-good.csv"), []byte("Mã hồ sơ,Ngày tiếp nhận,Hình thức nộp\nH08.01-240301-0001,01/03/2024,Trực tiếp\n"), 0o644)
	cfg := writeConfig(t, dir, `
warehouse: drop/w.duckdb
sources:
  - name: drop
    path: drop
    settle: 10ms
    schedule: "@daily"
`)
	r := openRunner(t, cfg, NewMetrics())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := r.Pull(ctx, "drop", "test", time.Now())
	if err != nil || res.Run.RowsLoaded != 1 || len(res.Failures) != 0 {
		t.Errorf("pull: loaded %d, failures %v, err %v; want the export alone loaded", res.Run.RowsLoaded, res.Failures, err)
	}
	if _, err := os.Stat(filepath.Join(drop, "w.duckdb")); err != nil {
		t.Errorf("the warehouse left its place: %v", err)
	}
}
