package warehouse_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"wardstat/internal/testkit"
	"wardstat/pipeline"
	"wardstat/warehouse"
)

// warehouseState is a fingerprint of everything a load writes: each
// table's row count and the sum of its rows' hashes (a sum, not a xor, so
// that a row held twice shows).
func warehouseState(t testing.TB, db *sql.DB) string {
	t.Helper()
	var out string
	for _, q := range []string{
		`SELECT count(*), coalesce(sum(hash(l)::HUGEINT), 0)::VARCHAR FROM (SELECT * EXCLUDE (loaded_at) FROM loads) l`,
		`SELECT count(*), coalesce(sum(hash(d)::HUGEINT), 0)::VARCHAR FROM dossiers d`,
		`SELECT count(*), coalesce(sum(hash(h)::HUGEINT), 0)::VARCHAR FROM dossier_history h`,
		`SELECT count(*), coalesce(sum(hash(r)::HUGEINT), 0)::VARCHAR FROM rejects r`,
	} {
		var n int64
		var sum string
		if err := db.QueryRow(q).Scan(&n, &sum); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out += fmt.Sprintf("%d/%s ", n, sum)
	}
	return out
}

// orphanRows counts rows naming a load that `loads` lacks, as any DuckDB
// client reading the file sees them.
func orphanRows(t testing.TB, db *sql.DB) int64 {
	t.Helper()
	return queryInt(t, db, `SELECT (SELECT count(*) FROM dossiers WHERE load_id NOT IN (SELECT load_id FROM loads))
		+ (SELECT count(*) FROM dossiers WHERE first_load_id NOT IN (SELECT load_id FROM loads))
		+ (SELECT count(*) FROM dossier_history WHERE load_id NOT IN (SELECT load_id FROM loads) OR replaced_by NOT IN (SELECT load_id FROM loads))
		+ (SELECT count(*) FROM rejects WHERE load_id NOT IN (SELECT load_id FROM loads))`)
}

