package warehouse_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wardstat/pipeline"
	"wardstat/warehouse"
)

// TestLoadsBackToBackUnderCPUPressure loads files back to back while busy
// goroutines hold every core and the garbage collector runs all the time:
// in a kill series, about one load in twenty died by SIGSEGV while it
// sampled dates, with DuckDB's threads calling the applicant hasher (a Go
// function), the file's identity looked up on another connection, and
// the load stopped when that identity says the file was loaded before.
// Each night here is loaded cancelled at some moment, then whole, then
// again (stopped by its identity). A crash kills the test binary.
// Short: 2 nights; WARDSTAT_STRESS=N runs N.
func TestLoadsBackToBackUnderCPUPressure(t *testing.T) {
	skipIfShort(t, "stress: loads under CPU and GC pressure")
	loads := 2
	if n, err := strconv.Atoi(os.Getenv("WARDSTAT_STRESS")); err == nil && n > 0 {
		loads = n
	}
	dir := t.TempDir()
	w, err := warehouse.Open(context.Background(), filepath.Join(dir, "w.duckdb"), warehouse.Options{Threads: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	stop := make(chan struct{})
	var busy sync.WaitGroup
	var spins atomic.Int64
	for range runtime.GOMAXPROCS(0) + 1 {
		busy.Add(1)
		go func() {
			defer busy.Done()
			var junk [][]byte
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				// Garbage, so that the collector runs and moves on.
				junk = append(junk, make([]byte, 4096))
				if len(junk) > 256 {
					junk = junk[:0]
				}
				if i%1024 == 0 {
					spins.Add(1)
				}
			}
		}()
	}
	busy.Add(1)
	go func() {
		defer busy.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				runtime.GC()
			}
		}
	}()
	defer func() { close(stop); busy.Wait() }()

	for i := range loads {
		// Each night's export differs (a new file, so loaded anew) and
		// mixes date styles, so that sampling tries many formats.
		p := filepath.Join(dir, fmt.Sprintf("night%d.csv", i))
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(f, "Mã hồ sơ,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Trạng thái,Họ tên,Số CCCD,Số điện thoại,Email")
		base := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
		const rows = 20_000
		for r := range rows {
			at := base.Add(time.Duration(r*7+i) * time.Minute)
			received := at.Format("02/01/2006 15:04")
			if r%3 == 0 {
				received = at.Format("2006-01-02T15:04:05")
			}
			fmt.Fprintf(f, "K01-%d-%06d,%s,%s,%s,Đã trả kết quả,Người Thứ %d,0%011d,09%08d,nguoi%d@example.vn\n", i, r,
				received, at.AddDate(0, 0, 5).Format("02/01/2006"), at.AddDate(0, 0, 3).Format("2006-01-02 15:04"), r, r, r, r)
		}
		f.Close()
		// A load cancelled at some moment (as by Ctrl-C or a timeout):
		// DuckDB is interrupted wherever it is.
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%7)*150*time.Millisecond)
		if res, err := pipeline.File(ctx, w, p, pipeline.FileOptions{Ward: "K01", Hasher: testHasher}); err == nil && res.Result.Loaded != rows {
			t.Fatalf("load %d, cancelled but not stopped: %+v", i, res.Result)
		}
		cancel()
		if n := queryInt(t, w.DB(), `SELECT count(*) FROM dossiers WHERE dossier_code LIKE ?`, fmt.Sprintf("K01-%d-%%", i)); n != 0 && n != rows {
			t.Fatalf("load %d cancelled: %d dossiers", i, n)
		}
		res := mustIngest(t, w, p, pipeline.FileOptions{Ward: "K01"})
		if res.AlreadyLoaded == nil && (res.Loaded != rows || res.Rejected != 0) {
			t.Fatalf("load %d: %+v", i, res)
		}
		// The same file again: its identity, found beside the typing,
		// stops the typing pass wherever it is.
		if again := mustIngest(t, w, p, pipeline.FileOptions{Ward: "K01"}); again.AlreadyLoaded == nil {
			t.Fatalf("load %d again: %+v", i, again)
		}
		os.Remove(p)
	}
	if n := queryInt(t, w.DB(), `SELECT count(DISTINCT applicant_key) FROM dossiers`); n != 20_000 {
		t.Fatalf("applicants: %d, want 20000 (the same people every night)", n)
	}
	t.Logf("%d loads, %d busy spins", loads, spins.Load())
}
