package schedules

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// A workbook dropped with one sheet a ward loads every sheet: the run
// counts the rows of each, and the file is settled as done.
func TestDroppedWorkbookLoadsEverySheet(t *testing.T) {
	dir := t.TempDir()
	drop := filepath.Join(dir, "drop")
	os.MkdirAll(drop, 0o755)
	f := excelize.NewFile()
	for i, s := range []string{"Phường 1", "Phường 2"} {
		if i == 0 {
			f.SetSheetName("Sheet1", s)
		} else {
			f.NewSheet(s)
		}
		h := []any{"Mã hồ sơ", "Hình thức nộp", "Ngày tiếp nhận", "Ngày hẹn trả"}
		f.SetSheetRow(s, "A1", &h)
		for r := range 3 {
			row := []any{fmt.Sprintf("H08.0%d-240301-000%d", i+1, r), "Trực tiếp", "01/03/2024 08:00", "05/03/2024"}
			f.SetSheetRow(s, fmt.Sprintf("A%d", r+2), &row)
		}
	}
	if err := f.SaveAs(filepath.Join(drop, "wards.xlsx")); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, `
warehouse: w.duckdb
sources:
  - name: drop
    path: drop
    settle: 10ms
    schedule: "0 1 * * *"
`)
	r := openRunner(t, cfg, nil)
	time.Sleep(20 * time.Millisecond) // past the settle time
	res, err := r.Pull(context.Background(), "drop", TriggerManual, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 2 || res.Run.RowsLoaded != 6 || len(res.Failures) != 0 {
		t.Fatalf("%d loads, %d rows, failures %v; want 2 loads of 3 rows", len(res.Files), res.Run.RowsLoaded, res.Failures)
	}
	if _, err := os.Stat(filepath.Join(drop, DoneDir, "wards.xlsx")); err != nil {
		t.Errorf("the workbook was not settled as done: %v", err)
	}
}
