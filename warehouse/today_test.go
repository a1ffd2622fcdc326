package warehouse_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"wardstat/pipeline"
	"wardstat/warehouse"
)

// asOfFixture writes an export of ward H03.01 around the day today:
//  1. received today-3, due today+2, open;
//  2. received today-5, due today-1, open (overdue);
//  3. received today-20, due today+13, open: in time today, though due
//     before the month's end;
//  4. received today-40, due today-30, completed today-2 (late);
//  5. received today+3: after today;
//  6. received today-6, due today+4, completed today+2: after today.
func asOfFixture(t *testing.T, dir string, today time.Time) string {
	t.Helper()
	d := func(days int) string { return today.AddDate(0, 0, days).Format("02/01/2006") }
	n := 0
	line := func(recv, due, done int, hasDone bool) string {
		n++
		code := "H03.01-" + today.AddDate(0, 0, recv).Format("060102") + "-000" + strconv.Itoa(n)
		if !hasDone {
			return code + ",Trực tiếp," + d(recv) + " 09:00," + d(due) + ",,,,Đang xử lý\n"
		}
		return code + ",Trực tiếp," + d(recv) + " 09:00," + d(due) + "," + d(done) + "," + d(done) + ",,Đã trả kết quả\n"
	}
	csv := filepath.Join(dir, "export.csv")
	body := "Mã hồ sơ,Hình thức nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Ngày trả kết quả,Ngày rút,Trạng thái\n" +
		line(-3, 2, 0, false) + line(-5, -1, 0, false) + line(-20, 13, 0, false) +
		line(-40, -30, -2, true) + line(3, 8, 0, false) + line(-6, 4, 2, true)
	if err := os.WriteFile(csv, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return csv
}

// TestFormAsOfToday (the as-of bug, attacked): report_form and ward_month
// counted a period not yet over as of its end, so a dossier due before
// the month's end but after today was overdue (and what is dated after
// today counted). With today pinned (Options.Today, what the CLI sets),
// report_form of the whole month equals report_form(first day, today),
// ward_month's current month equals it too (WardMonthVersusForm), a period
// after today gives no row, and a past period reads as before.
func TestFormAsOfToday(t *testing.T) {
	ctx := context.Background()
	today := time.Date(2026, 11, 12, 0, 0, 0, 0, time.UTC) // a past day: every date is real
	dir := t.TempDir()
	w, err := warehouse.Open(ctx, filepath.Join(dir, "w.duckdb"), warehouse.Options{Today: today})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	mustIngest(t, w, asOfFixture(t, dir, today), pipeline.FileOptions{})

	formOf := func(q string, args ...any) (f form, rows int) {
		t.Helper()
		r, err := w.DB().QueryContext(ctx, `SELECT received_total, carried_over, new_online, new_direct, new_postal,
			resolved_total, resolved_early, resolved_on_time, resolved_late, withdrawn,
			pending_total, pending_in_time, pending_overdue, on_time_rate FROM `+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for r.Next() {
			rows++
			if err := r.Scan(&f.ReceivedTotal, &f.CarriedOver, &f.NewOnline, &f.NewDirect, &f.NewPostal,
				&f.ResolvedTotal, &f.Early, &f.OnTime, &f.Late, &f.Withdrawn,
				&f.PendingTotal, &f.PendingInTime, &f.PendingOverdue, &f.OnTimeRate); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		return f, rows
	}
	month, _ := formOf(`report_form('2026-11-01', '2026-11-30')`)
	cut, _ := formOf(`report_form('2026-11-01', '2026-11-12')`)
	// open today: 1 and 6 (its completion is after today) and 3 in time, 2 overdue
	want := form{ReceivedTotal: 5, CarriedOver: 2, NewDirect: 3, ResolvedTotal: 1, Late: 1,
		PendingTotal: 4, PendingInTime: 3, PendingOverdue: 1, OnTimeRate: rate(0)}
	if month != want || cut != want {
		t.Errorf("report_form of the month not over:\n got %+v\n cut %+v\nwant %+v", month, cut, want)
	}
	wm, rows := formOf(`ward_month WHERE month = '2026-11'`)
	if rows != 1 || wm != want {
		t.Errorf("ward_month's current month (%d rows):\n got %+v\nwant %+v", rows, wm, want)
	}
	var months, diff int64
	if err := w.DB().QueryRowContext(ctx, WardMonthVersusForm).Scan(&months, &diff); err != nil {
		t.Fatal(err)
	}
	if months != 2 || diff != 0 { // October and November
		t.Errorf("%d months, %d ward-months differ between ward_month and report_form", months, diff)
	}
	var later int
	if err := w.DB().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM report_form('2026-12-01', '2026-12-31'))
		+ (SELECT count(*) FROM ward_month WHERE month_start > '2026-11-12')
		+ (SELECT count(*) FROM mart_unit_month WHERE month > '2026-11')`).Scan(&later); err != nil {
		t.Fatal(err)
	}
	if later != 0 {
		t.Errorf("%d rows for periods after today, want none", later)
	}

	// Unpinned, the SQL reads the real date (after the fixture's month):
	// the month is past and judged at its end.
	conn, err := w.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "RESET VARIABLE "+warehouse.TodayVariable); err != nil {
		t.Fatal(err)
	}
	var pending, overdue int64
	if err := conn.QueryRowContext(ctx, `SELECT pending_total, pending_overdue FROM report_form('2026-11-01', '2026-11-30')`).Scan(&pending, &overdue); err != nil {
		t.Fatal(err)
	}
	if pending != 4 || overdue != 4 { // 1, 2, 3 and 5 open and overdue at the 30th, 6 resolved
		t.Errorf("the past month at its end: pending %d, overdue %d; want 4, 4", pending, overdue)
	}
}
