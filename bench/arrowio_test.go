package bench_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"wardstat/bench"
	"wardstat/ingest"
	"wardstat/internal/gotune"
	"wardstat/pipeline"
	"wardstat/transform"
	"wardstat/warehouse"
)

// Issue #18, "Arrow on the way in too": the rows of wardstat's own readers
// (XLSX, and a Windows-1258 CSV read by our reader) reach DuckDB through
// the appender or as Arrow record batches (warehouse.StageByArrow). Both
// are timed end to end, in the same process, rounds alternating.

// goReaderCase is one input our readers read.
type goReaderCase struct {
	name string
	rows int
	path string
	opt  pipeline.FileOptions
}

// goReaderCases writes (or finds, in dir) the inputs: the bench's XLSX
// and its CSV in Windows-1258, which our reader reads (GoReader: not the
// UTF-8 copy DuckDB reads when the first rows allow it).
func goReaderCases(tb testing.TB, dir string, xlsxRows, csvRows int) []goReaderCase {
	tb.Helper()
	xlsx := filepath.Join(dir, fmt.Sprintf("arrowio-%d.xlsx", xlsxRows))
	csv := filepath.Join(dir, fmt.Sprintf("arrowio-%d.csv", csvRows))
	cp := filepath.Join(dir, fmt.Sprintf("arrowio-%d-cp1258.csv", csvRows))
	gen := func(path string, write func() (int64, error)) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if _, err := write(); err != nil {
			tb.Fatal(err)
		}
	}
	gen(xlsx, func() (int64, error) { return bench.WriteXLSX(xlsx, xlsxRows, 1) })
	gen(cp, func() (int64, error) {
		if _, err := bench.WriteCSV(csv, csvRows, 1); err != nil {
			return 0, err
		}
		defer os.Remove(csv)
		return bench.WriteWindows1258(csv, cp)
	})
	h := transform.NewHasher([]byte("b"))
	return []goReaderCase{
		{"XLSX", xlsxRows, xlsx, pipeline.FileOptions{Hasher: h}},
		{"CSV, Windows-1258, our reader", csvRows, cp, pipeline.FileOptions{Hasher: h, GoReader: true}},
	}
}

// loadOnce loads c into a fresh warehouse by Arrow or the appender and
// returns the seconds, the peak RSS in MiB over the load (Linux), and
// the load's counts; cpu (when not nil) gets the process's CPU seconds
// over the load, steadier than the wall time on a shared machine.
func loadOnce(tb testing.TB, c goReaderCase, byArrow bool, cpu ...*float64) (float64, int64, warehouse.LoadResult) {
	tb.Helper()
	was := warehouse.StageByArrow(byArrow)
	defer warehouse.StageByArrow(was)
	dir, err := os.MkdirTemp("", "arrowio-w-")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(dir)
	w, err := warehouse.Open(context.Background(), filepath.Join(dir, "w.duckdb"), warehouse.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer w.Close()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // resets VmHWM; best effort
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	start, cpu0 := time.Now(), cpuSeconds()
	res, err := pipeline.File(ctx, w, c.path, c.opt)
	secs := time.Since(start).Seconds()
	for _, p := range cpu {
		*p = cpuSeconds() - cpu0
	}
	if err != nil || res.Result.Loaded != int64(c.rows) {
		tb.Fatalf("%s (arrow %v): %v, loaded %d of %d", c.name, byArrow, err, res.Result.Loaded, c.rows)
	}
	return secs, peakRSSMiB(), res.Result
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func peakRSSMiB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb / 1024
		}
	}
	return 0
}

