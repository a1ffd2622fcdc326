//go:build duckdb_arrow

package main

import (
	"context"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"google.golang.org/grpc/codes"
)

// countPairs reads a result of (r, d = 2r) without keeping it: its rows
// and the sum of r, checking each d.
func countPairs(ctx context.Context, c *flightsql.Client, query string) (rows, sum int64, err error) {
	info, err := c.Execute(ctx, query)
	if err != nil {
		return 0, 0, err
	}
	rdr, err := c.DoGet(ctx, info.Endpoint[0].Ticket)
	if err != nil {
		return 0, 0, err
	}
	defer rdr.Release()
	for rdr.Next() {
		rec := rdr.RecordBatch()
		r := rec.Column(0).(*array.Int64)
		var d *array.Int64
		if rec.NumCols() > 1 {
			d = rec.Column(1).(*array.Int64)
		}
		for i := 0; i < r.Len(); i++ {
			sum += r.Value(i)
			if d != nil && d.Value(i) != 2*r.Value(i) {
				return rows, sum, context.Canceled
			}
		}
		rows += rec.NumRows()
	}
	return rows, sum, rdr.Err()
}

// TestFlightStreamsAResultLargerThanTheWorker: a result of 1.3 GB of
// Arrow, three times a worker's data memory (448 MB), comes whole, and
// past --max-rows a statement of 400 million rows gives that many rows
// and the --max-rows error, not an out-of-memory: the worker holds a
// chunk at a time (a streaming result), never the result. A worker's
// peak resident memory stays under its cap.
func TestFlightStreamsAResultLargerThanTheWorker(t *testing.T) {
	skipIfShort(t, "streams 1.3 GB")
	if runtime.GOOS != "linux" {
		t.Skip("RLIMIT_DATA is Linux's")
	}
	db, _ := handcountWarehouse(t)
	proc, addr, logs := startFlightProcessWith(t, []string{"--db", db, "--lang", "en"}, "--timeout", "300s", "--max-rows", "100000000")
	c := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(bearer(context.Background(), flightToken), 300*time.Second)
	defer cancel()

	const n = 80_000_000 // 16 bytes a row
	rows, sum, err := countPairs(ctx, c, "SELECT range AS r, range * 2 AS d FROM range(80000000)")
	if err != nil || rows != n || sum != n*(n-1)/2 {
		t.Fatalf("%d rows, sum %d (want %d, %d): %v\n%s", rows, sum, n, int64(n)*(n-1)/2, err, logs)
	}
	const max = 100_000_000
	rows, sum, err = countPairs(ctx, c, "SELECT range AS r FROM range(400000000)")
	if codeOf(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "more than 100000000 rows (--max-rows)") || rows != max || sum != max*(max-1)/2 {
		t.Fatalf("past --max-rows: %d rows, sum %d: %v", rows, sum, err)
	}
	proc.Process.Signal(syscall.SIGTERM)
	if took, killed := endsWithin(t, proc, time.Now(), 30*time.Second); killed {
		t.Fatalf("still running %v after SIGTERM", took)
	}
	peaks := workerPeaks(t, logs.String())
	if len(peaks) < 2 {
		t.Fatalf("%d workers logged:\n%s", len(peaks), logs)
	}
	for _, p := range peaks {
		if p > 448 {
			t.Errorf("a worker's peak resident memory %d MB, over its 448 MB", p)
		}
	}
	t.Logf("workers' peaks %v MB", peaks)
}
