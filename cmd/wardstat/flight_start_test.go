//go:build duckdb_arrow

package main

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"wardstat/internal/testkit"
)

// A freshly started daemon with a flight: section serves the warehouse's
// data from its first query, not only after its first scheduled build.
func TestServeStartsTheFlightWithASnapshot(t *testing.T) {
	db, _ := handcountWarehouse(t)
	dir := filepath.Dir(db)
	tokens := filepath.Join(dir, "tokens.txt")
	os.WriteFile(tokens, []byte("stats-office:"+flightToken+"\n"), 0o600)
	os.MkdirAll(filepath.Join(dir, "drop"), 0o755)
	cfgPath := filepath.Join(dir, "wardstat.yml")
	// The build is due once a year, on a date the test never meets.
	os.WriteFile(cfgPath, []byte(`warehouse: `+filepath.Base(db)+`
listen: 127.0.0.1:0
sources:
  - name: drop
    path: drop
    schedule: "0 0 3 29 2 *"
jobs:
  build: {schedule: "0 0 3 29 2 *"}
flight:
  addr: 127.0.0.1:0
  tokens_file: tokens.txt
  statement_timeout: 1m
`), 0o644)
	c := cli("serve", "--config", cfgPath)
	logs := &testkit.LockedBuffer{}
	c.Stderr = logs
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Process.Signal(syscall.SIGTERM)
		time.Sleep(100 * time.Millisecond)
		c.Process.Kill()
		c.Wait()
	})
	addrRE := regexp.MustCompile(`"msg":"flight sql listening"[^\n]*?"addr":"([^"]+)"`)
	var addr string
	for deadline := time.Now().Add(30 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("serve did not start the endpoint:\n%s", logs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, rows, err := flightRows(bearer(ctx, flightToken), flightClient(t, addr), "SELECT count(*) FROM dossiers")
	if err != nil {
		t.Fatalf("the first query of a fresh daemon: %v\n%s", err, logs)
	}
	if n := *rows[0][0]; n == "0" {
		t.Fatalf("the first query of a fresh daemon counts %s dossiers", n)
	}
	if strings.Contains(logs.String(), `"job":"build"`) {
		t.Logf("a build ran: %s", logs)
	}
}

// TestFlightRefusesAMissingWarehouseAtStart: --db naming no file (and no
// snapshot beside it) stops the endpoint before it listens, in one line.
func TestFlightRefusesAMissingWarehouseAtStart(t *testing.T) {
	t.Setenv("WARDSTAT_FLIGHT_TOKEN", flightToken)
	var stderr testkit.LockedBuffer
	cmd := newRootCommand(io.Discard, &stderr)
	cmd.SetArgs([]string{"--db", filepath.Join(t.TempDir(), "none.duckdb"), "--lang", "en", "flight", "--addr", "127.0.0.1:0"})
	listened := false
	onFlightReady = func(net.Addr) { listened = true }
	t.Cleanup(func() { onFlightReady = nil })
	done := make(chan error, 1)
	go func() { done <- cmd.Execute() }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "there is no warehouse at") || listened {
			t.Fatalf("ended with %v (listened %v), want the no-warehouse line before listening", err, listened)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("wardstat flight with no warehouse still runs after 20 s")
	}
}
