// Package whtest gives tests a fresh, migrated warehouse cheaply: one is
// made per test binary and each test gets a copy of its file (about 0.1 s
// to open instead of about 0.7 s to migrate and make the models and the
// calendar). The package's TestMain must call testkit.Main.
package whtest

import (
	"context"
	"testing"

	"wardstat/internal/testkit"
	"wardstat/warehouse"
)

// Path is a fresh warehouse file named w.duckdb in a new t.TempDir(),
// migrated by this build and holding no load, as warehouse.Open would
// make it; nothing holds it open.
func Path(t testing.TB) string {
	t.Helper()
	return testkit.FromTemplate(t, "warehouse", "w.duckdb", build)
}

// At puts a fresh warehouse file (Path) at path, for a test whose
// warehouse must sit in a given folder (beside its key or exports).
func At(t testing.TB, path string) string {
	t.Helper()
	return testkit.TemplateAt(t, "warehouse", path, build)
}

func build(path string) error {
	w, err := warehouse.Open(context.Background(), path, warehouse.Options{})
	if err != nil {
		return err
	}
	return w.Close()
}

// Open opens a fresh warehouse (Path) for writing, closed when the test ends.
func Open(t testing.TB) *warehouse.Warehouse {
	t.Helper()
	w, err := warehouse.Open(context.Background(), Path(t), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}
