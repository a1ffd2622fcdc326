package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"wardstat/internal/testkit/whtest"
)

const goodCSV = "Mã hồ sơ,Ngày tiếp nhận,Hình thức nộp\nH08.01-240301-0001,01/03/2024,Trực tiếp\nH08.01-240301-0002,01/03/2024,Trực tuyến\n"

// runWithin runs the CLI and fails the test if it has not ended in time.
func runWithin(t *testing.T, limit time.Duration, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	type result struct {
		out, errOut string
		err         error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.out, r.errOut, r.err = run(t, args...)
		done <- r
	}()
	select {
	case r := <-done:
		return r.out, r.errOut, r.err
	case <-time.After(limit):
		t.Fatalf("wardstat %s still runs after %s", strings.Join(args, " "), limit)
		return "", "", nil
	}
}

// TestIngestRefusesWhatIsNotAFile: a named pipe and a link to /dev/zero
// among the files of a folder are each refused in one line, in the
// language asked for, and the good file beside them loads; the command
// ends (a pipe hung it forever, /dev/zero ran past 6 GB) and exits
// non-zero.
func TestIngestRefusesWhatIsNotAFile(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "odd")
	dir := t.TempDir()
	exports := filepath.Join(dir, "exports")
	os.MkdirAll(exports, 0o755)
	os.WriteFile(filepath.Join(exports, "a.csv"), []byte(goodCSV), 0o644)
	if err := syscall.Mkfifo(filepath.Join(exports, "z.csv"), 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(exports, "x.csv")); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "w.duckdb")
	for _, lang := range []string{"en", "vi"} {
		out, errOut, err := runWithin(t, 30*time.Second, "--db", db, "--lang", lang, "ingest", exports)
		if err == nil {
			t.Errorf("%s: exit 0 with two files refused", lang)
		}
		want := map[string]string{"en": "not a regular file but a named pipe", "vi": "không phải tệp thường mà là đường ống"}[lang]
		if !strings.Contains(errOut, "z.csv: ") || !strings.Contains(errOut, want) {
			t.Errorf("%s: the pipe is not refused in one line:\n%s", lang, errOut)
		}
		wantDev := map[string]string{"en": "not a regular file but a device", "vi": "không phải tệp thường mà là thiết bị"}[lang]
		if !strings.Contains(errOut, "x.csv: ") || !strings.Contains(errOut, wantDev) {
			t.Errorf("%s: the link to /dev/zero is not refused in one line:\n%s", lang, errOut)
		}
		if lang == "en" && !strings.Contains(out, "read 2 · loaded 2") {
			t.Errorf("the good file did not load beside them:\n%s", out)
		}
	}
}

// TestIngestEmptyFolder: a folder named like a file, holding nothing,
// says so and exits non-zero (it was silent, exit 0).
func TestIngestEmptyFolder(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "odd")
	dir := t.TempDir()
	empty := filepath.Join(dir, "x.csv")
	os.MkdirAll(empty, 0o755)
	_, errOut, err := run(t, "--db", filepath.Join(dir, "w.duckdb"), "--lang", "en", "ingest", empty)
	if err == nil || exitCode(err) == 0 {
		t.Errorf("an empty folder: exit 0")
	}
	if !strings.Contains(errOut, "x.csv: NOT LOADED: the folder holds no file to load") {
		t.Errorf("an empty folder is not said:\n%s", errOut)
	}
}

// TestIngestFolderHoldingTheWarehouse: a folder of exports that also holds
// the warehouse loads the exports and leaves the warehouse's own files
// alone (its .duckdb file was parsed as an export and 40 KB of binary
// printed); another DuckDB file there is refused in one short line.
func TestIngestFolderHoldingTheWarehouse(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "odd")
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	os.WriteFile(filepath.Join(dir, "a.csv"), []byte(goodCSV), 0o644)
	first := filepath.Join(t.TempDir(), "first.csv") // the warehouse exists before the folder is read
	os.WriteFile(first, []byte(strings.ReplaceAll(goodCSV, "0301-", "0302-")), 0o644)
	mustRun(t, "--db", db, "ingest", first)
	out, errOut, err := run(t, "--db", db, "--lang", "en", "ingest", dir)
	if err != nil {
		t.Fatalf("the folder holding the warehouse: %v\n%s", err, errOut)
	}
	if strings.Contains(out+errOut, "w.duckdb") || !strings.Contains(out, "read 2 · loaded 2") {
		t.Errorf("the warehouse was read as an export, or the export not loaded:\n%s\n%s", out, errOut)
	}
	// A copy of a warehouse is not the warehouse: refused, briefly.
	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "copy.duckdb")
	os.WriteFile(other, raw, 0o644)
	_, errOut, err = run(t, "--db", db, "--lang", "en", "ingest", other)
	if err == nil {
		t.Errorf("a DuckDB file loaded as an export")
	}
	if !strings.Contains(errOut, "a DuckDB database") || len(errOut) > 400 {
		t.Errorf("a DuckDB file is not refused in one short line:\n%.600s", errOut)
	}
}

