//go:build duckdb_arrow

package main

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// TestSQLFormatArrow: --format arrow writes an Arrow IPC stream a script
// reads back whole, over many of DuckDB's batches, ENUMs as categories;
// the sandbox still refuses what it refuses.
func TestSQLFormatArrow(t *testing.T) {
	db, _ := handcountWarehouse(t)
	out := mustRun(t, "--db", db, "sql", "--format", "arrow", "SELECT d.*, r.range AS copy FROM dossiers d, range(1000) r")
	rdr, err := ipc.NewReader(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	rows, batches := 0, 0
	online := 0
	ch := rdr.Schema().FieldIndices("channel")[0]
	for rdr.Next() {
		rec := rdr.RecordBatch()
		rows += int(rec.NumRows())
		batches++
		col := rec.Column(ch)
		for i := 0; i < col.Len(); i++ {
			if col.ValueStr(i) == "online" {
				online++
			}
		}
	}
	if err := rdr.Err(); err != nil || rows != 14_000 || batches < 2 || online != 3000 {
		t.Fatalf("%d rows in %d batches, %d online, %v", rows, batches, online, err)
	}
	if _, _, err := run(t, "--db", db, "--lang", "en", "sql", "--format", "arrow", "COPY dossiers TO 'x.csv'"); err == nil || !strings.Contains(err.Error(), "runs only statements that read") {
		t.Errorf("a COPY as arrow: %v", err)
	}
}
