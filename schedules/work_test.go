package schedules

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestClearWorkRemovesKilledDownloads: a pull killed mid-download, or
// between the download and its load, leaves the export (applicants in
// clear) in the work folder; the next scheduler command removes it, and
// only what a pull names.
func TestClearWorkRemovesKilledDownloads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".wardstat-work")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	left := []string{"an-binh-1234567.part", "an-binh-20261206-010000.000.json", "phu-my-20261206-010000.000.ndjson",
		// a download of a source the configuration no longer names
		"wardstat-pull-binh-an-cu-1234567.part", "wardstat-pull-an-binh-20261206-010000.000.csv"}
	kept := []string{"notes.txt", "an-binh-notes.txt"}
	for _, n := range append(append([]string{}, left...), kept...) {
		os.WriteFile(filepath.Join(dir, n), []byte(`{"ChuHoSo":"Nguyễn Thị Phượng"}`), 0o644)
	}
	if err := clearWork(dir, []Source{{Name: "an-binh"}, {Name: "phu-my"}}); err != nil {
		t.Fatal(err)
	}
	for _, n := range left {
		if _, err := os.Stat(filepath.Join(dir, n)); !os.IsNotExist(err) {
			t.Errorf("%s is still in the work folder", n)
		}
	}
	for _, n := range kept {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s is not a download and must stay: %v", n, err)
		}
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("work folder mode %v, want 0700", st.Mode().Perm())
	}
}

// A work_dir that names a shared folder (sticky, as /tmp) keeps its mode:
// wardstat removes its own downloads there, and never locks the folder
// away from everyone else.
func TestClearWorkLeavesASharedFolderOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "wardstat-pull-an-binh-1234567.part"), []byte("Nguyễn Thị Phượng"), 0o600)
	os.WriteFile(filepath.Join(dir, "someone-elses.txt"), nil, 0o644)
	if err := clearWork(dir, nil); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(dir)
	if st.Mode()&os.ModeSticky == 0 || st.Mode().Perm() != 0o777 {
		t.Errorf("the shared folder's mode became %v", st.Mode())
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 || left[0].Name() != "someone-elses.txt" {
		t.Errorf("left %v; want only someone-elses.txt", left)
	}
}

// TestFailedTryEmptiesItsPart: a try cut in the middle of an export does
// not leave the half it got on disk while the pull waits to try again.
func TestFailedTryEmptiesItsPart(t *testing.T) {
	var calls atomic.Int32
	cut := make(chan struct{}, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) > 1 {
			fmt.Fprint(w, exportCSV)
			return
		}
		w.Header().Set("Content-Length", "100000")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, strings.Repeat("H01-240301-0001,Nguyễn Thị Phượng\n", 100))
		w.(http.Flusher).Flush()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
		cut <- struct{}{}
	}))
	defer srv.Close()
	p := &httpPuller{client: &http.Client{}, backoffBase: 2 * time.Second, workDir: t.TempDir()}
	done := make(chan error, 1)
	go func() {
		_, err := p.pull(context.Background(), testSource(srv.URL+"/x.csv"), time.Now(), time.Now(), nil)
		done <- err
	}()
	<-cut
	// The client has the cut at once (loopback); the next try comes a
	// second or more later (half the backoff at least).
	time.Sleep(300 * time.Millisecond)
	entries, _ := os.ReadDir(p.workDir)
	for _, e := range entries {
		if b, _ := os.ReadFile(filepath.Join(p.workDir, e.Name())); strings.Contains(string(b), "Phượng") {
			t.Errorf("between tries the half export stays on disk in %s", e.Name())
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the pull did not end")
	}
}