// TestIngestOddInputsSayWhatIsWrong: each odd input gets one line that
// names its problem, in both languages, and the right exit code.
func TestIngestOddInputsSayWhatIsWrong(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "odd")
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	t.Run("a JSON scalar", func(t *testing.T) {
		for _, c := range []struct{ file, value, en, vi string }{{"n.json", "42", "a number", "một số"}, {"s.json", `"Nguyễn Văn Bình"`, "a string", "một chuỗi"}, {"z.json", "null", "null", "null"}} {
			p := write(c.file, c.value+"\n")
			for lang, want := range map[string]string{"en": "the JSON file holds a single value (" + c.en + ")", "vi": "tệp JSON chỉ chứa một giá trị (" + c.vi + ")"} {
				_, errOut, err := run(t, "--db", db, "--lang", lang, "ingest", p)
				if err == nil || !strings.Contains(errOut, want) || strings.Count(errOut, "\n") != 1 {
					t.Errorf("%s (%s): err %v, want one line saying %q:\n%s", c.file, lang, err, want, errOut)
				}
			}
		}
	})
	t.Run("year 9999", func(t *testing.T) {
		p := write("y.csv", "Mã hồ sơ,Ngày tiếp nhận\nH08.01-240301-0001,01/03/9999\nH08.01-240301-0002,01/03/2024\n")
		out := mustRun(t, "--db", db, "--lang", "en", "ingest", p)
		if !strings.Contains(out, `row 2: the year 9999 of the receipt date "01/03/9999" (column "Ngày tiếp nhận") is outside the years wardstat reads (1990–2100)`) ||
			strings.Contains(out, "write it as dd/mm/yyyy") {
			t.Errorf("a date whose year is out of range is called unreadable:\n%s", out)
		}
	})
	t.Run("HTML script in a cell", func(t *testing.T) {
		p := write("page.xls", `<html><head><style>td{color:red}</style></head><body><table>
<tr><th>Mã hồ sơ</th><th>Ngày tiếp nhận</th></tr>
<tr><td>H08.01-240301-0101<script>document.write("x")</script></td><td><style>b{}</style>01/03/2024</td></tr>
</table></body></html>`)
		mustRun(t, "--db", db, "ingest", p)
		got := mustRun(t, "--db", db, "sql", "--format", "csv", `SELECT dossier_code FROM dossiers WHERE dossier_code LIKE '%0101%'`)
		if strings.TrimSpace(got) != "dossier_code\nH08.01-240301-0101" {
			t.Errorf("the dossier code took the script's text: %q", got)
		}
	})
}

