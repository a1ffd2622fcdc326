package warehouse_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"wardstat/warehouse"
)

// TestSpillFolderIsPrivateAndEmptiedOnOpen: a load killed while DuckDB
// spilled its staged rows (cells in clear among them) leaves files in the
// spill folder beside the warehouse; the next open for writing removes
// them, and the folder is its owner's only.
func TestSpillFolderIsPrivateAndEmptiedOnOpen(t *testing.T) {
	db := filepath.Join(t.TempDir(), "w.duckdb")
	spill := db + ".tmp"
	if err := os.MkdirAll(spill, 0o755); err != nil {
		t.Fatal(err)
	}
	left := filepath.Join(spill, "duckdb_temp_storage_S32K-0.tmp")
	if err := os.WriteFile(left, []byte(`{"Ngày tiếp nhận":"Nguyễn Thị Phượng"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := warehouse.Open(context.Background(), db, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Errorf("the killed load's spilled rows are still there: %v", err)
	}
	st, err := os.Stat(spill)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("spill folder mode %v, want 0700", st.Mode().Perm())
	}
	// Spilling works in it: a sort larger than the memory allowed.
	if _, err := w.DB().Exec(`SET memory_limit = '40MB'; SET preserve_insertion_order = true`); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := w.DB().QueryRow(`SELECT count(*) FROM (SELECT i, repeat('x', 40) || i AS s FROM range(1500000) t(i) ORDER BY s DESC)`).Scan(&n); err != nil || n != 1500000 {
		t.Fatalf("a query spilling into the private folder: %d, %v", n, err)
	}
	w.Close()
	if _, err := os.Stat(spill); !os.IsNotExist(err) {
		t.Errorf("the empty spill folder must go with the warehouse: %v", err)
	}
}

// TestSnapshotIsNotWorldReadable: the published snapshot holds what the
// warehouse holds; it is readable by its owner and the group named for
// analysts, not by every user of the machine.
func TestSnapshotIsNotWorldReadable(t *testing.T) {
	w, err := warehouse.Open(context.Background(), filepath.Join(t.TempDir(), "w.duckdb"), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	gid := os.Getgid()
	if groups, _ := os.Getgroups(); len(groups) > 0 {
		gid = groups[len(groups)-1]
	}
	dest := filepath.Join(t.TempDir(), "published", "w.duckdb")
	if err := w.Publish(context.Background(), dest, gid); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dest)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o640 {
		t.Errorf("snapshot mode %v, want 0640", st.Mode().Perm())
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Gid) != gid {
		t.Errorf("snapshot group %d, want %d", sys.Gid, gid)
	}
}
