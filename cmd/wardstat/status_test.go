package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"wardstat/internal/testkit"
)

// statusExport is a ward's CSV export of n dossiers.
func statusExport(n int) string {
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Ngày tiếp nhận,Hình thức nộp\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "H08.01-240301-%04d,01/03/2024,Trực tiếp\n", i)
	}
	return b.String()
}

// tables reads the aligned tables of a command's output: each is its
// rows, each row its cells by header. A table is a header line, a rule of
// ─ under each column, and lines up to a blank one.
func tables(out string) [][]map[string]string {
	lines := strings.Split(out, "\n")
	var all [][]map[string]string
	for i := 1; i < len(lines); i++ {
		rule := []rune(lines[i])
		if len(rule) == 0 || rule[0] != '─' {
			continue
		}
		var spans [][2]int
		for j := 0; j < len(rule); {
			if rule[j] != '─' {
				j++
				continue
			}
			k := j
			for k < len(rule) && rule[k] == '─' {
				k++
			}
			spans = append(spans, [2]int{j, k})
			j = k
		}
		cell := func(line []rune, s [2]int) string {
			if s[0] >= len(line) {
				return ""
			}
			return strings.TrimSpace(string(line[s[0]:min(s[1], len(line))]))
		}
		header := []rune(lines[i-1])
		var table []map[string]string
		for _, l := range lines[i+1:] {
			if strings.TrimSpace(l) == "" {
				break
			}
			row := map[string]string{}
			for j, s := range spans {
				if j == len(spans)-1 {
					s[1] = len([]rune(l)) // the last column runs to the line's end
				}
				row[cell(header, spans[j])] = cell([]rune(l), s)
			}
			table = append(table, row)
		}
		all = append(all, table)
	}
	return all
}

// rowWhere is the first row of any table whose column holds value.
func rowWhere(out, column, value string) map[string]string {
	for _, table := range tables(out) {
		for _, row := range table {
			if v, ok := row[column]; ok && v == value {
				return row
			}
		}
	}
	return nil
}

