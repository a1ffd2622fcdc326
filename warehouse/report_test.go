package warehouse_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"wardstat/pipeline"
	"wardstat/warehouse"
)

// form is one report_form row's figures.
type form struct {
	ReceivedTotal, CarriedOver, NewOnline, NewDirect, NewPostal int64
	ResolvedTotal, Early, OnTime, Late, Withdrawn               int64
	PendingTotal, PendingInTime, PendingOverdue                 int64
	OnTimeRate                                                  sql.NullFloat64
}

func rate(v float64) sql.NullFloat64 { return sql.NullFloat64{Float64: v, Valid: true} }

// TestReportFormHandCount checks every column of the form against a count
// made by hand from testdata/report/handcount/README.md, for three periods.
func TestReportFormHandCount(t *testing.T) {
	w := mustOpen(t)
	dir := "../testdata/report/handcount/"
	mustUnits(t, w, dir+"units.csv")
	csvRes := mustIngest(t, w, dir+"ward-export.csv", pipeline.FileOptions{})
	if csvRes.Rejected != 0 || csvRes.Loaded != 14 {
		t.Fatalf("csv: loaded %d rejected %d %+v, want 14 loaded", csvRes.Loaded, csvRes.Rejected, csvRes.Rejects)
	}
	jsonRes := mustIngest(t, w, dir+"api-export.json", pipeline.FileOptions{})
	if jsonRes.Rejected != 0 || jsonRes.Loaded != 5 {
		t.Fatalf("json: loaded %d rejected %d %+v", jsonRes.Loaded, jsonRes.Rejected, jsonRes.Rejects)
	}

	tests := []struct {
		name     string
		from, to string
		want     map[string]form
	}{
		{"february", "2024-02-01", "2024-02-29", map[string]form{
			"H01.01": {ReceivedTotal: 6, CarriedOver: 1, NewOnline: 1, NewDirect: 3, NewPostal: 1,
				ResolvedTotal: 1, Early: 0, OnTime: 1, Late: 0, Withdrawn: 0,
				PendingTotal: 5, PendingInTime: 3, PendingOverdue: 2, OnTimeRate: rate(100)},
		}},
		{"march", "2024-03-01", "2024-03-31", map[string]form{
			"H01.01": {ReceivedTotal: 13, CarriedOver: 5, NewOnline: 2, NewDirect: 5, NewPostal: 1,
				ResolvedTotal: 6, Early: 2, OnTime: 2, Late: 2, Withdrawn: 2,
				PendingTotal: 5, PendingInTime: 2, PendingOverdue: 3, OnTimeRate: rate(66.67)},
			"H01.02": {ReceivedTotal: 1, NewDirect: 1, PendingTotal: 1, PendingOverdue: 1},
		}},
		{"first quarter", "2024-01-01", "2024-03-31", map[string]form{
			"H01.01": {ReceivedTotal: 14, CarriedOver: 0, NewOnline: 3, NewDirect: 9, NewPostal: 2,
				ResolvedTotal: 7, Early: 2, OnTime: 3, Late: 2, Withdrawn: 2,
				PendingTotal: 5, PendingInTime: 2, PendingOverdue: 3, OnTimeRate: rate(71.43)},
			"H01.02": {ReceivedTotal: 1, NewDirect: 1, PendingTotal: 1, PendingOverdue: 1},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := readForm(t, w, tc.from, tc.to)
			if len(got) != len(tc.want) {
				t.Fatalf("wards: got %v, want %v", keys(got), keys(tc.want))
			}
			for ward, want := range tc.want {
				if got[ward] != want {
					t.Errorf("%s %s..%s:\n got %+v\nwant %+v", ward, tc.from, tc.to, got[ward], want)
				}
				g := got[ward]
				if g.ReceivedTotal != g.ResolvedTotal+g.Withdrawn+g.PendingTotal {
					t.Errorf("%s: identity broken: %+v", ward, g)
				}
			}
		})
	}
}

