package warehouse_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wardstat/pipeline"
	"wardstat/warehouse"
)

// A file loaded with the wrong --ward, then again with the right one:
// the first load is replaced, its dossiers leave the warehouse, and their
// states stay in its history (dossier_history, replaced by the second
// load), as replace.go keeps them. The lake's dossier_events follow the
// warehouse's history exactly — no more, no fewer states — and the
// federation over the lake gives the warehouse's form and history.
func TestLakeEventsFollowReplacedLoads(t *testing.T) {
	w := mustOpen(t)
	dir := t.TempDir()
	f := filepath.Join(dir, "night.csv")
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Trạng thái\n")
	for i := 1; i <= 8; i++ {
		fmt.Fprintf(&b, "HS-%04d,%02d/03/2024 09:00,%02d/03/2024,,Đang giải quyết\n", i, i, i+9)
	}
	os.WriteFile(f, []byte(b.String()), 0o644)
	mustIngest(t, w, f, pipeline.FileOptions{Ward: "H99.01"}) // wrong
	mustIngest(t, w, f, pipeline.FileOptions{Ward: "H37.01"}) // right: replaces it
	if got := queryRow(t, w, `SELECT count(*) FROM dossier_history WHERE ward_code = 'H99.01'`); got != "8" {
		t.Fatalf("the warehouse's history holds %s states of the wrong ward, want 8 (replace.go keeps them)", got)
	}
	lake := filepath.Join(dir, "lake")
	if _, err := w.ExportLake(t.Context(), lake); err != nil {
		t.Fatal(err)
	}
	events := queryRow(t, w, fmt.Sprintf(`SELECT ward_code, count(*), count(*) FILTER (WHERE is_current) FROM read_parquet('%s') GROUP BY ALL ORDER BY ALL`,
		filepath.Join(lake, "dossier_events", "*", "*", "*.parquet")))
	if want := queryRow(t, w, `SELECT ward_code, count(*), count(*) FILTER (WHERE replaced_by IS NULL) FROM dossier_versions GROUP BY ALL ORDER BY ALL`); events != want {
		t.Errorf("lake dossier_events %s, warehouse history %s", events, want)
	}
	fed, err := warehouse.OpenFederation(t.Context(), []warehouse.Lake{{Name: "node", Dir: lake}}, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fed.Close()
	for _, q := range []string{
		`SELECT * FROM report_form('2024-03-01', '2024-03-31') ORDER BY ALL`,
		`SELECT ward_code, dossier_code, status, replaced_by IS NULL FROM dossier_versions ORDER BY ALL`,
	} {
		if got, want := queryRow(t, fed, q), queryRow(t, w, q); got != want {
			t.Errorf("%s:\nfederation %s\nwarehouse  %s", q, got, want)
		}
	}
}
