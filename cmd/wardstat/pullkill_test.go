package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"wardstat/internal/testkit"
)

// Applicants planted in the export a ward system sends half of: none of
// them may stay on disk once the download is dead.
var plantedApplicants = []string{"Trịnh Thị Quỳnhdao", "079301777123", "0912777123", "quynhdao.trinh@example.vn"}

// stallingExport is a ward system that sends half an export (one with the
// planted applicants) and then stalls until the client goes, or sends an
// empty export when told to.
type stallingExport struct {
	*httptest.Server
	empty atomic.Bool
	sent  chan int // the bytes of each half export sent
}

func newStallingExport(t *testing.T) *stallingExport {
	var body bytes.Buffer
	body.WriteString("Mã hồ sơ,Ngày tiếp nhận,Chủ hồ sơ,Số CCCD,Điện thoại,Email\n")
	for i := range 4000 {
		fmt.Fprintf(&body, "H09.01-240301-%04d,01/03/2024,%s,%s,%s,%s\n", i, plantedApplicants[0], plantedApplicants[1], plantedApplicants[2], plantedApplicants[3])
	}
	whole := body.Bytes()
	s := &stallingExport{sent: make(chan int, 16)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		if s.empty.Load() {
			w.Header().Set("Content-Length", "0")
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(whole)))
		half := len(whole) / 2
		w.Write(whole[:half])
		w.(http.Flusher).Flush()
		s.sent <- half
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// startCLI starts the wardstat command (this test binary) with args.
func startCLI(t *testing.T, args ...string) (*exec.Cmd, *testkit.LockedBuffer) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c := exec.Command(self, args...)
	c.Env = append(os.Environ(), "WARDSTAT_BE_CLI=1", "WARDSTAT_PII_KEY=pullkill")
	out := &testkit.LockedBuffer{}
	c.Stdout, c.Stderr = out, out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(time.Minute, func() { c.Process.Kill() })
	t.Cleanup(func() {
		timer.Stop()
		c.Process.Kill()
		c.Wait()
	})
	return c, out
}

// waitFor polls cond every 20 ms until it holds or the time is up.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// partsIn lists the downloads in progress in the work folder.
func partsIn(t *testing.T, work string) []string {
	t.Helper()
	var parts []string
	filepath.WalkDir(work, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			parts = append(parts, p)
		}
		return nil
	})
	return parts
}

// plantedOnDisk names the files under root that hold a planted applicant.
func plantedOnDisk(t *testing.T, root string) []string {
	t.Helper()
	var found []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		for _, a := range plantedApplicants {
			if bytes.Contains(b, []byte(a)) {
				found = append(found, p+" ("+a+")")
			}
		}
		return nil
	})
	return found
}

// killMidDownload starts `wardstat run --source an-binh`, waits until half
// the export is on disk, checks it is private, and kills the process with
// sig. It returns the downloads left in the work folder.
func killMidDownload(t *testing.T, srv *stallingExport, config, work string, sig syscall.Signal) []string {
	t.Helper()
	srv.empty.Store(false)
	c, out := startCLI(t, "run", "--config", config, "--source", "an-binh")
	var half int
	select {
	case half = <-srv.sent:
	case <-time.After(30 * time.Second):
		t.Fatalf("the pull never started:\n%s", out)
	}
	var part string
	waitFor(t, "half the export in the work folder", 10*time.Second, func() bool {
		for _, p := range partsIn(t, work) {
			if st, err := os.Stat(p); err == nil && st.Size() == int64(half) {
				part = p
				return true
			}
		}
		return false
	})
	// While it downloads, the export is its owner's only, in a folder
	// only its owner may list.
	if st, _ := os.Stat(filepath.Dir(part)); st.Mode().Perm() != 0o700 {
		t.Errorf("the download is in %s, mode %v; want 0700", filepath.Dir(part), st.Mode().Perm())
	}
	if st, _ := os.Stat(part); st.Mode().Perm() != 0o600 {
		t.Errorf("the download %s has mode %v; want 0600", part, st.Mode().Perm())
	}
	if err := c.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("the pull did not stop on %v:\n%s", sig, out)
	}
	return partsIn(t, work)
}

