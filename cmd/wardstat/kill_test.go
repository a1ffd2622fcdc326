package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"wardstat/warehouse"
)

// TestKillDuringLoadLeavesBeforeOrAfter kills a real wardstat process with
// SIGKILL at several moments of a load: each time the warehouse must hold
// the whole file or none of it, and the next run must complete the load.
func TestKillDuringLoadLeavesBeforeOrAfter(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: loads a large file several times")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	big := filepath.Join(dir, "big.csv")
	const n = 80_000
	writeBigCSV(t, big, n)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ingestCmd := func() *exec.Cmd {
		c := exec.Command(self, "--db", db, "ingest", "--ward", "K01", big)
		c.Env = append(os.Environ(), "WARDSTAT_BE_CLI=1", "WARDSTAT_PII_KEY=kill")
		return c
	}
	// How long a whole load takes, to spread the kills across it.
	start := time.Now()
	full := ingestCmd()
	if out, err := full.CombinedOutput(); err != nil {
		t.Fatalf("reference load: %v\n%s", err, out)
	}
	took := time.Since(start)
	os.Remove(db)
	os.Remove(db + ".wal")

	killed := 0
	for _, frac := range []float64{0.15, 0.4, 0.65, 0.85, 0.97} {
		c := ingestCmd()
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(frac * float64(took)))
		if c.Process.Signal(syscall.SIGKILL) == nil {
			killed++
		}
		c.Wait()
		assertWholeOrNothing(t, db, n, fmt.Sprintf("killed at %.0f%%", frac*100))
	}
	if killed == 0 {
		t.Fatal("no run was killed")
	}
	if out, err := ingestCmd().CombinedOutput(); err != nil {
		t.Fatalf("the load after the kills: %v\n%s", err, out)
	}
	loads := assertWholeOrNothing(t, db, n, "after a clean run")
	if loads != 1 {
		t.Fatalf("after a clean run the file must be loaded once, found %d loads", loads)
	}
}

func assertWholeOrNothing(t *testing.T, db string, n int64, when string) int64 {
	t.Helper()
	if _, err := os.Stat(db); os.IsNotExist(err) {
		return 0
	}
	w, err := warehouse.Open(context.Background(), db, warehouse.Options{})
	if err != nil {
		t.Fatalf("%s: the warehouse does not open: %v", when, err)
	}
	defer w.Close()
	var loads, dossiers, versions, loaded int64
	err = w.DB().QueryRow(`SELECT (SELECT count(*) FROM loads), (SELECT count(*) FROM dossiers),
		(SELECT count(*) FROM dossier_versions), (SELECT coalesce(sum(rows_loaded), 0) FROM loads)`).Scan(&loads, &dossiers, &versions, &loaded)
	if err != nil {
		t.Fatalf("%s: %v", when, err)
	}
	switch {
	case loads == 0 && dossiers == 0 && versions == 0:
	case loads == 1 && dossiers == n && versions == n && loaded == n:
	default:
		t.Fatalf("%s: between states: %d loads, %d dossiers, %d versions, %d rows loaded", when, loads, dossiers, versions, loaded)
	}
	return loads
}

func writeBigCSV(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	b := bufio.NewWriter(f)
	fmt.Fprintln(b, "Mã hồ sơ;Hình thức nộp;Ngày tiếp nhận;Ngày hẹn trả;Ngày có kết quả;Trạng thái;Họ tên")
	base := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		r := base.Add(time.Duration(i) * 7 * time.Minute)
		fmt.Fprintf(b, "K01-%s-%06d;Trực tuyến;%s;%s;%s;Đã trả kết quả;Người %d\n", r.Format("060102"), i,
			r.Format("02/01/2006 15:04:05"), r.AddDate(0, 0, 5).Format("02/01/2006"), r.AddDate(0, 0, 3).Format("02/01/2006 15:04"), i)
	}
	b.Flush()
	f.Close()
}

