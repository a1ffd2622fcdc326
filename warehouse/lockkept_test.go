//go:build unix

package warehouse_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wardstat/warehouse"
)

// lockProbeEnv makes the test binary, run again as a child, try the
// warehouse named in it from another process: POSIX locks never conflict
// within one process, so only another process can see whether we hold it.
const lockProbeEnv = "WARDSTAT_LOCK_PROBE"

// TestLockProbeChild is the child's half of TestPublishKeepsTheLock; it
// does nothing in a plain test run.
func TestLockProbeChild(t *testing.T) {
	path := os.Getenv(lockProbeEnv)
	if path == "" {
		t.Skip("run by TestPublishKeepsTheLock")
	}
	began := time.Now()
	w, err := warehouse.Open(context.Background(), path, warehouse.Options{})
	if err == nil {
		w.Close()
		fmt.Println("probe: opened for writing")
		return
	}
	pid, writer, herr := warehouse.LockHolder(path)
	fmt.Printf("probe: refused locked=%v after=%s holder=%d writer=%v holder_err=%v\n",
		errors.Is(err, warehouse.ErrLocked), time.Since(began).Round(time.Millisecond), pid, writer, herr)
}

// probeLock runs TestLockProbeChild in a child process against path.
func probeLock(t *testing.T, path string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestLockProbeChild$", "-test.count=1")
	c.Env = append(os.Environ(), lockProbeEnv+"="+path)
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("lock probe: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "probe: ") {
			return strings.TrimPrefix(line, "probe: ")
		}
	}
	t.Fatalf("lock probe said nothing:\n%s", out)
	return ""
}

// TestPublishKeepsTheLock: a process that holds the warehouse for writing
// keeps holding it after publishing the snapshot (twice) and after asking
// LockHolder about it; another process is refused at once and told who
// holds it. Publishing used to open and close the live file, and closing
// any descriptor of a file drops every POSIX lock the process holds on it
// (DuckDB's among them): the other process then opened the warehouse for
// writing beside the daemon.
func TestPublishKeepsTheLock(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.duckdb")
	w, err := warehouse.Open(context.Background(), path, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// Something in the WAL, for the publish's CHECKPOINT to write.
	if _, err := w.DB().Exec(`INSERT INTO meta VALUES ('lock-test', 'x')`); err != nil {
		t.Fatal(err)
	}
	const want = "refused locked=true after="
	holder := fmt.Sprintf("holder=%d writer=true holder_err=<nil>", os.Getpid())
	check := func(when string) {
		t.Helper()
		got := probeLock(t, path)
		if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, holder) {
			t.Fatalf("%s, another process must be refused and told we hold the warehouse: %s", when, got)
		}
		if d, err := time.ParseDuration(strings.Fields(strings.TrimPrefix(got, want))[0]); err == nil && d > 5*time.Second {
			t.Errorf("%s, the refusal took %s: it must come at once", when, d)
		}
	}
	check("before publishing")
	dest := filepath.Join(dir, "published", "w.duckdb")
	for i := 0; i < 2; i++ {
		if err := w.Publish(context.Background(), dest, -1); err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprintf("after publish %d", i+1))
	}
	// Asking who holds it, from the process that holds it, keeps it too.
	if pid, _, err := warehouse.LockHolder(path); err != nil || pid != 0 {
		t.Errorf("LockHolder in the holding process: pid %d, %v; want 0 (no other process)", pid, err)
	}
	check("after LockHolder")
	// The snapshot is whole: it opens read-only and holds the row.
	snap, err := warehouse.Open(context.Background(), dest, warehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	var v string
	if err := snap.DB().QueryRow(`SELECT value FROM meta WHERE name = 'lock-test'`).Scan(&v); err != nil || v != "x" {
		t.Fatalf("snapshot: %q, %v", v, err)
	}
}