func keys(m map[string]form) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func readForm(t *testing.T, w *warehouse.Warehouse, from, to string) map[string]form {
	t.Helper()
	rows, err := w.DB().Query(`SELECT ward_code, received_total, carried_over, new_online, new_direct, new_postal,
		resolved_total, resolved_early, resolved_on_time, resolved_late, withdrawn,
		pending_total, pending_in_time, pending_overdue, on_time_rate FROM report_form(?, ?)`, from, to)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]form{}
	for rows.Next() {
		var ward string
		var f form
		if err := rows.Scan(&ward, &f.ReceivedTotal, &f.CarriedOver, &f.NewOnline, &f.NewDirect, &f.NewPostal,
			&f.ResolvedTotal, &f.Early, &f.OnTime, &f.Late, &f.Withdrawn,
			&f.PendingTotal, &f.PendingInTime, &f.PendingOverdue, &f.OnTimeRate); err != nil {
			t.Fatal(err)
		}
		out[ward] = f
	}
	return out
}

// TestReportFormRollup checks the district and province levels sum the
// wards, recompute the rate, and give unit names from the registry.
func TestReportFormRollup(t *testing.T) {
	w := mustOpen(t)
	dir := "../testdata/report/handcount/"
	mustUnits(t, w, dir+"units.csv")
	mustIngest(t, w, dir+"ward-export.csv", pipeline.FileOptions{})
	mustIngest(t, w, dir+"api-export.json", pipeline.FileOptions{})
	from, _ := time.Parse(time.DateOnly, "2024-03-01")
	to, _ := time.Parse(time.DateOnly, "2024-03-31")
	rows, err := w.ReportForm(context.Background(), warehouse.ReportOptions{From: from, To: to, By: "province"})
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var n int
	for rows.Next() {
		n++
		var province sql.NullString
		var figs [13]int64
		var r sql.NullFloat64
		dest := []any{&province}
		for i := range figs {
			dest = append(dest, &figs[i])
		}
		dest = append(dest, &r)
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		if province.String != "Tỉnh Thử" || figs[0] != 14 || figs[5] != 6 || r.Float64 != 66.67 {
			t.Errorf("province row: %v %v %v", province, figs, r)
		}
	}
	if n != 1 {
		t.Fatalf("want 1 province row, got %d", n)
	}
	var name string
	if err := w.DB().QueryRow(`SELECT ward_name FROM report_form('2024-03-01', '2024-03-31') WHERE ward_code = 'H01.02'`).Scan(&name); err != nil || name != "Xã Hai" {
		t.Fatalf("ward name: %q %v", name, err)
	}
}

// TestWardMonthEqualsTheFormOfEachMonth: ward_month (one pass over events)
// must give exactly report_form of each month, on the hand-counted fixture
// and on a generated demo district.
func TestWardMonthEqualsTheFormOfEachMonth(t *testing.T) {
	w := mustOpen(t)
	dir := "../testdata/report/handcount/"
	mustUnits(t, w, dir+"units.csv")
	mustIngest(t, w, dir+"ward-export.csv", pipeline.FileOptions{})
	mustIngest(t, w, dir+"api-export.json", pipeline.FileOptions{})
	assertWardMonthMatchesForm(t, w)
}

func assertWardMonthMatchesForm(t *testing.T, w *warehouse.Warehouse) {
	t.Helper()
	var months, diff int64
	if err := w.DB().QueryRow(WardMonthVersusForm).Scan(&months, &diff); err != nil {
		t.Fatal(err)
	}
	if months < 3 || diff != 0 {
		t.Fatalf("%d months, %d ward-months differ between ward_month and report_form", months, diff)
	}
}

// WardMonthVersusForm counts the months of ward_month and the ward-months
// where it differs from report_form run on that month.
const WardMonthVersusForm = `
WITH wm AS (SELECT month_start, * EXCLUDE (month, month_start, month_end) FROM ward_month
            WHERE received_total > 0 OR resolved_total > 0 OR withdrawn > 0),
rf AS (SELECT m.month_start, r.* FROM (SELECT DISTINCT month_start, month_end FROM ward_month) m,
       LATERAL (SELECT * FROM report_form(m.month_start, m.month_end)) r)
SELECT (SELECT count(DISTINCT month_start) FROM wm),
       (SELECT count(*) FROM (SELECT * FROM wm EXCEPT SELECT * FROM rf)) +
       (SELECT count(*) FROM (SELECT * FROM rf EXCEPT SELECT * FROM wm))`
