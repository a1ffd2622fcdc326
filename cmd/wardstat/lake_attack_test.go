package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Attacks on the lake through the CLI: a lake folder whose path holds
// glob characters ([ ] * ? ') is written, attached and reported as the
// node's own figures (its path was read as a glob: attach failed); a
// node whose wards have no province code is attached as "no province
// code", not __HIVE_DEFAULT_PARTITION__; an export into another node's
// lake folder is refused before anything is written (it deleted that
// node's data), and --force replaces it; a lake file corrupted inside,
// its footer intact, makes lake report fail in one line naming the lake
// and what to do (DuckDB's "ZSTD Decompression failure" alone, before).
func TestLakeAttacksCLI(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "lake")
	dir := t.TempDir()
	node := filepath.Join(dir, "node.duckdb")
	fx := "../../testdata/report/handcount/"
	mustRun(t, "--db", node, "units", "import", fx+"units.csv")
	mustRun(t, "--db", node, "ingest", fx+"ward-export.csv", fx+"api-export.json")
	lake := filepath.Join(dir, "o'dd [x]*? lake")
	mustRun(t, "--db", node, "export", "--out", lake)
	// A folder the glob of the lake's path would match instead.
	os.MkdirAll(filepath.Join(dir, "o'dd x"+"ab lake"), 0o755)

	national := filepath.Join(dir, "national.duckdb")
	out := mustRun(t, "--db", national, "--lang", "en", "lake", "attach", "thu", lake)
	if !strings.Contains(out, "provinces H01") {
		t.Errorf("attach a lake at a path with glob characters: %s", out)
	}
	args := []string{"--from", "2024-03-01", "--to", "2024-03-31", "--format", "json"}
	if got, want := mustRun(t, append([]string{"--db", national, "lake", "report"}, args...)...), mustRun(t, append([]string{"--db", node, "report"}, args...)...); got != want {
		t.Errorf("lake report at a path with glob characters:\n%s\nthe node's:\n%s", got, want)
	}

	// A node whose wards' codes hold no province code.
	other := filepath.Join(dir, "other.duckdb")
	csv := filepath.Join(dir, "xa.csv")
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Mã đơn vị,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Trạng thái\n")
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&b, "XA.01-2403%02d-%04d,XA.01,%02d/03/2024 09:00,%02d/03/2024,,Đang giải quyết\n", i, i, i, i+9)
	}
	os.WriteFile(csv, []byte(b.String()), 0o644)
	mustRun(t, "--db", other, "ingest", csv)
	otherLake := filepath.Join(dir, "other-lake")
	mustRun(t, "--db", other, "export", "--out", otherLake)
	out = mustRun(t, "--db", national, "--lang", "en", "lake", "attach", "xa", otherLake)
	if strings.Contains(out, "HIVE") || !strings.Contains(out, "provinces no province code") {
		t.Errorf("attach a lake of wards with no province code: %s", out)
	}
	out = mustRun(t, "--db", national, "lake", "list")
	if strings.Contains(out, "HIVE") || !strings.Contains(out, "không rõ tỉnh") {
		t.Errorf("list: %s", out)
	}

	// The other node exports into the first node's lake: refused, nothing written.
	snapshot := func() string {
		var s strings.Builder
		filepath.WalkDir(lake, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				raw, _ := os.ReadFile(p)
				fmt.Fprintf(&s, "%s %d %x\n", p, len(raw), raw[:min(len(raw), 64)])
			}
			return nil
		})
		return s.String()
	}
	before := snapshot()
	_, _, err := run(t, "--db", other, "--lang", "en", "export", "--out", lake)
	if err == nil || !strings.Contains(errorLine(err, "en"), "is the lake of another warehouse") || strings.Contains(errorLine(err, "en"), "\n") {
		t.Errorf("export into another node's lake: %v", err)
	}
	if snapshot() != before {
		t.Error("the refused export changed the other node's lake")
	}
	if _, _, err := run(t, "--db", other, "export", "--out", lake, "--force"); err != nil {
		t.Errorf("export --force: %v", err)
	}
	if snapshot() == before {
		t.Error("export --force left the lake as it was")
	}
	mustRun(t, "--db", node, "export", "--out", lake, "--force") // the lake is the first node's again

	// A file corrupted inside, its footer intact.
	corrupt := filepath.Join(dir, "corrupt")
	if err := os.CopyFS(corrupt, os.DirFS(lake)); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(corrupt, "dossiers", "*", "*", "*.parquet"))
	raw, _ := os.ReadFile(files[0])
	copy(raw[40:], "\xde\xad\xbe\xef\xde\xad\xbe\xef\xde\xad\xbe\xef")
	os.WriteFile(files[0], raw, 0o644)
	lone := filepath.Join(dir, "lone.duckdb")
	// Its footers read well, its bytes differ from the manifest's SHA-256.
	_, _, err = run(t, "--db", lone, "--lang", "en", "lake", "attach", "hong", corrupt)
	if text := errorLine(err, "en"); err == nil || strings.Contains(text, "\n") || !strings.Contains(text, "was replaced or damaged") ||
		!strings.Contains(text, "run wardstat export again on that node") {
		t.Errorf("lake attach of a corrupt file: %q", text)
	}
	// Named in the configuration, a federation's open checks sizes only:
	// the query that reads the file names the lake.
	config := filepath.Join(dir, "lone.yml")
	os.WriteFile(config, []byte("warehouse: lone.duckdb\nlakes:\n  - name: hong\n    dir: "+corrupt+"\n"), 0o644)
	_, _, err = run(t, append([]string{"--db", lone, "--lang", "en", "lake", "report", "--config", config}, args...)...)
	text := errorLine(err, "en")
	if err == nil || strings.Contains(text, "\n") || !strings.HasPrefix(text, `lake "hong" (`+corrupt+"): a file is corrupt") || !strings.Contains(text, "copy the lake again") {
		t.Errorf("lake report over a corrupt file: %q", text)
	}
}
