package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"wardstat/pipeline"
	"wardstat/transform"
	"wardstat/warehouse"
)

// Blank lines and cells that span lines do not shift the row numbers the
// rejects give: DuckDB's reader and ours name the same lines.
func TestRejectRowsAreLineNumbers(t *testing.T) {
	text := "Mã hồ sơ,Mã đơn vị,Kênh,Ngày tiếp nhận,Ghi chú\n" + // line 1
		"H1,000.01.01.H01,Fax,01/03/2024,a\n" + // 2: rejected
		"\n" + // 3
		"H2,000.01.01.H01,Trực tiếp,01/03/2024,\"dòng 1\ndòng 2\"\n" + // 4-5
		"H3,000.01.01.H01,Fax,01/03/2024,b\n" + // 6: rejected
		"\r\n" + // 7
		"H4,000.01.01.H01,Trực tiếp,31/02/2024,c\n" // 8: rejected
	p := filepath.Join(t.TempDir(), "lines.csv")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path     string
		goReader bool
	}{{p, false}, {p, true}, {asUTF16(t, p, true), false}} {
		goReader := c.goReader
		w := openWarehouse(t)
		res, err := pipeline.File(context.Background(), w, c.path, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("k")), GoReader: goReader})
		if err != nil {
			t.Fatal(err)
		}
		if res.DuckDBRead == goReader {
			t.Fatalf("%s: read by DuckDB %v", c.path, res.DuckDBRead)
		}
		var got []int64
		for _, r := range res.Result.Rejects {
			got = append(got, r.Row)
		}
		var row int64
		if err := w.DB().QueryRow(`SELECT source_row FROM dossiers WHERE dossier_code = 'H2'`).Scan(&row); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if fmt.Sprint(got) != "[2 6 8]" || row != 4 {
			t.Errorf("%s, our reader %v: rejects on lines %v (want [2 6 8]), H2 on line %d (want 4)", filepath.Base(c.path), goReader, got, row)
		}
	}
}

// lateIdentity is a warehouse whose loads learn the file's sha256 only once
// typing has begun, as with a large file whose hashing takes a while.
type lateIdentity struct{ *warehouse.Warehouse }

func late(req warehouse.LoadRequest) warehouse.LoadRequest {
	typing := make(chan struct{})
	var once sync.Once
	phase, sum := req.Phase, req.SHA256
	req.Phase = func(p string) {
		if phase != nil {
			phase(p)
		}
		once.Do(func() { close(typing) })
	}
	req.SHA256 = func() (string, error) {
		<-typing
		return sum()
	}
	return req
}

func (l lateIdentity) Load(ctx context.Context, req warehouse.LoadRequest, src warehouse.Source) (warehouse.LoadResult, error) {
	return l.Warehouse.Load(ctx, late(req), src)
}

// A file's sha256 is computed beside its load: a file loaded before, known
// only once typing has begun, still stops the load, which writes nothing
// and says when the file was loaded. (DuckDB's CSV and JSON readers and
// ours alike: a Windows-1258 CSV, an XLSX.)
func TestKnownFileStopsTheLoadBesideIt(t *testing.T) {
	xlsx := writeTitledXLSX(t, t.TempDir())
	for _, p := range []string{"../testdata/ingest/semicolon-bom.csv", "../testdata/ingest/portal-array.json", "../testdata/ingest/windows-1258.csv", xlsx} {
		t.Run(filepath.Base(p), func(t *testing.T) {
			w := openWarehouse(t)
			opt := pipeline.FileOptions{Hasher: transform.NewHasher([]byte("k"))}
			first, err := pipeline.File(context.Background(), lateIdentity{w}, p, opt)
			if err != nil || first.Result.Loaded == 0 {
				t.Fatalf("first load: %+v, %v", first.Result, err)
			}
			again, err := pipeline.File(context.Background(), lateIdentity{w}, p, opt)
			if err != nil {
				t.Fatal(err)
			}
			if again.Result.AlreadyLoaded == nil || again.Result.AlreadyLoaded.LoadID != first.Result.LoadID || again.Result.Loaded != 0 {
				t.Fatalf("the same bytes again: %+v", again.Result)
			}
			var loads int
			if err := w.DB().QueryRow(`SELECT count(*) FROM loads`).Scan(&loads); err != nil || loads != 1 {
				t.Fatalf("%d loads recorded (%v), want 1", loads, err)
			}
		})
	}
}

