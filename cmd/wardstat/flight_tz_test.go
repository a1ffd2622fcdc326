//go:build duckdb_arrow

package main

import (
	"context"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// A zoned timestamp parameter is read in Vietnam's time: midnight of
// 1 October in Hanoi, bound to a DATE, is 1 October, whatever zone the
// client tagged it with, and as a timestamp it keeps its instant.
func TestFlightZonedTimestampParameter(t *testing.T) {
	db, _ := handcountWarehouse(t)
	addr, _, _ := startFlight(t, "--db", db, "--lang", "en")
	c := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(bearer(context.Background(), flightToken), 30*time.Second)
	defer cancel()
	midnight := time.Date(2026, 10, 1, 0, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	for q, want := range map[string][2]string{
		"SELECT CAST(?::DATE AS VARCHAR) AS d, CAST(?::DATE AS VARCHAR) AS e":                                                   {"2026-10-01", "2026-10-01"},
		"SELECT CAST(d AS VARCHAR) AS d, CAST(?::TIMESTAMPTZ AS VARCHAR) AS e FROM (SELECT DATE '2026-10-01' AS d) WHERE d = ?": {"2026-10-01", "2026-10-01 00:00:00+07"},
	} {
		stmt, err := c.Prepare(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{
			{Name: "a", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "Asia/Ho_Chi_Minh"}},
			{Name: "b", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}}}, nil))
		first, second := midnight, midnight.Add(23*time.Hour)
		if want[1] != "2026-10-01" {
			first, second = midnight, midnight
		}
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(first.UnixMicro()))
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(second.UnixMicro()))
		params := b.NewRecordBatch()
		b.Release()
		stmt.SetParameters(params)
		info, err := stmt.Execute(ctx)
		params.Release()
		if err != nil {
			t.Fatal(err)
		}
		_, rows, err := readInfo(ctx, c, info)
		stmt.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || *rows[0][0] != want[0] || *rows[0][1] != want[1] {
			t.Errorf("%s: %d rows, want %v", q, len(rows), want)
			for _, r := range rows {
				t.Logf("%v %v", deref(r[0]), deref(r[1]))
			}
		}
	}
}
