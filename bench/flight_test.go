//go:build duckdb_arrow

package bench_test

import (
	"context"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/duckdb/duckdb-go/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"wardstat/bench"
	"wardstat/flight"
	"wardstat/pipeline"
	"wardstat/transform"
	"wardstat/warehouse"
)

// The two speed bars for the Flight SQL endpoint, at a size that
// suits `go test -bench` (WARDSTAT_BENCH_FLIGHT_ROWS sets it; the bar is
// stated for 10 M rows):
//   - streaming SELECT * FROM dossiers to a Flight SQL client on loopback
//     at ≥ 0.7× the rows per second of DuckDB's own in-process Arrow export;
//   - 20 concurrent clients running the form for a year: p95 ≤ 3× one
//     client alone, RSS ≤ 1 GiB.

const benchToken = "bench-token-0123456789abcdef"

// flightFixture loads n generated dossiers and serves them over Flight
// SQL on loopback, as `wardstat flight` does (the sandbox's options).
func flightFixture(b testing.TB, n int) (db *warehouse.Warehouse, c *flightsql.Client, ctx context.Context) {
	b.Helper()
	path := flightWarehouse(b, n)
	opt := warehouse.Options{ReadOnly: true, MemoryLimit: "256MB", Threads: min(4, runtime.NumCPU())}
	src := flight.Snapshot(path, opt)
	b.Cleanup(src.Close)
	tokens := &flight.Tokens{}
	tokens.Add("bench", benchToken)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	sctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- flight.Serve(sctx, src, flight.Options{Listener: lis, Tokens: tokens, Lang: "en", StatementTimeout: 10 * time.Minute, MaxRows: 1 << 40,
			Workers: benchWorkers(), Logger: slog.New(workerPeaks{})})
	}()
	b.Cleanup(func() { stop(); <-done })
	c, err = flightsql.NewClient(lis.Addr().String(), nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	// The in-process side reads the same file in the same sandbox.
	db, err = warehouse.Open(context.Background(), path, opt)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db, c, metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+benchToken)
}

// flightWarehouse is a warehouse file of n generated dossiers: made in a
// temporary folder, or kept in WARDSTAT_BENCH_FLIGHT_CACHE (a folder) for
// the next runs of the same size (only read by the benchmarks).
func flightWarehouse(b testing.TB, n int) string {
	dir := b.TempDir()
	path := filepath.Join(dir, "w.duckdb")
	if cache := os.Getenv("WARDSTAT_BENCH_FLIGHT_CACHE"); cache != "" {
		path = filepath.Join(cache, fmt.Sprintf("flight-%d.duckdb", n))
		if _, err := os.Stat(path); err == nil {
			return path
		}
	}
	csv := filepath.Join(dir, "d.csv")
	if _, err := bench.WriteCSV(csv, n, 1); err != nil {
		b.Fatal(err)
	}
	made := path + ".part"
	w, err := warehouse.Open(context.Background(), made, warehouse.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := pipeline.File(context.Background(), w, csv, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("b"))}); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(made, path); err != nil {
		b.Fatal(err)
	}
	return path
}

func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("WARDSTAT_BENCH_FLIGHT_ROWS")); err == nil && n > 0 {
		return n
	}
	return 200_000
}

// streamFlight reads a statement's whole result over Flight SQL.
func streamFlight(ctx context.Context, c *flightsql.Client, query string) (int64, error) {
	info, err := c.Execute(ctx, query)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, ep := range info.Endpoint {
		rdr, err := c.DoGet(ctx, ep.Ticket)
		if err != nil {
			return n, err
		}
		for rdr.Next() {
			n += rdr.RecordBatch().NumRows()
		}
		err = rdr.Err()
		rdr.Release()
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// exportInProcess reads a statement's result through DuckDB's own Arrow
// export in this process (the floor).
func exportInProcess(ctx context.Context, w *warehouse.Warehouse, query string) (int64, error) {
	conn, err := w.DB().Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var n int64
	err = conn.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		rdr, err := ar.QueryContext(ctx, query)
		if err != nil {
			return err
		}
		defer rdr.Release()
		for rdr.Next() {
			n += rdr.RecordBatch().NumRows()
		}
		return rdr.Err()
	})
	return n, err
}

