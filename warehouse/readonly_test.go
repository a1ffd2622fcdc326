package warehouse_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"wardstat/pipeline"
	"wardstat/warehouse"
)

// sandboxFixture is a loaded warehouse, closed, in a folder of its own that
// also holds a file beside it and the warehouse's temp folder (the attack
// needs it to exist); outside is another folder a statement might write to.
func sandboxFixture(t *testing.T) (db, outside string) {
	t.Helper()
	dir := t.TempDir()
	db = filepath.Join(dir, "w.duckdb")
	w, err := warehouse.Open(context.Background(), db, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fx := "../testdata/report/handcount/"
	mustUnits(t, w, fx+"units.csv")
	mustIngest(t, w, fx+"ward-export.csv", pipeline.FileOptions{})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "beside.csv", "name,phone\nNguyễn Văn A,0912345678\n")
	if err := os.Mkdir(db+".tmp", 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, db+".tmp", "planted.csv", "a,b\n1,2\n")
	return db, t.TempDir()
}

// treeState is every file under the folders with its size and sha256.
func treeState(t *testing.T, roots ...string) map[string]string {
	t.Helper()
	state := map[string]string{}
	for _, root := range roots {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				state[p] = "dir"
				return nil
			}
			f, err := os.Open(p)
			if err != nil {
				state[p] = err.Error()
				return nil
			}
			defer f.Close()
			h := sha256.New()
			io.Copy(h, f)
			state[p] = hex.EncodeToString(h.Sum(nil))
			return nil
		})
	}
	return state
}

