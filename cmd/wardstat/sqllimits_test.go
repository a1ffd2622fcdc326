package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Statements DuckDB cannot interrupt: one function call over a huge value
// runs for minutes between two checks of the interrupt flag (issue 14,
// item 7, second round). The constant one is folded while preparing.
const (
	stuckConstant = "SELECT levenshtein(repeat('a', 1000000), repeat('b', 1000000))"
	stuckPerRow   = "SELECT levenshtein(repeat('a', 300000) || x, repeat('b', 300000)) FROM (VALUES ('')) t(x)"
)

// endsWithin runs c (started) to its end, killing it past limit; it
// returns how long it took and whether it had to be killed.
func endsWithin(t *testing.T, c *exec.Cmd, began time.Time, limit time.Duration) (time.Duration, bool) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case <-done:
		return time.Since(began), false
	case <-time.After(limit):
		c.Process.Kill()
		<-done
		return time.Since(began), true
	}
}

// assertReleased: a load runs at once after the stuck statement's end.
func assertReleased(t *testing.T, db, fx string) {
	t.Helper()
	if pid, _, err := warehouseLockHolder(db); err == nil && pid != 0 {
		t.Fatalf("PID %d still holds the warehouse", pid)
	}
	saved := writeLockWait
	writeLockWait = time.Second
	defer func() { writeLockWait = saved }()
	if _, errOut, err := run(t, "--db", db, "--lang", "en", "ingest", filepath.Join(fx, "api-export.json")); err != nil {
		t.Fatalf("a load after the stuck statement: %v\n%s", err, errOut)
	}
}

// TestUninterruptibleStatementEndsTheCommand: a statement that DuckDB's
// interrupt does not stop ends the command anyway, interruptGrace after its
// timeout or after SIGTERM, with one line and exit 1, and the warehouse is
// free for a load. Before, both ran for over ten minutes, deaf to SIGTERM.
func TestUninterruptibleStatementEndsTheCommand(t *testing.T) {
	db, fx := handcountWarehouse(t)
	for _, tc := range []struct {
		name, query string
		timeout     string
		signal      bool
	}{
		{"timeout, folded while preparing", stuckConstant, "1s", false},
		{"SIGTERM, per row", stuckPerRow, "10m", true},
	} {
		c := cli("--db", db, "--lang", "en", "sql", "--timeout", tc.timeout, tc.query)
		var out bytes.Buffer
		c.Stdout, c.Stderr = &out, &out
		began := time.Now()
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		if tc.signal {
			waitForLock(t, db, false)
			time.Sleep(1500 * time.Millisecond)
			began = time.Now()
			c.Process.Signal(syscall.SIGTERM)
		}
		took, killed := endsWithin(t, c, began, 15*time.Second)
		if killed {
			t.Fatalf("%s: still running after %v; killed", tc.name, took)
		}
		if c.ProcessState.ExitCode() != 1 {
			t.Errorf("%s: exit code %d, want 1", tc.name, c.ProcessState.ExitCode())
		}
		msg := strings.TrimSpace(out.String())
		if !strings.Contains(msg, "could not be interrupted") || strings.Contains(msg, "\n") {
			t.Errorf("%s: want one line saying it could not be interrupted, got %q", tc.name, msg)
		}
		t.Logf("%s: ended after %v", tc.name, took)
		assertReleased(t, db, fx)
	}
}

// TestPromptEndsOnAnUninterruptibleStatement: Ctrl-C on a statement DuckDB
// cannot interrupt does not leave the prompt stuck: after the grace it
// says so and the prompt ends, releasing the warehouse.
func TestPromptEndsOnAnUninterruptibleStatement(t *testing.T) {
	db, fx := handcountWarehouse(t)
	c := cli("--lang", "en", "--db", db, "sql", "--format", "csv")
	c.Env = append(c.Env, "HOME="+t.TempDir())
	term := startOnTerminal(t, c)
	term.expect("Read-only warehouse", 10*time.Second)
	term.send(stuckPerRow + ";\r")
	waitForLock(t, db, false)
	time.Sleep(1500 * time.Millisecond)
	began := time.Now()
	term.send("\x03")
	took, killed := endsWithin(t, c, began, 15*time.Second)
	if killed {
		t.Fatalf("the prompt was still running %v after Ctrl-C; killed", took)
	}
	term.expect("could not be interrupted", 2*time.Second)
	if c.ProcessState.ExitCode() != 1 {
		t.Errorf("exit code %d, want 1", c.ProcessState.ExitCode())
	}
	assertReleased(t, db, fx)
}