// A file with old Mac line endings (a CR alone ends each line, as Excel for
// Mac's "CSV (Macintosh)" writes) loads every row, numbered by its line.
func TestOldMacLineEndings(t *testing.T) {
	p := fuzzFile(t, []byte("Mã hồ sơ,Mã đơn vị,Ngày tiếp nhận,Kênh\r"+
		"H1,000.01.01.H01,01/03/2024,Trực tiếp\r"+
		"H2,000.01.01.H01,02/03/2024,Fax\r"+
		"H3,000.01.01.H01,03/03/2024,\"Trực\rtuyến\"\r"+
		"H4,000.01.01.H01,04/03/2024,Trực tuyến\r"), "mac.csv")
	w := openWarehouse(t)
	res, err := pipeline.File(context.Background(), w, p, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("k"))})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Result; r.Read != 4 || r.Loaded != 3 || r.Rejected != 1 {
		t.Fatalf("%+v", r)
	}
	var rows string
	if err := w.DB().QueryRow(`SELECT string_agg(dossier_code || '@' || source_row, ' ' ORDER BY source_row) FROM dossiers`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	// H3's channel cell spans lines 4 and 5 (and still reads as online).
	if rows != "H1@2 H3@4 H4@6" {
		t.Errorf("dossiers at lines: %s, want H1@2 H3@4 H4@6", rows)
	}
	if err := w.DB().QueryRow(`SELECT string_agg(source_row::VARCHAR, ' ' ORDER BY source_row) FROM rejects`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != "3" {
		t.Errorf("rejects at lines: %s, want 3", rows)
	}
}

// A file with more cells over two lines than DuckDB's reader can number
// (the row fixes, found beside the typing, refuse it) is read by ours:
// every row loads, each numbered by its first line.
func TestManyCellsOverLines(t *testing.T) {
	defer pipeline.SetMaxRowFixes(200)()
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Mã đơn vị,Ngày tiếp nhận,Ghi chú\n")
	n := 300 // more than maxRowFixes
	for i := range n {
		fmt.Fprintf(&b, "H%d,000.01.01.H01,01/03/2024,\"dòng một\ndòng hai\"\n", i)
	}
	b.WriteString("X1,000.01.01.H01,31/02/2024,\n")
	p := fuzzFile(t, []byte(b.String()), "notes.csv")
	w := openWarehouse(t)
	res, err := pipeline.File(context.Background(), w, p, pipeline.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Result; r.Read != int64(n+1) || r.Loaded != int64(n) || r.Rejected != 1 || res.DuckDBRead {
		t.Fatalf("%+v, read by DuckDB %v", r, res.DuckDBRead)
	}
	var first, last, reject int64
	if err := w.DB().QueryRow(`SELECT min(source_row), max(source_row), (SELECT source_row FROM rejects) FROM dossiers`).Scan(&first, &last, &reject); err != nil {
		t.Fatal(err)
	}
	if first != 2 || last != int64(2*n) || reject != int64(2*n+2) {
		t.Errorf("rows %d..%d, reject at %d; want 2..%d, reject at %d", first, last, reject, 2*n, 2*n+2)
	}
}

// A file whose cells break lines in many places, irregularly (in runs,
// at the edges of the lookup's 64-row blocks, over three lines, beside
// blank lines), is read by DuckDB, and every row, stored or rejected,
// gets the line our reader gives it.
func TestManyRowFixesAreLineNumbers(t *testing.T) {
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Mã đơn vị,Kênh,Ngày tiếp nhận,Ghi chú\n")
	breaks := map[int]string{}
	for _, i := range []int{0, 1, 2, 62, 63, 64, 65, 127, 128, 191, 255, 256, 257, 500, 501, 502, 503, 640, 641} {
		breaks[i] = "\"một\nhai\""
	}
	for i := 700; i < 1000; i += 7 {
		breaks[i] = "\"một\nhai\nba\""
	}
	const n = 1200
	for i := range n {
		note, ok := breaks[i]
		if !ok {
			note = "x"
		}
		channel := "Trực tiếp"
		if i%97 == 5 {
			channel = "Fax" // rejected: its row number is reported
		}
		fmt.Fprintf(&b, "H%04d,000.01.01.H01,%s,01/03/2024,%s\n", i, channel, note)
		if i%211 == 3 {
			b.WriteString("\n")
		}
	}
	p := fuzzFile(t, []byte(b.String()), "breaks.csv")
	// Where DuckDB's record numbers part from the lines: after each cell
	// over lines and each blank line (both after one row: one place).
	moved := map[int]bool{}
	for i := range n - 1 {
		if _, ok := breaks[i]; ok || i%211 == 3 {
			moved[i+1] = true
		}
	}
	rows := func(goReader bool) string {
		w := openWarehouse(t)
		res, err := pipeline.File(context.Background(), w, p, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("k")), GoReader: goReader})
		if err != nil {
			t.Fatal(err)
		}
		if res.DuckDBRead == goReader || res.Result.Read != n {
			t.Fatalf("our reader %v: read by DuckDB %v, %+v", goReader, res.DuckDBRead, res.Result)
		}
		if want := map[bool]int{false: len(moved), true: 0}[goReader]; res.Result.RowFixes != want {
			t.Errorf("our reader %v: %d row fixes, want %d", goReader, res.Result.RowFixes, want)
		}
		var s string
		if err := w.DB().QueryRow(`SELECT string_agg(dossier_code || '@' || source_row, ' ' ORDER BY dossier_code)
			|| ' rejects ' || (SELECT string_agg(source_row::VARCHAR, ' ' ORDER BY source_row) FROM rejects) FROM dossiers`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	fast, slow := rows(false), rows(true)
	if fast != slow {
		t.Errorf("rows differ:\nDuckDB: %s\nours:   %s", fast, slow)
	}
	if !strings.Contains(slow, "H1199@") || strings.Count(slow, "@") != n-13 {
		t.Errorf("our reader: %s", slow)
	}
}

// A quote inside an unquoted cell (5" for inches) is text to both
// readers; the line count did not know that, took it for a cell running
// on, and numbered every row after it wrong.
func TestStrayQuoteKeepsLineNumbers(t *testing.T) {
	text := "Mã hồ sơ,Mã đơn vị,Kênh,Ngày tiếp nhận,Ghi chú\n" + // 1
		"H1,000.01.01.H01,Trực tiếp,01/03/2024,màn hình 5\" cũ\n" + // 2
		"H2,000.01.01.H01,Trực tiếp,01/03/2024,b\n" + // 3
		"\n" + // 4
		"H3,000.01.01.H01,Fax,01/03/2024,c\n" + // 5: rejected
		"H4,000.01.01.H01,Trực tiếp,01/03/2024,\"dòng\nhai\"\n" + // 6-7
		"H5,000.01.01.H01,Fax,01/03/2024,d\n" // 8: rejected
	p := fuzzFile(t, []byte(text), "stray.csv")
	for _, goReader := range []bool{false, true} {
		w := openWarehouse(t)
		res, err := pipeline.File(context.Background(), w, p, pipeline.FileOptions{GoReader: goReader})
		if err != nil {
			t.Fatal(err)
		}
		if res.DuckDBRead == goReader {
			t.Fatalf("read by DuckDB %v", res.DuckDBRead)
		}
		var got []int64
		for _, r := range res.Result.Rejects {
			got = append(got, r.Row)
		}
		var note string
		if err := w.DB().QueryRow(`SELECT count(*) || ' ' || max(source_row) FROM dossiers`).Scan(&note); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != "[5 8]" || note != "3 6" {
			t.Errorf("our reader %v: rejects on lines %v (want [5 8]), dossiers and last row %q (want \"3 6\")", goReader, got, note)
		}
	}
}