// TestHelperLoadAndDie is not a test: run as a child process by
// TestOpenRemovesALoadWhoseCommitWasCutShort, it loads a file and exits
// without closing the warehouse, leaving the load's commit in the WAL
// (as a kill just after the commit would).
func TestHelperLoadAndDie(t *testing.T) {
	db, file := os.Getenv("WARDSTAT_HELPER_DB"), os.Getenv("WARDSTAT_HELPER_FILE")
	if db == "" {
		t.Skip("a helper process")
	}
	w, err := warehouse.Open(context.Background(), db, warehouse.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	if _, err := pipeline.File(context.Background(), w, file, pipeline.FileOptions{Hasher: testHasher, Ward: "K01"}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	os.Exit(0)
}

// TestOpenRemovesALoadWhoseCommitWasCutShort replays a load's WAL cut at
// many points, as a SIGKILL during the commit leaves it. DuckDB (1.5)
// replays a WAL whose last entry, the commit marker, is cut short by
// applying the rows its large inserts wrote straight to the data file
// (and nothing else): 125,000 dossiers with a load id missing from
// `loads`. Opened by wardstat, the warehouse must be exactly before or
// after the load, read-only or not, with no row of a missing load.
func TestOpenRemovesALoadWhoseCommitWasCutShort(t *testing.T) {
	skipIfShort(t, "a commit cut short over 125,000 dossiers")
	dir := t.TempDir()
	base := filepath.Join(dir, "base.duckdb")
	night1, night2 := filepath.Join(dir, "night1.csv"), filepath.Join(dir, "night2.csv")
	// Night 1: 2,000 pending dossiers. Night 2: 600 of them finished,
	// and 125,000 new (more than a DuckDB row group, so written to the
	// data file before the commit, as a real export's are).
	testkit.WriteNightCSV(t, night1, 0, 2000, 0)
	testkit.WriteNightCSV(t, night2, 0, 127_000, 600)
	w, err := warehouse.Open(context.Background(), base, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustIngest(t, w, night1, pipeline.FileOptions{Ward: "K01"})
	before := warehouseState(t, w.DB())
	w.Close()

	// The second load commits and its process dies before any checkpoint.
	died := filepath.Join(dir, "died.duckdb")
	testkit.CopyFile(t, base, died)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLoadAndDie$")
	cmd.Env = append(os.Environ(), "WARDSTAT_HELPER_DB="+died, "WARDSTAT_HELPER_FILE="+night2)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the loading process: %v\n%s", err, out)
	}
	wal, err := os.ReadFile(died + ".wal")
	if err != nil || len(wal) == 0 {
		t.Fatalf("the load left no WAL (%v): the test needs a commit still in it", err)
	}

	// cut gives a copy of the file with the WAL's first n bytes.
	cut := func(name string, n int) string {
		p := filepath.Join(dir, name)
		testkit.CopyFile(t, died, p)
		if err := os.WriteFile(p+".wal", wal[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	after := func() string {
		w, err := warehouse.Open(context.Background(), cut("whole.duckdb", len(wal)), warehouse.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		return warehouseState(t, w.DB())
	}()
	if after == before {
		t.Fatal("the whole WAL must hold the second load")
	}
	// Cuts inside the commit marker (the last entry, 21 bytes), and
	// across the rest of the WAL.
	cuts := []int{len(wal) - 21, len(wal) - 13, len(wal) - 1}
	for i := 1; i < 6; i++ {
		cuts = append(cuts, len(wal)*i/6)
	}
	halfSeen := 0
	for _, n := range cuts {
		// What a plain DuckDB client sees.
		raw, err := sql.Open("duckdb", cut("raw.duckdb", n)+"?access_mode=read_only")
		if err != nil {
			t.Fatal(err)
		}
		if orphanRows(t, raw) > 0 {
			halfSeen++
		}
		raw.Close()
		for _, readOnly := range []bool{true, false} {
			p := cut(fmt.Sprintf("cut%d-%v.duckdb", n, readOnly), n)
			w, err := warehouse.Open(context.Background(), p, warehouse.Options{ReadOnly: readOnly})
			if err != nil {
				t.Fatalf("WAL cut at %d of %d bytes, read-only %v: the warehouse does not open: %v", n, len(wal), readOnly, err)
			}
			if o := orphanRows(t, w.DB()); o > 0 {
				t.Fatalf("WAL cut at %d of %d bytes, read-only %v: %d rows of a load missing from loads", n, len(wal), readOnly, o)
			}
			if got := warehouseState(t, w.DB()); got != before && got != after {
				t.Fatalf("WAL cut at %d of %d bytes, read-only %v: between states:\n got    %s\n before %s\n after  %s", n, len(wal), readOnly, got, before, after)
			}
			w.Close()
			os.Remove(p)
			os.Remove(p + ".wal")
		}
	}
	t.Logf("WAL of %d bytes cut at %d points; a plain DuckDB client saw half the load at %d of them", len(wal), len(cuts), halfSeen)
}

// TestRepairPutsBackAStateWhoseReplacementNeverCommitted: if a load that
// never committed left its deletions (the stored states it replaced) but
// not its new states, the states come back from history: no stored
// dossier is lost, whichever part of a load survives.
func TestRepairPutsBackAStateWhoseReplacementNeverCommitted(t *testing.T) {
	skipIfShort(t, "loads that never committed, repaired")
	for _, kept := range []string{"deletions only", "deletions and new states"} {
		t.Run(kept, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "w.duckdb")
			dir := t.TempDir()
			w, err := warehouse.Open(context.Background(), path, warehouse.Options{})
			if err != nil {
				t.Fatal(err)
			}
			mustIngest(t, w, writeFile(t, dir, "v1.csv", exportV1), pipeline.FileOptions{})
			before := warehouseState(t, w.DB())
			r2 := mustIngest(t, w, writeFile(t, dir, "v2.csv", exportV2+"H09.01-240304-0001,Trực tiếp,hôm qua,,,Đang xử lý,Lê Thị Dung,0912000444\n"), pipeline.FileOptions{})
			if r2.Changed != 1 || r2.New != 1 || r2.Rejected != 1 {
				t.Fatalf("second load: %+v", r2)
			}
			// The load's row never committed; its other writes did.
			stmts := []string{`DELETE FROM loads WHERE load_id = ?`}
			if kept == "deletions only" {
				stmts = append(stmts, `DELETE FROM dossiers WHERE load_id = ?`)
			}
			for _, q := range stmts {
				if _, err := w.DB().Exec(q, r2.LoadID); err != nil {
					t.Fatal(err)
				}
			}
			w.Close()

			w, err = warehouse.Open(context.Background(), path, warehouse.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if got := warehouseState(t, w.DB()); got != before {
				t.Fatalf("after the repair:\n got    %s\n before %s", got, before)
			}
			rep := w.Repaired()
			if rep == nil || len(rep.LoadIDs) != 1 || rep.LoadIDs[0] != r2.LoadID || rep.Restored != 1 || rep.History != 1 || rep.Rejects != 1 {
				t.Fatalf("repair: %+v", rep)
			}
			// The next load of the same file loads it whole.
			again := mustIngest(t, w, filepath.Join(dir, "v2.csv"), pipeline.FileOptions{})
			if again.AlreadyLoaded != nil || again.Changed != 1 || again.New != 1 || again.Rejected != 1 {
				t.Fatalf("loading the file again: %+v", again)
			}
			// It takes the number the unfinished load drew, as it would
			// have had the unfinished load never begun.
			if again.LoadID != r2.LoadID {
				t.Fatalf("the next load is number %d, want %d (the unfinished load's number given back)", again.LoadID, r2.LoadID)
			}
		})
	}
}

// TestReadOnlyOpenRefusesWhatItCannotRepair: a read-only open that finds
// rows of an unfinished load and cannot open the file for writing to
// remove them refuses, rather than show figures no load produced.
func TestReadOnlyOpenRefusesWhatItCannotRepair(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.duckdb")
	dir := t.TempDir()
	w, err := warehouse.Open(context.Background(), path, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustIngest(t, w, writeFile(t, dir, "v1.csv", exportV1), pipeline.FileOptions{})
	r2 := mustIngest(t, w, writeFile(t, dir, "v2.csv", exportV2), pipeline.FileOptions{})
	if _, err := w.DB().Exec(`DELETE FROM loads WHERE load_id = ?`, r2.LoadID); err != nil {
		t.Fatal(err)
	}
	w.Close()
	// The write open fails: its spill folder's place holds a file.
	os.RemoveAll(path + ".tmp")
	if err := os.WriteFile(path+".tmp", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if w, err := warehouse.Open(context.Background(), path, warehouse.Options{ReadOnly: true}); !errors.Is(err, warehouse.ErrUnfinishedLoad) {
		if err == nil {
			w.Close()
		}
		t.Fatalf("read-only open of a warehouse holding an unfinished load it cannot remove: %v", err)
	}
	// Once the file can be opened for writing, a read-only open repairs it.
	os.Remove(path + ".tmp")
	w, err = warehouse.Open(context.Background(), path, warehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if o := orphanRows(t, w.DB()); o > 0 || w.Repaired() == nil {
		t.Fatalf("after the repair: %d rows of a missing load, repair %+v", o, w.Repaired())
	}
}
