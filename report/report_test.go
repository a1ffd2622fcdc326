package report_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"wardstat/pipeline"
	"wardstat/report"
	"wardstat/transform"
	"wardstat/warehouse"
)

func fixture(t *testing.T) *warehouse.Warehouse {
	t.Helper()
	w, err := warehouse.Open(context.Background(), filepath.Join(t.TempDir(), "w.duckdb"), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	dir := "../testdata/report/handcount/"
	f, _ := os.Open(dir + "units.csv")
	units, _ := warehouse.ReadUnits(f)
	f.Close()
	w.ReplaceUnits(context.Background(), units)
	for _, p := range []string{dir + "ward-export.csv", dir + "api-export.json"} {
		if _, err := pipeline.File(context.Background(), w, p, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("k"))}); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func TestNightlyReport(t *testing.T) {
	w := fixture(t)
	out := t.TempDir()
	paths, err := report.Nightly(context.Background(), w.DB(), out, report.Options{
		Month: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), Lang: "vi", Now: time.Date(2024, 4, 1, 6, 0, 0, 0, time.UTC),
		Sources: []report.SourceStatus{{Source: "an-binh", Level: "error", LastStatus: "failed", LastError: "503"}},
	})
	if err != nil || len(paths) != 2 {
		t.Fatalf("%v %v", paths, err)
	}

	// The XLSX: the form's merged two-level header, one line per ward, a total.
	x, err := excelize.OpenFile(filepath.Join(out, "bieu06-2024-03.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	merged, _ := x.GetMergeCells("Biểu 06")
	var refs []string
	for _, m := range merged {
		refs = append(refs, m.GetStartAxis()+":"+m.GetEndAxis())
	}
	for _, want := range []string{"A5:A7", "C5:G5", "E6:G6", "H5:K5", "M5:O5", "P5:P7"} {
		if !strings.Contains(strings.Join(refs, " "), want) {
			t.Errorf("merged header cells lack %s: %v", want, refs)
		}
	}
	rows, _ := x.GetRows("Biểu 06")
	if len(rows) < 11 || rows[8][1] != "Phường Một" || rows[8][2] != "13" || rows[10][1] != "Tổng cộng" || rows[10][2] != "14" {
		t.Errorf("form rows: %q", rows[8:])
	}
	if sheets := x.GetSheetList(); len(sheets) != 5 {
		t.Errorf("sheets: %v", sheets)
	}
	// The index parts the exports cannot give are blank, with the reason
	// (the fixture has no digitised column), never 0.
	idx, _ := x.GetRows("Chỉ số 766")
	if len(idx) < 2 || len(idx[1]) < 9 || idx[1][5] != "" || !strings.Contains(idx[1][8], "số hóa: tệp xuất không có cột số hóa") {
		t.Errorf("index rows: %q", idx)
	}

	// The HTML: self-contained, three charts.
	html, _ := os.ReadFile(filepath.Join(out, "bao-cao-2024-03.html"))
	s := string(html)
	if strings.Count(s, "<svg") != 3 || !strings.Contains(s, "<polyline") || !strings.Contains(s, `class="online"`) {
		t.Errorf("charts missing")
	}
	for _, ext := range []string{"http://", "https://", "<script", "@import"} {
		if strings.Contains(s, ext) {
			t.Errorf("the page must open offline; it contains %q", ext)
		}
	}
	for _, want := range []string{"Phường Một", "66.67", "an-binh", "Tỷ lệ đúng hạn"} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// TestHTMLRendersInChromium opens the report in a real headless Chromium:
// the charts must be in the rendered page, and a screenshot must be drawn.
func TestHTMLRendersInChromium(t *testing.T) {
	skipIfShort(t, "a headless Chromium renders the report")
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		t.Skip("no Chromium on this machine (make test installs Debian's chromium when it can)")
	}
	w := fixture(t)
	out := t.TempDir()
	if _, err := report.Nightly(context.Background(), w.DB(), out, report.Options{
		Month: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), Lang: "en", Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	page := "file://" + filepath.Join(out, "bao-cao-2024-03.html")
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dom, err := exec.CommandContext(ctx, bin, append(flags, "--dump-dom", page)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	d := string(dom)
	if strings.Count(d, "<svg") != 3 || strings.Count(d, "<rect") < 10 || !strings.Contains(d, "<polyline") || !strings.Contains(d, "On-time rate") {
		t.Fatalf("the rendered page lacks its charts:\n%.2000s", d)
	}
	shot := filepath.Join(out, "shot.png")
	if err := exec.CommandContext(ctx, bin, append(flags, "--window-size=420,1600", "--screenshot="+shot, page)...).Run(); err != nil {
		t.Fatalf("chromium --screenshot: %v", err)
	}
	b, err := os.ReadFile(shot)
	if err != nil || len(b) < 20_000 || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Fatalf("screenshot of %d bytes: %v", len(b), err)
	}
}
