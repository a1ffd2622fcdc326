package warehouse_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"wardstat/internal/testkit/whtest"
	"wardstat/pipeline"
	"wardstat/warehouse"
)

// chunkOf is the chunk of a receipt day in its month's partition: days
// 1-8, 9-16, 17-24, 25 to the end.
func chunkOf(day int) string {
	return fmt.Sprintf("c%d_", min((day-1)/8, 3)+1)
}

// partInodes are a partition folder's files, by name.
func partInodes(t *testing.T, part string) map[string]os.FileInfo {
	t.Helper()
	out := map[string]os.FileInfo{}
	for _, f := range partFiles(t, part) {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = st
	}
	return out
}

// A night that changes the dossiers received on one day rewrites, in their
// partition of each fact table, only that day's chunk: the other chunks'
// files are the same files (same inode: hard links into the folder swapped
// in), the day's chunk has new ones, and the lake equals a whole export
// (rows, fingerprints, file names). A partition whose manifest value has
// no chunks (an older lake's "count-sum", its one file data_0.parquet) has
// every chunk written when it changes, once. A chunk's file deleted has
// its partition written again.
func TestLakeNightRewritesOnlyChangedChunks(t *testing.T) {
	ctx := context.Background()
	path := whtest.Path(t)
	data := t.TempDir()
	inc := t.TempDir()
	day := time.Date(2024, 6, 20, 0, 0, 0, 0, time.UTC)
	base := lakeBase(900, day)
	open := func(day time.Time) *warehouse.Warehouse {
		w, err := warehouse.Open(ctx, path, warehouse.Options{Today: day})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	w := open(day)
	mustUnits(t, w, writeFile(t, data, "units.csv", "code,name,district,province,valid_from,valid_to\n"+
		"H01.01,Phường Một,Quận Một,Tỉnh Một,2020-01-01,\nH01.02,Xã Hai,,Tỉnh Một,2020-01-01,\nH02.01,Xã Ba,Huyện Ba,Tỉnh Hai,2020-01-01,\n"))
	mustIngest(t, w, writeLakeNight(t, data, "base.csv", true, base), pipeline.FileOptions{})
	if _, err := w.ExportLake(ctx, inc); err != nil {
		t.Fatal(err)
	}
	w.Close()

	// The dossiers of province H01 received on one day of March 2024, and
	// of one day of February, each given another completion time.
	onDay := func(month string, from, to int) ([]lakeNightRow, int) {
		var rows []lakeNightRow
		got := 0
		for _, r := range base {
			if strings.HasPrefix(r.ward, "H01") && r.withdrawn.IsZero() && r.received.Format("2006-01") == month && r.received.Day() >= from && r.received.Day() <= to &&
				(got == 0 || r.received.Day() == got) {
				got = r.received.Day()
				if r.completed.IsZero() {
					r.completed = day.Add(9 * time.Hour)
				} else {
					r.completed = r.completed.Add(time.Hour)
				}
				rows = append(rows, r)
			}
		}
		if len(rows) == 0 {
			t.Fatalf("no H01 dossier received in %s between days %d and %d", month, from, to)
		}
		return rows, got
	}
	night := func(n int, day time.Time, rows []lakeNightRow) *warehouse.Warehouse {
		w := open(day)
		mustIngest(t, w, writeLakeNight(t, data, fmt.Sprintf("night%d.csv", n), true, rows), pipeline.FileOptions{})
		r, err := w.ExportLake(ctx, inc)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Incremental {
			t.Fatalf("night %d: not incremental: %s", n, r.FullReason)
		}
		return w
	}
	check := func(w *warehouse.Warehouse, name, part string, before map[string]os.FileInfo, changed string) {
		t.Helper()
		for _, table := range []string{"dossiers", "dossier_events"} {
			after := partInodes(t, filepath.Join(inc, table, filepath.FromSlash(part)))
			chunks := map[string]bool{}
			for f, st := range after {
				chunks[f[:3]] = true
				old, was := before[table+"/"+f]
				switch {
				case changed == "" || strings.HasPrefix(f, changed):
					if was && os.SameFile(old, st) {
						t.Errorf("%s: %s %s/%s was not written again, its dossiers changed", name, table, part, f)
					}
				case !was || !os.SameFile(old, st):
					t.Errorf("%s: %s %s/%s is a new file, none of its dossiers changed", name, table, part, f)
				}
			}
			if len(chunks) != 4 {
				t.Errorf("%s: %s %s has the chunks %v, want c1 to c4", name, table, part, chunks)
			}
		}
		full := t.TempDir()
		if _, err := w.ExportLake(ctx, full); err != nil {
			t.Fatal(err)
		}
		sameLake(t, w, name, inc, full)
	}
	inodes := func(part string) map[string]os.FileInfo {
		out := map[string]os.FileInfo{}
		for _, table := range []string{"dossiers", "dossier_events"} {
			for f, st := range partInodes(t, filepath.Join(inc, table, filepath.FromSlash(part))) {
				out[table+"/"+f] = st
			}
		}
		return out
	}

	march := "province=H01/month=2024-03"
	before := inodes(march)
	rows, d := onDay("2024-03", 9, 16)
	w = night(1, day.AddDate(0, 0, 1), rows)
	check(w, "one day of March changed", march, before, chunkOf(d))
	w.Close()

	// February's partition as an older lake wrote it: one file,
	// data_0.parquet, its fingerprint without chunks.
	feb := "province=H01/month=2024-02"
	manifest := filepath.Join(inc, "_manifest.json")
	raw, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // mtime_ns as written
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	w = open(day.AddDate(0, 0, 1))
	for _, table := range []string{"dossiers", "dossier_events"} {
		dir := filepath.Join(inc, table, filepath.FromSlash(feb))
		files := partFiles(t, dir)
		one := filepath.Join(t.TempDir(), "data_0.parquet")
		list := make([]string, len(files))
		for i, f := range files {
			list[i] = "'" + f + "'"
		}
		if _, err := w.DB().ExecContext(ctx, fmt.Sprintf(`COPY (SELECT * FROM read_parquet([%s])) TO '%s' (FORMAT parquet)`, strings.Join(list, ", "), one)); err != nil {
			t.Fatal(err)
		}
		fps := m["files"].(map[string]any)
		for _, f := range files {
			delete(fps, table+"/"+feb+"/"+filepath.Base(f))
			os.Remove(f)
		}
		if err := os.Rename(one, filepath.Join(dir, "data_0.parquet")); err != nil {
			t.Fatal(err)
		}
		parts := m["tables"].(map[string]any)[table].(map[string]any)
		var n int64
		for _, c := range strings.Fields(parts[feb].(string)) {
			_, v, _ := strings.Cut(c, ":")
			k, _ := strconv.ParseInt(strings.SplitN(v, "-", 2)[0], 10, 64)
			n += k
		}
		parts[feb] = fmt.Sprintf("%d-1", n)
	}
	w.Close()
	raw, _ = json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(manifest, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	before = inodes(feb)
	rows, _ = onDay("2024-02", 1, 8)
	w = night(2, day.AddDate(0, 0, 2), rows)
	check(w, "one day of February changed, its partition without chunks", feb, before, "")
	if _, err := os.Stat(filepath.Join(inc, "dossiers", filepath.FromSlash(feb), "data_0.parquet")); !os.IsNotExist(err) {
		t.Errorf("the older file is left beside the chunks: %v", err)
	}

	// One chunk's file deleted: the export writes its partition again (the
	// other chunks' files would pass for the whole partition).
	gone := partFiles(t, filepath.Join(inc, "dossiers", filepath.FromSlash(march)))[0]
	os.Remove(gone)
	if _, err := w.ExportLake(ctx, inc); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(gone); err != nil {
		t.Errorf("a chunk's deleted file is not written again: %v", err)
	}
	full := t.TempDir()
	if _, err := w.ExportLake(ctx, full); err != nil {
		t.Fatal(err)
	}
	sameLake(t, w, "a chunk's file deleted", inc, full)
	w.Close()
}
