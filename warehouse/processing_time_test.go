package warehouse_test

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"wardstat/pipeline"
)

// The example: received Monday 25/09/2023 at 15:30 for a 3-day
// procedure, so the clock starts on Tuesday and the due day is Friday
// 29/09; completed that Friday, it took 3 working days, not 4 — per
// procedure, per ward and per district.
func TestProcessingTimeCountsFromTheDeemedReceipt(t *testing.T) {
	w := mustOpen(t)
	dir := t.TempDir()
	mustUnits(t, w, writeFile(t, dir, "units.csv", "code,name,district,province,valid_from,valid_to\nH09.01,Phường Chín,Quận Chín,Tỉnh Thử,2020-01-01,\n"))
	if _, err := w.ImportProcedures(t.Context(), strings.NewReader("procedure_code,procedure_name,sector,working_days\n2.000001,Cấp phép,Xây dựng,3\n")); err != nil {
		t.Fatal(err)
	}
	mustIngest(t, w, writeFile(t, dir, "late-afternoon.csv", `Mã hồ sơ,Mã TTHC,Tên thủ tục,Lĩnh vực,Ngày tiếp nhận,Ngày có kết quả,Trạng thái
H09.01-230925-0001,2.000001,Cấp phép,Xây dựng,25/09/2023 15:30,29/09/2023 10:00,Đã có kết quả
`), pipeline.FileOptions{})
	if got := queryRow(t, w, `SELECT strftime(due_day, '%d/%m/%Y'), working_days_taken FROM dossier_facts`); got != "29/09/2023|3" {
		t.Errorf("due day | working days taken: got %s, want 29/09/2023|3", got)
	}
	// Not completed, or received outside the calendar: unknown, never 0.
	mustIngest(t, w, writeFile(t, dir, "open.csv", `Mã hồ sơ,Mã TTHC,Tên thủ tục,Lĩnh vực,Ngày tiếp nhận,Ngày có kết quả,Trạng thái
H09.01-230926-0001,2.000001,Cấp phép,Xây dựng,26/09/2023 09:00,,Đang xử lý
H09.01-100104-0001,2.000001,Cấp phép,Xây dựng,04/01/2010 09:00,08/09/2023 09:00,Đã có kết quả
`), pipeline.FileOptions{})
	if got := queryRow(t, w, `SELECT count(*) FROM dossier_facts WHERE working_days_taken IS NOT NULL`); got != "1" {
		t.Errorf("%s dossiers with a processing time, want 1 (the completed one received within the calendar)", got)
	}
	if got := queryRow(t, w, `SELECT resolved, median_working_days FROM mart_processing_time WHERE month = '2023-09'`); got != "1|3" {
		t.Errorf("mart_processing_time: got %s, want 1|3", got)
	}
	got := queryRow(t, w, `SELECT level, coalesce(ward_code, '-'), coalesce(ward_name, '-'), coalesce(district, '-'), province, resolved, median_working_days, max_working_days
		FROM mart_processing_time_unit WHERE month = '2023-09' ORDER BY level DESC`)
	want := "ward|H09.01|Phường Chín|Quận Chín|Tỉnh Thử|1|3|3\nprovince|-|-|-|Tỉnh Thử|1|3|3\ndistrict|-|-|Quận Chín|Tỉnh Thử|1|3|3"
	if got != want {
		t.Errorf("mart_processing_time_unit: got\n%s\nwant\n%s", got, want)
	}
}

