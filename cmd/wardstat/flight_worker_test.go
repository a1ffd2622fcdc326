//go:build duckdb_arrow

package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

// The test binary acts as wardstat (TestMain) for the endpoint's workers.
func init() { workerEnv = append(workerEnv, "WARDSTAT_BE_CLI=1") }

// workerPeaks are the peak resident memories (MB) of the workers the
// endpoint's log reports (rusage of each waited worker).
func workerPeaks(t *testing.T, logs string) []int64 {
	t.Helper()
	var peaks []int64
	for _, m := range regexp.MustCompile(`msg="flight sql worker" pid=\d+ exit=-?\d+ peak_rss_mb=(-?\d+)`).FindAllStringSubmatch(logs, -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		peaks = append(peaks, n)
	}
	return peaks
}

// childrenOf are the processes whose parent is pid (Linux's /proc).
func childrenOf(pid int) []int {
	var kids []int
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		n, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			kids = append(kids, n)
		}
	}
	return kids
}

// busyWorkers are the children of pid holding the warehouse file db open:
// the workers running a statement, not a spare waiting for one.
func busyWorkers(pid int, db string) []int {
	real, _ := filepath.EvalSymlinks(db)
	var busy []int
	for _, kid := range childrenOf(pid) {
		fds, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(kid), "fd", "*"))
		for _, fd := range fds {
			if target, err := os.Readlink(fd); err == nil && (target == db || target == real) {
				busy = append(busy, kid)
				break
			}
		}
	}
	return busy
}

// TestFlightMemoryAttacks: values DuckDB's memory_limit does not count (a
// list of 200 million numbers, a 300 MB text, 300 texts of 1 MB, a 1 GB
// text measured, 500 MB of 50 KB texts) each end, in the worker that runs
// the statement, with its whole result or one line saying it needed more
// memory; the endpoint answers the next statement; the server plus
// flightWorkers workers at their peak resident memory stay under 1 GiB.
// A wide result that fits (50 MB of 5 KB texts, chunks of 10 MB) comes
// whole in batches a default gRPC client accepts (4 MiB). Run in the
// server, the list peaked at 1.6 GB and the 1 GB text at 2 GB (folded by
// the check's prepare). Preparing them ends alike.
func TestFlightMemoryAttacks(t *testing.T) {
	skipIfShort(t, "memory: the RSS of large queries")
	if runtime.GOOS != "linux" {
		t.Skip("Maxrss and RLIMIT_DATA are Linux's")
	}
	db, _ := handcountWarehouse(t)
	proc, addr, logs := startFlightProcess(t, "--db", db, "--lang", "en")
	c := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second)
	defer cancel()
	ctx = bearer(ctx, flightToken)
	for _, tc := range []struct {
		query string
		rows  int
		fits  bool
	}{
		{"SELECT repeat('x', 5000) AS s FROM range(10000)", 10000, true},
		{"SELECT repeat('x', 50000) AS s FROM range(10000)", 10000, false},
		{"SELECT len(range(i)) AS n FROM (VALUES (200000000)) t(i)", 1, false},
		{"SELECT repeat('x', 300000000) AS s", 1, false},
		{"SELECT repeat('x', 1000000) AS s FROM range(300)", 300, false},
		{"SELECT length(repeat('x', 1000000000)) AS n", 1, false},
	} {
		began := time.Now()
		_, rows, err := flightRows(ctx, c, tc.query)
		t.Logf("%s: %d rows in %v, %v; server's peak so far %s", tc.query, len(rows), time.Since(began).Round(time.Millisecond), err, vmHWM(proc.Process.Pid))
		switch {
		case err != nil && tc.fits:
			t.Errorf("%s: %v, want its rows", tc.query, err)
		case err == nil:
			if len(rows) != tc.rows || len(*rows[tc.rows-1][0]) != len(*rows[0][0]) {
				t.Errorf("%s: %d rows, want %d whole", tc.query, len(rows), tc.rows)
			}
		case codeOf(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "needed more memory than a Flight SQL statement may use (448 MB)") || strings.Contains(err.Error(), "\n"):
			t.Errorf("%s: want one line saying it needed more memory, got %v", tc.query, err)
		}
		if _, rows, err := flightRows(ctx, c, "SELECT count(*) FROM dossiers"); err != nil || *rows[0][0] != "14" {
			t.Fatalf("after %s: %v %v\n%s", tc.query, rows, err, logs)
		}
	}
	// Preparing folds constants, and a prepared statement's result schema
	// runs it with LIMIT 0: both happen in a worker too.
	for _, q := range []string{"SELECT length(repeat('x', 1000000000)) AS n", "SELECT len(range(i)) AS n FROM (VALUES (200000000)) t(i)"} {
		stmt, err := c.Prepare(ctx, q)
		if err == nil {
			stmt.Close(ctx)
		}
		t.Logf("prepare %s: %v; server's peak so far %s", q, err, vmHWM(proc.Process.Pid))
		if err != nil && (codeOf(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "needed more memory")) {
			t.Errorf("prepare %s: want its schemas or one line saying it needed more memory, got %v", q, err)
		}
	}
	proc.Process.Signal(syscall.SIGTERM)
	if took, killed := endsWithin(t, proc, time.Now(), 30*time.Second); killed {
		t.Fatalf("still running %v after SIGTERM", took)
	}
	if proc.ProcessState.ExitCode() != 0 {
		t.Errorf("exit %d after SIGTERM", proc.ProcessState.ExitCode())
	}
	server := proc.ProcessState.SysUsage().(*syscall.Rusage).Maxrss >> 10
	peaks := workerPeaks(t, logs.String())
	if len(peaks) < 12 {
		t.Fatalf("%d workers logged, want one a statement:\n%s", len(peaks), logs)
	}
	worst := int64(0)
	for _, p := range peaks {
		worst = max(worst, p)
	}
	t.Logf("peak resident memory: server %d MB, workers %v MB", server, peaks)
	if total := server + flightWorkers*worst; total > 1024 {
		t.Errorf("the server (%d MB) and %d workers at %d MB reach %d MB, over 1 GiB", server, flightWorkers, worst, total)
	}
}