// BenchmarkFlightStream: SELECT * FROM dossiers over Flight SQL on
// loopback against DuckDB's in-process Arrow export of the same query;
// ratio is Flight's rows per second over the floor's (bar: ≥ 0.7).
func BenchmarkFlightStream(b *testing.B) {
	n := benchRows()
	db, c, ctx := flightFixture(b, n)
	const q = "SELECT * FROM dossiers"
	var inproc, overFlight, inprocCPU, flightCPU, workerCPU time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0, c0 := time.Now(), cpuTimes()
		got, err := exportInProcess(ctx, db, q)
		if err != nil || got != int64(n) {
			b.Fatalf("in process: %d rows, %v", got, err)
		}
		t1, c1 := time.Now(), cpuTimes()
		got, err = streamFlight(ctx, c, q)
		if err != nil || got != int64(n) {
			b.Fatalf("over Flight: %d rows, %v", got, err)
		}
		c2 := cpuTimes()
		inproc += t1.Sub(t0)
		overFlight += time.Since(t1)
		inprocCPU += c1.self - c0.self
		flightCPU += c2.self - c1.self
		workerCPU += c2.children - c1.children
	}
	rows := float64(n) * float64(b.N)
	b.ReportMetric(rows/inproc.Seconds(), "inproc_rows/s")
	b.ReportMetric(rows/overFlight.Seconds(), "flight_rows/s")
	b.ReportMetric(inproc.Seconds()/overFlight.Seconds(), "ratio")
	// CPU per row (ns): the in-process export; the server and client
	// (this process) while streaming; the worker (a waited-for child).
	b.ReportMetric(float64(inprocCPU.Nanoseconds())/rows, "inproc_cpu_ns/row")
	b.ReportMetric(float64(flightCPU.Nanoseconds())/rows, "server+client_cpu_ns/row")
	b.ReportMetric(float64(workerCPU.Nanoseconds())/rows, "worker_cpu_ns/row")
}

// BenchmarkFlightConcurrent: the form for a year, by one client alone,
// then by 20 clients at once; p95_ratio is the 20 clients' p95 latency
// over one client's (bar: ≤ 3). peak_rss_MB is this process's peak
// resident memory (the server and the clients) during this benchmark
// only: the peak is reset when it starts (Linux's clear_refs), so what
// the fixture's load or an earlier benchmark held (BenchmarkFlightStream's
// in-process floor holds its whole result) is not counted; 0 where it
// cannot be reset. worker_peak_rss_MB is the largest peak a worker
// reported of itself during this benchmark (workerPeak). Bar: ≤ 1024 together.
func BenchmarkFlightConcurrent(b *testing.B) {
	// Memory an earlier benchmark let go of is given back first: a worker
	// forked from this process counts it until its exec, and one ended
	// before it reports its own peak is reported by its rusage (peakOf).
	runtime.GC()
	debug.FreeOSMemory()
	_, c, ctx := flightFixture(b, benchRows())
	const q = "SELECT * FROM report_form(DATE '2021-01-01', DATE '2021-12-31')"
	const clients, each = 20, 3
	runtime.GC()
	debug.FreeOSMemory()
	peakKnown := resetPeakRSS()
	workerPeak.Store(0)
	if _, err := streamFlight(ctx, c, q); err != nil { // warm up
		b.Fatal(err)
	}
	var alone, together []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < each*2; j++ {
			t0 := time.Now()
			if _, err := streamFlight(ctx, c, q); err != nil {
				b.Fatal(err)
			}
			alone = append(alone, time.Since(t0))
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		for k := 0; k < clients; k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < each; j++ {
					t0 := time.Now()
					if _, err := streamFlight(ctx, c, q); err != nil {
						errs <- err
						return
					}
					mu.Lock()
					together = append(together, time.Since(t0))
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	p95 := func(d []time.Duration) time.Duration {
		slices.Sort(d)
		return d[(len(d)*95+99)/100-1]
	}
	b.ReportMetric(float64(p95(alone).Milliseconds()), "p95_alone_ms")
	b.ReportMetric(float64(p95(together).Milliseconds()), "p95_20_clients_ms")
	b.ReportMetric(float64(p95(together))/float64(p95(alone)), "p95_ratio")
	if peakKnown {
		b.ReportMetric(peakRSSMB(), "peak_rss_MB")
	} else {
		b.ReportMetric(0, "peak_rss_MB")
	}
	b.ReportMetric(float64(workerPeak.Load()), "worker_peak_rss_MB")
}

// workerPeak is the largest peak resident memory a worker reported of
// itself (the server's "flight sql worker" log line) since the last reset:
// the rusage of the children would count this process's memory at the fork
// (BenchmarkFlightStream's floor holds its whole result: 3 GB at 10 M).
var workerPeak atomic.Int64

// workerPeaks is a log handler keeping workerPeak.
type workerPeaks struct{}

func (workerPeaks) Enabled(context.Context, slog.Level) bool { return true }
func (h workerPeaks) WithAttrs([]slog.Attr) slog.Handler     { return h }
func (h workerPeaks) WithGroup(string) slog.Handler          { return h }

func (workerPeaks) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "flight sql worker" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "peak_rss_mb" {
				v, ok := a.Value.Any().(int64)
				for ok {
					old := workerPeak.Load()
					if v <= old || workerPeak.CompareAndSwap(old, v) {
						break
					}
				}
			}
			return true
		})
	}
	return nil
}

