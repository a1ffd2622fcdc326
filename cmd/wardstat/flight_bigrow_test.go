//go:build duckdb_arrow

package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

// A row a default client (4 MiB messages) cannot receive is refused by the
// server with its own message, and logged as failed; a row under it is
// read whole.
func TestFlightRefusesARowOverTheClientsMessage(t *testing.T) {
	db, _ := handcountWarehouse(t)
	addr, logs, _ := startFlight(t, "--db", db, "--lang", "en")
	c := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(bearer(context.Background(), flightToken), 30*time.Second)
	defer cancel()
	_, rows, err := flightRows(ctx, c, "SELECT repeat('x', 3000000) AS s")
	if err != nil || len(rows) != 1 || len(*rows[0][0]) != 3000000 {
		t.Fatalf("a 3 MB value: %d rows, %v", len(rows), err)
	}
	_, _, err = flightRows(ctx, c, "SELECT repeat('x', 4194304) AS s")
	if codeOf(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "larger than 4 MiB") {
		t.Fatalf("a 4 MiB value: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	if !strings.Contains(logs.String(), `msg="query failed"`) || !strings.Contains(logs.String(), "code=ResourceExhausted") {
		t.Errorf("the refused row is not logged as failed:\n%s", logs)
	}
}