// TestKilledNightlyRunCompletesNextTime kills `wardstat run` in the middle
// of loading a dropped file: the file stays in the drop folder, the
// warehouse holds none of it, and the next run loads it and closes the
// killed run's ledger row as interrupted.
func TestKilledNightlyRunCompletesNextTime(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	dir := t.TempDir()
	drop := filepath.Join(dir, "drop")
	os.MkdirAll(drop, 0o755)
	const n = 80_000
	writeBigCSV(t, filepath.Join(drop, "big.csv"), n)
	cfgPath := filepath.Join(dir, "wardstat.yml")
	os.WriteFile(cfgPath, []byte("warehouse: w.duckdb\nsources:\n  - name: drop\n    ward: K01\n    path: drop\n    settle: 10ms\n    schedule: \"0 1 * * *\"\n"), 0o644)
	self, _ := os.Executable()
	cmd := func() *exec.Cmd {
		c := exec.Command(self, "run", "--config", cfgPath, "--source", "drop")
		c.Env = append(os.Environ(), "WARDSTAT_BE_CLI=1", "WARDSTAT_PII_KEY=kill")
		return c
	}
	c := cmd()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	c.Process.Signal(syscall.SIGKILL)
	c.Wait()
	db := filepath.Join(dir, "w.duckdb")
	if loads := assertWholeOrNothing(t, db, n, "after the kill"); loads == 0 {
		if _, err := os.Stat(filepath.Join(drop, "big.csv")); err != nil {
			t.Fatalf("an unloaded file must stay in the drop folder: %v", err)
		}
	}
	if out, err := cmd().CombinedOutput(); err != nil {
		t.Fatalf("the next run: %v\n%s", err, out)
	}
	if assertWholeOrNothing(t, db, n, "after the next run") != 1 {
		t.Fatal("the next run must load the file")
	}
	if _, err := os.Stat(filepath.Join(drop, "done", "big.csv")); err != nil {
		t.Fatalf("the loaded file moves to done/: %v", err)
	}
	w, err := warehouse.Open(context.Background(), db, warehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var interrupted, ok int
	w.DB().QueryRow(`SELECT count(*) FILTER (WHERE status = 'interrupted'), count(*) FILTER (WHERE status = 'ok') FROM job_runs`).Scan(&interrupted, &ok)
	if ok != 1 || interrupted > 1 {
		t.Fatalf("ledger: %d ok, %d interrupted", ok, interrupted)
	}
}

// TestServeStopsCleanlyOnSIGTERM starts the daemon as a real process and
// stops it with SIGTERM.
func TestServeStopsCleanlyOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "drop"), 0o755)
	cfgPath := filepath.Join(dir, "wardstat.yml")
	os.WriteFile(cfgPath, []byte("warehouse: w.duckdb\nlisten: 127.0.0.1:0\nsources:\n  - name: drop\n    path: drop\n    schedule: \"*/1 * * * * *\"\n"), 0o644)
	self, _ := os.Executable()
	c := exec.Command(self, "serve", "--config", cfgPath)
	c.Env = append(os.Environ(), "WARDSTAT_BE_CLI=1", "WARDSTAT_PII_KEY=x")
	logs := &lockedBuffer{}
	c.Stderr = logs
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(logs.String(), `"msg":"pull"`) {
		if time.Now().After(deadline) {
			c.Process.Kill()
			t.Fatalf("the daemon did not run a pull:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.Process.Signal(syscall.SIGTERM)
	errc := make(chan error, 1)
	go func() { errc <- c.Wait() }()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, logs.String())
		}
	case <-time.After(15 * time.Second):
		c.Process.Kill()
		t.Fatal("the daemon did not stop on SIGTERM")
	}
	if !strings.Contains(logs.String(), "stopping") {
		t.Errorf("no stop message:\n%s", logs.String())
	}
}

// lockedBuffer is a bytes.Buffer safe to write from a process's copier
// while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
