package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wardstat lake: a node publishes its lake (export), another attaches it
// (twice: the second changes nothing), lists it, and its lake report and
// lake sql give the node's own figures; a lake missing, or given in the
// configuration under an attached name at another folder, is one line.
func TestLakeCommands(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "lake")
	dir := t.TempDir()
	node := filepath.Join(dir, "node.duckdb")
	fx := "../../testdata/report/handcount/"
	mustRun(t, "--db", node, "units", "import", fx+"units.csv")
	mustRun(t, "--db", node, "ingest", fx+"ward-export.csv", fx+"api-export.json")
	lake := filepath.Join(dir, "lake")
	mustRun(t, "--db", node, "export", "--out", lake)

	national := filepath.Join(dir, "national.duckdb")
	out := mustRun(t, "--db", national, "--lang", "en", "lake", "attach", "thu", lake)
	if !strings.Contains(out, "attached lake thu") || !strings.Contains(out, "provinces H01") {
		t.Errorf("attach: %s", out)
	}
	out = mustRun(t, "--db", national, "--lang", "en", "lake", "attach", "thu", lake)
	if !strings.Contains(out, "already attached") {
		t.Errorf("attach again: %s", out)
	}
	out = mustRun(t, "--db", national, "lake", "list")
	if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "thu\t") {
		t.Errorf("list after attaching twice:\n%s", out)
	}
	for _, by := range []string{"ward", "district", "province"} {
		args := []string{"--from", "2024-03-01", "--to", "2024-03-31", "--by", by, "--format", "json"}
		want := mustRun(t, append([]string{"--db", node, "report"}, args...)...)
		got := mustRun(t, append([]string{"--db", national, "lake", "report"}, args...)...)
		if got != want || !strings.Contains(want, "H01.01") && by == "ward" {
			t.Errorf("lake report --by %s:\n%s\nthe node's report:\n%s", by, got, want)
		}
	}
	q := "SELECT month, ward_code, received_total, t.on_time_rate_3m FROM mart_trends t JOIN ward_month USING (month, ward_code) ORDER BY ALL"
	if got, want := mustRun(t, "--db", national, "lake", "sql", "--format", "csv", q), mustRun(t, "--db", node, "sql", "--format", "csv", q); got != want {
		t.Errorf("lake sql:\n%s\nthe node's:\n%s", got, want)
	}

	// The configuration names the same lake at another folder: refused.
	config := filepath.Join(dir, "national.yml")
	other := filepath.Join(dir, "other")
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, "_manifest.json"), []byte(`{"lake_schema_version": 1, "tables": {}}`), 0o644)
	os.WriteFile(config, []byte("warehouse: national.duckdb\nlakes:\n  - name: thu\n    dir: other\n"), 0o644)
	_, _, err := run(t, "--db", national, "--lang", "en", "lake", "report", "--config", config, "--month", "2024-03")
	if err == nil || !strings.Contains(errorLine(err, "en"), `lake "thu" is attached at `+lake+" but the configuration says "+other) {
		t.Errorf("the same name at two folders: %v", err)
	}

	// A lake gone: one line, naming it.
	os.RemoveAll(lake)
	_, _, err = run(t, "--db", national, "--lang", "en", "lake", "report", "--month", "2024-03")
	if err == nil || strings.Contains(errorLine(err, "en"), "\n") || !strings.Contains(errorLine(err, "en"), `lake "thu" (`+lake+"): no such folder") {
		t.Errorf("a lake gone: %v", err)
	}
	if _, _, err := run(t, "--db", national, "--lang", "en", "lake", "attach", "Thu Hai", lake); err == nil || exitCode(err) != 2 {
		t.Errorf("a bad lake name: %v", err)
	}
}
