package main

import (
	"context"
	"path/filepath"
	"testing"

	"wardstat/warehouse"
)

// The bases the benches generate straight into a warehouse fill every
// dossier's key_hash as a load would: a night's load matches its file
// against them by it.
func TestGeneratedBasesFillKeyHashes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for name, make := range map[string]func(string) error{
		"base":  func(p string) error { return makeBase(ctx, p, 2000) },
		"scale": func(p string) error { return makeScaleBase(ctx, p, filepath.Join(dir, "flat.duckdb"), 2000) },
	} {
		path := filepath.Join(dir, name+".duckdb")
		if err := make(path); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		w, err := warehouse.Open(ctx, path, warehouse.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		var rows, wrong int64
		err = w.DB().QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (key_hash IS DISTINCT FROM hash(dossier_code)) FROM dossiers`).Scan(&rows, &wrong)
		w.Close()
		if err != nil || rows != 2000 || wrong != 0 {
			t.Fatalf("%s: %d dossiers, %d with a wrong key_hash (%v)", name, rows, wrong, err)
		}
	}
}