// TestRefusedFilesAreRecorded: a file refused whole (no header; not a
// file) has its row in loads, status 'refused' with the kind of refusal
// and nothing of its cells, changes no figure of the form, and the same
// file loads once the user names its columns (it is no identity).
func TestRefusedFilesAreRecorded(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "odd")
	dir := t.TempDir()
	db := whtest.At(t, filepath.Join(dir, "w.duckdb"))
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte(goodCSV), 0o644)
	mustRun(t, "--db", db, "ingest", good)
	form := func() string {
		return mustRun(t, "--db", db, "sql", "--format", "csv", `SELECT * FROM report_form('2024-03-01', '2024-03-31') ORDER BY ALL`)
	}
	before := form()
	// A header no one can read, and a cell with a name in it.
	odd := filepath.Join(dir, "odd.csv")
	os.WriteFile(odd, []byte("Số,Ngày nhận HS,Người nộp\nH08.01-240301-0009,01/03/2024,Nguyễn Văn Bình\n"), 0o644)
	if _, _, err := run(t, "--db", db, "ingest", odd); err == nil {
		t.Fatal("a file with no known header loaded")
	}
	pipe := filepath.Join(dir, "z.csv")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	runWithin(t, 30*time.Second, "--db", db, "ingest", pipe)
	got := mustRun(t, "--db", db, "sql", "--format", "csv", `SELECT regexp_extract(path, '[^/]+$') AS file, status, reason, rows_read, sha256 = '' AS unread FROM loads ORDER BY load_id`)
	want := "file,status,reason,rows_read,unread\ngood.csv,loaded,,2,false\nodd.csv,refused,no column for dossier_code,0,false\nz.csv,refused,not a regular file,0,true\n"
	if got != want {
		t.Errorf("loads:\n%s\nwant:\n%s", got, want)
	}
	if all := mustRun(t, "--db", db, "sql", "--format", "csv", `SELECT * FROM loads`); strings.Contains(all, "Bình") {
		t.Errorf("a refused file's cell is in loads:\n%s", all)
	}
	if after := form(); after != before {
		t.Errorf("the refused files changed the form:\n%s\nwas:\n%s", after, before)
	}
	// Fixed by naming the columns, the same bytes load.
	out := mustRun(t, "--db", db, "--lang", "en", "ingest", "--map", "dossier_code=Số", "--map", "received_at=Ngày nhận HS", odd)
	if !strings.Contains(out, "read 1 · loaded 1") {
		t.Errorf("the refused file, fixed, did not load:\n%s", out)
	}
}

// TestBlankWorkbookRowsAreCountedAsBlank: a sheet formatted down to row
// 200,003 (rows with a style and no value) loads its two dossiers and
// says the rest are blank rows, not "title/total rows".
func TestBlankWorkbookRowsAreCountedAsBlank(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "odd")
	dir := t.TempDir()
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"Tổng hợp hồ sơ"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"Mã hồ sơ", "Ngày tiếp nhận"})
	f.SetSheetRow("Sheet1", "A3", &[]any{"H08.01-240301-0001", "01/03/2024"})
	f.SetSheetRow("Sheet1", "A4", &[]any{"H08.01-240301-0002", "01/03/2024"})
	style, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err := f.SetRowStyle("Sheet1", 5, 200_004, style); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "formatted.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "--db", filepath.Join(dir, "w.duckdb"), "--lang", "en", "ingest", path)
	if !strings.Contains(out, "read 2 · loaded 2") || !strings.Contains(out, "skipped 1 title/total rows · 200000 blank rows") {
		t.Errorf("blank rows are not said as blank:\n%s", out)
	}
}

// TestDuplicatedHeaderIsSaid: a column whose header appears twice is
// said in a note naming both columns (the second was ignored without a
// word), on DuckDB's reader and ours.
func TestDuplicatedHeaderIsSaid(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "odd")
	dir := t.TempDir()
	path := filepath.Join(dir, "twice.csv")
	os.WriteFile(path, []byte("Mã hồ sơ,Ngày tiếp nhận,Ghi chú,Ngày tiếp nhận\nH08.01-240301-0001,01/03/2024,,02/03/2024\n"), 0o644)
	out := mustRun(t, "--db", filepath.Join(dir, "w.duckdb"), "--lang", "en", "ingest", path)
	if !strings.Contains(out, `note: the column "Ngày tiếp nhận" appears 2 times (columns 2, 4): column 2 is read, the others are not`) {
		t.Errorf("a duplicated column is not said:\n%s", out)
	}
}