// TestKillDuringPullLeavesNoNames: a real wardstat pulling a real export
// over loopback is killed (SIGKILL) when half the export, applicants'
// names in clear, is on disk: the download is private (0600 in a 0700
// folder) and the next scheduler command to start (serve, run, backfill)
// removes it, whatever the source is now called; one stopped by SIGTERM
// removes its download itself. Afterwards no planted applicant is
// anywhere under the warehouse's folder.
func TestKillDuringPullLeavesNoNames(t *testing.T) {
	if testing.Short() {
		t.Skip("starts wardstat processes")
	}
	srv := newStallingExport(t)
	dir := t.TempDir()
	work := filepath.Join(dir, ".wardstat-work")
	// A work folder an older wardstat (or a person) made open to all.
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	writeCfg := func(name string) string {
		p := filepath.Join(dir, "wardstat.yml")
		os.WriteFile(p, fmt.Appendf(nil, `
warehouse: w.duckdb
listen: 127.0.0.1:0
sources:
  - name: %s
    url: %s/export.csv?from={from}&to={to}
    timeout: 30s
    retries: 1
    schedule: "0 1 1 1 *"
`, name, srv.URL), 0o644)
		return p
	}
	config := writeCfg("an-binh")

	// SIGTERM: the pull is cancelled and its download removed at once.
	if left := killMidDownload(t, srv, config, work, syscall.SIGTERM); len(left) != 0 {
		t.Errorf("a pull stopped by SIGTERM left %v", left)
	}

	srv.empty.Store(true)
	for _, next := range []struct {
		name string
		args []string
		// renamed: the source is renamed in the configuration between the
		// kill and the next start.
		renamed bool
	}{
		{"serve", []string{"serve", "--config", config}, false},
		{"run", []string{"run", "--config", config, "--source", "an-binh"}, false},
		{"backfill", []string{"backfill", "--config", config, "--source", "an-binh", "--from", "2024-03-01", "--to", "2024-03-02"}, false},
		{"serve after a rename", []string{"serve", "--config", config}, true},
	} {
		t.Run(next.name, func(t *testing.T) {
			writeCfg("an-binh")
			left := killMidDownload(t, srv, config, work, syscall.SIGKILL)
			if len(left) == 0 {
				t.Fatal("SIGKILL left nothing: the test must kill mid-download")
			}
			if next.renamed {
				writeCfg("an-binh-phuong")
				for i, a := range next.args {
					if a == "an-binh" {
						next.args[i] = "an-binh-phuong"
					}
				}
			}
			srv.empty.Store(true)
			c, out := startCLI(t, next.args...)
			if next.args[0] == "serve" {
				waitFor(t, "serve starts", 30*time.Second, func() bool { return strings.Contains(out.String(), `"msg":"serving"`) })
				if left := partsIn(t, work); len(left) != 0 {
					t.Errorf("serve started and left the killed download %v", left)
				}
				c.Process.Signal(syscall.SIGTERM)
			}
			done := make(chan error, 1)
			go func() { done <- c.Wait() }()
			select {
			case err := <-done:
				if err != nil && next.args[0] != "serve" {
					t.Errorf("%s: %v\n%s", next.name, err, out)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("%s did not end:\n%s", next.name, out)
			}
			if left := partsIn(t, work); len(left) != 0 {
				t.Errorf("after %s the killed download is still there: %v", next.name, left)
			}
			if st, _ := os.Stat(work); st.Mode().Perm() != 0o700 {
				t.Errorf("work folder mode %v, want 0700", st.Mode().Perm())
			}
		})
	}
	if found := plantedOnDisk(t, dir); len(found) != 0 {
		t.Errorf("applicants in clear on disk after the pulls: %v", found)
	}
}
