package warehouse_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wardstat/internal/testkit/whtest"
	"wardstat/pipeline"
	"wardstat/warehouse"
)

// Months with no event anywhere still have rows in ward_month (the grid
// runs every ward to the warehouse's last month with an event): a night
// that receives a dossier after such a gap, or resolves one, makes those
// months, and the incremental lake holds them as a whole export does.
// Found by a tester: the lake had stopped at the last month before the gap.
func TestLakeIncrementalFillsMonthsWithoutEvents(t *testing.T) {
	ctx := context.Background()
	path := whtest.Path(t)
	data, inc := t.TempDir(), t.TempDir()
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 9, 0, 0, 0, time.UTC) }
	nights := []struct {
		name string
		day  time.Time
		rows []lakeNightRow
	}{
		{"January to March", d(2025, 12, 7), []lakeNightRow{
			{ward: "H01.01", code: "G-0001", channel: "Trực tuyến", received: d(2025, 1, 5), due: d(2025, 1, 15)},
			{ward: "H01.01", code: "G-0002", channel: "Trực tiếp", received: d(2025, 2, 5), due: d(2025, 2, 15), completed: d(2025, 2, 10)},
			{ward: "H02.01", code: "G-0003", channel: "Bưu chính", received: d(2025, 3, 5), due: d(2025, 3, 15)},
		}},
		{"a dossier received in June, after two months without an event", d(2025, 12, 8), []lakeNightRow{
			{ward: "H01.01", code: "G-0004", channel: "Trực tuyến", received: d(2025, 6, 10), due: d(2025, 6, 20)},
		}},
		{"one resolved in September, after two more", d(2025, 12, 9), []lakeNightRow{
			{ward: "H01.01", code: "G-0004", channel: "Trực tuyến", received: d(2025, 6, 10), due: d(2025, 6, 20), completed: d(2025, 9, 10)},
		}},
	}
	for i, n := range nights {
		w, err := warehouse.Open(ctx, path, warehouse.Options{Today: n.day})
		if err != nil {
			t.Fatal(err)
		}
		mustIngest(t, w, writeLakeNight(t, data, n.name+".csv", true, n.rows), pipeline.FileOptions{})
		got, err := w.ExportLake(ctx, inc)
		if err != nil {
			t.Fatalf("%s: %v", n.name, err)
		}
		if i > 0 && !got.Incremental {
			t.Errorf("%s: a whole export (%s), want incremental", n.name, got.FullReason)
		}
		full := t.TempDir()
		if _, err := w.ExportLake(ctx, full); err != nil {
			t.Fatalf("%s: %v", n.name, err)
		}
		sameLake(t, w, n.name, inc, full)
		w.Close()
	}
}

// A partition folder the manifest does not list (a hand-edited manifest,
// an export killed between swapping a partition in and writing the
// manifest) makes the next export whole: an incremental one would remove it
// as a stray and never make it again.
func TestLakeWithAnUnlistedPartitionIsMadeWhole(t *testing.T) {
	ctx := context.Background()
	path := whtest.Path(t)
	dir := t.TempDir()
	day := time.Date(2024, 6, 20, 0, 0, 0, 0, time.UTC)
	w, err := warehouse.Open(ctx, path, warehouse.Options{Today: day})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	mustIngest(t, w, writeLakeNight(t, t.TempDir(), "base.csv", true, lakeBase(120, day)), pipeline.FileOptions{})
	if _, err := w.ExportLake(ctx, dir); err != nil {
		t.Fatal(err)
	}
	mf := filepath.Join(dir, "_manifest.json")
	b, err := os.ReadFile(mf)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	tables := m["tables"].(map[string]any)
	delete(tables["mart_trends"].(map[string]any), "2023-06")
	var dossierPart string
	for part := range tables["dossiers"].(map[string]any) {
		dossierPart = part
		break
	}
	delete(tables["dossiers"].(map[string]any), dossierPart)
	b, _ = json.Marshal(m)
	if err := os.WriteFile(mf, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := w.ExportLake(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Incremental || !strings.Contains(r.FullReason, "does not list") {
		t.Errorf("incremental %v (%s), want a whole export for the unlisted partition", r.Incremental, r.FullReason)
	}
	for _, f := range []string{filepath.Join("mart_trends", "month=2023-06", "data.parquet"), filepath.Join("dossiers", filepath.FromSlash(dossierPart))} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s is gone after the export: %v", f, err)
		}
	}
	full := t.TempDir()
	if _, err := w.ExportLake(ctx, full); err != nil {
		t.Fatal(err)
	}
	sameLake(t, w, "after the unlisted partition", dir, full)
}
