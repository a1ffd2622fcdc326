// Command upstream reproduces, with nothing but DuckDB, how a WAL cut short
// during a commit is replayed: the rows a large INSERT wrote straight to the
// data file (a ROW_GROUP_DATA entry) are applied although the transaction's
// commit marker (WAL_FLUSH) is missing, while its other changes (a DELETE,
// a small INSERT) are not. See README.md.
//
//	go run ./warehouse/testdata/upstream
package main

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	_ "github.com/duckdb/duckdb-go/v2"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "commit-and-die" {
		commitAndDie(os.Args[2])
	}
	dir, err := os.MkdirTemp("", "duckdb-wal-*")
	check(err)
	defer os.RemoveAll(dir)
	db := filepath.Join(dir, "t.duckdb")
	// A child process commits one transaction and exits without closing
	// the database: the commit is in the WAL, not yet checkpointed.
	self, err := os.Executable()
	check(err)
	out, err := exec.Command(self, "commit-and-die", db).CombinedOutput()
	if err != nil {
		fmt.Printf("child: %v\n%s", err, out)
		os.Exit(1)
	}
	wal, err := os.ReadFile(db + ".wal")
	check(err)
	data, err := os.ReadFile(db)
	check(err)
	var version string
	v, err := sql.Open("duckdb", "")
	check(err)
	check(v.QueryRow(`SELECT version()`).Scan(&version))
	v.Close()
	fmt.Printf("DuckDB %s; %s: WAL of %d bytes\n", version, db, len(wal))
	// Reopen copies of the file with the WAL cut at every length.
	last := ""
	for n := 0; n <= len(wal); n++ {
		p := filepath.Join(dir, "cut.duckdb")
		check(os.WriteFile(p, data, 0o644))
		check(os.WriteFile(p+".wal", wal[:n], 0o644))
		c, err := sql.Open("duckdb", p+"?access_mode=read_only")
		check(err)
		var loads, rows, orphans int64
		err = c.QueryRow(`SELECT (SELECT count(*) FROM loads), (SELECT count(*) FROM dossiers),
			(SELECT count(*) FROM dossiers WHERE load_id NOT IN (SELECT load_id FROM loads))`).Scan(&loads, &rows, &orphans)
		c.Close()
		state := fmt.Sprintf("loads %d, dossiers %d, dossiers of a load not in loads %d, error %v", loads, rows, orphans, err)
		if state != last {
			fmt.Printf("WAL cut at %6d bytes and after: %s\n", n, state)
			last = state
		}
		os.Remove(p)
		os.Remove(p + ".wal")
	}
}

func commitAndDie(path string) {
	db, err := sql.Open("duckdb", path)
	check(err)
	_, err = db.Exec(`CREATE TABLE loads (load_id BIGINT PRIMARY KEY);
		CREATE TABLE dossiers (code VARCHAR, load_id BIGINT);
		INSERT INTO loads VALUES (1);
		INSERT INTO dossiers SELECT 'A' || i, 1 FROM range(1000) t(i);
		CHECKPOINT;`)
	check(err)
	// One transaction: 300,000 rows (more than a row group, so written
	// optimistically to the data file), a delete, and the row naming them.
	tx, err := db.Begin()
	check(err)
	_, err = tx.Exec(`INSERT INTO dossiers SELECT 'B' || i, 2 FROM range(300000) t(i)`)
	check(err)
	_, err = tx.Exec(`DELETE FROM dossiers WHERE code IN ('A1', 'A2')`)
	check(err)
	_, err = tx.Exec(`INSERT INTO loads VALUES (2)`)
	check(err)
	check(tx.Commit())
	os.Exit(0) // no Close, no checkpoint: as a SIGKILL right after the commit
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
