package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/sys/unix"

	"wardstat/internal/testkit/whtest"
)

// oneLine2 asserts err is a command-line mistake said in one line.
func oneLine2(t *testing.T, what string, err error) string {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
		return ""
	}
	line := errorLine(err, "en")
	if exitCode(err) != 2 || strings.Contains(line, "\n") {
		t.Errorf("%s: exit %d, want 2 and one line: %s", what, exitCode(err), line)
	}
	return line
}

// TestOutNeverReplacesWhatIsNotAFile (issue 16, trap 5, attacked): the
// workbook was written as PATH.tmp renamed over PATH, so `--out
// /dev/stdout` on a terminal replaced the system's link with a file, a
// FIFO became a file and a link was replaced instead of its target. Now a
// path that is a terminal (directly or through a link, as /dev/stdout
// is), a FIFO or a folder is refused before anything is written, and
// stays what it was; a link is written through (the link stays, its
// target holds the workbook); a missing folder is named as given, with
// what to do. The nightly report's and export's folders are checked too.
func TestOutNeverReplacesWhatIsNotAFile(t *testing.T) {
	db, _ := handcountWarehouse(t)
	dir := t.TempDir()
	_, slave := openPTY(t)
	termLink := filepath.Join(dir, "stdout") // what /dev/stdout is on a terminal
	if err := os.Symlink(slave.Name(), termLink); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.xlsx")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(dir, "folder.xlsx")
	os.Mkdir(folder, 0o755)
	xlsx := func(out string, more ...string) (string, error) {
		_, stderr, err := run(t, append([]string{"--db", db, "--lang", "en", "report", "--month", "2024-03", "--format", "xlsx", "--out", out}, more...)...)
		return stderr, err
	}
	for _, tc := range []struct {
		path, kind string
		mode       fs.FileMode
	}{
		{slave.Name(), "a terminal", fs.ModeCharDevice},
		{termLink, "a terminal", fs.ModeSymlink},
		{fifo, "a pipe (FIFO)", fs.ModeNamedPipe},
		{folder, "a folder", fs.ModeDir},
	} {
		_, err := xlsx(tc.path)
		line := oneLine2(t, tc.path, err)
		if !strings.Contains(line, tc.kind) || !strings.Contains(line, "--out "+tc.path) {
			t.Errorf("%s: %s", tc.path, line)
		}
		fi, lerr := os.Lstat(tc.path)
		if lerr != nil || fi.Mode()&tc.mode == 0 {
			t.Errorf("%s is no longer what it was: %v %v", tc.path, fi.Mode(), lerr)
		}
		if _, err := os.Stat(tc.path + ".tmp"); err == nil {
			t.Errorf("%s.tmp left behind", tc.path)
		}
	}

	// A link to a file: the target is written, the link stays.
	target := filepath.Join(dir, "real.xlsx")
	os.WriteFile(target, []byte("old"), 0o644)
	link := filepath.Join(dir, "link.xlsx")
	os.Symlink(target, link)
	if stderr, err := xlsx(link); err != nil {
		t.Fatalf("through a link: %v\n%s", err, stderr)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v", fi.Mode())
	}
	if f, err := excelize.OpenFile(target); err != nil {
		t.Errorf("the link's target is not the workbook: %v", err)
	} else {
		f.Close()
	}

	// A missing folder: named as given, not PATH.tmp, and what to do.
	missing := filepath.Join(dir, "no", "such", "x.xlsx")
	_, err := xlsx(missing)
	line := oneLine2(t, "missing folder", err)
	if !strings.Contains(line, "--out "+missing) || strings.Contains(line, ".tmp") || !strings.Contains(line, "mkdir -p "+filepath.Dir(missing)) {
		t.Errorf("missing folder: %s", line)
	}
	// The table and csv formats take the same path checks.
	_, _, err = run(t, "--db", db, "--lang", "en", "report", "--month", "2024-03", "--format", "csv", "--out", fifo)
	oneLine2(t, "csv into a FIFO", err)

	// Folders: --nightly's and export's --out must be folders.
	file := filepath.Join(dir, "a-file")
	os.WriteFile(file, []byte("keep"), 0o644)
	_, _, err = run(t, "--db", db, "--lang", "en", "report", "--nightly", "--month", "2024-03", "--out", file)
	if line := oneLine2(t, "--nightly into a file", err); !strings.Contains(line, "not a folder") {
		t.Errorf("--nightly into a file: %s", line)
	}
	_, _, err = run(t, "--db", db, "--lang", "en", "export", "--out", fifo)
	if line := oneLine2(t, "export into a FIFO", err); !strings.Contains(line, "a pipe (FIFO)") {
		t.Errorf("export into a FIFO: %s", line)
	}
	if b, _ := os.ReadFile(file); string(b) != "keep" {
		t.Errorf("the file was changed: %q", b)
	}
	if fi, _ := os.Lstat(fifo); fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced")
	}
}

