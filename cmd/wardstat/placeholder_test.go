package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The exit-3 hint prints "ingest --ward MÃ_ĐƠN_VỊ FILE"; pasted as it is,
// the placeholder must not become a ward of the warehouse.
func TestWardPlaceholderIsRefused(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	f := filepath.Join(dir, "thang10.csv")
	if err := os.WriteFile(f, []byte("Mã hồ sơ,Ngày tiếp nhận\nHS-1,01/10/2026 08:00\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, ph := range []string{"MÃ_ĐƠN_VỊ", "UNIT_CODE"} {
		_, _, err := run(t, "--db", db, "ingest", "--ward", ph, f)
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), ph) {
			t.Errorf("--ward %s: %v (exit %d), want a refusal naming the placeholder, exit 2", ph, err, exitCode(err))
		}
	}
	out, _, err := run(t, "--db", db, "sql", "SELECT count(*) AS n FROM dossiers")
	if err == nil && !strings.Contains(out, "0") {
		t.Errorf("a placeholder load stored dossiers: %s", out)
	}
}
