package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/sys/unix"

	"wardstat/internal/testkit/whtest"
)

// openPTY is a pseudo-terminal: what the command writes to slave, the
// test reads from master.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { slave.Close(); master.Close() })
	return master, slave
}

// runOn runs the CLI in-process with its standard output on out.
func runOn(out *os.File, args ...string) (stderr string, err error) {
	var errb bytes.Buffer
	cmd := newRootCommand(out, &errb)
	cmd.SetArgs(args)
	cmd.SetIn(strings.NewReader(""))
	err = cmd.ExecuteContext(context.Background())
	return errb.String(), err
}

// TestReportXLSXIsTheOfficialFormAndNeverOnATerminal (issue 16, trap 5):
// `report --format xlsx` on a terminal without --out is refused in one
// line naming --out and writes nothing to the terminal; with --out (or
// into a pipe) the workbook is Biểu 06 as the nightly report lays it out:
// the merged two-row header, its texts, the column numbers, a line per
// unit and the totals, at ward and at district level.
func TestReportXLSXIsTheOfficialFormAndNeverOnATerminal(t *testing.T) {
	db, _ := handcountWarehouse(t)
	master, slave := openPTY(t)
	for _, lang := range []string{"vi", "en"} {
		_, err := runOn(slave, "--db", db, "--lang", lang, "report", "--month", "2024-03", "--format", "xlsx")
		if err == nil || !strings.Contains(err.Error(), "--out") || strings.Contains(err.Error(), "\n") || exitCode(err) != 2 {
			t.Errorf("%s: xlsx on a terminal: %v", lang, err)
		}
	}
	fd := int(master.Fd()) // Fd makes it blocking: once, before SetNonblock
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if n, err := unix.Read(fd, make([]byte, 4096)); n > 0 || !errors.Is(err, unix.EAGAIN) {
		t.Errorf("the terminal received %d bytes (%v)", n, err)
	}

	dir := t.TempDir()
	xl := filepath.Join(dir, "bieu06.xlsx")
	_, stderr, err := run(t, "--db", db, "report", "--month", "2024-03", "--format", "xlsx", "--out", xl)
	if err != nil || !strings.Contains(stderr, xl) {
		t.Fatalf("report --out: %v\n%s", err, stderr)
	}
	f, err := excelize.OpenFile(xl)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	merged, err := f.GetMergeCells("Biểu 06")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range merged {
		got[m.GetStartAxis()+":"+m.GetEndAxis()] = m.GetCellValue()
	}
	for span, text := range map[string]string{
		"A5:A7": "STT", "B5:B7": "Đơn vị", "C5:G5": "Số hồ sơ nhận giải quyết", "C6:C7": "Tổng số",
		"D6:D7": "Kỳ trước chuyển qua", "E6:G6": "Mới tiếp nhận", "H5:K5": "", "M5:O5": "", "P5:P7": "",
	} {
		v, ok := got[span]
		if !ok || (text != "" && v != text) {
			t.Errorf("merged %s: %q (%v), want %q; merged cells: %v", span, v, ok, text, got)
		}
	}
	cell := func(ref string) string {
		v, _ := f.GetCellValue("Biểu 06", ref)
		return v
	}
	if cell("E7") != "Trực tuyến" || cell("A8") != "(1)" || cell("P8") != "(16)" {
		t.Errorf("second header row or column numbers: %q %q %q", cell("E7"), cell("A8"), cell("P8"))
	}
	// The hand count of the CSV export alone (the JSON one is not loaded):
	// the same figures as report --format csv.
	csvOut := mustRun(t, "--db", db, "report", "--month", "2024-03", "--format", "csv")
	if !strings.Contains(csvOut, "H01.01,Phường Một,Quận Một,Tỉnh Thử,"+cell("C9")+","+cell("D9")+",") {
		t.Errorf("xlsx C9, D9 = %s, %s; csv:\n%s", cell("C9"), cell("D9"), csvOut)
	}
	if cell("B9") != "Phường Một" || cell("C9") != "9" || cell("D9") != "4" || cell("B10") != "Xã Hai" || cell("B11") != "Tổng cộng" {
		t.Errorf("form lines: %q %q %q %q %q", cell("B9"), cell("C9"), cell("D9"), cell("B10"), cell("B11"))
	}
	if !strings.Contains(cell("A3"), "01/03/2024") || !strings.Contains(cell("A3"), "31/03/2024") {
		t.Errorf("period: %q", cell("A3"))
	}

	// District level, English, into a pipe (not a terminal): the same layout.
	out, _, err := run(t, "--db", db, "--lang", "en", "report", "--month", "2024-03", "--by", "district", "--format", "xlsx")
	if err != nil {
		t.Fatal(err)
	}
	g, err := excelize.OpenReader(strings.NewReader(out))
	if err != nil {
		t.Fatalf("stdout is not a workbook: %v", err)
	}
	defer g.Close()
	merged, _ = g.GetMergeCells("Form 06")
	if len(merged) < 15 {
		t.Errorf("district form: %d merged cells", len(merged))
	}
	names := []string{}
	for _, ref := range []string{"B9", "B10", "B11"} {
		v, _ := g.GetCellValue("Form 06", ref)
		names = append(names, v)
	}
	if !strings.HasPrefix(names[0], "Quận Một") || names[2] != "Total" {
		t.Errorf("district lines: %q", names)
	}
}

