package schedules

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"wardstat/internal/testkit"
	"wardstat/transform"
	"wardstat/warehouse"
)

// TestBuildsNeverFailBesidePulls: 25 loopback sources on a cron of
// seconds, answering at any time of the second (one with new dossiers and
// a new ETag every third second, so its pulls load and save the source's
// state; 24 "not modified", so theirs write only the ledger) beside a
// build that publishes every second: over six builds (~10 s of real
// ticks) none fails, and the last snapshot reads. Before every write went
// through the runner's writer gate, a build's CHECKPOINT met a pull's
// ledger write ("Cannot CHECKPOINT: there are other write transactions
// active"): 2-5 of 7-8 builds failed in each of 4 runs. The log says how
// often the CHECKPOINT had to be retried (warehouse.Publish's net for a
// write outside the gate): 0 in runs with the gate, 0-5 without it.
func TestBuildsNeverFailBesidePulls(t *testing.T) {
	skipIfShort(t, "a daemon building beside pulls for seconds")
	dir := t.TempDir()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		// Answers come at any time of the second, as from slow ward
		// systems, so the pulls' ledger writes meet the builds anywhere.
		time.Sleep(time.Duration(rand.IntN(900)) * time.Millisecond)
		if r.URL.Query().Has("same") {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("ETag", fmt.Sprintf(`"v%d"`, n))
		ward := strings.TrimPrefix(r.URL.Path, "/")
		var recs []string
		for i := 1; i <= 40; i++ {
			day := 1 + int(n)%27
			recs = append(recs, fmt.Sprintf(`{"MaHoSo":"%s-2403%02d-%04d-%d","NgayTiepNhan":"202403%02d080000","NgayHenTra":"202403%02d170000","KenhThucHien":2,"TrangThaiHoSo":4}`,
				ward, day, i, n, day, day+1))
		}
		fmt.Fprint(w, `{"data":[`+strings.Join(recs, ",")+`]}`)
	}))
	defer srv.Close()
	var sources strings.Builder
	for i := 1; i <= 25; i++ {
		// One ward brings new dossiers every third second (a load takes
		// 0.3-2 s on a busy machine, and a build waits for it); 24
		// answer "not modified" every second: ledger writes, no load.
		query, spec := "?same", "*/1 * * * * *"
		if i == 1 {
			query, spec = "", "*/3 * * * * *"
		}
		fmt.Fprintf(&sources, "  - name: ward-%d\n    url: %s/H%02d%s\n    ward: H%02d\n    schedule: %q\n", i, srv.URL, i, query, i, spec)
	}
	cfg := writeConfig(t, dir, "warehouse: w.duckdb\nlisten: 127.0.0.1:0\nsources:\n"+sources.String()+
		"jobs:\n  build: {schedule: \"*/1 * * * * *\"}\n")
	// The warehouse's log says when a CHECKPOINT had to wait for a write
	// outside the gate (warehouse.Publish retries it).
	logs := &testkit.LockedBuffer{}
	w, err := warehouse.Open(context.Background(), cfg.Warehouse, warehouse.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r := NewRunner(cfg, w, transform.NewHasher([]byte("t")), RunnerOptions{BackoffBase: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, r, DaemonOptions{Ready: ready, Grace: 10 * time.Second}) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the daemon did not start")
	}
	// Until six builds have run (each build's ledger row is written
	// before and after it), at most 12 s on a loaded machine.
	for deadline := time.Now().Add(12 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var n int
		r.wh.DB().QueryRow(`SELECT count(*) FROM job_runs WHERE job = 'build' AND status <> 'running'`).Scan(&n)
		if n >= 6 {
			break
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the daemon did not stop")
	}

	var builds, failed, pulls, loaded int
	var firstErr string
	rows, err := r.wh.DB().Query(`SELECT job, status, coalesce(error, '') FROM job_runs ORDER BY run_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var job, status, msg string
		if err := rows.Scan(&job, &status, &msg); err != nil {
			t.Fatal(err)
		}
		switch {
		case job == JobBuild && status == StatusOK:
			builds++
		case job == JobBuild:
			failed++
			if firstErr == "" {
				firstErr = status + ": " + msg
			}
		case job == JobPull && status == StatusOK:
			pulls++
			loaded++
		case job == JobPull:
			pulls++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d builds ok, %d failed; %d pulls (%d loaded); CHECKPOINT retried beside a write outside the gate %d times",
		builds, failed, pulls, loaded, strings.Count(logs.String(), "checkpoint waited"))
	if failed > 0 {
		t.Errorf("%d of %d builds failed beside the pulls; first: %s", failed, builds+failed, firstErr)
	}
	if builds < 2 || loaded < 1 {
		t.Fatalf("too little ran to prove anything: %d builds, %d loading pulls", builds, loaded)
	}
	if _, err := os.Stat(cfg.Publish); err != nil {
		t.Fatalf("no snapshot: %v", err)
	}
	if err := checkSnapshot(cfg.Publish); err != nil {
		t.Fatalf("the snapshot does not read: %v", err)
	}
}
