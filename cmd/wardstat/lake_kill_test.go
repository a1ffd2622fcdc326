package main

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An export killed while it rewrites the lake's dossier partitions leaves
// each partition as it was or as the finished export writes it, never
// half written, and the next export finishes the job: a real wardstat
// process, killed with SIGKILL at several points of its run.
func TestKilledLakeExportLeavesEachPartitionBeforeOrAfter(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: runs the export several times as a process")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "node.duckdb")
	units := filepath.Join(dir, "units.csv")
	os.WriteFile(units, []byte("code,name,district,province,valid_from,valid_to\nH07.01,Phường Một,Quận Một,Tỉnh Bảy,2020-01-01,\n"), 0o644)
	// 36 months of dossiers, all open; then the same export with every
	// third resolved: every month's partitions change.
	night := func(name string, resolved bool) string {
		var b strings.Builder
		b.WriteString("Mã hồ sơ,Hình thức nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Trạng thái\n")
		start := time.Date(2022, 1, 1, 9, 0, 0, 0, time.UTC)
		for m := 0; m < 36; m++ {
			for n := 1; n <= 25; n++ {
				rec := start.AddDate(0, m, n)
				done, status := "", "4"
				if resolved && n%3 == 0 {
					done, status = rec.AddDate(0, 0, 5).Format("02/01/2006 15:04"), "10"
				}
				fmt.Fprintf(&b, "H07.01-%s-%04d,%d,%s,%s,%s,%s\n", rec.Format("060102"), n, 1+n%3, rec.Format("02/01/2006 15:04"),
					rec.AddDate(0, 0, 7).Format("02/01/2006"), done, status)
			}
		}
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(b.String()), 0o644)
		return p
	}
	t.Setenv("WARDSTAT_PII_KEY", "lakekill")
	mustRun(t, "--db", db, "units", "import", units)
	mustRun(t, "--db", db, "ingest", night("night1.csv", false))
	lakeA := filepath.Join(dir, "lakeA")
	mustRun(t, "--db", db, "export", "--out", lakeA)
	before := lakePartitions(t, lakeA)
	mustRun(t, "--db", db, "ingest", night("night2.csv", true))

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	export := func(out string) *exec.Cmd {
		c := exec.Command(self, "--db", db, "export", "--out", out)
		c.Env = append(os.Environ(), "WARDSTAT_BE_CLI=1")
		return c
	}
	copyLake := func(to string) string {
		if err := os.CopyFS(to, os.DirFS(lakeA)); err != nil {
			t.Fatal(err)
		}
		return to
	}
	ref := copyLake(filepath.Join(dir, "ref"))
	began := time.Now()
	if out, err := export(ref).CombinedOutput(); err != nil {
		t.Fatalf("reference export: %v\n%s", err, out)
	}
	took := time.Since(began)
	after := lakePartitions(t, ref)
	changed := 0
	for p, rows := range after {
		if before[p] != rows {
			changed++
		}
	}
	if changed < 36 {
		t.Fatalf("the second night changed %d partitions, want every month's", changed)
	}

	var last string
	for i, f := range []float64{0.6, 0.75, 0.85, 0.92, 0.97} {
		lake := copyLake(filepath.Join(dir, fmt.Sprintf("killed%d", i)))
		c := export(lake)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(f * float64(took)))
		c.Process.Kill()
		c.Wait()
		mixed := map[string]int{}
		for p, rows := range lakePartitions(t, lake) {
			switch rows {
			case before[p]:
				mixed["before"]++
			case after[p]:
				mixed["after"]++
			default:
				t.Errorf("killed at %.0f%%: partition %s is neither the old nor the new one", 100*f, p)
			}
		}
		t.Logf("killed at %.0f%% of %s: %v", 100*f, took.Round(time.Millisecond), mixed)
		last = lake
	}
	// The next export completes it.
	if out, err := export(last).CombinedOutput(); err != nil {
		t.Fatalf("export after the kill: %v\n%s", err, out)
	}
	got := lakePartitions(t, last)
	if len(got) != len(after) {
		t.Errorf("after the kill and a new export: %d partitions, want %d", len(got), len(after))
	}
	for p, rows := range after {
		if got[p] != rows {
			t.Errorf("after the kill and a new export, partition %s differs from an export never killed", p)
		}
	}
}

// lakePartitions reads every partition of the lake's dossier tables: its
// rows, in order, as text; a file that cannot be read fails the test.
func lakePartitions(t *testing.T, lake string) map[string]string {
	t.Helper()
	conn, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	out := map[string]string{}
	for _, table := range []string{"dossiers", "dossier_events"} {
		parts, _ := filepath.Glob(filepath.Join(lake, table, "province=*", "month=*"))
		for _, p := range parts {
			rel, _ := filepath.Rel(lake, p)
			var rows string
			err := conn.QueryRow(fmt.Sprintf(`SELECT coalesce(string_agg(t::VARCHAR, E'\n' ORDER BY t::VARCHAR), '')
				FROM read_parquet('%s/*.parquet') t`, strings.ReplaceAll(p, "'", "''"))).Scan(&rows)
			if err != nil {
				t.Errorf("%s cannot be read: %v", rel, err)
				continue
			}
			out[rel] = rows
		}
	}
	return out
}
