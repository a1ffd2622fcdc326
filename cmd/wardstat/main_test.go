package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/xuri/excelize/v2"

	"wardstat/internal/testkit"
	"wardstat/internal/testkit/whtest"
)

// TestMain lets the test binary act as the wardstat command, so that tests
// can run it as a real subprocess (and kill it).
func TestMain(m *testing.M) {
	if os.Getenv("WARDSTAT_BE_CLI") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(testkit.Main(m)) // testkit removes the warehouse whtest copies
}

// run executes the CLI in-process and returns what it printed.
func run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := newRootCommand(&out, &errb)
	cmd.SetArgs(args)
	cmd.SetIn(strings.NewReader(""))
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := run(t, args...)
	if err != nil {
		t.Fatalf("wardstat %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

var formColumns = []string{"ward_code", "ward_name", "district", "province", "received_total", "carried_over",
	"new_online", "new_direct", "new_postal", "resolved_total", "resolved_early", "resolved_on_time",
	"resolved_late", "withdrawn", "pending_total", "pending_in_time", "pending_overdue", "on_time_rate"}

func TestCLIEndToEnd(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "e2e")
	dir := t.TempDir()
	db := whtest.At(t, filepath.Join(dir, "w.duckdb"))
	fx := "../../testdata/report/handcount/"
	mustRun(t, "--db", db, "units", "import", fx+"units.csv")
	out := mustRun(t, "--db", db, "--lang", "en", "ingest", fx+"ward-export.csv", fx+"api-export.json")
	if !strings.Contains(out, "read 14 · loaded 14") || !strings.Contains(out, "read 5 · loaded 5") {
		t.Fatalf("ingest output:\n%s", out)
	}
	out = mustRun(t, "--db", db, "--lang", "en", "ingest", fx+"ward-export.csv")
	if !strings.Contains(out, "already loaded (load #1") {
		t.Fatalf("re-ingest must say it is a no-op:\n%s", out)
	}

	// report --format json: exactly the form's columns, in order, with the hand count.
	out = mustRun(t, "--db", db, "report", "--from", "2024-03-01", "--to", "2024-03-31", "--format", "json")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if len(rows) != 2 {
		t.Fatalf("want 2 wards, got %d", len(rows))
	}
	var keys []string
	dec := json.NewDecoder(strings.NewReader(out))
	dec.Token()
	dec.Token()
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var v any
		dec.Decode(&v)
	}
	if !reflect.DeepEqual(keys, formColumns) {
		t.Fatalf("json keys:\n got %v\nwant %v", keys, formColumns)
	}
	h := rows[0]
	if h["ward_code"] != "H01.01" || h["received_total"] != 13.0 || h["carried_over"] != 5.0 || h["on_time_rate"] != 66.67 || h["ward_name"] != "Phường Một" {
		t.Fatalf("H01.01: %v", h)
	}
	if rows[1]["on_time_rate"] != nil {
		t.Fatalf("a ward with nothing resolved has a null rate: %v", rows[1])
	}

	// Table with Vietnamese labels and a totals row; English on request.
	out = mustRun(t, "--db", db, "report", "--month", "2024-03")
	for _, want := range []string{"Kỳ trước chuyển qua", "Tỷ lệ đúng hạn (%)", "Tổng cộng", "01/03/2024", "31/03/2024"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	out = mustRun(t, "--db", db, "--lang", "en", "report", "--month", "2024-03", "--by", "district", "--format", "csv")
	if !strings.HasPrefix(out, "district,province,received_total,") || !strings.Contains(out, "Quận Một,Tỉnh Thử,13,5,2,5,1,6,2,2,2,2,5,2,3,66.67") {
		t.Fatalf("district csv:\n%s", out)
	}

	// XLSX: a real workbook, the form's layout (TestReportXLSXIsTheOfficialFormAndNeverOnATerminal).
	xl := filepath.Join(dir, "form.xlsx")
	mustRun(t, "--db", db, "report", "--month", "2024-03", "--format", "xlsx", "--out", xl)
	f, err := excelize.OpenFile(xl)
	if err != nil {
		t.Fatal(err)
	}
	header, _ := f.GetRows("Biểu 06")
	f.Close()
	if len(header) != 11 || header[4][2] != "Số hồ sơ nhận giải quyết" || header[8][1] != "Phường Một" || header[10][1] != "Tổng cộng" {
		t.Fatalf("xlsx rows: %q", header)
	}

	// sql: read-only, and no file outside the warehouse.
	out = mustRun(t, "--db", db, "sql", "--format", "csv", "SELECT count(*) AS n FROM dossiers")
	if out != "n\n19\n" {
		t.Fatalf("sql: %q", out)
	}
	for _, q := range []string{"CREATE TABLE x (a INT)", "DELETE FROM dossiers", "SELECT * FROM read_csv('/etc/hostname')", "COPY dossiers TO '" + filepath.Join(dir, "leak.csv") + "'"} {
		if _, _, err := run(t, "--db", db, "sql", q); err == nil {
			t.Errorf("sql %q must fail", q)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "leak.csv")); err == nil {
		t.Error("sql wrote a file")
	}

	// Bad input: one clear line, a non-zero exit, nothing else lost.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("Thủ tục,Ngày tiếp nhận\nKhai sinh,01/03/2024\n"), 0o644)
	_, errOut, err := run(t, "--db", db, "--lang", "en", "ingest", bad, fx+"api-export.json")
	if err == nil || !strings.Contains(errOut, "bad.csv: NOT LOADED: no column for dossier_code") || !strings.Contains(errOut, "--map dossier_code=") {
		t.Fatalf("bad file: %v\n%s", err, errOut)
	}
	if _, _, err := run(t, "--db", db, "report", "--from", "2024-13-01", "--to", "2024-03-31"); err == nil || exitCode(err) != 2 {
		t.Fatalf("a bad date is a usage error: %v", err)
	}
	if _, _, err := run(t, "--db", filepath.Join(dir, "none.duckdb"), "report"); err == nil || !strings.Contains(err.Error(), "wardstat ingest") {
		t.Fatalf("a missing warehouse says what to do: %v", err)
	}
}

func TestDemoHoldsTheFormIdentity(t *testing.T) {
	skipIfShort(t, "the demo district, loaded twice")
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.duckdb")
	out := mustRun(t, "--db", db, "--lang", "en", "demo", "--dir", filepath.Join(dir, "exports"), "--out", filepath.Join(dir, "parquet"), "--reports", filepath.Join(dir, "reports"), "--months", "5", "--scale", "0.25")
	for _, want := range []string{"Dossiers handled from", "Total", "ward_month.parquet", "changed"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	check := func(q, want string) {
		t.Helper()
		got := mustRun(t, "--db", db, "sql", "--format", "csv", q)
		if got != want {
			t.Errorf("%s\n got %q\nwant %q", q, got, want)
		}
	}
	check(`SELECT count(*) AS broken FROM ward_month WHERE received_total <> resolved_total + withdrawn + pending_total`, "broken\n0\n")
	check(`SELECT count(DISTINCT ward_code) >= 10 AS ok FROM ward_month`, "ok\ntrue\n")
	// ward_month (one pass) equals report_form month by month.
	check(`WITH wm AS (SELECT month_start, * EXCLUDE (month, month_start, month_end) FROM ward_month
	            WHERE received_total > 0 OR resolved_total > 0 OR withdrawn > 0),
	rf AS (SELECT m.month_start, r.* FROM (SELECT DISTINCT month_start, month_end FROM ward_month) m,
	       LATERAL (SELECT * FROM report_form(m.month_start, m.month_end)) r)
	SELECT (SELECT count(*) FROM (SELECT * FROM wm EXCEPT SELECT * FROM rf)) +
	       (SELECT count(*) FROM (SELECT * FROM rf EXCEPT SELECT * FROM wm)) AS differ`, "differ\n0\n")
	check(`SELECT count(*) AS broken FROM loads WHERE rows_read <> rows_loaded + rows_rejected + rows_duplicate`, "broken\n0\n")
	check(`SELECT count(DISTINCT format) AS formats FROM loads`, "formats\n3\n")
	check(`SELECT count(*) > 0 AS ok FROM rejects`, "ok\ntrue\n")
	check(`SELECT count(*) AS dup FROM (SELECT ward_code, dossier_code FROM dossiers GROUP BY ALL HAVING count(*) > 1)`, "dup\n0\n")
	// The Parquet mart reads back, outside the warehouse, with the same totals.
	inWarehouse := mustRun(t, "--db", db, "sql", "--format", "csv", `SELECT sum(received_total) AS n, sum(pending_overdue) AS o FROM ward_month`)
	mem, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	var n, o int64
	if err := mem.QueryRow(`SELECT sum(received_total), sum(pending_overdue) FROM read_parquet(?)`, filepath.Join(dir, "parquet", "ward_month.parquet")).Scan(&n, &o); err != nil {
		t.Fatal(err)
	}
	if inWarehouse != fmt.Sprintf("n,o\n%d,%d\n", n, o) || n == 0 {
		t.Errorf("parquet totals %d,%d differ from the warehouse's %q", n, o, inWarehouse)
	}
	// A second run on the same day loads nothing new.
	out = mustRun(t, "--db", db, "--lang", "en", "demo", "--dir", filepath.Join(dir, "exports"), "--out", filepath.Join(dir, "parquet"), "--reports", filepath.Join(dir, "reports"), "--months", "5", "--scale", "0.25")
	if strings.Count(out, "already loaded") < 10 {
		t.Errorf("second demo run must recognise its files:\n%s", out)
	}
}

// A ward's own form is loaded and reconciled: parts that do not add up and
// differences from the dossier count are listed.
func TestWardReportsReconcile(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "e2e")
	dir := t.TempDir()
	db := whtest.At(t, filepath.Join(dir, "w.duckdb"))
	fx := "../../testdata/report/handcount/"
	mustRun(t, "--db", db, "ingest", fx+"ward-export.csv", fx+"api-export.json")
	rep := filepath.Join(dir, "tu-bao-cao.csv")
	// H01.01 in March 2024 by hand: 13 received (5 + 2 + 5 + 1). The ward says 15, parts summing to 13.
	os.WriteFile(rep, []byte("Mã đơn vị,Tổng số tiếp nhận,Kỳ trước chuyển qua,Trực tuyến,Trực tiếp,BCCI,Đã giải quyết,Rút hồ sơ,Đang giải quyết\nH01.01,15,5,2,5,1,6,2,5\n"), 0o644)
	mustRun(t, "--db", db, "ward-reports", "import", "--from", "2024-03-01", "--to", "2024-03-31", rep)
	out := mustRun(t, "--db", db, "--lang", "en", "ward-reports", "check", "--format", "csv")
	want := "ward_code,period_start,period_end,check,form_column,reported,expected,difference,note\n" +
		"H01.01,2024-03-01,2024-03-31,parts,received_total,15,13,2,\"Received 15 ≠ carried over + new online, direct, postal = 13 (+2)\"\n" +
		"H01.01,2024-03-01,2024-03-31,identity,received_total,15,13,2,Received 15 ≠ resolved + withdrawn + pending = 13 (+2)\n" +
		"H01.01,2024-03-01,2024-03-31,counted,received_total,15,13,2,\"Received: reported 15, the dossiers count 13 (+2)\"\n"
	// The columns the form does not have are figures it left out: each is
	// listed (missing), with the dossiers' count.
	for _, m := range []string{"resolved_early,,2,,Early", "resolved_on_time,,2,,On time", "resolved_late,,2,,Late", "pending_in_time,,2,,In time", "pending_overdue,,3,,Overdue"} {
		want += "H01.01,2024-03-01,2024-03-31,missing," + m + ": not given on the form (the dossiers count " + strings.Split(m, ",")[2] + "); fill it in and import the form again\n"
	}
	if out != want {
		t.Fatalf("check:\n%s\nwant\n%s", out, want)
	}
}

// A load with another applicant-hash key than the warehouse's is refused
// before anything is read: every dossier would otherwise look changed.
func TestAnotherKeyIsRefused(t *testing.T) {
	dir := t.TempDir()
	db := whtest.At(t, filepath.Join(dir, "w.duckdb"))
	fx := "../../testdata/report/handcount/"
	t.Setenv("WARDSTAT_PII_KEY", "first")
	mustRun(t, "--db", db, "ingest", fx+"ward-export.csv")
	t.Setenv("WARDSTAT_PII_KEY", "second")
	_, errOut, err := run(t, "--db", db, "--lang", "en", "ingest", fx+"api-export.json")
	if err == nil || !strings.Contains(err.Error()+errOut, "is not the one warehouse") {
		t.Fatalf("a new key must be refused: %v\n%s", err, errOut)
	}
	t.Setenv("WARDSTAT_PII_KEY", "first")
	out := mustRun(t, "--db", db, "--lang", "en", "ingest", fx+"api-export.json")
	if !strings.Contains(out, "load #2") {
		t.Fatalf("the refused load must have loaded nothing:\n%s", out)
	}
}