func diffState(before, after map[string]string) []string {
	var diffs []string
	for p, v := range after {
		if before[p] != v {
			diffs = append(diffs, p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			diffs = append(diffs, p+" (removed)")
		}
	}
	sort.Strings(diffs)
	return diffs
}

// TestSandboxRefusesEveryWrite attacks the analysts' read-only connection
// with statements that write files, change its limits or read files: each
// must fail, no file anywhere may be created or changed (the warehouse's
// own WAL and temp folder included, which DuckDB allows itself to write
// even with external access off), and plain queries still work after.
func TestSandboxRefusesEveryWrite(t *testing.T) {
	db, outside := sandboxFixture(t)
	dir := filepath.Dir(db)
	home := t.TempDir()
	t.Setenv("HOME", home) // where INSTALL would put an extension
	before := treeState(t, dir, outside, home)

	w, err := warehouse.Open(context.Background(), db, warehouse.Options{ReadOnly: true, MemoryLimit: "64MB", MaxTempSize: "16MB"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx := context.Background()
	want := queryOne[int64](t, w.DB(), `SELECT count(*) FROM dossiers`)

	out := func(name string) string { return filepath.Join(outside, name) }
	attacks := []string{
		`COPY dossiers TO '` + out("out.csv") + `'`,
		`COPY dossiers TO '` + db + `.tmp/out.csv'`,
		`COPY (SELECT 1 AS x) TO '` + db + `.wal'`,
		`COPY (SELECT 1 AS x) TO '` + db + `'`,
		`COPY dossiers TO '` + out("out.parquet") + `' (FORMAT parquet)`,
		`EXPORT DATABASE '` + out("export") + `'`,
		`ATTACH '` + out("x.duckdb") + `' AS x`,
		`ATTACH ':memory:' AS m`,
		`DETACH w`,
		`SELECT * FROM read_csv('/etc/passwd')`,
		`SELECT * FROM read_text('/etc/passwd')`,
		`SELECT * FROM '/etc/passwd'`,
		`SELECT * FROM read_parquet('` + dir + `/beside.csv')`,
		`SELECT * FROM read_text('` + dir + `/beside.csv')`,
		`SELECT * FROM '` + dir + `/beside.csv'`,
		`SELECT * FROM unit_rollup('` + dir + `/beside.csv')`,
		`WITH f AS (SELECT * FROM '` + dir + `/beside.csv') SELECT * FROM unit_rollup('f')`,
		`SELECT * FROM read_text('` + db + `.wal')`,
		`SELECT * FROM '` + db + `.tmp/planted.csv'`,
		`SELECT * FROM "` + db + `.tmp/planted.csv"`,
		`SELECT * FROM '` + db + `'`,
		`FROM '` + db + `.tmp/planted.csv'`,
		`SELECT * FROM 'w.duckdb'`,
		`SELECT * FROM (FROM '` + db + `.tmp/planted.csv')`,
		`SELECT * FROM read_blob('` + db + `')`,
		`SELECT * FROM glob('` + dir + `/*')`,
		`SeLeCt * FrOm ReAd_TeXt('/etc/passwd')`,
		`WITH x AS (SELECT * FROM read_text('/etc/passwd')) SELECT * FROM x`,
		`SELECT (SELECT count(*) FROM read_csv_auto('/etc/passwd'))`,
		`SELECT * FROM query('SELECT * FROM read_text(''/etc/passwd'')')`,
		`SELECT * FROM query('COPY dossiers TO ''` + out("q.csv") + `''')`,
		`SET enable_external_access = true`,
		`SET memory_limit = '10GB'`,
		`SET max_temp_directory_size = '100GB'`,
		`SET GLOBAL lock_configuration = false`,
		`RESET memory_limit`,
		`PRAGMA memory_limit = '10GB'`,
		`PRAGMA enable_profiling`,
		`SELECT * FROM enable_logging(storage := 'file', storage_path := '` + out("log") + `')`,
		`SELECT * FROM enable_profiling()`,
		`SELECT * FROM disable_peg_parser()`,
		`CALL enable_logging()`,
		`INSTALL httpfs`,
		`LOAD httpfs`,
		`FORCE INSTALL spatial`,
		`SELECT * FROM sqlite_scan('` + out("x.db") + `', 't')`,
		`CREATE TEMP TABLE t AS SELECT 1 AS x`,
		`CREATE TABLE t (x INTEGER)`,
		`CREATE TEMP VIEW v AS SELECT 1 AS x`,
		`CREATE MACRO m() AS 1`,
		`CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')`,
		`INSERT INTO loads SELECT * FROM loads`,
		`DELETE FROM rejects`,
		`UPDATE dossiers SET ward_code = 'X'`,
		`DROP TABLE dossiers`,
		`VACUUM`,
		`CHECKPOINT`,
		`SELECT * FROM checkpoint()`,
		`SELECT * FROM force_checkpoint()`,
		`BEGIN TRANSACTION`,
		`PREPARE p AS SELECT 1`,
		`EXPLAIN ANALYZE COPY (SELECT 1 AS x) TO '` + out("e.csv") + `'`,
		`SELECT 1; COPY dossiers TO '` + out("multi.csv") + `'`,
		`COPY dossiers TO '` + out("first.csv") + `'; SELECT 1`,
		`SELECT 1; SELECT 2`,
		`SELECT getenv('HOME')`,
		`SELECT set_variable('x', 1)`,
		`SELECT write_log('x')`,
	}
	for _, q := range attacks {
		rows, err := w.QueryRead(ctx, q)
		if err == nil {
			n := 0
			for rows.Next() {
				n++
			}
			err = rows.Err()
			rows.Close()
			if err == nil {
				t.Errorf("%s: ran (%d rows), must be refused", q, n)
			}
		}
	}
	// The connection is intact and still reads.
	if got := queryOne[int64](t, w.DB(), `SELECT count(*) FROM dossiers`); got != want {
		t.Errorf("after the attacks: %d dossiers, want %d", got, want)
	}
	for _, q := range []string{`SELECT count(*) FROM dossiers`, `FROM loads`, `DESCRIBE dossiers`, `SHOW TABLES`,
		`SUMMARIZE loads`, `WITH x AS (SELECT 1 AS a) SELECT * FROM x;`, `VALUES (1)`,
		`SELECT * FROM report_form('2024-03-01', '2024-03-31')`, `SELECT * FROM duckdb_tables()`,
		`SELECT * FROM range(3)`, `SELECT current_setting('memory_limit')`} {
		rows, err := w.QueryRead(ctx, q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			t.Errorf("%s: %v", q, err)
		}
		rows.Close()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if d := diffState(before, treeState(t, dir, outside, home)); len(d) > 0 {
		t.Errorf("files created or changed by the sandbox: %v", d)
	}
}

// TestSandboxRefusalIsTyped: a refused statement is ErrNotARead, and the
// check runs nothing (the statement would fail anyway, here: no file).
func TestSandboxRefusalIsTyped(t *testing.T) {
	db, outside := sandboxFixture(t)
	w, err := warehouse.Open(context.Background(), db, warehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for q, fn := range map[string]string{
		`COPY dossiers TO '` + filepath.Join(outside, "o.csv") + `'`: "",
		`SELECT * FROM read_text('/etc/passwd')`:                     "read_text",
		`SELECT 1; SELECT 2`:                                         "",
	} {
		err := w.CheckRead(context.Background(), q)
		var se *warehouse.StatementError
		if !errors.Is(err, warehouse.ErrNotARead) || !errors.As(err, &se) || se.Function != fn {
			t.Errorf("%s: %v", q, err)
		}
	}
	if err := w.CheckRead(context.Background(), `SELEC 1`); err == nil || errors.Is(err, warehouse.ErrNotARead) || !strings.Contains(err.Error(), "syntax error") {
		t.Errorf("a typo is a syntax error: %v", err)
	}
}

// TestSandboxLimits: a runaway cross join stops at its deadline, and a huge
// DISTINCT stops at the temporary disk cap instead of filling the disk
// beside the warehouse; the connection reads on after both.
func TestSandboxLimits(t *testing.T) {
	db, _ := sandboxFixture(t)
	w, err := warehouse.Open(context.Background(), db, warehouse.Options{ReadOnly: true, MemoryLimit: "64MB", MaxTempSize: "16MB"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	began := time.Now()
	rows, err := w.QueryRead(ctx, `SELECT count(*) FROM range(1000000) a, range(1000000) b WHERE a.range + b.range = -1`)
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	cancel()
	if err == nil || ctx.Err() != context.DeadlineExceeded {
		t.Fatalf("the cross join was not stopped by its deadline: %v", err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("the cross join stopped %v after its deadline of 300ms", took)
	}

	peak := int64(0)
	done := make(chan struct{})
	go func() { // the temp folder's size while the DISTINCT runs
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if n := dirSize(db + ".tmp"); n > peak {
				peak = n
			}
		}
	}()
	began = time.Now()
	rows, err = w.QueryRead(context.Background(), `SELECT count(*) FROM (SELECT DISTINCT md5(range::VARCHAR) FROM range(3000000))`)
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	close(done)
	if err == nil || !strings.Contains(err.Error(), "max_temp_directory_size") {
		t.Fatalf("the DISTINCT was not stopped by the temp cap: %v", err)
	}
	t.Logf("DISTINCT stopped after %v, temp folder peaked at %d bytes", time.Since(began), peak)
	if peak > 24<<20 {
		t.Errorf("the temp folder reached %d bytes, the cap is 16MB", peak)
	}
	if got := queryOne[int64](t, w.DB(), `SELECT count(*) FROM dossiers`); got == 0 {
		t.Error("no dossiers read after the limits")
	}
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// TestSandboxRefusesFileTables: a table name that names a file is refused
// before anything runs (issue 14 item 7, second round): DuckDB reads an
// unknown name that looks like a file as that file (a replacement scan),
// so FROM '<db>.tmp/r.csv' read a CSV planted in the warehouse's temp
// folder, and FROM '<db>' opened the warehouse file itself.
func TestSandboxRefusesFileTables(t *testing.T) {
	db, _ := sandboxFixture(t)
	w, err := warehouse.Open(context.Background(), db, warehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx := context.Background()
	for _, q := range []string{
		`FROM '` + db + `.tmp/planted.csv'`,
		`SELECT * FROM "` + db + `.tmp/planted.csv"`,
		`SELECT count(*) FROM '` + db + `'`,
		`SELECT * FROM 'planted.csv'`,
		`SELECT * FROM dossiers, '` + db + `.tmp/planted.csv' p`,
		`WITH x AS (FROM '` + db + `.tmp/planted.csv') SELECT * FROM x`,
		`SELECT (SELECT count(*) FROM '` + db + `.tmp/*.csv')`,
		`SELECT * FROM 'https://example.com/x'`,
	} {
		rows, err := w.QueryRead(ctx, q)
		var se *warehouse.StatementError
		if !errors.As(err, &se) || se.Table == "" {
			if err == nil {
				n := 0
				for rows.Next() {
					n++
				}
				rows.Close()
				t.Errorf("%s: ran (%d rows), must be refused as naming a file", q, n)
				continue
			}
			t.Errorf("%s: %v, want refused as naming a file", q, err)
		}
	}
	for _, q := range []string{
		`SELECT count(*) FROM dossiers`, `FROM main.dossiers`, `SELECT * FROM "loads"`,
		`WITH planted AS (SELECT 1 AS a) SELECT * FROM planted`, `SELECT * FROM 'dossiers'`,
	} {
		rows, err := w.QueryRead(ctx, q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		rows.Close()
	}
}
