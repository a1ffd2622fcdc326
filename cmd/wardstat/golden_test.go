package main

// The golden figures: what wardstat reports, byte for byte, on a demo
// district made from a fixed seed and a fixed day, and on the hand-counted
// fixture (testdata/report/handcount). Any change of a figure, a column, a
// label of the report outputs or a mart's schema fails TestGolden* with the
// first line that differs.
//
// When a change of the outputs is intended, regenerate every golden file
// with one command, then review the diff before committing it:
//
//	make golden
//	(that is: go test -count=1 -run '^TestGolden' ./cmd/wardstat -update)
//
// and check them, after each reshaping commit, with
//
//	go test -count=1 -run '^TestGolden' ./cmd/wardstat
//
// (about a minute on two busy cores; -short keeps only the hand count).
//
// The files live in cmd/wardstat/testdata/golden/<fixture>/:
//   - demo.txt: what `wardstat demo` printed (loads, the two form tables);
//   - report/<period>-<level>.json: `report --format json` for every month,
//     at ward, district and province level, and for the whole window;
//     report/<period>-ward.txt: the table with its totals row;
//   - xlsx/<period>-<level>.txt: `report --format xlsx` as a cell dump
//     (sheet, merged ranges, cell, raw value and shown value);
//   - nightly/<month>[-lang|-ward].{html,xlsx}.txt: the nightly report, its
//     HTML as the visible text and its workbook as a cell dump;
//   - marts/<view>.tsv: every mart the Parquet lake exports, and ward_month,
//     with the column types in the header, every row, fully ordered.

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"

	"wardstat/report"
	"wardstat/transform"
	"wardstat/warehouse"
)

var updateGolden = flag.Bool("update", false, "rewrite cmd/wardstat/testdata/golden from what the code writes now (make golden)")

// The demo district of the golden files: a fixed day (a Monday after Tết
// 2026) and five months of history, so the window crosses a year end, Tết
// and the earlier export the later one updates. At a fifth of the volume
// every channel and status still occurs (about 4,000 dossiers).
const (
	goldenToday  = "2026-03-16"
	goldenMonths = 5
	goldenScale  = "0.2"
)

func TestGoldenDemo(t *testing.T) {
	skipIfShort(t, "the demo district's sixteen loads (go test -run TestGolden ./cmd/wardstat)")
	t.Setenv(transform.KeyEnv, "golden")
	root := goldenRoot(t)
	dir := t.TempDir()
	t.Chdir(dir) // relative paths in what the demo prints
	got := goldenFiles{}
	out := mustRun(t, "--db", "wardstat.duckdb", "--lang", "vi", "demo", "--today", goldenToday,
		"--months", strconv.Itoa(goldenMonths), "--scale", goldenScale, "--dir", "demo-exports", "--out", "parquet", "--reports", "reports")
	got.add("demo.txt", []byte(sortWrote(out)))

	today, _ := time.Parse(time.DateOnly, goldenToday)
	first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	start := first.AddDate(0, -goldenMonths, 0)
	var periods [][2]string
	for m := start; !m.After(first); m = m.AddDate(0, 1, 0) {
		periods = append(periods, [2]string{m.Format("2006-01"), ""})
	}
	periods = append(periods, [2]string{"window", start.Format(time.DateOnly) + ".." + goldenToday})
	goldenReports(t, "wardstat.duckdb", periods, got)

	lastMonth := first.AddDate(0, -1, 0)
	// The demo wrote last month's nightly report with its fixed day.
	for _, name := range []string{"bao-cao-" + lastMonth.Format("2006-01") + ".html", "bieu06-" + lastMonth.Format("2006-01") + ".xlsx"} {
		got.add("nightly/demo-"+name+".txt", dumpReportFile(t, filepath.Join("reports", name)))
	}
	w := openGolden(t, "wardstat.duckdb")
	now := time.Date(today.Year(), today.Month(), today.Day(), 17, 0, 0, 0, vietnam)
	for m := start; !m.After(first); m = m.AddDate(0, 1, 0) {
		goldenNightly(t, w, report.Options{Month: m, Lang: "vi", Now: now}, m.Format("2006-01"), got)
	}
	goldenNightly(t, w, report.Options{Month: lastMonth, Lang: "en", Now: now}, lastMonth.Format("2006-01")+"-en", got)
	goldenNightly(t, w, report.Options{Month: lastMonth, Ward: "000.11.27.H37", Lang: "vi", Now: now}, lastMonth.Format("2006-01")+"-000.11.27.H37", got)
	goldenMarts(t, w, got)
	got.check(t, filepath.Join(root, "demo"))
}