// TestWardFiltersFindTheirWardOrSaySo (issue 16, trap 3): a filter never
// answers an empty form for a ward it did not find. A code in lower case
// and a name (with or without diacritics, with or without "Phường") find
// their ward; an unknown code is an error naming the closest known codes
// and `wardstat units list`; a name two wards share is an error listing
// both; ingest --ward resolves the same way and warns (loading anyway)
// about a code neither in the registry nor shaped like one; a period
// wholly after today is refused, one ending after today reported as of today.
func TestWardFiltersFindTheirWardOrSaySo(t *testing.T) {
	db, fx := handcountWarehouse(t)
	dir := t.TempDir()
	// A registry where another district also has a "Xã Hai".
	reg, err := os.ReadFile(filepath.Join(fx, "units.csv"))
	if err != nil {
		t.Fatal(err)
	}
	regPath := filepath.Join(dir, "units.csv")
	os.WriteFile(regPath, append(reg, []byte("H02.02,Xã Hai,Quận Hai,Tỉnh Thử,2020-01-01,\n")...), 0o644)
	mustRun(t, "--db", db, "units", "import", regPath)

	form := func(ward string) string {
		t.Helper()
		out, stderr, err := run(t, "--db", db, "report", "--month", "2024-03", "--format", "csv", "--ward", ward)
		if err != nil {
			t.Fatalf("--ward %q: %v\n%s", ward, err, stderr)
		}
		return out
	}
	for _, given := range []string{"H01.01", "h01.01", " H01.01 ", "Phường Một", "phuong mot", "PHƯỜNG MỘT", "Một"} {
		out := form(given)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[1], "H01.01,Phường Một,") {
			t.Errorf("--ward %q: want the form of H01.01, got:\n%s", given, out)
		}
	}
	for _, tc := range []struct{ lang, ward string }{{"en", "H01.09"}, {"vi", "H01.09"}, {"en", "Phường Ba"}} {
		out, _, err := run(t, "--db", db, "--lang", tc.lang, "report", "--month", "2024-03", "--ward", tc.ward)
		if err == nil || exitCode(err) == 0 || out != "" {
			t.Errorf("--ward %q: exit 0 or a form:\n%s", tc.ward, out)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, "H01.01") || !strings.Contains(msg, "wardstat units list") || strings.Contains(msg, "\n") {
			t.Errorf("--ward %q (%s): the error must name the closest codes and the list command: %s", tc.ward, tc.lang, msg)
		}
	}
	out, _, err := run(t, "--db", db, "--lang", "en", "report", "--month", "2024-03", "--ward", "xa hai")
	if err == nil || out != "" || !strings.Contains(err.Error(), "H01.02") || !strings.Contains(err.Error(), "H02.02") || !strings.Contains(err.Error(), "several") {
		t.Errorf("an ambiguous name must list its candidates: %v\n%s", err, out)
	}
	nightly := filepath.Join(dir, "nightly")
	out, _, err = run(t, "--db", db, "report", "--nightly", "--month", "2024-03", "--ward", "h01.01", "--out", nightly)
	if err != nil || !strings.Contains(out, "H01.01") {
		t.Errorf("--nightly --ward h01.01: %v\n%s", err, out)
	}
	if _, _, err := run(t, "--db", db, "report", "--nightly", "--month", "2024-03", "--ward", "nowhere", "--out", nightly); err == nil {
		t.Error("--nightly with an unknown ward must fail")
	}

	// Periods after today.
	today := time.Now().In(vietnam)
	_, _, err = run(t, "--db", db, "--lang", "en", "report", "--month", today.AddDate(1, 0, 0).Format("2006-01"))
	if err == nil || !strings.Contains(err.Error(), "wholly after today") {
		t.Errorf("a future month: %v", err)
	}
	_, stderr, err := run(t, "--db", db, "--lang", "en", "report", "--from", today.AddDate(0, 0, -3).Format(time.DateOnly), "--to", today.AddDate(0, 0, 3).Format(time.DateOnly))
	if err != nil || !strings.Contains(stderr, "has not ended") || !strings.Contains(stderr, today.Format("02/01/2006")) {
		t.Errorf("a period ending after today: %v\n%s", err, stderr)
	}
}

