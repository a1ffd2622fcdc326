package warehouse

import (
	"context"
	"testing"
)

// TestTypingKeepsTheSourcesOrder: a CREATE TABLE AS whose plan holds a join
// (DuckDB makes one of an IN of five constants) is seen not to keep the
// source's order, and typeInOrder still writes the rows in it, so row ids
// stay the rows' positions. The join in ws_clean numbered a 127 k-row
// export's rows 43,788 lines off.
func TestTypingKeepsTheSourcesOrder(t *testing.T) {
	w := openInternal(t)
	ctx := context.Background()
	conn, err := w.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET preserve_insertion_order = true"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TEMP TABLE order_src AS SELECT i, i::VARCHAR AS v FROM range(600000) t(i) ORDER BY i`); err != nil {
		t.Fatal(err)
	}
	const src = `order_src`
	plain := `CREATE OR REPLACE TEMP TABLE ordered AS SELECT i, v FROM ` + src
	joined := `CREATE OR REPLACE TEMP TABLE ordered AS SELECT i, ord(v) NOT IN (35, 39, 61, 160, 65279) AS ok FROM ` + src
	for _, c := range []struct {
		q    string
		want bool
	}{{plain, true}, {joined, false}} {
		got, err := keepsOrder(ctx, conn, c.q)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("keepsOrder = %v, want %v for %s", got, c.want, c.q)
		}
		if err := w.typeInOrder(ctx, conn, c.q); err != nil {
			t.Fatal(err)
		}
		var misplaced int64
		if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM ordered WHERE rowid <> i`).Scan(&misplaced); err != nil {
			t.Fatal(err)
		}
		if misplaced != 0 {
			t.Errorf("%d rows out of the source's order after %s", misplaced, c.q)
		}
	}
	// The typing pass's own macros make no join.
	ok, err := keepsOrder(ctx, conn, `CREATE OR REPLACE TEMP TABLE ordered AS SELECT ws_clean(v), ws_c(v), ws_excel_error(v), ws_ts(v), ws_fee(v), ws_no_date(v) FROM `+src)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Error("a parsing macro puts a join into the typing pass's plan: its rows would lose their order")
	}
}