// Over many generated dossiers — received at any hour (15:00 and after
// among them), on weekends, on Tết and the other breaks of 2020-2026,
// completed on any day up to a little after their due day — none resolved
// on or before its due day shows more working days than its procedure
// allows, and the one on its due day shows exactly that many when it was
// received on a working day before 15:00.
func TestResolvedByTheDueDayNeverShowsMoreDaysThanAllowed(t *testing.T) {
	w := mustOpen(t)
	dir := t.TempDir()
	var cat strings.Builder
	cat.WriteString("procedure_code,procedure_name,sector,working_days\n")
	for n := 0; n <= 15; n++ {
		fmt.Fprintf(&cat, "P.%02d,Thủ tục %d ngày,Thử,%d\n", n, n, n)
	}
	if _, err := w.ImportProcedures(t.Context(), strings.NewReader(cat.String())); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(16, 11))
	var csv strings.Builder
	csv.WriteString("Mã hồ sơ,Mã TTHC,Ngày tiếp nhận,Ngày có kết quả,Trạng thái\n")
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	const count = 6000
	for i := range count {
		// Half the receipts around the breaks (late January to
		// mid-February, late April to early May, the end of August), half
		// anywhere in 2020-2026.
		day := start.AddDate(0, 0, rng.IntN(7*365))
		if i%2 == 0 {
			y := 2020 + rng.IntN(7)
			anchors := []time.Time{time.Date(y, 1, 15, 0, 0, 0, 0, time.UTC), time.Date(y, 4, 20, 0, 0, 0, 0, time.UTC), time.Date(y, 8, 25, 0, 0, 0, 0, time.UTC), time.Date(y, 12, 25, 0, 0, 0, 0, time.UTC)}
			day = anchors[rng.IntN(len(anchors))].AddDate(0, 0, rng.IntN(30))
		}
		hour, minute := 7+rng.IntN(10), rng.IntN(60)
		if i%5 == 0 {
			hour, minute = 15, 0 // exactly 15:00 counts as after
		}
		n := rng.IntN(16)
		// Up to two weeks past the allowed days in calendar days: most land
		// on or before the due day, some after.
		done := day.AddDate(0, 0, rng.IntN(n*7/5+14))
		fmt.Fprintf(&csv, "H09-%s-%04d,P.%02d,%s %02d:%02d,%s 17:30,Đã có kết quả\n",
			day.Format("060102"), i%10000, n, day.Format("02/01/2006"), hour, minute, done.Format("02/01/2006"))
	}
	mustIngest(t, w, writeFile(t, dir, "generated.csv", csv.String()), pipeline.FileOptions{})
	facts := `FROM dossier_facts f JOIN procedures p ON p.procedure_code = f.procedure_code
		JOIN dossiers d ON d.dossier_code = f.dossier_code`
	if n := queryInt(t, w.DB(), `SELECT count(*) `+facts+` WHERE f.due_source = 'catalogue' AND f.completed_day <= f.due_day`); n < count/3 {
		t.Fatalf("only %d of %d generated dossiers resolved by their due day: the fixture does not test the rule", n, count)
	}
	rows, err := w.DB().Query(`SELECT f.dossier_code, strftime(d.received_at, '%a %d/%m/%Y %H:%M'), strftime(f.due_day, '%a %d/%m/%Y'),
			strftime(f.completed_day, '%a %d/%m/%Y'), p.working_days, f.working_days_taken
		` + facts + ` WHERE f.completed_day <= f.due_day AND (f.working_days_taken > p.working_days OR f.working_days_taken IS NULL)
		ORDER BY 1 LIMIT 5`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var code, rec, due, done string
		var allowed int
		var taken sql.NullInt64
		rows.Scan(&code, &rec, &due, &done, &allowed, &taken)
		t.Errorf("%s received %s, due %s, completed %s: %d working days taken (known: %v), %d allowed", code, rec, due, done, taken.Int64, taken.Valid, allowed)
	}
	// On its due day, a dossier received on a working day before 15:00
	// took exactly its allowed days.
	if n := queryInt(t, w.DB(), `SELECT count(*) `+facts+` JOIN calendar_days c ON c.day = d.received_at::DATE
		WHERE c.working AND hour(d.received_at) < 15 AND f.completed_day = f.due_day AND f.working_days_taken <> p.working_days`); n != 0 {
		t.Errorf("%d dossiers completed on their due day show other than their allowed working days", n)
	}
}
