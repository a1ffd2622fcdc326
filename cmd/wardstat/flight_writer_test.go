//go:build duckdb_arrow

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	flightfront "wardstat/flight"
)

// Steady dashboard queries on the live warehouse (no daemon) do not keep a
// load out: once it waits, the server starts no new statement until the
// load has the warehouse, and the load runs.
func TestFlightLetsAWaitingLoadIn(t *testing.T) {
	db, fx := handcountWarehouse(t)
	addr, logs, _ := startFlight(t, "--db", db, "--lang", "en")
	ctx, cancel := context.WithCancel(bearer(context.Background(), flightToken))
	defer cancel()
	var wg sync.WaitGroup
	var ran atomic.Int64
	for i := range 4 {
		c := flightClient(t, addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 150 * time.Millisecond)
			for ctx.Err() == nil {
				qctx, qcancel := context.WithTimeout(ctx, 30*time.Second)
				_, _, err := flightRows(qctx, c, "SELECT sum(hash(i)) FROM range(60000000) t(i)")
				qcancel()
				if err == nil {
					ran.Add(1)
				} else if code := codeOf(err); code != codes.Unavailable && ctx.Err() == nil {
					t.Errorf("a dashboard query: %v", err)
				}
			}
		}()
	}
	defer wg.Wait()
	defer cancel()
	for deadline := time.Now().Add(20 * time.Second); ran.Load() < 2 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
	}
	if ran.Load() < 2 {
		t.Fatalf("the dashboards' queries did not run:\n%s", logs)
	}
	lctx, lcancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer lcancel()
	load := exec.CommandContext(lctx, cli().Path, "--db", db, "ingest", filepath.Join(fx, "ward-export.csv"))
	load.Env = cli().Env
	began := time.Now()
	out, err := load.CombinedOutput()
	if err != nil {
		t.Fatalf("the load beside steady queries (%s): %v\n%s", time.Since(began).Round(time.Millisecond), err, out)
	}
	if _, err := os.Stat(writerWaitingPath(db)); !os.IsNotExist(err) {
		t.Errorf("the load left its marker: %v", err)
	}
	// It waits at most for the statements already running.
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("the load waited %s beside steady queries", took.Round(time.Millisecond))
	}
}

// A load that keeps waiting: new statements wait for it, bounded, then are
// refused as Unavailable; a marker left by a process that is gone holds
// nothing back.
func TestFlightRefusesWhileALoadWaits(t *testing.T) {
	db, _ := handcountWarehouse(t)
	addr, _, _ := startFlight(t, "--db", db, "--lang", "en")
	c := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(bearer(context.Background(), flightToken), 30*time.Second)
	defer cancel()
	writerWaitBound = 500 * time.Millisecond
	t.Cleanup(func() { writerWaitBound = flightfront.DefaultQueueTimeout })
	load := exec.Command("sleep", "30")
	if err := load.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { load.Process.Kill(); load.Wait() })
	os.WriteFile(writerWaitingPath(db), []byte(strconv.Itoa(load.Process.Pid)+"\n"), 0o644)
	_, _, err := flightRows(ctx, c, "SELECT count(*) FROM dossiers")
	if codeOf(err) != codes.Unavailable || !strings.Contains(err.Error(), "a load is running") {
		t.Fatalf("a statement while a load waits: %v", err)
	}
	load.Process.Kill()
	load.Wait()
	if _, _, err := flightRows(ctx, c, "SELECT count(*) FROM dossiers"); err != nil {
		t.Fatalf("a statement beside the marker of a load that is gone: %v", err)
	}
	os.WriteFile(writerWaitingPath(db), []byte("999999999\n"), 0o644)
	if _, ok := writerWaiting(db); ok {
		t.Fatal("a marker of no process counts as a waiting writer")
	}
}