// pendingFixture is a warehouse whose ward H03.01 has one dossier
// received three days ago, due in two days and still open, and one
// received five days ago, due yesterday and still open.
func pendingFixture(t *testing.T, today time.Time) string {
	t.Helper()
	t.Setenv("WARDSTAT_PII_KEY", "fixrep")
	dir := t.TempDir()
	db := whtest.At(t, filepath.Join(dir, "w.duckdb"))
	reg := filepath.Join(dir, "units.csv")
	os.WriteFile(reg, []byte("code,name,district,province,valid_from,valid_to\nH03.01,Phường Ba,Quận Ba,Tỉnh Thử,2020-01-01,\n"), 0o644)
	mustRun(t, "--db", db, "units", "import", reg)
	d := func(days int) time.Time { return today.AddDate(0, 0, days) }
	line := func(n int, recv, due time.Time) string {
		return "H03.01-" + recv.Format("060102") + "-000" + string(rune('0'+n)) + ",Trực tiếp," + recv.Format("02/01/2006") + " 09:00," + due.Format("02/01/2006") + ",,,,Đang xử lý\n"
	}
	csv := filepath.Join(dir, "export.csv")
	os.WriteFile(csv, []byte("Mã hồ sơ,Hình thức nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Ngày trả kết quả,Ngày rút,Trạng thái\n"+
		line(1, d(-3), d(2))+line(2, d(-5), d(-1))), 0o644)
	mustRun(t, "--db", db, "ingest", csv)
	return db
}

