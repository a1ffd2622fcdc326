package bench_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"wardstat/bench"
	"wardstat/ingest"
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
	opt  ingest.FileOptions
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
		{"XLSX", xlsxRows, xlsx, ingest.FileOptions{Hasher: h}},
		{"CSV, Windows-1258, our reader", csvRows, cp, ingest.FileOptions{Hasher: h, GoReader: true}},
	}
}

// loadOnce loads c into a fresh warehouse by Arrow or the appender and
// returns the seconds, the peak RSS in MiB over the load (Linux), and
// the load's counts.
func loadOnce(tb testing.TB, c goReaderCase, byArrow bool) (float64, int64, warehouse.LoadResult) {
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
	start := time.Now()
	res, err := ingest.File(ctx, w, c.path, c.opt)
	secs := time.Since(start).Seconds()
	if err != nil || res.Result.Loaded != int64(c.rows) {
		tb.Fatalf("%s (arrow %v): %v, loaded %d of %d", c.name, byArrow, err, res.Result.Loaded, c.rows)
	}
	return secs, peakRSSMiB(), res.Result
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
	type times struct{ appender, arrow []float64 }
	got := make([]times, len(cases))
	var rss [2]int64
	for r := range rounds {
		for i, c := range cases {
			// Alternate which way goes first.
			for k := range 2 {
				byArrow := (k+r)%2 == 1
				secs, peak, res := loadOnce(t, c, byArrow)
				t.Logf("round %d %s arrow=%v: %.2f s, peak RSS %d MiB, loaded %d rejected %d", r+1, c.name, byArrow, secs, peak, res.Loaded, res.Rejected)
				if byArrow {
					got[i].arrow = append(got[i].arrow, secs)
					rss[1] = max(rss[1], peak)
				} else {
					got[i].appender = append(got[i].appender, secs)
					rss[0] = max(rss[0], peak)
				}
			}
		}
	}
	var b strings.Builder
	b.WriteString("\n| input | rows | appender s (best, median) | Arrow s (best, median) | Arrow / appender (best; median) |\n|---|---|---|---|---|\n")
	for i, c := range cases {
		ap, ar := got[i].appender, got[i].arrow
		fmt.Fprintf(&b, "| %s | %d | %.2f, %.2f | %.2f, %.2f | %.3f; %.3f |\n", c.name, c.rows, slices.Min(ap), median(ap), slices.Min(ar), median(ar),
			slices.Min(ar)/slices.Min(ap), median(ar)/median(ap))
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
			b.Run(strings.Fields(c.name)[0]+"/"+way.name, func(b *testing.B) {
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