func TestGoldenHandCount(t *testing.T) {
	t.Setenv(transform.KeyEnv, "golden")
	fx, _ := filepath.Abs("../../testdata/report/handcount/")
	root := goldenRoot(t)
	dir := t.TempDir()
	t.Chdir(dir)
	got := goldenFiles{}
	db := "handcount.duckdb"
	out := mustRun(t, "--db", db, "--lang", "vi", "units", "import", filepath.Join(fx, "units.csv"))
	out += mustRun(t, "--db", db, "--lang", "vi", "ingest", filepath.Join(fx, "ward-export.csv"), filepath.Join(fx, "api-export.json"))
	got.add("ingest.txt", []byte(strings.ReplaceAll(out, fx+string(filepath.Separator), "")))
	goldenReports(t, db, [][2]string{
		{"2024-01", ""}, {"2024-02", ""}, {"2024-03", ""}, {"2024-04", ""},
		{"q1", "2024-01-01..2024-03-31"},
	}, got)
	w := openGolden(t, db)
	now := time.Date(2024, 4, 10, 17, 0, 0, 0, vietnam)
	march := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	goldenNightly(t, w, report.Options{Month: march, Lang: "vi", Now: now}, "2024-03", got)
	goldenNightly(t, w, report.Options{Month: march, Lang: "en", Now: now}, "2024-03-en", got)
	goldenMarts(t, w, got)
	got.check(t, filepath.Join(root, "handcount"))
}

// goldenReports runs `report` for each period (a month, or a named
// from..to): JSON at every level, the table with its totals, the Biểu 06
// workbook at every level.
func goldenReports(t *testing.T, db string, periods [][2]string, got goldenFiles) {
	t.Helper()
	for _, p := range periods {
		args := []string{"--month", p[0]}
		if p[1] != "" {
			from, to, _ := strings.Cut(p[1], "..")
			args = []string{"--from", from, "--to", to}
		}
		for _, by := range warehouse.Levels {
			base := append([]string{"--db", db, "--lang", "vi", "report", "--by", by}, args...)
			got.add("report/"+p[0]+"-"+by+".json", []byte(mustRun(t, append(base, "--format", "json")...)))
			xlsx := filepath.Join(t.TempDir(), "form.xlsx")
			mustRun(t, append(base, "--format", "xlsx", "--out", xlsx)...)
			got.add("xlsx/"+p[0]+"-"+by+".txt", dumpReportFile(t, xlsx))
		}
		got.add("report/"+p[0]+"-ward.txt", []byte(mustRun(t, append([]string{"--db", db, "--lang", "vi", "report", "--format", "table"}, args...)...)))
	}
}

// goldenNightly writes the nightly report of opt and keeps both files.
func goldenNightly(t *testing.T, w *warehouse.Warehouse, opt report.Options, name string, got goldenFiles) {
	t.Helper()
	dir := t.TempDir()
	paths, err := report.Nightly(context.Background(), w.DB(), dir, opt)
	if err != nil {
		t.Fatalf("nightly %s: %v", name, err)
	}
	for _, p := range paths {
		ext := filepath.Ext(p)
		got.add("nightly/"+name+ext+".txt", dumpReportFile(t, p))
	}
}

// goldenMarts keeps every mart the lake exports, and ward_month they are
// built on: a header of column names and types, then every row, ordered
// by all columns.
func goldenMarts(t *testing.T, w *warehouse.Warehouse, got goldenFiles) {
	t.Helper()
	for _, view := range append([]string{"ward_month"}, warehouse.LakeMarts...) {
		got.add("marts/"+view+".tsv", dumpQuery(t, w.DB(), "SELECT * FROM "+view+" ORDER BY ALL"))
	}
}

