package schedules

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"wardstat/transform"
	"wardstat/warehouse"
)

// lockedBuffer is a log sink the daemon's goroutines write to at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSpace(l.b.String()), "\n")
}

// TestSkippedTickIsLoggedAtInfo: a pull that outlasts its one-second cron
// tick makes the next ticks skip, and the daemon's log at Info says so,
// naming the job and the source; cron's own chatter stays below Info.
func TestSkippedTickIsLoggedAtInfo(t *testing.T) {
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
	var logs lockedBuffer
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
		for _, line := range logs.lines() {
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
			t.Fatalf("no skipped tick in the Info log after 6 one-second ticks of a pull that lasts 10 s:\n%s", strings.Join(logs.lines(), "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, line := range logs.lines() {
		if strings.Contains(line, `"msg":"cron: `) {
			t.Errorf("cron's chatter reached the Info log: %s", line)
		}
	}
}
