package schedules

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wardstat/transform"
	"wardstat/warehouse"
)

// Issue 16, trap 1, in a drop folder: a dropped file whose every row was
// rejected (it names no unit, and the source sets no ward:) was moved to
// done/ as if loaded. It goes to failed/ with the reason and what to set;
// dropped again once the source has its ward:, it loads (the ward is part
// of the load's identity: not "already loaded").
func TestDroppedFileThatLoadsNothingFails(t *testing.T) {
	dir := t.TempDir()
	drop := filepath.Join(dir, "drop")
	os.MkdirAll(drop, 0o755)
	export := "Mã hồ sơ,Ngày tiếp nhận,Hình thức nộp\nHS-0001,01/10/2026 08:00,Trực tiếp\nHS-0002,02/10/2026 08:00,Trực tuyến\n"
	os.WriteFile(filepath.Join(drop, "thang10.csv"), []byte(export), 0o644)
	source := func(ward string) *Config {
		return writeConfig(t, dir, `
warehouse: w.duckdb
sources:
  - name: drop
    path: drop
    settle: 10ms
    schedule: "@daily"
`+ward)
	}
	cfg := source("")
	w, err := warehouse.Open(context.Background(), cfg.Warehouse, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	r := NewRunner(cfg, w, transform.NewHasher([]byte("t")), RunnerOptions{Metrics: NewMetrics(), BackoffBase: 5 * time.Millisecond})
	res, _ := r.Pull(ctx, "drop", "test", time.Now())
	if len(res.Failures) != 1 || res.Run.Status != StatusFailed || !strings.HasPrefix(res.Run.Error, "1/1 tệp không nạp được: thang10.csv: không nạp được gì") {
		t.Fatalf("a file whose every row was rejected must fail the pull: %+v", res)
	}
	reason, err := os.ReadFile(filepath.Join(drop, FailedDir, "thang10.csv.reason"))
	if err != nil || !strings.Contains(string(reason), "không nạp được gì: cả 2 dòng đọc được đều bị loại") || !strings.Contains(string(reason), "hãy đặt ward:") {
		t.Fatalf("failed/thang10.csv.reason = %q (%v)", reason, err)
	}

	// The source gets its ward; the file is dropped again.
	if err := os.Rename(filepath.Join(drop, FailedDir, "thang10.csv"), filepath.Join(drop, "thang10.csv")); err != nil {
		t.Fatal(err)
	}
	r = NewRunner(source("    ward: H26.01\n"), w, transform.NewHasher([]byte("t")), RunnerOptions{Metrics: NewMetrics(), BackoffBase: 5 * time.Millisecond})
	res, err = r.Pull(ctx, "drop", "test", time.Now())
	if err != nil || res.Run.RowsLoaded != 2 || len(res.Failures) != 0 {
		t.Fatalf("dropped again with ward: the file must load: %+v, %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(drop, DoneDir, "thang10.csv")); err != nil {
		t.Fatalf("not moved to done/: %v", err)
	}
	if _, err := os.Stat(filepath.Join(drop, FailedDir, "thang10.csv.reason")); err == nil {
		t.Errorf("failed/thang10.csv.reason stays after the file was fixed and loaded")
	}
}
