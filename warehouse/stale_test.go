package warehouse_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"wardstat/warehouse"
)

// A warehouse last written by an older wardstat has that version's views;
// a read-only command of this build must not read them (it would fail on
// a column they lack, or compute a figure the old way). The read-only open
// brings the models up to date through one write open, or says it could
// not.
func TestReadOnlyOpenUpdatesAnOlderWarehousesViews(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.duckdb")
	w, err := warehouse.Open(ctx, path, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// What an older build leaves: another models fingerprint, and a view
	// of this build missing.
	for _, q := range []string{
		`UPDATE meta SET value = 'made-by-an-older-wardstat' WHERE name = 'models_sha256'`,
		`DROP VIEW mart_apology`,
	} {
		if _, err := w.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	ro, err := warehouse.Open(ctx, path, warehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if ro.Stale() {
		t.Error("Stale() after the models were brought up to date")
	}
	if n := queryInt(t, ro.DB(), `SELECT count(*) FROM duckdb_views() WHERE view_name = 'mart_apology'`); n != 1 {
		t.Errorf("the read-only open still shows the older views (mart_apology missing)")
	}
	ro.Close()

	// A file this process cannot write (a snapshot of another user's, say):
	// the old views are read, and Stale says so.
	w, err = warehouse.Open(ctx, path, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.DB().ExecContext(ctx, `UPDATE meta SET value = 'made-by-an-older-wardstat' WHERE name = 'models_sha256'`); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if os.Getuid() == 0 {
		t.Skip("root writes a read-only file")
	}
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	ro, err = warehouse.Open(ctx, path, warehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if !ro.Stale() {
		t.Error("Stale() is false for an older warehouse that could not be updated")
	}
}