// TestIngestWardIsResolvedOrWarnedAbout (issue 16, trap 3): ingest --ward
// resolves a registry name (or a code in another case) to the registry's
// code, keeps a new code shaped like one silently, and loads an odd code
// with a warning saying it is neither known nor shaped like a unit code.
func TestIngestWardIsResolvedOrWarnedAbout(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "sql")
	dir := t.TempDir()
	db := whtest.At(t, filepath.Join(dir, "w.duckdb"))
	fx, _ := filepath.Abs("../../testdata/report/handcount/")
	mustRun(t, "--db", db, "units", "import", filepath.Join(fx, "units.csv"))
	noUnit := func(name, code string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("Số hồ sơ,Ngày tiếp nhận,Thủ tục\n"+code+",04/03/2024,Khai sinh\n"), 0o644)
		return p
	}
	_, stderr, err := run(t, "--db", db, "--lang", "en", "ingest", "--ward", "phuong mot", noUnit("a.csv", "X-1"))
	if err != nil || strings.Contains(stderr, "warning") {
		t.Fatalf("ingest --ward by name: %v\n%s", err, stderr)
	}
	_, stderr, err = run(t, "--db", db, "--lang", "en", "ingest", "--ward", "H09.09", noUnit("b.csv", "X-2"))
	if err != nil || strings.Contains(stderr, "warning") {
		t.Fatalf("ingest --ward with a code-shaped new ward: %v\n%s", err, stderr)
	}
	_, stderr, err = run(t, "--db", db, "--lang", "en", "ingest", "--ward", "ward seven", noUnit("c.csv", "X-3"))
	if err != nil || !strings.Contains(stderr, `warning: --ward "ward seven" is not in the unit registry and not shaped like a unit code`) {
		t.Fatalf("ingest --ward with an odd code: %v\n%s", err, stderr)
	}
	out := mustRun(t, "--db", db, "sql", "--format", "csv", "SELECT dossier_code, ward_code FROM dossiers WHERE dossier_code LIKE 'X-%' ORDER BY 1")
	if out != "dossier_code,ward_code\nX-1,H01.01\nX-2,H09.09\nX-3,ward seven\n" {
		t.Errorf("stored wards:\n%s", out)
	}
}

