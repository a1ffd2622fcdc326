package schedules

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestHealthIsTheLatestRun fills the ledger with real pulls from a
// loopback server (a failure, then a success, then an unchanged export)
// and checks that each source's health is its latest run's: the error of
// an older failure is never shown as the last error (DuckDB's arg_max
// skips NULLs, so "the latest error" was the latest non-NULL one), but is
// kept, with its time, as the last failure.
func TestHealthIsTheLatestRun(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, exportJSON(5))
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, fmt.Sprintf(`
warehouse: w.duckdb
sources:
  - name: an-binh
    url: %s/export
    retries: 1
    schedule: "0 1 * * *"
  - name: never
    path: drop
    schedule: "0 1 * * *"
`, srv.URL))
	r := openRunner(t, cfg, nil)
	ctx := context.Background()
	loc := cfg.Location()
	clock := time.Date(2026, 12, 5, 1, 0, 0, 0, loc)
	r.Now = func() time.Time { return clock }
	pullAt := func(at time.Time) Run {
		t.Helper()
		clock = at
		res, _ := r.Pull(ctx, "an-binh", TriggerSchedule, at)
		return res.Run
	}
	health := func() map[string]SourceHealth {
		t.Helper()
		hs, err := r.Health(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]SourceHealth{}
		for _, h := range hs {
			out[h.Source] = h
		}
		return out
	}

	failedAt := time.Date(2026, 12, 5, 1, 0, 0, 0, loc)
	if run := pullAt(failedAt); run.Status != StatusFailed || !strings.Contains(run.Error, "503") {
		t.Fatalf("the first pull must fail on the 503: %+v", run)
	}
	h := health()["an-binh"]
	if h.LastStatus != StatusFailed || !strings.Contains(h.LastError, "503") || h.LastFailure == nil || !h.LastFailure.Equal(failedAt) {
		t.Fatalf("after the failure: %+v", h)
	}

	down.Store(false)
	okAt := time.Date(2026, 12, 6, 1, 0, 0, 0, loc)
	if run := pullAt(okAt); run.Status != StatusOK || run.RowsLoaded != 50 {
		t.Fatalf("the second pull must load the export: %+v", run)
	}
	unchangedAt := time.Date(2026, 12, 7, 1, 0, 0, 0, loc)
	if run := pullAt(unchangedAt); run.Status != StatusUnchanged {
		t.Fatalf("the third pull brings the same export: %+v", run)
	}
	clock = time.Date(2026, 12, 7, 8, 0, 0, 0, loc)
	all := health()
	h = all["an-binh"]
	if h.LastStatus != StatusUnchanged || h.LastError != "" {
		t.Errorf("the latest run was unchanged, so there is no last error; got status %q, error %q", h.LastStatus, h.LastError)
	}
	if h.LastRun == nil || !h.LastRun.Equal(unchangedAt) {
		t.Errorf("last run %v, want %v", h.LastRun, unchangedAt)
	}
	if h.LastFailure == nil || !h.LastFailure.Equal(failedAt) || !strings.Contains(h.LastFailureError, "503") {
		t.Errorf("the older failure is kept with its own time: %v %q", h.LastFailure, h.LastFailureError)
	}
	if h.LastNewData == nil || !h.LastNewData.Equal(okAt) || h.Level != "ok" {
		t.Errorf("new data came with the run of %v: %v, level %s", okAt, h.LastNewData, h.Level)
	}
	if n := all["never"]; n.LastRun != nil || n.LastStatus != "" || n.LastError != "" || n.LastFailure != nil || n.Level != "error" {
		t.Errorf("a source never pulled has no run: %+v", n)
	}

	runs, err := r.Runs(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 || runs[0].Status != StatusUnchanged || runs[1].RowsLoaded != 50 || runs[2].Status != StatusFailed {
		t.Fatalf("the ledger's runs, newest first: %+v", runs)
	}
}