func openGolden(t *testing.T, db string) *warehouse.Warehouse {
	t.Helper()
	w, err := warehouse.Open(context.Background(), db, warehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// goldenRoot is cmd/wardstat/testdata/golden, found before a test changes
// its working directory.
func goldenRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("testdata", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// sortWrote sorts the "đã ghi FILE" lines the demo prints (the nightly
// report's two files come in map order).
func sortWrote(out string) string {
	lines := strings.SplitAfter(out, "\n")
	for i := 0; i < len(lines); {
		j := i
		for j < len(lines) && strings.HasPrefix(lines[j], "đã ghi ") {
			j++
		}
		sort.Strings(lines[i:j])
		i = j + 1
	}
	return strings.Join(lines, "")
}

// dumpReportFile turns a report output into text a person can diff: an
// HTML page into its visible text, a workbook into its cells.
func dumpReportFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	switch filepath.Ext(path) {
	case ".html":
		out, err = htmlText(b)
	case ".xlsx":
		out, err = xlsxCells(b)
	default:
		err = fmt.Errorf("no dump for %s", path)
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

// htmlText is a page's visible text, one text node a line, white space
// folded: what a reader sees, charts' SVG labels included, scripts and
// styles left out.
func htmlText(b []byte) ([]byte, error) {
	z := html.NewTokenizer(bytes.NewReader(b))
	var out bytes.Buffer
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			if errors.Is(z.Err(), io.EOF) {
				return out.Bytes(), nil
			}
			return nil, z.Err()
		case html.StartTagToken:
			if name, _ := z.TagName(); string(name) == "script" || string(name) == "style" {
				skip++
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); (string(name) == "script" || string(name) == "style") && skip > 0 {
				skip--
			}
		case html.TextToken:
			if skip > 0 {
				continue
			}
			if s := strings.Join(strings.Fields(string(z.Text())), " "); s != "" {
				out.WriteString(s + "\n")
			}
		}
	}
}

// xlsxCells dumps a workbook: each sheet in order, its merged ranges, then
// each non-empty cell with its raw value, its formula, and the value as
// shown when the number format changes it.
func xlsxCells(b []byte) ([]byte, error) {
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out bytes.Buffer
	for _, sheet := range f.GetSheetList() {
		fmt.Fprintf(&out, "== sheet %s\n", sheet)
		merged, err := f.GetMergeCells(sheet)
		if err != nil {
			return nil, err
		}
		var ranges []string
		for _, m := range merged {
			ranges = append(ranges, m.GetStartAxis()+":"+m.GetEndAxis())
		}
		sort.Strings(ranges)
		for _, r := range ranges {
			fmt.Fprintf(&out, "merged %s\n", r)
		}
		raw, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, err
		}
		for r, row := range raw {
			for c, v := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				formula, _ := f.GetCellFormula(sheet, cell)
				if v == "" && formula == "" {
					continue
				}
				line := cell + "\t" + v
				if formula != "" {
					line += "\t=" + formula
				}
				if shown, err := f.GetCellValue(sheet, cell); err == nil && shown != v {
					line += "\t[" + shown + "]"
				}
				out.WriteString(line + "\n")
			}
		}
	}
	return out.Bytes(), nil
}

// dumpQuery writes a query's result as tab-separated text: a header of
// "name type" columns, then one line a row.
func dumpQuery(t *testing.T, db *sql.DB, q string) []byte {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for i, c := range types {
		if i > 0 {
			out.WriteByte('\t')
		}
		out.WriteString(c.Name() + " " + c.DatabaseTypeName())
	}
	out.WriteByte('\n')
	vals := make([]any, len(types))
	ptrs := make([]any, len(types))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if i > 0 {
				out.WriteByte('\t')
			}
			out.WriteString(goldenValue(v))
		}
		out.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// goldenValue writes one value the same way on every run.
func goldenValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case float64:
		if math.IsNaN(x) {
			return "NaN"
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case time.Time:
		x = x.UTC()
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.RFC3339Nano)
	case []byte:
		return strconv.Quote(string(x))
	case string:
		if strings.ContainsAny(x, "\t\n\r\\") {
			return strconv.Quote(x)
		}
		return x
	}
	return fmt.Sprintf("%v", v)
}

// goldenFiles are the outputs of one fixture, by path under its golden folder.
type goldenFiles map[string][]byte

func (g goldenFiles) add(name string, b []byte) { g[name] = b }

// check compares every output with its golden file byte for byte, and the
// golden folder holds no file no output made; with -update it rewrites the
// folder instead.
func (g goldenFiles) check(t *testing.T, dir string) {
	t.Helper()
	if *updateGolden {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		for name, b := range g {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("rewrote %d golden files in %s", len(g), dir)
		return
	}
	const hint = "if the change is intended: make golden, and review the diff"
	var names []string
	for name := range g {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		want, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Errorf("%s: no golden file (%v); %s", name, err, hint)
			continue
		}
		if !bytes.Equal(g[name], want) {
			t.Errorf("%s differs from its golden file: %s; %s", name, firstDiff(g[name], want), hint)
		}
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if _, ok := g[filepath.ToSlash(rel)]; !ok {
			t.Errorf("%s: a golden file nothing writes any more; %s", rel, hint)
		}
		return nil
	})
}

// firstDiff says where got first differs from want: line number and both lines.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if i >= len(g) || i >= len(w) || gl != wl {
			return fmt.Sprintf("line %d (of %d, golden %d)\n got: %q\nwant: %q", i+1, len(g), len(w), gl, wl)
		}
	}
	return "same lines, different bytes"
}