// TestArrowVersusAppender times both ways in at the sizes (200 k
// XLSX rows, 1 M CSV rows; WARDSTAT_ARROWBENCH_SCALE scales them), rounds
// alternating (WARDSTAT_ARROWBENCH_ROUNDS, 3), inputs kept in
// WARDSTAT_ARROWBENCH_DIR: WARDSTAT_ARROWBENCH=1 go test -tags=duckdb_arrow
// -run ArrowVersusAppender -v -timeout 60m ./bench. Both ways must load
// the same counts.
func TestArrowVersusAppender(t *testing.T) {
	if os.Getenv("WARDSTAT_ARROWBENCH") == "" {
		t.Skip("several minutes: WARDSTAT_ARROWBENCH=1")
	}
	was := warehouse.StageByArrow(true)
	defer warehouse.StageByArrow(was)
	if !warehouse.StagesByArrow() {
		t.Skip("built without -tags=duckdb_arrow: no Arrow path")
	}
	gotune.Apply() // wardstat's heap settings, for its peak RSS
	scale, rounds := 1.0, 3
	if s, err := strconv.ParseFloat(os.Getenv("WARDSTAT_ARROWBENCH_SCALE"), 64); err == nil && s > 0 {
		scale = s
	}
	if r, err := strconv.Atoi(os.Getenv("WARDSTAT_ARROWBENCH_ROUNDS")); err == nil && r > 0 {
		rounds = r
	}
	dir := os.Getenv("WARDSTAT_ARROWBENCH_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	cases := goReaderCases(t, dir, int(200_000*scale), int(1_000_000*scale))
	type times struct{ appender, arrow, appenderCPU, arrowCPU []float64 }
	got := make([]times, len(cases))
	var rss [2]int64
	for r := range rounds {
		for i, c := range cases {
			// Alternate which way goes first.
			for k := range 2 {
				byArrow := (k+r)%2 == 1
				var cpu float64
				secs, peak, res := loadOnce(t, c, byArrow, &cpu)
				t.Logf("round %d %s arrow=%v: %.2f s (CPU %.2f s), peak RSS %d MiB, loaded %d rejected %d", r+1, c.name, byArrow, secs, cpu, peak, res.Loaded, res.Rejected)
				if byArrow {
					got[i].arrow = append(got[i].arrow, secs)
					got[i].arrowCPU = append(got[i].arrowCPU, cpu)
					rss[1] = max(rss[1], peak)
				} else {
					got[i].appender = append(got[i].appender, secs)
					got[i].appenderCPU = append(got[i].appenderCPU, cpu)
					rss[0] = max(rss[0], peak)
				}
			}
		}
	}
	var b strings.Builder
	b.WriteString("\n| input | rows | appender s (best, median) | Arrow s (best, median) | Arrow / appender (best; median) | CPU s appender, Arrow (median) | CPU ratio |\n|---|---|---|---|---|---|---|\n")
	for i, c := range cases {
		ap, ar := got[i].appender, got[i].arrow
		fmt.Fprintf(&b, "| %s | %d | %.2f, %.2f | %.2f, %.2f | %.3f; %.3f | %.2f, %.2f | %.3f |\n", c.name, c.rows, slices.Min(ap), median(ap), slices.Min(ar), median(ar),
			slices.Min(ar)/slices.Min(ap), median(ar)/median(ap), median(got[i].appenderCPU), median(got[i].arrowCPU), median(got[i].arrowCPU)/median(got[i].appenderCPU))
	}
	fmt.Fprintf(&b, "peak RSS over a load: appender %d MiB, Arrow %d MiB (%d rounds)\n", rss[0], rss[1], rounds)
	t.Log(b.String())
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// The Go benchmarks of `make bench`, at small sizes: each Go-read input
// by the appender and by Arrow.
func BenchmarkGoReaderStaging(b *testing.B) {
	cases := goReaderCases(b, b.TempDir(), 10_000, 50_000)
	for _, c := range cases {
		for _, way := range []struct {
			name    string
			byArrow bool
		}{{"appender", false}, {"arrow", true}} {
			b.Run(map[bool]string{true: "xlsx", false: "csv-cp1258"}[strings.HasSuffix(c.path, ".xlsx")]+"/"+way.name, func(b *testing.B) {
				was := warehouse.StageByArrow(way.byArrow)
				defer warehouse.StageByArrow(was)
				if way.byArrow && !warehouse.StagesByArrow() {
					b.Skip("built without -tags=duckdb_arrow")
				}
				for range b.N {
					loadOnce(b, c, way.byArrow)
				}
				b.ReportMetric(float64(c.rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}

// TestUTF8CSVOurReaderVersusDuckDB measures the other idea: a
// UTF-8 CSV read by a reader of ours that hands numbered Arrow batches to
// DuckDB (one write), against today's load by DuckDB's own reader (which
// writes the rows twice to number them), and our reader alone (reading
// every row, no load: what a reader of ours costs before any write).
// Measured only; same switches as TestArrowVersusAppender.
func TestUTF8CSVOurReaderVersusDuckDB(t *testing.T) {
	if os.Getenv("WARDSTAT_ARROWBENCH") == "" {
		t.Skip("several minutes: WARDSTAT_ARROWBENCH=1")
	}
	was := warehouse.StageByArrow(true)
	defer warehouse.StageByArrow(was)
	if !warehouse.StagesByArrow() {
		t.Skip("built without -tags=duckdb_arrow: no Arrow path")
	}
	gotune.Apply() // wardstat's heap settings, for its peak RSS
	scale, rounds := 1.0, 3
	if s, err := strconv.ParseFloat(os.Getenv("WARDSTAT_ARROWBENCH_SCALE"), 64); err == nil && s > 0 {
		scale = s
	}
	if r, err := strconv.Atoi(os.Getenv("WARDSTAT_ARROWBENCH_ROUNDS")); err == nil && r > 0 {
		rounds = r
	}
	dir := os.Getenv("WARDSTAT_ARROWBENCH_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	n := int(1_000_000 * scale)
	path := filepath.Join(dir, fmt.Sprintf("arrowio-%d-utf8.csv", n))
	if _, err := os.Stat(path); err != nil {
		if _, err := bench.WriteCSV(path, n, 1); err != nil {
			t.Fatal(err)
		}
	}
	h := transform.NewHasher([]byte("b"))
	duck := goReaderCase{"UTF-8 CSV, DuckDB's reader (today)", n, path, pipeline.FileOptions{Hasher: h}}
	ours := goReaderCase{"UTF-8 CSV, our reader, Arrow batches", n, path, pipeline.FileOptions{Hasher: h, GoReader: true}}
	readAlone := func() float64 {
		start := time.Now()
		r, err := ingest.OpenCSV(path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		rows := 0
		for ; ; rows++ {
			if _, err := r.Next(); err != nil {
				break
			}
		}
		if rows != n+1 {
			t.Fatalf("our reader read %d records of %d", rows, n+1)
		}
		return time.Since(start).Seconds()
	}
	var d, o, a []float64
	for r := range rounds {
		var cd, co float64
		secs, _, resD := loadOnce(t, duck, true, &cd)
		d = append(d, secs)
		secs, _, resO := loadOnce(t, ours, true, &co)
		o = append(o, secs)
		c0 := cpuSeconds()
		a = append(a, readAlone())
		t.Logf("round %d: DuckDB's reader %.2f s (CPU %.2f s), ours by Arrow %.2f s (CPU %.2f s), ours reading alone %.2f s (CPU %.2f s)", r+1, d[r], cd, o[r], co, a[r], cpuSeconds()-c0)
		if resD.Loaded != resO.Loaded || resD.Rejected != resO.Rejected {
			t.Errorf("DuckDB's reader loaded %d (rejected %d), ours %d (%d)", resD.Loaded, resD.Rejected, resO.Loaded, resO.Rejected)
		}
	}
	t.Logf("\n| %d-row UTF-8 CSV | best s | median s | / today (best) |\n|---|---|---|---|\n| today: DuckDB's reader, rows written twice | %.2f | %.2f | 1 |\n| our reader, numbered Arrow batches, one write | %.2f | %.2f | %.2f× |\n| our reader alone, no load | %.2f | %.2f | %.2f× |\n",
		n, slices.Min(d), median(d), slices.Min(o), median(o), slices.Min(o)/slices.Min(d), slices.Min(a), median(a), slices.Min(a)/slices.Min(d))
}
