//go:build duckdb_arrow

package main

import (
	"context"
	"testing"
	"time"
)

// A client that reads one batch of a shared run and stalls holds back
// only its own query: an identical statement of another client runs
// itself after a short wait instead of waiting for the stalled one.
func TestFlightFollowerLeavesAStalledLeader(t *testing.T) {
	db, _ := handcountWarehouse(t)
	addr, logs, _ := startFlightWith(t, []string{"--db", db, "--lang", "en"}, "--addr", "127.0.0.1:0", "--timeout", "40s")
	ctx, cancel := context.WithTimeout(bearer(context.Background(), flightToken), 40*time.Second)
	defer cancel()
	const q = "SELECT r, repeat('x', 200) AS s FROM range(300000) t(r)"
	leader := flightClient(t, addr)
	info, err := leader.Execute(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	rdr, err := leader.DoGet(ctx, info.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	if !rdr.Next() {
		t.Fatalf("the leader's first batch: %v", rdr.Err())
	}
	// The leader's client now reads nothing more.
	fctx, fcancel := context.WithTimeout(ctx, 15*time.Second)
	defer fcancel()
	began := time.Now()
	_, rows, err := flightRows(fctx, flightClient(t, addr), q)
	if err != nil || len(rows) != 300000 {
		t.Fatalf("the follower of a stalled run, after %s: %d rows, %v\n%s", time.Since(began).Round(time.Millisecond), len(rows), err, logs)
	}
	t.Logf("the follower read its result in %s", time.Since(began).Round(time.Millisecond))
}
