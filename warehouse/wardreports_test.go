package warehouse_test

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"wardstat/warehouse"
)

// importForm stores one ward's own form.
func importForm(t *testing.T, w *warehouse.Warehouse, ward, from, to string, figures map[string]int64) {
	t.Helper()
	f, _ := time.Parse(time.DateOnly, from)
	e, _ := time.Parse(time.DateOnly, to)
	if _, err := w.ImportWardReports(t.Context(), "form-"+ward+"-"+from+".csv", "sha-"+ward+from,
		[]warehouse.WardReport{{Ward: ward, From: f, To: e, Figures: figures, SourceLine: 2}}); err != nil {
		t.Fatal(err)
	}
}

// checkLines renders checks as "ward from check column reported expected difference".
func checkLines(cs []warehouse.WardReportCheck) string {
	var out []string
	for _, c := range cs {
		d, ok := c.Difference()
		diff := "-"
		if ok {
			diff = fmt.Sprintf("%+d", d)
		}
		num := func(v sql.NullInt64) string {
			if !v.Valid {
				return "-"
			}
			return fmt.Sprint(v.Int64)
		}
		out = append(out, fmt.Sprintf("%s %s %s %s %s %s %s", c.Ward, c.From.Format("2006-01"), c.Check, c.Column,
			num(c.Reported), num(c.Expected), diff))
	}
	return strings.Join(out, "\n")
}

// Every column of a ward's own form is compared with the dossiers (the
// hand-counted fixture, testdata/report/handcount) and with itself, and
// each difference is named; a form that agrees is listed only when asked.
func TestWardReportCheckComparesEveryColumn(t *testing.T) {
	w := handcount(t)
	// H01.01, March 2024: five direct dossiers reported as online; every
	// total right. (By hand: 5 carried over, 2 online, 5 direct, 1 postal;
	// 6 resolved: 2 early, 2 on time, 2 late; 2 withdrawn; 5 pending: 2 in
	// time, 3 overdue.)
	importForm(t, w, "H01.01", "2024-03-01", "2024-03-31", map[string]int64{
		"received_total": 13, "carried_over": 5, "new_online": 7, "new_direct": 0, "new_postal": 1,
		"resolved_total": 6, "resolved_early": 2, "resolved_on_time": 2, "resolved_late": 2, "withdrawn": 2,
		"pending_total": 5, "pending_in_time": 2, "pending_overdue": 3})
	// H01.01, February 2024: a dossier carried over twice, one on time
	// reported early, and its own parts adding up. (By hand: 6 received, 1
	// carried over, 1 online, 3 direct, 1 postal; 1 resolved on time; 5
	// pending, 3 in time, 2 overdue.)
	importForm(t, w, "H01.01", "2024-02-01", "2024-02-29", map[string]int64{
		"received_total": 7, "carried_over": 2, "new_online": 1, "new_direct": 3, "new_postal": 1,
		"resolved_total": 1, "resolved_early": 1, "resolved_on_time": 0, "resolved_late": 0, "withdrawn": 0,
		"pending_total": 6, "pending_in_time": 4, "pending_overdue": 2})
	// H01.02, March 2024: right in every column.
	importForm(t, w, "H01.02", "2024-03-01", "2024-03-31", map[string]int64{
		"received_total": 1, "carried_over": 0, "new_online": 0, "new_direct": 1, "new_postal": 0,
		"resolved_total": 0, "resolved_early": 0, "resolved_on_time": 0, "resolved_late": 0, "withdrawn": 0,
		"pending_total": 1, "pending_in_time": 0, "pending_overdue": 1})
	// A ward the warehouse holds nothing of, whose parts do not add up.
	importForm(t, w, "H09.09", "2024-03-01", "2024-03-31", map[string]int64{
		"received_total": 741, "carried_over": 33, "new_online": 236, "new_direct": 369, "new_postal": 27})

	res, err := w.CheckWardReports(t.Context(), false)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"H01.01 2024-02 counted received_total 7 6 +1",
		"H01.01 2024-02 counted carried_over 2 1 +1",
		"H01.01 2024-02 counted resolved_early 1 0 +1",
		"H01.01 2024-02 counted resolved_on_time 0 1 -1",
		"H01.01 2024-02 counted pending_total 6 5 +1",
		"H01.01 2024-02 counted pending_in_time 4 3 +1",
		"H01.01 2024-03 counted new_online 7 2 +5",
		"H01.01 2024-03 counted new_direct 0 5 -5",
		"H09.09 2024-03 no_dossiers  - - -",
		"H09.09 2024-03 parts received_total 741 665 +76",
		// The figures the form left out, each listed, apart from the differences.
		"H09.09 2024-03 missing resolved_total - - -",
		"H09.09 2024-03 missing resolved_early - - -",
		"H09.09 2024-03 missing resolved_on_time - - -",
		"H09.09 2024-03 missing resolved_late - - -",
		"H09.09 2024-03 missing withdrawn - - -",
		"H09.09 2024-03 missing pending_total - - -",
		"H09.09 2024-03 missing pending_in_time - - -",
		"H09.09 2024-03 missing pending_overdue - - -",
	}, "\n")
	if got := checkLines(res.Checks); got != want {
		t.Errorf("differences:\n%s\nwant\n%s", got, want)
	}
	if res.Forms != 4 || res.FormsDiffering != 3 || res.FormsIncomplete != 1 || res.FormsAgreeing != 1 {
		t.Errorf("forms %d, differing %d, incomplete %d, agreeing %d; want 4, 3, 1 and 1", res.Forms, res.FormsDiffering, res.FormsIncomplete, res.FormsAgreeing)
	}

	// With all: every column of every form, the agreeing form too.
	all, err := w.CheckWardReports(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	counted := map[string]int{}
	for _, c := range all.Checks {
		if c.Check == "counted" {
			counted[c.Ward+" "+c.From.Format("2006-01")]++
		}
		if c.Ward == "H01.02" && c.Agrees.Valid && !c.Agrees.Bool {
			t.Errorf("H01.02 agrees in every column: %+v", c)
		}
	}
	for _, f := range []string{"H01.01 2024-02", "H01.01 2024-03", "H01.02 2024-03"} {
		if counted[f] != len(warehouse.FormFigures) {
			t.Errorf("%s: %d columns compared with the dossiers, want all %d", f, counted[f], len(warehouse.FormFigures))
		}
	}
}
