//go:build duckdb_arrow

package main

import (
	"context"
	"database/sql"
	"testing"
	"time"

	_ "github.com/apache/arrow-go/v18/arrow/flight/flightsql/driver"
)

// TestFlightThroughDatabaseSQL: arrow-go's database/sql driver for Flight
// SQL (a client this package's other tests do not drive: it prepares
// every statement, binds its arguments and scans Go values) reads the
// form with a token, and without one reads nothing.
func TestFlightThroughDatabaseSQL(t *testing.T) {
	db, _ := handcountWarehouse(t)
	addr, _, _ := startFlight(t, "--db", db, "--lang", "en")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	open := func(dsn string) *sql.DB {
		c, err := sql.Open("flightsql", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	c := open("flightsql://" + addr + "?token=" + flightToken)
	rows, err := c.QueryContext(ctx, "SELECT ward_code, received_total, on_time_rate FROM report_form(?::DATE, ?::DATE) ORDER BY ward_code", "2024-01-01", "2024-03-31")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var ward string
		var received int64
		var rate sql.NullFloat64
		if err := rows.Scan(&ward, &received, &rate); err != nil {
			t.Fatal(err)
		}
		got = append(got, ward)
		if ward == "H01.01" && (received != 10 || !rate.Valid || rate.Float64 != 60) {
			t.Errorf("H01.01: received %d, on-time %v", received, rate)
		}
	}
	if err := rows.Err(); err != nil || len(got) != 2 {
		t.Fatalf("%v %v", got, err)
	}
	var n int
	if err := open("flightsql://"+addr).QueryRowContext(ctx, "SELECT count(*) FROM dossiers").Scan(&n); err == nil {
		t.Errorf("without a token: %d dossiers", n)
	}
}
