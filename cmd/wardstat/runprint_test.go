package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `run` prints the runs it made, not the ledger's older ones: a second
// night listed the first night's failures again.
func TestRunPrintsOnlyItsOwnRuns(t *testing.T) {
	dir := t.TempDir()
	drop := filepath.Join(dir, "drop")
	if err := os.MkdirAll(drop, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "w.yml")
	if err := os.WriteFile(cfg, []byte("warehouse: w.duckdb\nsources:\n  - name: drop\n    ward: H01.01\n    path: drop/\n    settle: 0s\n    schedule: \"0 1 * * *\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A file with no dossier column fails the first night.
	if err := os.WriteFile(filepath.Join(drop, "bad.csv"), []byte("Thủ tục,Ngày tiếp nhận\nX,01/10/2026\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	first, _, err := run(t, "--lang", "en", "run", "--config", cfg)
	if err == nil || strings.Count(first, "failed") != 1 {
		t.Fatalf("first night: %v\n%s", err, first)
	}
	second := mustRun(t, "--lang", "en", "run", "--config", cfg)
	if strings.Contains(second, "failed") {
		t.Errorf("the second night lists the first night's failure again:\n%s", second)
	}
	if strings.Count(second, "drop") != 1 {
		t.Errorf("the second night must list its one pull:\n%s", second)
	}
}
