package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wardstat/internal/testkit/whtest"
)

// The mistakes a clerk makes in a file of wards' own forms (#16 item 12,
// attacked): a blank cell is flagged by default as missing, apart from the
// differences; a code in lower case or a ward's name finds the registry's
// ward; an unknown code is warned about, once; two rows for one ward and
// period refuse the file naming both; a negative count is refused naming
// file, row and column. (Figures: testdata/report/handcount, by hand.)
func TestWardReportsImportWhatClerksWrite(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "e2e")
	dir := t.TempDir()
	db := whtest.At(t, filepath.Join(dir, "w.duckdb"))
	fx := "../../testdata/report/handcount/"
	mustRun(t, "--db", db, "units", "import", fx+"units.csv")
	mustRun(t, "--db", db, "ingest", fx+"ward-export.csv", fx+"api-export.json")
	header := "ward_code,period_start,period_end,Tổng số tiếp nhận,Kỳ trước chuyển qua,Trực tuyến,Trực tiếp,BCCI,Đã giải quyết,Trước hạn,Đúng hạn,Quá hạn đã giải quyết,Rút hồ sơ,Đang giải quyết,Trong hạn,Quá hạn đang giải quyết\n"
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(header+body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	// Two rows for one ward and period (the second in another case): refused,
	// both rows named, nothing stored.
	dup := write("dup.csv", "H01.01,2024-03-01,2024-03-31,13,5,2,5,1,6,2,2,2,2,5,2,3\n"+
		"h01.01,2024-03-01,2024-03-31,14,5,2,5,1,6,2,2,2,2,5,2,3\n")
	_, errOut, err := run(t, "--db", db, "--lang", "en", "ward-reports", "import", dup)
	if err == nil || !strings.Contains(err.Error(), "rows 2 and 3 are both the form of H01.01") {
		t.Errorf("two rows for one ward and period: err %v\n%s", err, errOut)
	}
	// A negative count: refused with file, row and column.
	neg := write("neg.csv", "H01.01,2024-03-01,2024-03-31,13,5,2,5,1,6,2,2,2,2,5,-2,3\n")
	_, errOut, err = run(t, "--db", db, "--lang", "en", "ward-reports", "import", neg)
	if err == nil || !strings.Contains(err.Error(), neg+", row 2, column pending_in_time: \"-2\" is negative") {
		t.Errorf("a negative count: err %v\n%s", err, errOut)
	}
	if out := mustRun(t, "--db", db, "sql", "SELECT count(*) AS n FROM ward_reports"); !strings.Contains(out, "0") || strings.Contains(out, "1") {
		t.Errorf("a refused file stored forms:\n%s", out)
	}

	// H01.01 right in every column but a blank postal count; H01.02 by its
	// code in lower case, right in every column; Xã Hai's February by name
	// (no dossier in February: all zero); an unknown code, twice.
	forms := write("forms.csv", "H01.01,2024-03-01,2024-03-31,13,5,2,5,,6,2,2,2,2,5,2,3\n"+
		"h01.02,2024-03-01,2024-03-31,1,0,0,1,0,0,0,0,0,0,1,0,1\n"+
		"Xa Hai,2024-02-01,2024-02-29,0,0,0,0,0,0,0,0,0,0,0,0,0\n"+
		"H77.07,2024-03-01,2024-03-31,0,0,0,0,0,0,0,0,0,0,0,0,0\n"+
		"H77.07,2024-02-01,2024-02-29,0,0,0,0,0,0,0,0,0,0,0,0,0\n")
	out, errOut, err := run(t, "--db", db, "--lang", "en", "ward-reports", "import", forms)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, errOut)
	}
	if n := strings.Count(errOut, `"H77.07" is no unit the warehouse knows`); n != 1 || !strings.Contains(errOut, "row 5, column ward_code") {
		t.Errorf("the unknown code is warned about %d times (want once, naming row 5):\n%s", n, errOut)
	}
	if !strings.Contains(out, "5 reported forms") {
		t.Errorf("import: %s", out)
	}
	if got := mustRun(t, "--db", db, "sql", "SELECT string_agg(DISTINCT ward_code, ' ' ORDER BY ward_code) AS w FROM ward_reports"); !strings.Contains(got, "H01.01 H01.02 H77.07") {
		t.Errorf("stored codes are not the registry's:\n%s", got)
	}
	if got := mustRun(t, "--db", db, "--format", "csv", "sql", "SELECT count(*) AS n FROM ward_reports WHERE ward_code = 'H01.02'"); got != "n\n2\n" {
		t.Errorf("the forms of h01.02 and of \"Xa Hai\" are not both H01.02's: %q", got)
	}
	if !strings.Contains(errOut, `"Xa Hai" is unit H01.02`) {
		t.Errorf("a name resolved without saying so:\n%s", errOut)
	}

	var rows []map[string]any
	out = mustRun(t, "--db", db, "ward-reports", "check", "--format", "json")
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r["ward_code"].(string)+" "+r["period_start"].(string)[:7]+" "+r["check"].(string)+" "+func() string {
			s, _ := r["form_column"].(string)
			return s
		}())
	}
	want := []string{
		"H01.01 2024-03 missing new_postal",
		"H77.07 2024-02 no_dossiers ",
		"H77.07 2024-03 no_dossiers ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("check (default):\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if rows[0]["expected"] != float64(1) || rows[0]["reported"] != nil || rows[0]["difference"] != nil {
		t.Errorf("the missing figure: %v; want reported null, expected 1 (the dossiers' count), no difference", rows[0])
	}
	out = mustRun(t, "--db", db, "--lang", "en", "ward-reports", "check")
	for _, want := range []string{"New postal: not given on the form (the dossiers count 1)", "5 forms: 2 agree, 2 differ, 1 leave figures out"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}
