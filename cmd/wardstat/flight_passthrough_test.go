//go:build duckdb_arrow

package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"google.golang.org/grpc/codes"
)

// passthroughQuery has n rows over many batches, with a number, a text of
// varying length, an ENUM (sent as its labels) and NULLs.
func passthroughQuery(n int) string {
	return "SELECT r, repeat('x', (r % 37)::INTEGER) AS s, " +
		"(['a', 'bb', 'ccc'])[(r % 3)::INTEGER + 1]::ENUM('a', 'bb', 'ccc') AS e, " +
		"CASE WHEN r % 5 = 0 THEN NULL ELSE r * 2 END AS z FROM range(" + strconv.Itoa(n) + ") t(r)"
}

// passthroughSum is a result's rows, batches and a checksum of its values.
type passthroughSum struct{ rows, batches, sum int64 }

func (p *passthroughSum) add(rec arrow.RecordBatch) {
	p.batches++
	p.rows += rec.NumRows()
	r := rec.Column(0).(*array.Int64)
	s := rec.Column(1).(*array.String)
	e := rec.Column(2).(*array.String) // an ENUM arrives as text
	z := rec.Column(3).(*array.Int64)
	for i := 0; i < int(rec.NumRows()); i++ {
		v := r.Value(i)
		p.sum += v*31 + int64(len(s.Value(i)))*7 + int64(len(e.Value(i)))*3
		if !z.IsNull(i) {
			p.sum += z.Value(i)
		}
	}
}

// wantSum is passthroughSum of passthroughQuery(n), computed here.
func wantSum(n int64) int64 {
	var sum int64
	for v := int64(0); v < n; v++ {
		sum += v*31 + (v%37)*7 + (v%3+1)*3
		if v%5 != 0 {
			sum += v * 2
		}
	}
	return sum
}

func readSum(ctx context.Context, c *flightsql.Client, query string) (passthroughSum, error) {
	var got passthroughSum
	info, err := c.Execute(ctx, query)
	if err != nil {
		return got, err
	}
	rdr, err := c.DoGet(ctx, info.Endpoint[0].Ticket)
	if err != nil {
		return got, err
	}
	defer rdr.Release()
	for rdr.Next() {
		got.add(rdr.RecordBatch())
	}
	return got, rdr.Err()
}

// A result of many batches, forwarded from the worker's IPC stream as
// Flight data without being decoded, arrives whole and equal; past
// --max-rows it stops at exactly that many rows with the clear error.
func TestFlightPassthroughWholeAndCut(t *testing.T) {
	db, _ := handcountWarehouse(t)
	addr, logs, _ := startFlight(t, "--db", db, "--lang", "en", "--max-rows", "250000")
	c := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(bearer(context.Background(), flightToken), 60*time.Second)
	defer cancel()

	// About 8 MB: several of the worker's gathered batches (~1.75 MB).
	const n = 200_000
	got, err := readSum(ctx, c, passthroughQuery(n))
	if err != nil || got.rows != n || got.sum != wantSum(n) || got.batches < 4 {
		t.Fatalf("%d rows in %d batches, sum %d (want %d rows, sum %d): %v", got.rows, got.batches, got.sum, n, wantSum(n), err)
	}

	got, err = readSum(ctx, c, passthroughQuery(300_000))
	if codeOf(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "more than 250000 rows (--max-rows)") || got.rows != 250_000 {
		t.Fatalf("past --max-rows: %d rows, %v", got.rows, err)
	}
	// range() gives its rows in order: the first 250,000, none repeated.
	if got.sum != wantSum(250_000) {
		t.Errorf("past --max-rows: sum %d, want %d (the first 250,000 rows)", got.sum, wantSum(250_000))
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "rows=250000") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "rows=200000") || !strings.Contains(logs.String(), "rows=250000") {
		t.Errorf("the query log lacks the rows sent:\n%s", logs)
	}
}

// A client cancelling mid-stream ends its statement's worker: no worker
// process is left but the spare, and the next statement runs.
func TestFlightCancelFreesTheWorker(t *testing.T) {
	db, _ := handcountWarehouse(t)
	addr, logs, _ := startFlight(t, "--db", db, "--lang", "en", "--timeout", "60s", "--max-rows", "1000000000")
	c := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(bearer(context.Background(), flightToken), 60*time.Second)
	defer cancel()

	qctx, qcancel := context.WithCancel(ctx)
	info, err := c.Execute(qctx, "SELECT r, repeat('y', 10) AS s FROM range(3000000) t(r)")
	if err != nil {
		t.Fatal(err)
	}
	rdr, err := c.DoGet(qctx, info.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	if !rdr.Next() {
		t.Fatalf("the first batch: %v", rdr.Err())
	}
	busy := busyWorkers(os.Getpid(), db)
	if len(busy) != 1 {
		t.Fatalf("%d workers running mid-stream, want 1: %v (all: %v)", len(busy), busy, childrenOf(os.Getpid()))
	}
	qcancel()
	rdr.Release()
	gone := func() bool {
		_, err := os.Stat(filepath.Join("/proc", strconv.Itoa(busy[0])))
		return os.IsNotExist(err) && len(busyWorkers(os.Getpid(), db)) == 0 && len(childrenOf(os.Getpid())) <= 1
	}
	deadline := time.Now().Add(15 * time.Second)
	for !gone() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	// The spare waiting for the next statement may be there, no other.
	if !gone() {
		t.Fatalf("the worker %d is left after the client cancelled (children: %v)\n%s", busy[0], childrenOf(os.Getpid()), logs)
	}
	for !strings.Contains(logs.String(), `msg="query failed"`) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), `msg="query failed"`) || !strings.Contains(logs.String(), "code=Canceled") {
		t.Errorf("the cancelled statement is not logged as cancelled:\n%s", logs)
	}
	if _, rows, err := flightRows(ctx, c, "SELECT count(*) FROM dossiers"); err != nil || *rows[0][0] != "14" {
		t.Errorf("the next statement: %v %v", rows, err)
	}
}
