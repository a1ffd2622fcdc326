package flight

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"wardstat/warehouse"
)

// TestSnapshotIsReopenedWhenPublished: a query holding the old snapshot
// keeps it; the next acquire opens the new one.
func TestSnapshotIsReopenedWhenPublished(t *testing.T) {
	t.Run("linked", func(t *testing.T) { testSnapshotReopened(t, false) })
	t.Run("no link", func(t *testing.T) { testSnapshotReopened(t, true) })
}

// testSnapshotReopened: without a link (noLink), a query holding the old
// snapshot keeps it and so do the queries beside it, until none reads it.
func testSnapshotReopened(t *testing.T, noLink bool) {
	if noLink {
		linkFile = func(string, string) error { return os.ErrPermission }
		defer func() { linkFile = os.Link }()
	}
	dir := t.TempDir()
	live := filepath.Join(dir, "w.duckdb")
	snap := filepath.Join(dir, "published", "w.duckdb")
	ctx := context.Background()
	w, err := warehouse.Open(ctx, live, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	publish := func(n int) {
		t.Helper()
		if _, err := w.DB().ExecContext(ctx, "CREATE OR REPLACE TABLE meta_n AS SELECT ? AS n", n); err != nil {
			t.Fatal(err)
		}
		if err := w.Publish(ctx, snap, -1); err != nil {
			t.Fatal(err)
		}
	}
	publish(1)
	src := Snapshot(snap, warehouse.Options{MemoryLimit: "64MB"})
	defer src.Close()
	read := func() (int, func()) {
		t.Helper()
		r, release, err := src.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := r.DB().QueryRowContext(ctx, "SELECT n FROM meta_n").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n, release
	}
	n1, release1 := read()
	publish(2)
	n2, release2 := read()
	if want := map[bool]int{false: 2, true: 1}[noLink]; n1 != 1 || n2 != want {
		t.Fatalf("read %d then %d, want 1 then %d", n1, n2, want)
	}
	release1()
	release2()
	publish(3)
	if n3, release3 := read(); n3 != 3 {
		t.Fatalf("read %d", n3)
	} else {
		release3()
	}
	w.Close()
	src.Close()
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(snap), ".wardstat-flight-*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	if _, err := os.Stat(snap); err != nil {
		t.Fatal(err)
	}
}
