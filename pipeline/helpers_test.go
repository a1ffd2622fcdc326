package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"wardstat/warehouse"
)

// openWarehouse opens a new warehouse in a temp folder, closed when the test ends.
func openWarehouse(t *testing.T) *warehouse.Warehouse {
	t.Helper()
	w, err := warehouse.Open(context.Background(), filepath.Join(t.TempDir(), "w.duckdb"), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func fuzzFile(t *testing.T, data []byte, name string) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// skipIfShort skips a slow scenario (memory measured over a large input,
// benchmark-sized inputs) under -short: `make test-short` is the quick
// tier, `make test` runs everything.
func skipIfShort(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		t.Skip("slow: " + why)
	}
}
