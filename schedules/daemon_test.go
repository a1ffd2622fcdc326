package schedules

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wardstat/internal/testkit/whtest"
	"wardstat/transform"
	"wardstat/warehouse"
)

func writeConfig(t *testing.T, dir, body string) *Config {
	t.Helper()
	p := filepath.Join(dir, "wardstat.yml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func openRunner(t *testing.T, cfg *Config, m *Metrics) *Runner {
	t.Helper()
	if _, err := os.Stat(cfg.Warehouse); errors.Is(err, fs.ErrNotExist) {
		whtest.At(t, cfg.Warehouse) // a fresh one, migrated once per test binary
	}
	w, err := warehouse.Open(context.Background(), cfg.Warehouse, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return NewRunner(cfg, w, transform.NewHasher([]byte("t")), RunnerOptions{Metrics: m, BackoffBase: 5 * time.Millisecond})
}

func exportJSON(day int) string {
	var recs []string
	for i := 1; i <= 50; i++ {
		recs = append(recs, fmt.Sprintf(`{"MaHoSo":"H07.01-2403%02d-%04d","NgayTiepNhan":"202403%02d080000","NgayHenTra":"202403%02d170000","KenhThucHien":2,"TrangThaiHoSo":4}`, day, i, day, day+3))
	}
	return `{"data":[` + strings.Join(recs, ",") + `]}`
}

// TestDaemonRunsTheNightUnattended: healthy HTTP and drop-folder sources
// land, a failing one is retried, recorded and flagged, the jobs build and
// publish, and an analyst queries the published snapshot throughout.
func TestDaemonRunsTheNightUnattended(t *testing.T) {
	skipIfShort(t, "a daemon night against a loopback server")
	dir := t.TempDir()
	var brokenCalls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/good", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, exportJSON(5))
	})
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		brokenCalls.Add(1)
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	drop := filepath.Join(dir, "drop")
	os.MkdirAll(drop, 0o755)
	os.WriteFile(filepath.Join(drop, "good.csv"), []byte("Mã hồ sơ,Ngày tiếp nhận,Hình thức nộp\nH08.01-240301-0001,01/03/2024,Trực tiếp\nH08.01-240301-0002,01/03/2024,BCCI\n"), 0o644)
	os.WriteFile(filepath.Join(drop, "bad.csv"), []byte("Thủ tục,Ngày tiếp nhận\nKhai sinh,01/03/2024\n"), 0o644)

	cfg := writeConfig(t, dir, fmt.Sprintf(`
warehouse: w.duckdb
listen: 127.0.0.1:0
sources:
  - name: good-http
    url: %[1]s/good
    schedule: "*/1 * * * * *"
  - name: broken-http
    url: %[1]s/broken
    retries: 2
    schedule: "*/1 * * * * *"
  - name: drop
    path: drop
    settle: 100ms
    schedule: "*/1 * * * * *"
jobs:
  build: {schedule: "*/1 * * * * *"}
  export: {schedule: "*/2 * * * * *"}
  report: {schedule: "*/2 * * * * *"}
`, srv.URL))
	m := NewMetrics()
	r := openRunner(t, cfg, m)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, r, DaemonOptions{Ready: ready, Grace: 5 * time.Second}) }()
	addr := <-ready

	// An analyst queries the published snapshot throughout.
	var queries, readerErrs atomic.Int32
	var firstReaderErr atomic.Value
	stopReader := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stopReader:
				return
			default:
			}
			if _, err := os.Stat(cfg.Publish); err != nil {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			if err := checkSnapshot(cfg.Publish); err != nil {
				readerErrs.Add(1)
				firstReaderErr.CompareAndSwap(nil, err)
			}
			queries.Add(1)
		}
	}()

	// A wait, not a speed test: the night's first export makes the whole
	// lake, beside the other packages' tests on a shared CI machine.
	deadline := time.Now().Add(90 * time.Second)
	var runs struct {
		Runs    []Run          `json:"runs"`
		Sources []SourceHealth `json:"sources"`
	}
	for {
		runs.Runs, runs.Sources = nil, nil
		getJSON(t, "http://"+addr+"/runs?limit=500", &runs)
		if hasRun(runs.Runs, JobPull, "good-http", StatusOK) && hasRun(runs.Runs, JobPull, "broken-http", StatusFailed) &&
			hasRun(runs.Runs, JobPull, "drop", StatusFailed) && hasRun(runs.Runs, JobBuild, "", StatusOK) &&
			hasRun(runs.Runs, JobExport, "", StatusOK) && hasRun(runs.Runs, JobReport, "", StatusOK) && queries.Load() > 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the night did not happen in time; runs: %+v", runs.Runs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	close(stopReader)
	wg.Wait()
	if readerErrs.Load() > 0 {
		t.Errorf("%d of %d reader queries failed; first: %v", readerErrs.Load(), queries.Load(), firstReaderErr.Load())
	}
	if brokenCalls.Load() < 3 {
		t.Errorf("the failing source must be retried: %d calls", brokenCalls.Load())
	}
	for _, h := range runs.Sources {
		want := map[string]string{"good-http": "ok", "broken-http": "error", "drop": "ok"}[h.Source]
		if h.Level != want {
			t.Errorf("%s freshness %s, want %s (%+v)", h.Source, h.Level, want, h)
		}
	}
	metrics := getText(t, "http://"+addr+"/metrics")
	for _, want := range []string{`wardstat_source_stale{source="broken-http"} 2`, `wardstat_rows_loaded_total{source="good-http"} 50`,
		`wardstat_runs_total{job="pull",source="broken-http",status="failed"}`, `wardstat_last_success_timestamp_seconds{job="build",source=""}`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if getText(t, "http://"+addr+"/healthz") != "ok\n" {
		t.Error("healthz")
	}
	if _, err := os.Stat(filepath.Join(drop, DoneDir, "good.csv")); err != nil {
		t.Errorf("the loaded file moves to done/: %v", err)
	}
	reason, err := os.ReadFile(filepath.Join(drop, FailedDir, "bad.csv.reason"))
	if err != nil || !strings.Contains(string(reason), "không có cột cho dossier_code") {
		t.Errorf("the refused file moves to failed/ with its reason: %q %v", reason, err)
	}
	for _, f := range []string{"parquet/ward_month.parquet", "parquet/_schema/mart_ward_month.md", "reports/nguon-du-lieu.csv"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("job output %s: %v", f, err)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	var n int64
	r.wh.DB().QueryRow(`SELECT count(*) FROM dossiers`).Scan(&n)
	if n != 52 {
		t.Fatalf("dossiers: %d, want 52", n)
	}
}

func checkSnapshot(path string) error {
	w, err := warehouse.Open(context.Background(), path, warehouse.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer w.Close()
	var broken sql.NullInt64
	return w.DB().QueryRow(`SELECT count(*) FILTER (WHERE received_total <> resolved_total + withdrawn + pending_total)
		FROM report_form('2024-01-01', '2024-12-31')`).Scan(&broken)
}

func hasRun(runs []Run, job, source, status string) bool {
	for _, r := range runs {
		if r.Job == job && r.Source == source && r.Status == status {
			return true
		}
	}
	return false
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(getText(t, url)), v); err != nil {
		t.Fatal(err)
	}
}

func getText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestDaemonCatchesUpAMissedRun: a daily run whose last scheduled time is
// two days old runs once when the daemon starts, for the latest missed time.
func TestDaemonCatchesUpAMissedRun(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "drop"), 0o755)
	cfg := writeConfig(t, dir, `
warehouse: w.duckdb
listen: 127.0.0.1:0
sources:
  - name: drop
    path: drop
    settle: 10ms
    schedule: "0 1 * * *"
`)
	r := openRunner(t, cfg, nil)
	now := time.Now().In(cfg.Location())
	old := time.Date(now.Year(), now.Month(), now.Day(), 1, 0, 0, 0, cfg.Location()).AddDate(0, 0, -3)
	if _, err := r.ledger.start(context.Background(), JobPull, "drop", TriggerSchedule, old, old); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, r, DaemonOptions{Ready: ready}) }()
	<-ready
	want := time.Date(now.Year(), now.Month(), now.Day(), 1, 0, 0, 0, cfg.Location())
	if now.Hour() < 1 {
		want = want.AddDate(0, 0, -1)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		runs, _ := r.Runs(context.Background(), 10)
		var catchUps []Run
		for _, x := range runs {
			if x.Trigger == TriggerCatchUp {
				catchUps = append(catchUps, x)
			}
		}
		if len(catchUps) == 1 && catchUps[0].Status != StatusRunning {
			if !catchUps[0].ScheduledFor.Equal(want) {
				t.Fatalf("caught up for %s, want %s", catchUps[0].ScheduledFor, want)
			}
			break
		}
		if len(catchUps) > 1 {
			t.Fatalf("a missed run must run once, not %d times", len(catchUps))
		}
		if time.Now().After(deadline) {
			t.Fatalf("no catch-up run: %+v", runs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The first run's row, left "running" as by a killed process, is closed.
	var st string
	r.wh.DB().QueryRow(`SELECT status FROM job_runs WHERE trigger = 'schedule'`).Scan(&st)
	if st != StatusInterrupted {
		t.Errorf("a run left open is marked interrupted, got %q", st)
	}
	cancel()
	<-done
}
