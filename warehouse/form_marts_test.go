package warehouse_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"wardstat/internal/testkit/whtest"
	"wardstat/pipeline"
	"wardstat/warehouse"
)

var formToday = time.Date(2024, 6, 20, 0, 0, 0, 0, time.UTC)

// formMartsWarehouse is a warehouse as of formToday with lakeBase's
// dossiers and: ward H01.01 renamed in March 2024; ward H01.02 renamed on
// the 25th of the current month (after today: the current month's form
// names it as before); ward H02.02 with a dossier in January 2024 and one
// in April, none open between (no row in February and March).
func formMartsWarehouse(t *testing.T, logs *bytes.Buffer) *warehouse.Warehouse {
	t.Helper()
	ctx := context.Background()
	w, err := warehouse.Open(ctx, whtest.Path(t), warehouse.Options{Today: formToday,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	data := t.TempDir()
	mustUnits(t, w, writeFile(t, data, "units.csv", `code,name,district,province,valid_from,valid_to
H01.01,Phường Cũ,Quận Một,Tỉnh Một,2020-01-01,2024-02-29
H01.01,Phường Một,Quận Một,Tỉnh Một,2024-03-01,
H01.02,Xã Hai,Quận Một,Tỉnh Một,2020-01-01,2024-06-24
H01.02,Xã Hai Mới,,Tỉnh Một,2024-06-25,
H02.01,Xã Ba,Huyện Hai,Tỉnh Hai,2020-01-01,
H02.02,Xã Bốn,Huyện Hai,Tỉnh Hai,2020-01-01,
`))
	rows := lakeBase(300, formToday)
	day := func(m time.Month, d int) time.Time { return time.Date(2024, m, d, 9, 0, 0, 0, time.UTC) }
	rows = append(rows,
		lakeNightRow{ward: "H02.02", code: "H02.02-240110-0001", channel: "Trực tiếp", received: day(1, 10), due: day(1, 20), completed: day(1, 15)},
		lakeNightRow{ward: "H02.02", code: "H02.02-240405-0001", channel: "Trực tuyến", received: day(4, 5), due: day(4, 8), completed: day(4, 12)})
	mustIngest(t, w, writeLakeNight(t, data, "base.csv", true, rows), pipeline.FileOptions{})
	return w
}

// sameAsReportForm fails unless file holds exactly report_form(start, end)
// with the export's two period columns: rows (EXCEPT ALL both ways) and
// columns with their types (DESCRIBE).
func sameAsReportForm(t *testing.T, w *warehouse.Warehouse, file string, start, end time.Time) {
	t.Helper()
	want := fmt.Sprintf(`SELECT '%s'::DATE AS period_start, '%s'::DATE AS period_end, * FROM report_form('%[1]s', '%[2]s')`,
		start.Format(time.DateOnly), end.Format(time.DateOnly))
	if n := queryInt(t, w.DB(), fmt.Sprintf(`SELECT (SELECT count(*) FROM (FROM '%[1]s' EXCEPT ALL %[2]s))
		+ (SELECT count(*) FROM (%[2]s EXCEPT ALL FROM '%[1]s'))`, file, want)); n != 0 {
		t.Errorf("%s for %s..%s: %d rows differ from report_form's:\n%s", filepath.Base(file), start.Format(time.DateOnly), end.Format(time.DateOnly), n,
			rowsText(t, must(w.DB().Query(fmt.Sprintf(`SELECT 'file', * FROM (FROM '%[1]s' EXCEPT ALL %[2]s) UNION ALL SELECT 'report_form', * FROM (%[2]s EXCEPT ALL FROM '%[1]s') ORDER BY ward_code, 1`, file, want)))))
	}
	describe := `SELECT column_name || ' ' || column_type FROM (DESCRIBE %s)`
	got := queryList[string](t, w.DB(), fmt.Sprintf(describe, "FROM '"+file+"'"))
	wantCols := queryList[string](t, w.DB(), fmt.Sprintf(describe, want))
	if !slices.Equal(got, wantCols) {
		t.Errorf("%s has %v, report_form %v", filepath.Base(file), got, wantCols)
	}
	if queryInt(t, w.DB(), fmt.Sprintf(`SELECT count(*) FROM '%s'`, file)) == 0 && start.Before(formToday) {
		t.Errorf("%s for %s: no rows", filepath.Base(file), start.Format(time.DateOnly))
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// exportForms runs ExportMarts and says whether each form was added up
// from ward_month (its log).
func exportForms(t *testing.T, w *warehouse.Warehouse, logs *bytes.Buffer, dir string, lastMonth, yearStart time.Time) (last, ytd bool) {
	t.Helper()
	logs.Reset()
	if _, err := w.ExportMarts(context.Background(), dir, lastMonth, yearStart, formToday); err != nil {
		t.Fatal(err)
	}
	return strings.Contains(logs.String(), "form_last_month_from_ward_month=true"),
		strings.Contains(logs.String(), "form_year_to_date_from_ward_month=true")
}

// The dashboards' forms of whole months (each month of the lake, the
// current one up to today) and of months added up (from each month's first
// day to today) are read from ward_month.parquet when the lake is current,
// and are report_form's exactly: rows, columns and types, ward names as of
// the period (a ward renamed, one renamed after today), a ward with no
// dossier in a month left out. A period not starting on the 1st, or ending
// inside a month over, is report_form as before.
func TestFormMartsFromWardMonth(t *testing.T) {
	var logs bytes.Buffer
	w := formMartsWarehouse(t, &logs)
	dir := t.TempDir()
	if _, err := w.ExportLake(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	if got := manifestExactBefore(t, dir); got != "9999-12" {
		t.Fatalf("ward_month_exact_before %q, want 9999-12 (no dossier closes twice)", got)
	}
	for m := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC); !m.After(formToday); m = m.AddDate(0, 1, 0) {
		last, ytd := exportForms(t, w, &logs, dir, m, m)
		if !last || !ytd {
			t.Errorf("%s: the forms were not added up from ward_month (last month %v, to date %v)", m.Format("2006-01"), last, ytd)
		}
		sameAsReportForm(t, w, filepath.Join(dir, "form_last_month.parquet"), m, m.AddDate(0, 1, -1))
		sameAsReportForm(t, w, filepath.Join(dir, "form_year_to_date.parquet"), m, formToday)
	}
	if n := queryInt(t, w.DB(), `SELECT count(*) FROM ward_month WHERE ward_code = 'H02.02' AND month IN ('2024-02', '2024-03') AND received_total = 0`); n != 2 {
		t.Errorf("ward_month has %d empty months of H02.02, want 2 (the case is not tested)", n)
	}
	for _, c := range []struct{ last, start time.Time }{
		{time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC)},
		{time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 6, 21, 0, 0, 0, 0, time.UTC)}, // after today: no row
	} {
		last, ytd := exportForms(t, w, &logs, dir, c.last, c.start)
		if last != c.last.Before(formToday) || ytd {
			t.Errorf("%v: from ward_month: last month %v, to date %v", c, last, ytd)
		}
		sameAsReportForm(t, w, filepath.Join(dir, "form_last_month.parquet"), c.last, c.last.AddDate(0, 1, -1))
		sameAsReportForm(t, w, filepath.Join(dir, "form_year_to_date.parquet"), c.start, formToday)
	}
}

func manifestExactBefore(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "_manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		ExactBefore string `json:"ward_month_exact_before"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m.ExactBefore
}

// A dossier stored with both a completion (February) and a withdrawal
// (March) date: report_form of the two months together counts both, the
// months' forms added up count the completion only, and ward_month leaves
// the dossier's pending twice. So months cannot be added up, and ward_month
// is not report_form, from its first closing month on: the lake's manifest
// says so, and the forms of those months are report_form, while earlier
// months are still added up; an incremental export keeps the month.
func TestFormMartsInexactClosing(t *testing.T) {
	var logs bytes.Buffer
	w := formMartsWarehouse(t, &logs)
	ctx := context.Background()
	if _, err := w.DB().ExecContext(ctx, `UPDATE dossiers SET withdrawn_at = TIMESTAMP '2024-03-05 10:00' WHERE dossier_code = 'H02.02-240110-0001';
		UPDATE dossiers SET completed_at = TIMESTAMP '2024-02-10 10:00', received_at = TIMESTAMP '2024-02-01 09:00', due_at = TIMESTAMP '2024-02-20 00:00'
		WHERE dossier_code = 'H02.02-240110-0001'`); err != nil {
		t.Fatal(err)
	}
	// The months added up are not the two months' report_form.
	sum := queryList[string](t, w.DB(), `SELECT concat_ws(' ', sum(resolved_total), sum(withdrawn)) FROM (
		FROM report_form('2024-02-01', '2024-02-29') UNION ALL FROM report_form('2024-03-01', '2024-03-31')) WHERE ward_code = 'H02.02'`)
	whole := queryList[string](t, w.DB(), `SELECT concat_ws(' ', resolved_total, withdrawn) FROM report_form('2024-02-01', '2024-03-31') WHERE ward_code = 'H02.02'`)
	if !slices.Equal(sum, []string{"1 0"}) || !slices.Equal(whole, []string{"1 1"}) {
		t.Errorf("resolved and withdrawn of February and March: added up %v, whole %v; want [1 0], [1 1]", sum, whole)
	}
	var months, diff int64
	if err := w.DB().QueryRow(WardMonthVersusForm).Scan(&months, &diff); err != nil {
		t.Fatal(err)
	}
	if diff == 0 {
		t.Errorf("ward_month equals report_form over %d months with a dossier closed twice", months)
	}

	dir := t.TempDir()
	check := func(when string) {
		t.Helper()
		if got := manifestExactBefore(t, dir); got != "2024-02" {
			t.Fatalf("%s: ward_month_exact_before %q, want 2024-02", when, got)
		}
		for m := time.Date(2023, 10, 1, 0, 0, 0, 0, time.UTC); !m.After(formToday); m = m.AddDate(0, 1, 0) {
			last, ytd := exportForms(t, w, &logs, dir, m, m)
			early := m.Before(time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC))
			if last != early || ytd {
				t.Errorf("%s, %s: from ward_month: last month %v (want %v), to date %v (want false)", when, m.Format("2006-01"), last, early, ytd)
			}
			sameAsReportForm(t, w, filepath.Join(dir, "form_last_month.parquet"), m, m.AddDate(0, 1, -1))
			sameAsReportForm(t, w, filepath.Join(dir, "form_year_to_date.parquet"), m, formToday)
		}
	}
	if r, err := w.ExportLake(ctx, dir); err != nil || r.Incremental {
		t.Fatalf("whole export: %+v %v", r, err)
	}
	check("whole")
	mustIngest(t, w, writeLakeNight(t, t.TempDir(), "night.csv", true, []lakeNightRow{{ward: "H01.01", code: "N-1", channel: "Trực tuyến",
		received: time.Date(2024, 6, 19, 9, 0, 0, 0, time.UTC), due: time.Date(2024, 6, 25, 0, 0, 0, 0, time.UTC)}}), pipeline.FileOptions{})
	if r, err := w.ExportLake(ctx, dir); err != nil || !r.Incremental {
		t.Fatalf("incremental export: %+v %v", r, err)
	}
	check("incremental")
}