// TestDossierCodesHoldNoControlCharacters: a NUL or a line break inside a
// dossier code (JSON escapes, a quoted CSV cell over two lines) is not
// kept in the stored code, on both readers.
func TestDossierCodesHoldNoControlCharacters(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "odd")
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	js := filepath.Join(dir, "api.json")
	os.WriteFile(js, []byte(`[{"MaHoSo":"H08.01-240301-0001\u0000","NgayTiepNhan":"01/03/2024"},{"MaHoSo":"H08.01-240301-\n0002","NgayTiepNhan":"01/03/2024"},{"MaHoSo":"\u0000\u0000","NgayTiepNhan":"01/03/2024"}]`), 0o644)
	csv := filepath.Join(dir, "export.csv")
	os.WriteFile(csv, []byte("Mã hồ sơ,Ngày tiếp nhận\n\"H08.01-240301-\r\n0003\",01/03/2024\nH08.01-240301-0004\t,01/03/2024\n"), 0o644)
	mustRun(t, "--db", db, "ingest", js, csv)
	got := mustRun(t, "--db", db, "sql", "--format", "csv", `SELECT dossier_code FROM dossiers ORDER BY 1`)
	want := "dossier_code\nH08.01-240301-0001\nH08.01-240301-0002\nH08.01-240301-0003\nH08.01-240301-0004\n"
	if got != want {
		t.Errorf("stored codes:\n%q\nwant:\n%q", got, want)
	}
	if n := mustRun(t, "--db", db, "sql", "--format", "csv", `SELECT count(*) AS n FROM rejects WHERE reason_code = 'missing_code'`); n != "n\n1\n" {
		t.Errorf("a code of NULs alone is no code: rejects %q", n)
	}
}

// TestMessagesQuoteCellsShort: a reject line quotes at most 80 characters
// of a cell, control characters shown as U+FFFD (a binary file's 40 KB
// "first row" was printed whole).
func TestMessagesQuoteCellsShort(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "odd")
	dir := t.TempDir()
	path := filepath.Join(dir, "long.csv")
	os.WriteFile(path, []byte("Mã hồ sơ,Ngày tiếp nhận\nH08.01-240301-0001,01/03/2024"+strings.Repeat("x", 10_000)+"\n"), 0o644)
	// Its one row rejected, the file loads nothing: exit 3.
	out, errOut, err := run(t, "--db", filepath.Join(dir, "w.duckdb"), "--lang", "en", "ingest", path)
	if err == nil || exitCode(err) != 3 {
		t.Fatalf("want exit 3 (nothing loaded): %v\n%s", err, errOut)
	}
	for _, line := range strings.Split(out+errOut, "\n") {
		if len([]rune(line)) > 300 {
			t.Errorf("a line of %d characters:\n%.400s", len([]rune(line)), line)
		}
	}
	if !strings.Contains(out, "row 2: unreadable receipt date \"") {
		t.Errorf("the reject is not said:\n%.600s", out)
	}
}

// TestIngestGoesOnPastAPathThatIsNot: a mistyped path among several is
// said in one line and the others load (the whole command stopped).
func TestIngestGoesOnPastAPathThatIsNot(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "odd")
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte(goodCSV), 0o644)
	loop := filepath.Join(dir, "loop.csv")
	os.Symlink(loop, loop)
	out, errOut, err := run(t, "--db", filepath.Join(dir, "w.duckdb"), "--lang", "en", "ingest", filepath.Join(dir, "typo.csv"), loop, good)
	if err == nil || !strings.Contains(out, "read 2 · loaded 2") {
		t.Errorf("err %v; the good file did not load:\n%s\n%s", err, out, errOut)
	}
	if !strings.Contains(errOut, "typo.csv: NOT LOADED") || !strings.Contains(errOut, "loop.csv: NOT LOADED") {
		t.Errorf("the paths that are not are not said:\n%s", errOut)
	}
	if n := mustRun(t, "--db", filepath.Join(dir, "w.duckdb"), "sql", "--format", "csv", `SELECT count(*) AS n FROM loads WHERE path LIKE '%typo%'`); n != "n\n0\n" {
		t.Errorf("a path that names nothing is recorded as a load: %q", n)
	}
}

// TestIngestRefusesAFileTooLargeAtOnce: a sparse file of 100 GiB (no disk
// taken) is refused at once, naming the limit (it was hashed and read to
// its end, for hours).
func TestIngestRefusesAFileTooLargeAtOnce(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "odd")
	dir := t.TempDir()
	path := filepath.Join(dir, "sparse.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(100 << 30); err != nil {
		t.Skipf("no sparse files here: %v", err)
	}
	f.Close()
	_, errOut, err := runWithin(t, 20*time.Second, "--db", filepath.Join(dir, "w.duckdb"), "--lang", "en", "ingest", path)
	if err == nil || !strings.Contains(errOut, "the file is 100.0 GiB, past wardstat's limit of 16.0 GiB") {
		t.Errorf("err %v:\n%s", err, errOut)
	}
}
