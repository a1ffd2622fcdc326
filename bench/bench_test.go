package bench_test

import (
	"context"
	"path/filepath"
	"testing"

	"wardstat/bench"
	"wardstat/pipeline"
	"wardstat/transform"
	"wardstat/warehouse"
)

// Go benchmarks of the load paths on small generated inputs (go test -bench .
// ./bench); `make bench` runs the full-size comparison against the floors.

func benchIngest(b *testing.B, write func(string, int, uint64) (int64, error), name string, n int) {
	dir := b.TempDir()
	path := filepath.Join(dir, name)
	size, err := write(path, n, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w, err := warehouse.Open(context.Background(), filepath.Join(b.TempDir(), "w.duckdb"), warehouse.Options{})
		if err != nil {
			b.Fatal(err)
		}
		res, err := pipeline.File(context.Background(), w, path, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("b"))})
		w.Close()
		if err != nil || res.Result.Loaded != int64(n) {
			b.Fatalf("%v %+v", err, res.Result)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkIngestCSV(b *testing.B)  { benchIngest(b, bench.WriteCSV, "d.csv", 50_000) }
func BenchmarkIngestJSON(b *testing.B) { benchIngest(b, bench.WriteJSON, "d.json", 50_000) }
func BenchmarkIngestXLSX(b *testing.B) { benchIngest(b, bench.WriteXLSX, "d.xlsx", 10_000) }
