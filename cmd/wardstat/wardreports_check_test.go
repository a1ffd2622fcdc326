package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wardstat/internal/testkit/whtest"
)

// A ward that reported five direct dossiers as online, every total right,
// is flagged on both columns; a form that agrees is listed only with
// --all; csv and json give one row per ward, period and column that
// differs. (H01.01, March 2024, by hand: 5 carried over, 2 online, 5
// direct, 1 postal; 6 resolved: 2 early, 2 on time, 2 late; 2 withdrawn;
// 5 pending: 2 in time, 3 overdue. H01.02: 1 direct, pending, overdue.)
func TestWardReportsCheckEveryColumn(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "e2e")
	dir := t.TempDir()
	db := whtest.At(t, filepath.Join(dir, "w.duckdb"))
	fx := "../../testdata/report/handcount/"
	mustRun(t, "--db", db, "ingest", fx+"ward-export.csv", fx+"api-export.json")
	rep := filepath.Join(dir, "bao-cao-thang-3.csv")
	os.WriteFile(rep, []byte("Mã đơn vị,Tổng số tiếp nhận,Kỳ trước chuyển qua,Trực tuyến,Trực tiếp,BCCI,Đã giải quyết,Trước hạn,Đúng hạn,Quá hạn đã giải quyết,Rút hồ sơ,Đang giải quyết,Trong hạn,Quá hạn đang giải quyết\n"+
		"H01.01,13,5,7,0,1,6,2,2,2,2,5,2,3\n"+
		"H01.02,1,0,0,1,0,0,0,0,0,0,1,0,1\n"), 0o644)
	mustRun(t, "--db", db, "ward-reports", "import", "--from", "2024-03-01", "--to", "2024-03-31", rep)

	out := mustRun(t, "--db", db, "--lang", "en", "ward-reports", "check", "--format", "csv")
	want := "ward_code,period_start,period_end,check,form_column,reported,expected,difference,note\n" +
		"H01.01,2024-03-01,2024-03-31,counted,new_online,7,2,5,\"New online: reported 7, the dossiers count 2 (+5)\"\n" +
		"H01.01,2024-03-01,2024-03-31,counted,new_direct,0,5,-5,\"New direct: reported 0, the dossiers count 5 (-5)\"\n"
	if out != want {
		t.Errorf("check --format csv:\n%s\nwant\n%s", out, want)
	}

	var rows []map[string]any
	out = mustRun(t, "--db", db, "ward-reports", "check", "--all", "--format", "json")
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	perForm := map[string]int{}
	for _, r := range rows {
		if r["check"] == "counted" {
			perForm[r["ward_code"].(string)]++
		}
	}
	// 13 columns each compared with the dossiers, and the parts and identity checks.
	if len(rows) != 2*(13+4) || perForm["H01.01"] != 13 || perForm["H01.02"] != 13 {
		t.Errorf("--all: %d rows, counted per form %v; want 34 rows, 13 per form", len(rows), perForm)
	}

	// The table says it in the user's language, and how many forms differ.
	out = mustRun(t, "--db", db, "ward-reports", "check")
	for _, want := range []string{"Mới: trực tuyến: biểu báo 7, hồ sơ đếm được 2 (chênh +5)", "2 biểu: 1 khớp, 1 có chênh lệch"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "H01.02") {
		t.Errorf("a form that agrees is listed without --all:\n%s", out)
	}
}