// TestPeriodEndingAfterTodayIsReportedAsOfToday (issue 16, trap 3,
// attacked): a period that ends after today counted every open dossier
// due before the period's end as overdue, though not due yet, with only a
// warning whose advice (--to) fails beside --month. Now its end becomes
// today: the figures equal the period cut at today (the due-in-two-days
// dossier is in time), the title and a note on standard error say the
// real dates, and --nightly's workbook and page say so in their titles.
func TestPeriodEndingAfterTodayIsReportedAsOfToday(t *testing.T) {
	now := time.Now().In(vietnam)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	db := pendingFixture(t, today)
	from, later := today.AddDate(0, 0, -10).Format(time.DateOnly), today.AddDate(0, 0, 10).Format(time.DateOnly)
	out, stderr, err := run(t, "--db", db, "--lang", "en", "report", "--from", from, "--to", later, "--format", "csv")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	cut := mustRun(t, "--db", db, "report", "--from", from, "--to", today.Format(time.DateOnly), "--format", "csv")
	if out != cut {
		t.Errorf("a period ending after today must give the figures as of today:\n%s\nwant\n%s", out, cut)
	}
	if !strings.Contains(out, ",2,1,1,") { // pending 2: 1 in time, 1 overdue
		t.Errorf("pending figures:\n%s", out)
	}
	if !strings.Contains(stderr, "has not ended") || !strings.Contains(stderr, today.Format("02/01/2006")) || strings.Contains(stderr, "--to ") {
		t.Errorf("the note:\n%s", stderr)
	}
	table, stderr, err := run(t, "--db", db, "report", "--from", from, "--to", later)
	if err != nil || !strings.Contains(table, "đến "+today.Format("02/01/2006")) || !strings.Contains(stderr, "chưa kết thúc") {
		t.Errorf("the table's title says the real end, the note is Vietnamese: %v\n%s\n%s", err, table, stderr)
	}
	// --month and --to together: the message says what --month means.
	_, _, err = run(t, "--db", db, "--lang", "en", "report", "--month", "2026-12", "--to", "2026-12-07")
	if line := oneLine2(t, "--month with --to", err); !strings.Contains(line, "--month 2026-12 is --from 2026-12-01 --to 2026-12-31") {
		t.Errorf("--month with --to: %s", line)
	}

	monthEnd := time.Date(today.Year(), today.Month()+1, 0, 0, 0, 0, 0, time.UTC)
	if !monthEnd.After(today) || today.Day() < 6 {
		t.Skip("the month ends today or the fixture's dossiers fall in the previous month: the nightly part needs a day in the middle of a month")
	}
	dir := t.TempDir()
	xl := filepath.Join(dir, "form.xlsx")
	if _, stderr, err := run(t, "--db", db, "--lang", "en", "report", "--month", today.Format("2006-01"), "--format", "xlsx", "--out", xl); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	check := func(path, sheet string) {
		f, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		a3, _ := f.GetCellValue(sheet, "A3")
		a4, _ := f.GetCellValue(sheet, "A4")
		if !strings.Contains(a3, today.Format("02/01/2006")) || !strings.Contains(a4, "as of "+today.Format("02/01/2006")) {
			t.Errorf("%s: title %q, note %q", path, a3, a4)
		}
		o6, _ := f.GetCellValue(sheet, "O9") // pending overdue
		n6, _ := f.GetCellValue(sheet, "N9") // pending in time
		if o6 != "1" || n6 != "1" {
			t.Errorf("%s: in time %s, overdue %s; want 1 and 1", path, n6, o6)
		}
	}
	check(xl, "Form 06")
	nightly := filepath.Join(dir, "nightly")
	out, stderr, err = run(t, "--db", db, "--lang", "en", "report", "--nightly", "--month", today.Format("2006-01"), "--out", nightly)
	if err != nil || !strings.Contains(stderr, "has not ended") {
		t.Fatalf("--nightly of the current month: %v\n%s%s", err, out, stderr)
	}
	books, _ := filepath.Glob(filepath.Join(nightly, "bieu06-*.xlsx"))
	pages, _ := filepath.Glob(filepath.Join(nightly, "bao-cao-*.html"))
	if len(books) != 1 || len(pages) != 1 {
		t.Fatalf("nightly files: %v %v", books, pages)
	}
	check(books[0], "Form 06")
	f, err := excelize.OpenFile(books[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if note, _ := f.GetCellValue("Anomalies", "C2"); !strings.Contains(note, "has not ended") {
		t.Errorf("the anomalies sheet of a month not over: %q", note)
	}
	trend, _ := f.GetRows("Trend")
	if last := trend[len(trend)-1]; len(last) < 9 || last[0] != today.Format("2006-01") || last[8] != "1" {
		t.Errorf("the trend's current month counts overdue as of today: %q", last)
	}
	if page, _ := os.ReadFile(pages[0]); !strings.Contains(string(page), "as of "+today.Format("02/01/2006")) {
		t.Errorf("the page does not say it is as of today")
	}
}

// TestWardFilterOddCases (issue 16, trap 3, attacked): --ward "" or " "
// gave the whole district; "Phường 01" did not find "Phường 1"; unknown
// and ambiguous wards exited 1; --ward with --by district labelled one
// ward's figures as its district's; the note of a renamed unit put its
// new name beside the district it left. Also the Biểu 06 workbook named
// two "Phường 1" of two districts alike.
func TestWardFilterOddCases(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "fixrep")
	dir := t.TempDir()
	db := whtest.At(t, filepath.Join(dir, "w.duckdb"))
	reg := filepath.Join(dir, "units.csv")
	os.WriteFile(reg, []byte("code,name,district,province,valid_from,valid_to\n"+
		"H03.01,Phường 1,Quận Ba,Tỉnh Thử,2020-01-01,\n"+
		"H05.01,Phường 1,Quận Năm,Tỉnh Thử,2020-01-01,\n"+
		"H07.07,Phường Bảy,Quận Bảy,Tỉnh Thử,2020-01-01,2025-06-30\n"+
		"H07.07,Phường Sông Xanh,,Tỉnh Thử,2025-07-01,\n"), 0o644)
	mustRun(t, "--db", db, "units", "import", reg)
	csv := filepath.Join(dir, "export.csv")
	os.WriteFile(csv, []byte("Mã hồ sơ,Hình thức nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Ngày trả kết quả,Ngày rút,Trạng thái\n"+
		"H03.01-240304-0001,Trực tiếp,04/03/2024 09:00,08/03/2024,07/03/2024 10:00,,,Đã có kết quả\n"+
		"H05.01-240304-0001,Trực tiếp,04/03/2024 09:00,08/03/2024,,,,Đang xử lý\n"+
		"H05.01-240305-0001,Trực tiếp,05/03/2024 09:00,08/03/2024,,,,Đang xử lý\n"+
		"H07.07-240304-0001,Trực tiếp,04/03/2024 09:00,08/03/2024,,,,Đang xử lý\n"), 0o644)
	mustRun(t, "--db", db, "ingest", csv)
	report := func(args ...string) (string, string, error) {
		return run(t, append([]string{"--db", db, "--lang", "en", "report", "--month", "2024-03", "--format", "csv"}, args...)...)
	}
	for _, empty := range []string{"", " "} {
		out, _, err := report("--ward", empty)
		if line := oneLine2(t, "--ward "+empty, err); out != "" || !strings.Contains(line, "--ward is empty") {
			t.Errorf("--ward %q: %s\n%s", empty, line, out)
		}
	}
	_, _, err := report("--ward", "nowhere")
	oneLine2(t, "unknown ward", err)
	_, _, err = report("--ward", "Phường 1")
	if line := oneLine2(t, "ambiguous ward", err); !strings.Contains(line, "H03.01") || !strings.Contains(line, "H05.01") {
		t.Errorf("ambiguous: %s", line)
	}
	_, _, err = report("--ward", "Phường 01")
	if line := oneLine2(t, "padded number", err); !strings.Contains(line, "H05.01") {
		t.Errorf("Phường 01 must find both Phường 1: %s", line)
	}
	out, _, err := report("--ward", "phuong 007")
	if err == nil {
		t.Errorf("phuong 007 is no unit: %s", out)
	}
	out, stderr, err := report("--ward", "Phường Bảy")
	if err != nil || !strings.Contains(out, "H07.07,") {
		t.Fatalf("--ward by an old name: %v\n%s", err, out)
	}
	if !strings.Contains(stderr, "H07.07 (Phường Bảy, Quận Bảy)") {
		t.Errorf("the note shows the unit as it was in the period: %s", stderr)
	}
	_, stderr, err = run(t, "--db", db, "--lang", "en", "report", "--month", "2025-08", "--format", "csv", "--ward", "phuong bay")
	if err != nil || !strings.Contains(stderr, "H07.07 (Phường Sông Xanh)") {
		t.Errorf("after the renaming, the new name and no district: %v\n%s", err, stderr)
	}
	_, _, err = report("--ward", "H03.01", "--by", "district")
	if line := oneLine2(t, "--ward with --by district", err); !strings.Contains(line, "--by") {
		t.Errorf("--ward --by district: %s", line)
	}

	// The workbook tells the two "Phường 1" apart.
	xl := filepath.Join(dir, "b.xlsx")
	mustRun(t, "--db", db, "report", "--month", "2024-03", "--format", "xlsx", "--out", xl)
	f, err := excelize.OpenFile(xl)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := map[string]string{}
	for _, ref := range []string{"B9", "B10"} {
		v, _ := f.GetCellValue("Biểu 06", ref)
		c, _ := f.GetCellValue("Biểu 06", "C"+ref[1:])
		names[v] = c
	}
	if names["Phường 1 (Quận Ba)"] != "1" || names["Phường 1 (Quận Năm)"] != "2" {
		t.Errorf("the two Phường 1 lines: %v", names)
	}
}

// TestSQLEmptySmallAndBatched (issue 16, traps 4 and 9, attacked): an
// empty statement (";", "", a comment) was an English "query: the
// statement is empty" with exit 1; several statements refused for CSV
// exited 1; a DOUBLE column printed 0.004 and 1e-9 as 0.00. A batch of
// statements still runs each checked, in order, on one opening.
func TestSQLEmptySmallAndBatched(t *testing.T) {
	db, _ := handcountWarehouse(t)
	for _, q := range []string{";", "", " ;; ", "/* nothing */"} {
		out, _, err := run(t, "--db", db, "sql", q)
		if err == nil || exitCode(err) != 2 || out != "" {
			t.Errorf("sql %q: exit %d (%v)", q, exitCode(err), err)
			continue
		}
		if vi := errorLine(err, "vi"); !strings.Contains(vi, "câu truy vấn trống") || strings.Contains(vi, "empty") {
			t.Errorf("sql %q in Vietnamese: %s", q, vi)
		}
	}
	_, _, err := runIn(t, ";\n", "--db", db, "sql")
	oneLine2(t, "stdin ;", err)
	_, _, err = run(t, "--db", db, "sql", "--format", "csv", "SELECT 1; SELECT 2")
	oneLine2(t, "two statements in CSV", err)

	out := mustRun(t, "--db", db, "sql", "SELECT 0.004::DOUBLE AS small, 1e-9::DOUBLE AS tiny, 40.0::DOUBLE AS rate UNION ALL SELECT 0.5, 2e-9, 33.1 ORDER BY 1")
	for _, want := range []string{"0.0040  0.00000000100  40.00", "0.5000  0.00000000200  33.10"} {
		if !strings.Contains(out, want) {
			t.Errorf("small doubles: want %q in\n%s", want, out)
		}
	}
	out = mustRun(t, "--db", db, "sql", "SELECT 1e-30::DOUBLE AS x UNION ALL SELECT 0")
	if !strings.Contains(out, "1.00e-30") || !strings.Contains(out, "0.00e+00") {
		t.Errorf("a value past 12 decimals makes the column scientific:\n%s", out)
	}

	out, _, err = runIn(t, "SELECT 'one' AS a;\nSELECT 'two' AS b;\nSELECT 'three' AS c;", "--db", db, "sql")
	if err != nil || strings.Index(out, "one") > strings.Index(out, "two") || strings.Index(out, "two") > strings.Index(out, "three") {
		t.Errorf("a batch in order: %v\n%s", err, out)
	}
	// The warehouse is released after the batch: a load can open it.
	mustRun(t, "--db", db, "ingest", "--reload", "../../testdata/report/handcount/ward-export.csv")
}
