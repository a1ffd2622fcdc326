package schedules

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// etagServer serves one export with an ETag, answers 304 to a request
// that names it, and remembers the If-None-Match of every request.
type etagServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string // If-None-Match of each request ("" when none)
}

func newETagServer(t *testing.T, body string) *etagServer {
	s := &etagServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen = append(s.seen, r.Header.Get("If-None-Match")+r.Header.Get("If-Modified-Since"))
		s.mu.Unlock()
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Mon, 07 Dec 2026 01:00:00 GMT")
		w.Header().Set("Content-Type", "text/csv")
		if strings.HasPrefix(body, "PK") {
			w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

// lastConditional is what the latest request sent as validators.
func (s *etagServer) lastConditional() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[len(s.seen)-1]
}

// An export whose code column the vocabulary does not know: its load
// fails until the configuration maps it.
const unmappedExport = "Số phiếu nội bộ,Ngày tiếp nhận,Hình thức nộp\n" +
	"H09.01-240301-0001,01/03/2024,Trực tiếp\nH09.01-240301-0002,01/03/2024,BCCI\nH09.01-240302-0003,02/03/2024,Trực tuyến\n"

func etagConfig(t *testing.T, dir, url, extra string) *Config {
	return writeConfig(t, dir, fmt.Sprintf(`
warehouse: w.duckdb
sources:
  - name: an-binh
    url: %s/export.csv
    schedule: "0 1 * * *"
%s`, url, extra))
}

// TestFailedLoadIsPulledAgain: an export with an ETag whose load fails
// (a header that needs a map:) is not answered 304 ever after. The next
// pull asks for it whole; once the configuration maps the column, its
// dossiers load; only then does a pull send the ETag and skip it.
func TestFailedLoadIsPulledAgain(t *testing.T) {
	ctx := context.Background()
	srv := newETagServer(t, unmappedExport)
	dir := t.TempDir()
	r := openRunner(t, etagConfig(t, dir, srv.URL, ""), nil)

	res, err := r.Pull(ctx, "an-binh", TriggerManual, time.Time{})
	if err == nil || res.Run.Status != StatusFailed || res.Run.RowsLoaded != 0 {
		t.Fatalf("the unmapped export must fail: %+v %v", res.Run, err)
	}
	// The same configuration again: the whole export is asked for, and the
	// run fails again, honestly, rather than "unchanged".
	res, err = r.Pull(ctx, "an-binh", TriggerManual, time.Time{})
	if got := srv.lastConditional(); got != "" {
		t.Errorf("a pull after a failed load sent validators %q", got)
	}
	if err == nil || res.Run.Status != StatusFailed {
		t.Errorf("the second pull of the unmapped export: %+v %v, want failed", res.Run, err)
	}

	// The configuration is fixed: the dossiers load.
	fixed := etagConfig(t, dir, srv.URL, `    map: {dossier_code: "Số phiếu nội bộ"}`)
	r = NewRunner(fixed, r.wh, r.hasher, RunnerOptions{BackoffBase: 5 * time.Millisecond})
	res, err = r.Pull(ctx, "an-binh", TriggerManual, time.Time{})
	if err != nil || res.Run.Status != StatusOK || res.Run.RowsLoaded != 3 {
		t.Fatalf("after the fix: %+v %v; want 3 dossiers loaded", res.Run, err)
	}
	var n int
	r.wh.DB().QueryRow(`SELECT count(*) FROM dossiers`).Scan(&n)
	if n != 3 {
		t.Fatalf("dossiers %d, want 3", n)
	}
	// Loaded: now the ETag is sent, and the unchanged export skipped.
	res, err = r.Pull(ctx, "an-binh", TriggerManual, time.Time{})
	if err != nil || res.Run.Status != StatusUnchanged || srv.lastConditional() == "" {
		t.Fatalf("a pull after a committed load: %+v %v, sent %q; want a 304", res.Run, err, srv.lastConditional())
	}
}

// TestConfigChangeVoidsValidators: validators saved under one
// configuration are not sent once the source's configuration changes
// (here only its ward), nor once its URL does; the same configuration
// sends them again.
func TestConfigChangeVoidsValidators(t *testing.T) {
	ctx := context.Background()
	srv := newETagServer(t, exportCSV)
	dir := t.TempDir()
	r := openRunner(t, etagConfig(t, dir, srv.URL, ""), nil)
	pull := func(cfg *Config) PullResult {
		t.Helper()
		r = NewRunner(cfg, r.wh, r.hasher, RunnerOptions{BackoffBase: 5 * time.Millisecond})
		res, err := r.Pull(ctx, "an-binh", TriggerManual, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := pull(r.cfg); res.Run.RowsLoaded != 1 {
		t.Fatalf("first pull: %+v", res.Run)
	}
	if res := pull(r.cfg); res.Run.Status != StatusUnchanged || srv.lastConditional() == "" {
		t.Fatalf("the same configuration must send the ETag: %+v, sent %q", res.Run, srv.lastConditional())
	}
	for _, change := range []string{`    ward: 000.31.09.H26`, `    format: csv`, `    headers: {X-Api-Key: "${ANBINH_KEY}"}`} {
		pull(etagConfig(t, dir, srv.URL, change))
		if got := srv.lastConditional(); got != "" {
			t.Errorf("after the change %q the pull sent validators %q", change, got)
		}
		// The changed configuration, pulled again, sends its own.
		if res := pull(etagConfig(t, dir, srv.URL, change)); res.Run.Status != StatusUnchanged || srv.lastConditional() == "" {
			t.Errorf("%q pulled twice: %+v, sent %q", change, res.Run, srv.lastConditional())
		}
	}
	// Another URL is another resource.
	pull(writeConfig(t, dir, fmt.Sprintf(`
warehouse: w.duckdb
sources:
  - name: an-binh
    url: %s/export.csv?unit=H26
    schedule: "0 1 * * *"
`, srv.URL)))
	if got := srv.lastConditional(); got != "" {
		t.Errorf("another URL sent the old validators %q", got)
	}
}

// TestWorkbookWithAFailedSheetIsPulledAgain: a workbook of two wards'
// sheets whose second sheet fails (the map names a column only the first
// has) loads the first; the next pull asks for the whole workbook again
// rather than sending its ETag, and once the map is fixed the second
// sheet loads too.
func TestWorkbookWithAFailedSheetIsPulledAgain(t *testing.T) {
	ctx := context.Background()
	f := excelize.NewFile()
	for i, s := range []string{"Phường 1", "Phường 2"} {
		if i == 0 {
			f.SetSheetName("Sheet1", s)
		} else {
			f.NewSheet(s)
		}
		h := []any{"Mã hồ sơ", "Ngày tiếp nhận", "Ngày hẹn trả"}
		if i == 0 {
			h = append(h, "Kênh nộp riêng")
		}
		f.SetSheetRow(s, "A1", &h)
		for r := range 3 {
			row := []any{fmt.Sprintf("H08.0%d-240301-000%d", i+1, r), "01/03/2024 08:00", "05/03/2024", "Trực tiếp"}
			f.SetSheetRow(s, fmt.Sprintf("A%d", r+2), &row)
		}
	}
	var book bytes.Buffer
	if err := f.Write(&book); err != nil {
		t.Fatal(err)
	}
	srv := newETagServer(t, book.String())
	dir := t.TempDir()
	url := srv.URL + "/wards.xlsx"
	cfg := func(extra string) *Config {
		return writeConfig(t, dir, fmt.Sprintf("warehouse: w.duckdb\nsources:\n  - name: wards\n    url: %s\n    schedule: \"0 1 * * *\"\n%s", url, extra))
	}
	r := openRunner(t, cfg(`    map: {channel: "Kênh nộp riêng"}`), nil)
	res, err := r.Pull(ctx, "wards", TriggerManual, time.Time{})
	if err == nil || res.Run.RowsLoaded != 3 || len(res.Failures) != 1 {
		t.Fatalf("first pull: %+v, failures %v, err %v; want sheet 1 loaded and sheet 2 failed", res.Run, res.Failures, err)
	}
	res, err = r.Pull(ctx, "wards", TriggerManual, time.Time{})
	if got := srv.lastConditional(); got != "" || err == nil || res.Run.Status != StatusFailed {
		t.Fatalf("a pull after a sheet failed sent %q and ended %+v %v; want the whole workbook and the failure again", got, res.Run, err)
	}
	r = NewRunner(cfg(""), r.wh, r.hasher, RunnerOptions{BackoffBase: 5 * time.Millisecond})
	res, err = r.Pull(ctx, "wards", TriggerManual, time.Time{})
	if err != nil || res.Run.RowsLoaded != 3 {
		t.Fatalf("after the fix: %+v %v; want sheet 2's 3 dossiers", res.Run, err)
	}
	var n int
	r.wh.DB().QueryRow(`SELECT count(*) FROM dossiers`).Scan(&n)
	if n != 6 {
		t.Fatalf("dossiers %d, want 6", n)
	}
}
