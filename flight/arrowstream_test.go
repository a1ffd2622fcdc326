//go:build duckdb_arrow

package flight

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"
)

// TestStreamArrowLayout: StreamArrow reads the C handles from duckdb-go's
// unexported fields (v2.10506.0); a duckdb-go that moves them fails here,
// loudly, not at a client. A streaming result comes whole, parameters
// bound; DuckDB's error mid-stream comes as its text.
func TestStreamArrowLayout(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		c := dc.(*duckdb.Conn)
		if _, err := connHandle(c); err != nil {
			t.Fatalf("duckdb-go's Conn layout: %v", err)
		}
		st, err := c.PrepareContext(ctx, "SELECT 1")
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if _, err := preparedHandle(st.(*duckdb.Stmt)); err != nil {
			t.Fatalf("duckdb-go's Stmt layout: %v", err)
		}
		rdr, err := StreamArrow(ctx, dc.(driver.Conn), "SELECT range AS r, ? AS s FROM range(?)", []any{"x", int64(100000)})
		if err != nil {
			t.Fatal(err)
		}
		var rows, sum int64
		for rdr.Next() {
			rec := rdr.RecordBatch()
			for i, v := range rec.Column(0).(*array.Int64).Int64Values() {
				sum += v
				if rec.Column(1).(*array.String).Value(i) != "x" {
					t.Fatal("parameter not bound")
				}
			}
			rows += rec.NumRows()
		}
		if err := rdr.Err(); err != nil || rows != 100000 || sum != 100000*99999/2 {
			t.Fatalf("%d rows, sum %d: %v", rows, sum, err)
		}
		rdr.Release()
		// DuckDB may meet the error before the first chunk or after some.
		// One thread: with several, a thread interrupted by another's error
		// may report the interruption first ("Interrupted!"), DuckDB's race.
		if _, err := dc.(driver.ExecerContext).ExecContext(ctx, "SET threads = 1", nil); err != nil {
			t.Fatal(err)
		}
		rdr, err = StreamArrow(ctx, dc.(driver.Conn), "SELECT CASE WHEN range < 5000000 THEN range ELSE error('past 5000000') END AS r FROM range(10000000)", nil)
		if err == nil {
			for rdr.Next() {
			}
			err = rdr.Err()
			rdr.Release()
		}
		if err == nil || !strings.Contains(err.Error(), "Invalid Input Error: past 5000000") {
			t.Fatalf("an error mid-stream: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