// TestStatusTellsTheTruth fills the ledger with real pulls from a
// loopback server (a failure, then a load, then an unchanged export, and
// a pull killed in the middle) and checks what status says, with the
// sources' token unset: each source's latest run and its error (not an
// older one), the killed run as interrupted, a source never pulled, the
// latest runs with their row counts; the same without --config; and,
// while the daemon holds the warehouse, the snapshot the configuration
// publishes at its own publish: path.
func TestStatusTellsTheTruth(t *testing.T) {
	skipIfShort(t, "a daemon night against a loopback server")
	t.Setenv("WARDSTAT_PII_KEY", "status")
	t.Setenv("WARDSTAT_TEST_ANBINH_TOKEN", "sekret")
	var down atomic.Bool
	down.Store(true)
	slowStarted := make(chan struct{}, 1)
	release := make(chan struct{})
	defer close(release)
	mux := http.NewServeMux()
	mux.HandleFunc("/an-binh", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer sekret" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		if down.Load() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/csv")
		fmt.Fprint(w, statusExport(30))
	})
	mux.HandleFunc("/cham", func(w http.ResponseWriter, r *http.Request) {
		select {
		case slowStarted <- struct{}{}:
		default:
		}
		select { // stalls until the client is gone
		case <-r.Context().Done():
		case <-release:
		case <-time.After(30 * time.Second):
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "drop-moi"), 0o755)
	cfgPath := filepath.Join(dir, "wardstat.yml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf(`warehouse: w.duckdb
publish: analysts/snap.duckdb
listen: 127.0.0.1:0
sources:
  - name: an-binh
    url: %[1]s/an-binh
    token_env: WARDSTAT_TEST_ANBINH_TOKEN
    schedule: "0 1 * * *"
  - name: cham
    url: %[1]s/cham
    timeout: 30s
    schedule: "0 1 * * *"
  - name: moi
    path: drop-moi
    schedule: "0 1 * * *"
jobs:
  build: {schedule: "30 2 * * *"}
`, srv.URL)), 0o644)
	db := filepath.Join(dir, "w.duckdb")

	if _, _, err := run(t, "--lang", "en", "status", "--config", cfgPath); err == nil || !strings.Contains(err.Error(), "nothing of "+cfgPath+" has run; start with wardstat run --config") {
		t.Errorf("status before any run: %v", err)
	}

	// The ledger: a failure, a load of 30 rows, an unchanged export.
	if _, _, err := run(t, "run", "--config", cfgPath, "--source", "an-binh"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("the first pull must fail on the 404: %v", err)
	}
	down.Store(false)
	if out := mustRun(t, "--lang", "en", "run", "--config", cfgPath, "--source", "an-binh"); !strings.Contains(out, "an-binh: ok · 1 files · loaded 30") {
		t.Fatalf("the second pull loads the export:\n%s", out)
	}
	if out := mustRun(t, "--lang", "en", "run", "--config", cfgPath, "--source", "an-binh"); !strings.Contains(out, "an-binh: unchanged") {
		t.Fatalf("the third pull brings the same export:\n%s", out)
	}
	// A pull killed while it waits for the server leaves its run "running".
	killed := cli("run", "--config", cfgPath, "--source", "cham")
	if err := killed.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-slowStarted:
	case <-time.After(20 * time.Second):
		killed.Process.Kill()
		t.Fatal("the pull of cham never reached the server")
	}
	killed.Process.Signal(syscall.SIGKILL)
	killed.Wait()

	// status pulls nothing: it needs no token.
	t.Setenv("WARDSTAT_TEST_ANBINH_TOKEN", "")
	out, errOut, err := run(t, "status", "--config", cfgPath)
	if err != nil {
		t.Fatalf("status --config without the sources' tokens: %v\n%s", err, errOut)
	}
	t.Logf("status (vi):\n%s", out)
	if r := rowWhere(out, "nguồn", "an-binh"); r == nil || r["độ mới"] != "ổn" || r["kết quả"] != "không đổi" || r["lỗi"] != "" || r["lỗi gần nhất"] == "" {
		t.Errorf("an-binh's latest run was unchanged, with no error, and its last failure has its time: %q", r)
	}
	if !regexp.MustCompile(`(?m)^  an-binh: lỗi gần nhất lúc \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, trước lần chạy gần nhất: GET .*404`).MatchString(out) {
		t.Errorf("the older failure is told with its time")
	}
	if r := rowWhere(out, "nguồn", "cham"); r == nil || r["kết quả"] != "bị ngắt" || !strings.Contains(r["lỗi"], "tiến trình đã dừng giữa lần chạy") {
		t.Errorf("the killed pull was interrupted, not running: %q", r)
	}
	if r := rowWhere(out, "nguồn", "moi"); r == nil || r["độ mới"] != "lỗi" || r["kết quả"] != "chưa chạy lần nào" || r["chạy gần nhất"] != "" {
		t.Errorf("a source never pulled says so: %q", r)
	}
	for _, want := range []string{"1/3 nguồn lỗi hoặc bị ngắt ở lần chạy gần nhất: cham", "1/3 nguồn chưa chạy lần nào: moi", "4 lần chạy gần nhất (mới nhất trước):"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q", want)
		}
	}
	if r := rowWhere(out, "lần", "2"); r == nil || r["dòng nạp"] != "30" || r["kết quả"] != "xong" || r["kích hoạt"] != "thủ công" {
		t.Errorf("run 2 in Vietnamese: %q", r)
	}

	// The latest runs, in English, with their row counts.
	out = mustRun(t, "--lang", "en", "status", "--config", cfgPath)
	if r := rowWhere(out, "run_id", "2"); r == nil || r["job"] != "pull" || r["source"] != "an-binh" || r["trigger"] != "manual" || r["status"] != "ok" ||
		r["files"] != "1" || r["rows_loaded"] != "30" || r["rows_rejected"] != "0" || r["error"] != "" || r["duration"] == "" || r["started_at"] == "" {
		t.Errorf("run 2 loaded 30 rows: %q\n%s", r, out)
	}
	if r := rowWhere(out, "run_id", "1"); r == nil || r["status"] != "failed" || !strings.Contains(r["error"], "404") {
		t.Errorf("run 1 failed on the 404: %q", r)
	}
	if r := rowWhere(out, "run_id", "3"); r == nil || r["status"] != "unchanged" || r["rows_loaded"] != "0" {
		t.Errorf("run 3 was unchanged: %q", r)
	}
	if r := rowWhere(out, "run_id", "4"); r == nil || r["source"] != "cham" || r["status"] != "interrupted" || r["duration"] != "" {
		t.Errorf("run 4 was interrupted: %q", r)
	}
	if r := rowWhere(out, "source", "an-binh"); r == nil || r["last_status"] != "unchanged" || r["last_error"] != "" || r["level"] != "ok" {
		t.Errorf("an-binh in English: %q", r)
	}
	if out := mustRun(t, "--lang", "en", "status", "--config", cfgPath, "--runs", "2"); !strings.Contains(out, "The latest 2 runs") ||
		rowWhere(out, "run_id", "4") == nil || rowWhere(out, "run_id", "2") != nil {
		t.Errorf("--runs 2 lists the 2 latest runs:\n%s", out)
	}

	// Without --config: the sources in the ledger, and the runs.
	out = mustRun(t, "--lang", "en", "--db", db, "status")
	if r := rowWhere(out, "source", "an-binh"); r == nil || r["last_status"] != "unchanged" || rowWhere(out, "source", "moi") != nil ||
		!strings.Contains(out, "The latest 4 runs") || !strings.Contains(out, "no --config") {
		t.Errorf("status without --config:\n%s", out)
	}

	// check pulls nothing either, and says what is missing; run does pull.
	_, errOut, err = run(t, "--lang", "en", "check", "--config", cfgPath)
	if err != nil || !strings.Contains(errOut, "line 7 (sources[0].token_env): the environment variable WARDSTAT_TEST_ANBINH_TOKEN is not set here") {
		t.Errorf("check without the token: %v %q", err, errOut)
	}
	if _, _, err := run(t, "run", "--config", cfgPath, "--source", "an-binh"); err == nil ||
		!strings.Contains(err.Error(), "sources[0].token_env: the environment variable WARDSTAT_TEST_ANBINH_TOKEN is not set") {
		t.Errorf("a pull without its token is refused: %v", err)
	}

	// While the daemon holds the warehouse, status reads the snapshot
	// published at the configuration's publish: path.
	t.Setenv("WARDSTAT_TEST_ANBINH_TOKEN", "sekret")
	mustRun(t, "run", "--config", cfgPath, "--job", "build")
	snap := filepath.Join(dir, "analysts", "snap.duckdb")
	if _, err := os.Stat(snap); err != nil {
		t.Fatalf("the build publishes at publish: %v", err)
	}
	daemon := cli("serve", "--config", cfgPath)
	logs := &testkit.LockedBuffer{}
	daemon.Stderr = logs
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	defer daemon.Process.Kill()
	pid := waitForLock(t, db, true)
	saved := readLockWait
	readLockWait = 200 * time.Millisecond
	defer func() { readLockWait = saved }()
	t.Setenv("WARDSTAT_TEST_ANBINH_TOKEN", "")
	out, errOut, err = run(t, "--lang", "en", "status", "--config", cfgPath)
	if err != nil {
		t.Fatalf("status while the daemon holds the warehouse: %v\n%s", err, errOut)
	}
	t.Logf("status (en, snapshot):\n%s", out)
	if !strings.Contains(out, fmt.Sprintf("is held by another process (PID %d); this is the snapshot %s published at", pid, snap)) {
		t.Errorf("status must say it reads the snapshot at publish:\n%s", out)
	}
	if r := rowWhere(out, "source", "an-binh"); r == nil || r["last_status"] != "unchanged" || rowWhere(out, "run_id", "2")["rows_loaded"] != "30" {
		t.Errorf("the snapshot's an-binh: %q", r)
	}
	if r := rowWhere(out, "source", "cham"); r == nil || r["last_status"] != "interrupted" {
		t.Errorf("the snapshot's cham: %q", r)
	}
	if p, w, _ := warehouseLockHolder(db); p != pid || !w {
		t.Errorf("the daemon must still hold the warehouse after status: PID %d writer %v", p, w)
	}
	// No snapshot at publish: status says where it looked and what writes it.
	os.Rename(snap, snap+".away")
	if _, _, err := run(t, "--lang", "en", "status", "--config", cfgPath); err == nil ||
		!strings.Contains(err.Error(), "no snapshot is published at "+snap+" yet (publish:, written by the build job)") {
		t.Errorf("status with the warehouse held and no snapshot: %v", err)
	}
	if err := testkit.Terminate(daemon, 15*time.Second); errors.Is(err, testkit.ErrStillRunning) {
		t.Errorf("the daemon did not stop on SIGTERM:\n%s", logs.String())
	}
}
