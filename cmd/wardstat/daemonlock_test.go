package main

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

	"wardstat/internal/testkit"
	"wardstat/warehouse"
)

// TestDaemonHoldsTheWarehouseAfterPublishing runs the daemon (`serve`, a
// real process) until it has built and published the snapshot twice,
// then, from this other process: a second `ingest` is refused at once,
// naming the daemon and what to do; `sql` answers from the snapshot and
// says so; a read-write open is refused at once. Publishing used to open
// and close the live file, which dropped the daemon's lock: `sql` then
// read the live file and `ingest` got past open.
func TestDaemonHoldsTheWarehouseAfterPublishing(t *testing.T) {
	skipIfShort(t, "a daemon publishing twice")
	t.Setenv("WARDSTAT_PII_KEY", "lock")
	dir := t.TempDir()
	drop := filepath.Join(dir, "drop")
	os.MkdirAll(drop, 0o755)
	os.WriteFile(filepath.Join(drop, "ward.csv"), []byte("Mã hồ sơ,Ngày tiếp nhận,Hình thức nộp\nH08.01-240301-0001,01/03/2024,Trực tiếp\nH08.01-240301-0002,01/03/2024,BCCI\n"), 0o644)
	cfgPath := filepath.Join(dir, "wardstat.yml")
	os.WriteFile(cfgPath, []byte(`warehouse: w.duckdb
listen: 127.0.0.1:0
sources:
  - name: drop
    path: drop
    settle: 100ms
    schedule: "*/1 * * * * *"
jobs:
  build: {schedule: "*/1 * * * * *"}
`), 0o644)
	db := filepath.Join(dir, "w.duckdb")
	self, _ := os.Executable()
	c := exec.Command(self, "serve", "--config", cfgPath)
	c.Env = append(os.Environ(), "WARDSTAT_BE_CLI=1")
	logs := &testkit.LockedBuffer{}
	c.Stderr = logs
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		if err := testkit.Terminate(c, 30*time.Second); err != nil {
			t.Errorf("the daemon's exit: %v\n%s", err, logs.String())
		}
	}
	defer stop()
	// Two builds have published: the first publish's copy is long closed.
	builds := func() int {
		n := 0
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, `"job":"build"`) && strings.Contains(line, `"status":"ok"`) {
				n++
			}
		}
		return n
	}
	for deadline := time.Now().Add(30 * time.Second); builds() < 2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not build twice:\n%s", logs.String())
		}
	}

	// (c) A second writer is refused at once, told the daemon holds the
	// warehouse and what to do, in one line.
	file := filepath.Join(dir, "more.csv")
	os.WriteFile(file, []byte("Mã hồ sơ,Ngày tiếp nhận,Hình thức nộp\nH08.01-240302-0009,02/03/2024,Trực tiếp\n"), 0o644)
	began := time.Now()
	_, _, err := run(t, "--lang", "en", "--db", db, "ingest", "--ward", "000.31.09.H26", file)
	took := time.Since(began)
	msg := fmt.Sprint(err)
	if err == nil || !errors.Is(err, warehouse.ErrLocked) {
		t.Errorf("a second ingest beside the daemon must be refused as locked: %v", err)
	} else if !strings.Contains(msg, "daemon") || !strings.Contains(msg, fmt.Sprintf("PID %d", c.Process.Pid)) ||
		!strings.Contains(msg, "drop folder") || strings.Contains(msg, "\n") {
		t.Errorf("the refusal must name the daemon and its PID %d and say what to do, in one line: %s", c.Process.Pid, msg)
	}
	if took > 5*time.Second {
		t.Errorf("the refusal took %s: it must come at once", took)
	}
	_, _, err = run(t, "--db", db, "ingest", "--ward", "000.31.09.H26", file)
	if err == nil || !strings.Contains(err.Error(), "tiến trình nền") {
		t.Errorf("the refusal in Vietnamese: %v", err)
	}

	// (b) A reader answers from the snapshot and says so.
	out, errOut, err := run(t, "--lang", "en", "--db", db, "sql", "SELECT count(*) AS n FROM dossiers")
	if err != nil {
		t.Errorf("sql beside the daemon: %v\n%s", err, errOut)
	} else if !strings.Contains(errOut, "snapshot") || !strings.Contains(errOut, "held by the wardstat daemon") || !strings.Contains(out, "2") {
		t.Errorf("sql must read the published snapshot and say the daemon holds the warehouse (not that a load runs); stdout %q, stderr %q", out, errOut)
	}

	// (a) A read-write open is refused at once.
	began = time.Now()
	w, err := warehouse.Open(context.Background(), db, warehouse.Options{})
	if err == nil {
		w.Close()
		t.Error("the warehouse opened for writing beside the daemon")
	} else if !errors.Is(err, warehouse.ErrLocked) || time.Since(began) > 5*time.Second {
		t.Errorf("a read-write open must be refused as locked at once: %v after %s", err, time.Since(began))
	}

	stop()
	// Nothing of the refused ingest was loaded, every build succeeded, and
	// the daemon's mark beside the warehouse is gone with it.
	w, err = warehouse.Open(context.Background(), db, warehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var dossiers, failed int
	w.DB().QueryRow(`SELECT count(*) FROM dossiers`).Scan(&dossiers)
	w.DB().QueryRow(`SELECT count(*) FROM job_runs WHERE job = 'build' AND status <> 'ok'`).Scan(&failed)
	if dossiers != 2 || failed != 0 {
		t.Errorf("after the daemon: %d dossiers (want the drop folder's 2), %d builds not ok", dossiers, failed)
	}
	if _, err := os.Stat(filepath.Join(dir, ".w.duckdb.serve")); !os.IsNotExist(err) {
		t.Errorf("the daemon's mark must go when it stops: %v", err)
	}
}
