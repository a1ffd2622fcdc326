package warehouse_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wardstat/warehouse"
)

// The lake can be globbed: every mart's folder holds only Parquet files and
// month= folders, so DuckDB's ** glob (and pyarrow, Spark, Trino) reads each
// mart whole, with its month from the folder names. A lake written before
// (a SCHEMA.md inside every mart's folder, a partition left half-written
// by a killed export) is cleaned by the next export; the documentation
// lives one level up, in <lake>/_schema/<mart>.md.
func TestLakeGlobsEveryMart(t *testing.T) {
	w := handcount(t)
	dir := t.TempDir()
	if _, err := w.ExportLake(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	// An older wardstat's lake: its SCHEMA.md files, and a partition an
	// export killed midway left in its temporary folder.
	for _, mart := range warehouse.LakeMarts {
		if err := os.WriteFile(filepath.Join(dir, mart, "SCHEMA.md"), []byte("# "+mart+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stale := filepath.Join(dir, "mart_ward_month", ".month=2024-03.123456")
	if err := os.MkdirAll(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stale, "data.parquet"), []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	killed := filepath.Join(dir, "_tmp", "mart_trends.month=2024-03.654321")
	if err := os.MkdirAll(killed, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ExportLake(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "_tmp")); !os.IsNotExist(err) {
		t.Errorf("the partitions a killed export was writing are left in _tmp: %v", err)
	}
	for _, mart := range warehouse.LakeMarts {
		t.Run(mart, func(t *testing.T) {
			filepath.WalkDir(filepath.Join(dir, mart), func(p string, d os.DirEntry, err error) error {
				rel, _ := filepath.Rel(filepath.Join(dir, mart), p)
				switch {
				case err != nil:
					t.Error(err)
				case rel == ".":
				case d.IsDir() && strings.HasPrefix(rel, "month=") && !strings.Contains(rel, string(filepath.Separator)):
				case !d.IsDir() && strings.HasSuffix(rel, ".parquet"):
				default:
					t.Errorf("%s holds %s: a mart's folder holds only month= folders and Parquet files", mart, rel)
				}
				return nil
			})
			want := queryRow(t, w, fmt.Sprintf(`SELECT count(*) FROM %s WHERE month IS NOT NULL`, mart))
			for _, glob := range []string{"**", "**/*"} {
				got := queryRow(t, w, fmt.Sprintf(`SELECT count(*) FROM read_parquet('%s', hive_partitioning = true)`,
					filepath.Join(dir, mart, glob)))
				if got != want {
					t.Errorf("read_parquet('%s/%s'): %s rows, the mart has %s", mart, glob, got, want)
				}
			}
			if doc, err := os.ReadFile(filepath.Join(dir, "_schema", mart+".md")); err != nil || !strings.Contains(string(doc), "| month |") {
				t.Errorf("the mart's documentation beside the marts: %v\n%s", err, doc)
			}
		})
	}
	// Each partition's month comes from its folder, once.
	got := queryRow(t, w, fmt.Sprintf(`SELECT sum(received_total), count(DISTINCT month) FROM read_parquet('%s', hive_partitioning = true)`,
		filepath.Join(dir, "mart_ward_month", "**")))
	want := queryRow(t, w, `SELECT sum(received_total), count(DISTINCT month) FROM mart_ward_month WHERE month IS NOT NULL`)
	if got != want {
		t.Errorf("lake %s, warehouse %s", got, want)
	}
}
