package warehouse_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wardstat/warehouse"
)

// An export into a lake folder another warehouse wrote is refused before
// anything is written: it would have removed that node's partitions
// (every partition its own rows lack). The manifest names the warehouse
// that wrote it (a random id kept in meta, made once); the owner exports
// again as before, and ForceLakeOwner (export --force) replaces the lake.
func TestExportRefusesAnotherWarehousesLake(t *testing.T) {
	a := handcount(t)
	root := t.TempDir()
	b, _ := noProvinceNode(t, root, "XA.01")
	lake := filepath.Join(root, "lake-a")
	if _, err := a.ExportLake(t.Context(), lake); err != nil {
		t.Fatal(err)
	}
	owner := func() string {
		var m struct {
			ID string `json:"warehouse_id"`
		}
		raw, _ := os.ReadFile(filepath.Join(lake, "_manifest.json"))
		json.Unmarshal(raw, &m)
		return m.ID
	}
	idA, _ := a.WarehouseID(t.Context())
	idB, _ := b.WarehouseID(t.Context())
	if idA == "" || idA == idB || owner() != idA {
		t.Fatalf("warehouse ids %q %q, manifest %q", idA, idB, owner())
	}
	if again, _ := a.WarehouseID(t.Context()); again != idA {
		t.Errorf("the id changed: %s then %s", idA, again)
	}
	before, _ := filepath.Glob(filepath.Join(lake, "dossiers", "*", "*", "*.parquet"))
	manifest, _ := os.ReadFile(filepath.Join(lake, "_manifest.json"))
	_, err := b.ExportLake(t.Context(), lake)
	if err == nil || !strings.Contains(err.Error(), "is the lake of another warehouse") || !strings.Contains(err.Error(), "--force") || strings.Contains(err.Error(), "\n") {
		t.Errorf("export into another's lake: %v", err)
	}
	after, _ := filepath.Glob(filepath.Join(lake, "dossiers", "*", "*", "*.parquet"))
	now, _ := os.ReadFile(filepath.Join(lake, "_manifest.json"))
	if len(after) != len(before) || string(now) != string(manifest) {
		t.Errorf("the refused export changed the lake: %d files, then %d", len(before), len(after))
	}
	if _, err := a.ExportLake(t.Context(), lake); err != nil {
		t.Errorf("the owner's export again: %v", err)
	}
	if _, err := b.ExportLake(warehouse.ForceLakeOwner(t.Context()), lake); err != nil {
		t.Fatal(err)
	}
	if owner() != idB {
		t.Errorf("after --force the manifest names %s, want %s", owner(), idB)
	}
}
