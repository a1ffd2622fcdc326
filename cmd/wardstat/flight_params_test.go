//go:build duckdb_arrow

package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
)

// TestFlightRefusesManyParameterRows: a batch of two parameter sets for
// one prepared statement is refused with a clear line, never run with
// the first set alone; one set runs.
func TestFlightRefusesManyParameterRows(t *testing.T) {
	db, _ := handcountWarehouse(t)
	addr, _, _ := startFlight(t, "--db", db, "--lang", "en")
	c := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(bearer(context.Background(), flightToken), 60*time.Second)
	defer cancel()
	stmt, err := c.Prepare(ctx, "SELECT ?::BIGINT * 10 AS v")
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close(ctx)
	bind := func(vals ...int64) error {
		b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{{Name: "p", Type: arrow.PrimitiveTypes.Int64}}, nil))
		defer b.Release()
		b.Field(0).(*array.Int64Builder).AppendValues(vals, nil)
		rec := b.NewRecordBatch()
		defer rec.Release()
		stmt.SetParameters(rec)
		info, err := stmt.Execute(ctx)
		if err != nil {
			return err
		}
		_, rows, err := readInfo(ctx, c, info)
		if err == nil && (len(rows) != 1 || *rows[0][0] != "10") {
			t.Errorf("one set: %v", rows)
		}
		return err
	}
	err = bind(1, 2)
	if codeOf(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "the client sent 2 sets of parameters for one statement") {
		t.Errorf("two sets: %v, want them refused", err)
	}
	if err := bind(1); err != nil {
		t.Errorf("one set: %v", err)
	}
}
