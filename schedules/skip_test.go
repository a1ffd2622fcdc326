package schedules

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"wardstat/internal/testkit"
	"wardstat/transform"
	"wardstat/warehouse"
)

// TestSkippedTickIsLoggedAtInfo: a pull that outlasts its one-second cron
// tick makes the next ticks skip, and the daemon's log at Info says so,
// naming the job and the source; cron's own chatter stays below Info.
func TestSkippedTickIsLoggedAtInfo(t *testing.T) {
	skipIfShort(t, "a daemon ticking through a ten-second pull")
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // a ward system that answers slowly
		case <-release:
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		w.Header().Set("Content-Type", "text/csv")
		fmt.Fprint(w, exportCSV)
	}))
	defer srv.Close()
	defer close(release)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, fmt.Sprintf(`
warehouse: w.duckdb
listen: 127.0.0.1:0
sources:
  - name: cham
    url: %s/export.csv
    timeout: 30s
    schedule: "*/1 * * * * *"
`, srv.URL))
	w, err := warehouse.Open(context.Background(), cfg.Warehouse, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var logs testkit.LockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	r := NewRunner(cfg, w, transform.NewHasher([]byte("t")), RunnerOptions{Logger: log})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, r, DaemonOptions{Grace: 2 * time.Second}) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("the daemon did not stop")
		}
	}()

	type record struct {
		Level, Msg, Job, Source string
	}
	deadline := time.Now().Add(6 * time.Second)
	for {
		var skips []record
		for _, line := range logs.Lines() {
			var rec record
			if json.Unmarshal([]byte(line), &rec) == nil && strings.Contains(rec.Msg, "skip") {
				skips = append(skips, rec)
			}
		}
		if len(skips) >= 2 {
			for _, s := range skips {
				if s.Level != "INFO" || s.Job != JobPull || s.Source != "cham" {
					t.Errorf("a skipped tick logged as %+v, want INFO with job pull and source cham", s)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no skipped tick in the Info log after 6 one-second ticks of a pull that lasts 10 s:\n%s", strings.Join(logs.Lines(), "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, line := range logs.Lines() {
		if strings.Contains(line, `"msg":"cron: `) {
			t.Errorf("cron's chatter reached the Info log: %s", line)
		}
	}
}

// TestCatchUpAndTickNeverPullTogether: a catch-up run at start holds its
// task like a scheduled run: the ticks that come while it still pulls are
// skipped (and said at Info), never a second pull of the same source
// beside it.
func TestCatchUpAndTickNeverPullTogether(t *testing.T) {
	skipIfShort(t, "a daemon ticking through a slow catch-up pull")
	var inFlight, most atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		select {
		case <-r.Context().Done():
		case <-time.After(2500 * time.Millisecond):
		}
		w.Header().Set("Content-Type", "text/csv")
		fmt.Fprint(w, exportCSV)
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, fmt.Sprintf(`
warehouse: w.duckdb
listen: 127.0.0.1:0
sources:
  - name: cham
    url: %s/export.csv
    timeout: 30s
    schedule: "*/1 * * * * *"
`, srv.URL))
	w, err := warehouse.Open(context.Background(), cfg.Warehouse, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var logs testkit.LockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	r := NewRunner(cfg, w, transform.NewHasher([]byte("t")), RunnerOptions{Logger: log})
	// The last scheduled run was a minute ago: the daemon catches up at start.
	old := r.now().Add(-time.Minute).Truncate(time.Second)
	id, err := r.ledger.start(context.Background(), JobPull, "cham", TriggerSchedule, old, old)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.ledger.finish(id, Run{Status: StatusOK}, old); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, r, DaemonOptions{Grace: 5 * time.Second}) }()
	time.Sleep(2 * time.Second) // two ticks while the catch-up pulls
	waitIdle := time.Now().Add(5 * time.Second)
	for inFlight.Load() > 0 && time.Now().Before(waitIdle) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the daemon did not stop")
	}
	if most.Load() != 1 {
		t.Errorf("%d pulls of the same source ran at once", most.Load())
	}
	var skips int
	for _, line := range logs.Lines() {
		if strings.Contains(line, `"level":"INFO"`) && strings.Contains(line, "skipped") && strings.Contains(line, `"source":"cham"`) {
			skips++
		}
	}
	if skips == 0 {
		t.Errorf("no skipped tick logged while the catch-up ran:\n%s", strings.Join(logs.Lines(), "\n"))
	}
}