// resetPeakRSS sets this process's peak resident memory (VmHWM) to what
// it holds now (Linux ≥ 4.0); false where it cannot.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSSMB is this process's peak resident memory (Linux; 0 elsewhere).
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}

// benchWorkerEnv makes this test binary a Flight SQL worker (TestMain),
// as `wardstat flight-worker` is for the endpoint: each statement runs in
// a child process and its Arrow IPC stream is forwarded, as in wardstat.
// WARDSTAT_BENCH_FLIGHT_INPROCESS=1 runs statements in the server.
const benchWorkerEnv = "WARDSTAT_BENCH_FLIGHT_WORKER"

func benchWorkers() *flight.Workers {
	if os.Getenv("WARDSTAT_BENCH_FLIGHT_INPROCESS") == "1" {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	return &flight.Workers{Max: 2, DataLimit: 448 << 20, Command: func() *exec.Cmd {
		c := exec.Command(exe)
		c.Env = append(os.Environ(), benchWorkerEnv+"=1")
		return c
	}}
}

func TestMain(m *testing.M) {
	if os.Getenv(benchWorkerEnv) == "1" {
		// WARDSTAT_BENCH_WORKER_CPUPROFILE=PREFIX writes each worker's CPU
		// profile to PREFIX.PID.
		if prefix := os.Getenv("WARDSTAT_BENCH_WORKER_CPUPROFILE"); prefix != "" {
			if f, err := os.Create(fmt.Sprintf("%s.%d", prefix, os.Getpid())); err == nil {
				pprof.StartCPUProfile(f)
			}
		}
		opt := warehouse.Options{ReadOnly: true, MemoryLimit: "160MB", Threads: min(2, runtime.NumCPU()), Checked: true}
		err := flight.RunWorker(context.Background(), os.Stdin, os.Stdout, func(ctx context.Context, path string) (*warehouse.Warehouse, error) {
			return warehouse.Open(ctx, path, opt)
		}, nil)
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, flight.WorkerPeakLine()) // as wardstat's worker: its own peak
		if err != nil {
			fmt.Fprintln(os.Stderr, flight.WorkerFailure(flight.WorkerError, err.Error()))
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// cpu is CPU time used (user and system): this process's, and its
// waited-for children's.
type cpu struct{ self, children time.Duration }

func cpuTimes() cpu {
	var self, kids syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	d := func(r syscall.Rusage) time.Duration {
		return time.Duration(r.Utime.Nano() + r.Stime.Nano())
	}
	return cpu{d(self), d(kids)}
}
