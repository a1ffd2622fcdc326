//go:build duckdb_arrow

package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
)

// TestFlightJDBCCalls: the calls a JDBC tool (DBeaver) makes beyond the
// catalog answer: the types (getTypeInfo), the foreign keys (none, with
// their schema); writes are refused in the user's words; a client's
// CancelFlightInfo stops its running statement.
func TestFlightJDBCCalls(t *testing.T) {
	db, _ := handcountWarehouse(t)
	addr, _, _ := startFlight(t, "--db", db, "--lang", "en", "--timeout", "60s")
	c := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(bearer(context.Background(), flightToken), 60*time.Second)
	defer cancel()
	read := func(what string, info *flight.FlightInfo, err error, schema *arrow.Schema) [][]*string {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		rdr, err := c.DoGet(ctx, info.Endpoint[0].Ticket)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		defer rdr.Release()
		if !rdr.Schema().Equal(schema) {
			t.Errorf("%s: schema %v", what, rdr.Schema())
		}
		var rows [][]*string
		for rdr.Next() {
			rows = append(rows, recordTexts(rdr.RecordBatch())...)
		}
		if err := rdr.Err(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return rows
	}
	info, err := c.GetXdbcTypeInfo(ctx, nil)
	types := map[string]bool{}
	for _, r := range read("GetXdbcTypeInfo", info, err, schema_ref.XdbcTypeInfo) {
		types[*r[0]] = true
	}
	for _, want := range []string{"VARCHAR", "BIGINT", "DOUBLE", "DATE", "TIMESTAMP"} {
		if !types[want] {
			t.Errorf("GetXdbcTypeInfo lacks %s: %v", want, types)
		}
	}
	varchar := int32(12)
	info, err = c.GetXdbcTypeInfo(ctx, &varchar)
	if rows := read("GetXdbcTypeInfo VARCHAR", info, err, schema_ref.XdbcTypeInfo); len(rows) != 1 || *rows[0][0] != "VARCHAR" {
		t.Errorf("GetXdbcTypeInfo(12): %v", rows)
	}
	ref := flightsql.TableRef{Table: "dossiers"}
	info, err = c.GetImportedKeys(ctx, ref)
	if rows := read("GetImportedKeys", info, err, schema_ref.ImportedKeys); len(rows) != 0 {
		t.Errorf("GetImportedKeys: %v", rows)
	}
	info, err = c.GetExportedKeys(ctx, ref)
	if rows := read("GetExportedKeys", info, err, schema_ref.ExportedKeys); len(rows) != 0 {
		t.Errorf("GetExportedKeys: %v", rows)
	}
	info, err = c.GetCrossReference(ctx, ref, flightsql.TableRef{Table: "units"})
	if rows := read("GetCrossReference", info, err, schema_ref.CrossReference); len(rows) != 0 {
		t.Errorf("GetCrossReference: %v", rows)
	}

	readOnly := func(what string, err error) {
		t.Helper()
		if codeOf(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "the warehouse is read-only over Flight SQL") {
			t.Errorf("%s: %v, want the read-only line", what, err)
		}
	}
	_, err = c.ExecuteUpdate(ctx, "DELETE FROM dossiers")
	readOnly("ExecuteUpdate", err)
	stmt, err := c.Prepare(ctx, "SELECT 1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = stmt.ExecuteUpdate(ctx)
	readOnly("prepared ExecuteUpdate", err)
	stmt.Close(ctx)
	sch := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sch)
	b.Field(0).(*array.Int64Builder).Append(1)
	rec := b.NewRecordBatch()
	b.Release()
	rr, _ := array.NewRecordReader(sch, []arrow.RecordBatch{rec})
	_, err = c.ExecuteIngest(ctx, rr, &flightsql.ExecuteIngestOpts{Table: "pwn", TableDefinitionOptions: &flightsql.TableDefinitionOptions{}})
	readOnly("ExecuteIngest", err)
	rec.Release()

	// A statement of minutes, cancelled by the client's CancelFlightInfo.
	info, err = c.Execute(ctx, "SELECT count(*) FROM range(100000000000) t(r) WHERE r % 7 = 3")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		rdr, err := c.DoGet(ctx, info.Endpoint[0].Ticket)
		if err == nil {
			for rdr.Next() {
			}
			err = rdr.Err()
			rdr.Release()
		}
		done <- err
	}()
	var res *flight.CancelFlightInfoResult
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		res, err = c.CancelFlightInfo(ctx, &flight.CancelFlightInfoRequest{Info: info})
		if err != nil || res.Status == flight.CancelStatusCancelled {
			break
		}
	}
	if err != nil || res.Status != flight.CancelStatusCancelled {
		t.Fatalf("CancelFlightInfo: %v %v", res, err)
	}
	select {
	case err := <-done:
		if codeOf(err) != codes.Canceled {
			t.Errorf("the cancelled statement ended with %v, want Canceled", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the cancelled statement still runs after 20 s")
	}
	if _, rows, err := flightRows(ctx, c, "SELECT count(*) FROM dossiers"); err != nil || *rows[0][0] != "14" {
		t.Errorf("after the cancel: %v %v", rows, err)
	}
}