// runIn runs the CLI in-process with stdin as its standard input.
func runIn(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := newRootCommand(&out, &errb)
	cmd.SetArgs(args)
	cmd.SetIn(strings.NewReader(stdin))
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

// TestSQLShowsEveryStatementInOrder (issue 16, trap 4): `sql "SELECT 1;
// SELECT 2"` printed only the second result. Every statement's result is
// shown, in order, from the argument, standard input and the prompt; each
// is checked by the sandbox before the first runs, so a refused one among
// them runs none; a semicolon inside a string does not cut; CSV and JSON,
// which hold one result, refuse several in one line.
func TestSQLShowsEveryStatementInOrder(t *testing.T) {
	db, _ := handcountWarehouse(t)
	const two = "SELECT 'a;b' AS first_one; SELECT count(*) AS second_one FROM dossiers -- done"
	for _, how := range []string{"argument", "stdin"} {
		var out string
		var err error
		if how == "argument" {
			out, _, err = run(t, "--db", db, "sql", two)
		} else {
			out, _, err = runIn(t, two, "--db", db, "sql")
		}
		if err != nil {
			t.Fatalf("%s: %v", how, err)
		}
		i, j := strings.Index(out, "first_one"), strings.Index(out, "second_one")
		if i < 0 || j < i || !strings.Contains(out[i:j], "a;b") || !strings.Contains(out[j:], "14") {
			t.Errorf("%s: both results, in order:\n%s", how, out)
		}
	}
	outside := filepath.Join(t.TempDir(), "o.csv")
	out, _, err := run(t, "--db", db, "--lang", "en", "sql", "SELECT 1 AS ran; COPY dossiers TO '"+outside+"'")
	if err == nil || out != "" || !strings.Contains(err.Error(), "statement 2 of 2") || strings.Contains(err.Error(), "\n") {
		t.Errorf("a refused statement among several: nothing runs, one line naming it: %v\n%s", err, out)
	}
	if _, err := os.Stat(outside); err == nil {
		t.Error("COPY wrote a file")
	}
	for _, format := range []string{"csv", "json"} {
		out, _, err := run(t, "--db", db, "--lang", "en", "sql", "--format", format, "SELECT 1; SELECT 2")
		if err == nil || out != "" || !strings.Contains(err.Error(), "run them one at a time") {
			t.Errorf("%s with two statements: %v\n%s", format, err, out)
		}
	}
	out = mustRun(t, "--db", db, "sql", "--format", "csv", "SELECT 'x;y' AS s;")
	if out != "s\nx;y\n" {
		t.Errorf("one statement with a semicolon in a string: %q", out)
	}

	// Issue 16, trap 9: one column, one format (40.00 beside 33.10; a
	// TIMESTAMP column's midnight with its time).
	out = mustRun(t, "--db", db, "sql", "SELECT 40.0::DOUBLE AS rate, received_at::DATE::TIMESTAMP AS at FROM dossiers WHERE dossier_code = 'H01.01-240220-0001' "+
		"UNION ALL SELECT 33.1, received_at FROM dossiers WHERE dossier_code = 'H01.01-240220-0001' ORDER BY 1 DESC")
	if !strings.Contains(out, "40.00  2024-02-20 00:00:00") || !strings.Contains(out, "33.10  2024-02-20 09:00:00") {
		t.Errorf("one column in two formats:\n%s", out)
	}

	// The interactive prompt: a line of two statements shows both.
	c := cli("--lang", "en", "--db", db, "sql", "--format", "csv")
	c.Env = append(c.Env, "HOME="+t.TempDir())
	term := startOnTerminal(t, c)
	term.expect("Read-only warehouse", 10*time.Second)
	term.send("SELECT 41 AS p; SELECT 42 AS q;\r")
	term.expect("statements given, and --format csv writes one result", 10*time.Second)
	c2 := cli("--lang", "en", "--db", db, "sql")
	c2.Env = append(c2.Env, "HOME="+t.TempDir())
	term2 := startOnTerminal(t, c2)
	term2.expect("Read-only warehouse", 10*time.Second)
	term2.send("SELECT 41 AS p; SELECT 42 AS q;\r")
	term2.expect("41\n(1 rows)", 10*time.Second)
	term2.expect("42\n(1 rows)", 10*time.Second)
	term2.send("\\q\r")
}

// TestNightlyYearToDateIsTheOfficialForm: the scheduler's year-to-date
// workbook (bieu06-YYYY-den-DATE.xlsx) is the Biểu 06 layout too, not a
// flat table (issue 16, trap 5).
func TestNightlyYearToDateIsTheOfficialForm(t *testing.T) {
	db, _ := handcountWarehouse(t)
	dir := filepath.Dir(db)
	os.MkdirAll(filepath.Join(dir, "drop"), 0o755)
	cfg := filepath.Join(dir, "wardstat.yml")
	os.WriteFile(cfg, []byte("warehouse: w.duckdb\nsources:\n  - name: drop\n    path: drop\n    schedule: \"0 2 * * *\"\njobs:\n  report: {schedule: \"0 3 * * *\"}\n"), 0o644)
	mustRun(t, "--db", db, "run", "--config", cfg, "--job", "report")
	books, _ := filepath.Glob(filepath.Join(dir, "reports", "bieu06-*-den-*.xlsx"))
	if len(books) != 1 {
		t.Fatalf("year-to-date workbooks: %v", books)
	}
	f, err := excelize.OpenFile(books[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	merged, _ := f.GetMergeCells("Biểu 06")
	spans := map[string]bool{}
	for _, m := range merged {
		spans[m.GetStartAxis()+":"+m.GetEndAxis()] = true
	}
	if !spans["C5:G5"] || !spans["E6:G6"] || !spans["A5:A7"] {
		t.Errorf("year-to-date workbook: merged cells %v", spans)
	}
	if v, _ := f.GetCellValue("Biểu 06", "B9"); v != "Phường Một" {
		t.Errorf("B9 = %q", v)
	}
}