// TestFlightUninterruptibleStatementEnds: a statement DuckDB cannot
// interrupt (one levenshtein over 300 KB texts) ends at the statement
// timeout plus the worker's kill grace, with DeadlineExceeded and one
// line, no worker is left, and the endpoint answers the next statement.
// Run in the server, it ran on for minutes and held a DuckDB thread.
func TestFlightUninterruptibleStatementEnds(t *testing.T) {
	db, _ := handcountWarehouse(t)
	addr, _, _ := startFlight(t, "--db", db, "--lang", "en", "--timeout", "2s")
	c := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ctx = bearer(ctx, flightToken)
	began := time.Now()
	_, _, err := flightRows(ctx, c, stuckPerRow)
	took := time.Since(began)
	if codeOf(err) != codes.DeadlineExceeded || !strings.Contains(err.Error(), "ran longer than 2s (--timeout)") {
		t.Errorf("uninterruptible statement: %v", err)
	}
	if took > 2*time.Second+flightKillGraceForTest+3*time.Second {
		t.Errorf("the uninterruptible statement ended after %v", took)
	}
	t.Logf("ended after %v", took)
	// The spare waiting for the next statement may be there, no other.
	if busy, kids := busyWorkers(os.Getpid(), db), childrenOf(os.Getpid()); len(busy) > 0 || len(kids) > 1 {
		t.Errorf("workers still running: %v (with the warehouse open: %v)", kids, busy)
	}
	if _, rows, err := flightRows(ctx, c, "SELECT count(*) FROM dossiers"); err != nil || *rows[0][0] != "14" {
		t.Errorf("the next statement: %v %v", rows, err)
	}
}

// flightKillGraceForTest is the grace a worker has between SIGTERM and
// SIGKILL (flight.DefaultKillGrace).
const flightKillGraceForTest = 2 * time.Second

// TestFlightWorkerDiesWithTheServer: a server killed outright (SIGKILL,
// no drain) leaves no worker running: the kernel kills them with it
// (Pdeathsig).
func TestFlightWorkerDiesWithTheServer(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Pdeathsig is Linux's")
	}
	db, _ := handcountWarehouse(t)
	proc, addr, logs := startFlightProcess(t, "--db", db, "--lang", "en")
	c := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ctx = bearer(ctx, flightToken)
	go flightRows(ctx, c, stuckPerRow)
	var kids []int
	for deadline := time.Now().Add(15 * time.Second); len(kids) == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		kids = childrenOf(proc.Process.Pid)
	}
	if len(kids) == 0 {
		t.Fatalf("no worker started:\n%s", logs)
	}
	proc.Process.Kill()
	proc.Wait()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		alive := 0
		for _, k := range kids {
			if b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(k), "stat")); err == nil && !strings.Contains(string(b), ") Z ") {
				alive++
			}
		}
		if alive == 0 {
			break
		}
		if time.Now().After(deadline) {
			for _, k := range kids {
				syscall.Kill(k, syscall.SIGKILL)
			}
			t.Fatalf("workers %v outlived the server by 5 s", kids)
		}
	}
}

// vmHWM is a running process's peak resident memory, as /proc says it.
func vmHWM(pid int) string {
	b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.Join(strings.Fields(l)[1:], " ")
		}
	}
	return "?"
}

// TestFlightQueueWaitsThenRefuses: with every worker busy, a statement
// waits in the queue and, when its wait runs out, gets ResourceExhausted
// with one line; once a worker is free the next statement runs.
func TestFlightQueueWaitsThenRefuses(t *testing.T) {
	flightQueueTimeout = time.Second
	defer func() { flightQueueTimeout = 0 }()
	db, _ := handcountWarehouse(t)
	addr, _, _ := startFlight(t, "--db", db, "--lang", "en", "--timeout", "3s")
	c := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ctx = bearer(ctx, flightToken)
	busy := make(chan error, flightWorkers)
	for i := range flightWorkers {
		// Different texts, so that they do not share one run.
		go func() {
			_, _, err := flightRows(ctx, c, stuckPerRow+" LIMIT "+strconv.Itoa(i+1))
			busy <- err
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); len(busyWorkers(os.Getpid(), db)) < flightWorkers; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers running, want %d", len(busyWorkers(os.Getpid(), db)), flightWorkers)
		}
	}
	began := time.Now()
	_, _, err := flightRows(ctx, c, "SELECT count(*) FROM dossiers")
	if codeOf(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "the server is running 2 statements (its most at once) and this one waited 1s") || strings.Contains(err.Error(), "\n") {
		t.Errorf("a statement with every worker busy: %v", err)
	}
	if took := time.Since(began); took < time.Second || took > 3*time.Second {
		t.Errorf("it waited %v, want the queue's 1 s", took)
	}
	for range flightWorkers {
		if err := <-busy; codeOf(err) != codes.DeadlineExceeded {
			t.Errorf("a stuck statement: %v", err)
		}
	}
	if _, rows, err := flightRows(ctx, c, "SELECT count(*) FROM dossiers"); err != nil || *rows[0][0] != "14" {
		t.Errorf("the next statement: %v %v", rows, err)
	}
}
