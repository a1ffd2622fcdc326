package bench_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"wardstat/bench"
	"wardstat/pipeline"
	"wardstat/transform"
	"wardstat/warehouse"
)

// The same dossiers written the ways other ward systems write them (quoted
// with ';', padded with spaces, ISO and date-only dates, codes for channel
// and status, more columns, CRLF line endings) load into the same report
// form, with the same applicants.
func TestVariantsGiveTheSameForm(t *testing.T) {
	skipIfShort(t, "benchmark inputs in every variant")
	ctx := context.Background()
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.csv")
	const n = 3000
	if _, err := bench.WriteCSV(plain, n, 1); err != nil {
		t.Fatal(err)
	}
	if err := bench.WriteCSVVariants(ctx, plain, dir, n); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"plain": plain}
	for _, v := range bench.CSVVariants {
		files[v.Name] = bench.VariantPath(dir, v.Name, n)
	}
	b, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	files["crlf"] = filepath.Join(dir, "crlf.csv")
	if err := os.WriteFile(files["crlf"], bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	form := func(name, path string) string {
		w, err := warehouse.Open(ctx, filepath.Join(t.TempDir(), "w.duckdb"), warehouse.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		res, err := pipeline.File(ctx, w, path, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("k"))})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.Result.Loaded != n {
			t.Errorf("%s: %+v", name, res.Result)
		}
		var s string
		if err := w.DB().QueryRow(`SELECT string_agg(concat_ws(',', ward_code, received_total, carried_over, new_online, new_direct, new_postal,
				resolved_total, resolved_early, resolved_on_time, resolved_late, withdrawn, pending_total, pending_in_time, pending_overdue), ';' ORDER BY ward_code)
				|| ' applicants ' || (SELECT count(DISTINCT applicant_key) FROM dossiers)
			FROM report_form('2021-01-01', '2021-12-31')`).Scan(&s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var received int64
		if err := w.DB().QueryRow(`SELECT sum(received_total) FROM report_form('2021-01-01', '2021-12-31')`).Scan(&received); err != nil || received != n {
			t.Fatalf("%s: %d dossiers received in 2021 (%v), want all %d", name, received, err, n)
		}
		return s
	}
	want := form("plain", plain)
	for name, path := range files {
		if name == "plain" {
			continue
		}
		if got := form(name, path); got != want {
			t.Errorf("%s gives another form:\n%s\nwant\n%s", name, got, want)
		}
	}
}

// The next night's full export, in which a few dossiers changed, changes
// those and nothing else, and keeps their old states.
func TestReexportChangesOnlyWhatChanged(t *testing.T) {
	skipIfShort(t, "a benchmark-sized re-export")
	ctx := context.Background()
	dir := t.TempDir()
	first, next := filepath.Join(dir, "first.csv"), filepath.Join(dir, "next.csv")
	const n = 3000
	if _, err := bench.WriteCSV(first, n, 1); err != nil {
		t.Fatal(err)
	}
	changed, err := bench.WriteReexport(first, next, 20)
	if err != nil || changed == 0 {
		t.Fatalf("%d changed: %v", changed, err)
	}
	w, err := warehouse.Open(ctx, filepath.Join(dir, "w.duckdb"), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	opt := pipeline.FileOptions{Hasher: transform.NewHasher([]byte("k"))}
	if _, err := pipeline.File(ctx, w, first, opt); err != nil {
		t.Fatal(err)
	}
	res, err := pipeline.File(ctx, w, next, opt)
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Result; r.Changed != changed || r.New != 0 || r.Duplicate != n-changed || r.Loaded != changed {
		t.Fatalf("%d changed in the file: %+v", changed, r)
	}
	var history, awaiting int64
	if err := w.DB().QueryRow(`SELECT (SELECT count(*) FROM dossier_history), (SELECT count(*) FROM dossiers WHERE status = 5 AND load_id = ?)`, res.Result.LoadID).Scan(&history, &awaiting); err != nil {
		t.Fatal(err)
	}
	if history != changed || awaiting != changed {
		t.Errorf("%d old states kept, %d dossiers now awaiting documents; want %d of each", history, awaiting, changed)
	}
}
