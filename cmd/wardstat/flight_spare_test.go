//go:build duckdb_arrow

package main

import (
	"context"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// TestFlightSpareThatDiedIsReplaced: a spare worker killed while it waits
// for its statement is not given one: the statement runs in a fresh
// worker, and the next spare serves the next.
func TestFlightSpareThatDiedIsReplaced(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("a zombie is found through Linux's /proc")
	}
	db, _ := handcountWarehouse(t)
	addr, logs, _ := startFlight(t, "--db", db, "--lang", "en")
	c := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(bearer(context.Background(), flightToken), 60*time.Second)
	defer cancel()
	for round := range 3 {
		if _, rows, err := flightRows(ctx, c, "SELECT count(*) FROM dossiers"); err != nil || *rows[0][0] != "14" {
			t.Fatalf("round %d: %v %v\n%s", round, rows, err, logs)
		}
		// The spare: this process's one child once the statement's has ended.
		var kids []int
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if kids = childrenOf(os.Getpid()); len(kids) == 1 && len(busyWorkers(os.Getpid(), db)) == 0 {
				break
			}
		}
		if len(kids) != 1 {
			t.Fatalf("round %d: children %v, want the spare alone", round, kids)
		}
		if err := syscall.Kill(kids[0], syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	}
	if _, rows, err := flightRows(ctx, c, "SELECT count(*) FROM dossiers"); err != nil || *rows[0][0] != "14" {
		t.Fatalf("after the spare died: %v %v\n%s", rows, err, logs)
	}
}
