package warehouse_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"wardstat/pipeline"
	"wardstat/warehouse"
)

// Two wards' October exports, as the clerks' system writes them: no unit
// column, codes without a unit prefix, and the same codes in both wards.
const (
	octoberWardA = `Mã hồ sơ,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Hình thức nộp
HS-0001,01/10/2026 08:00,06/10/2026 17:00,03/10/2026 10:00,Trực tiếp
HS-0002,02/10/2026 08:00,07/10/2026 17:00,,Trực tuyến
HS-0003,05/10/2026 09:00,08/10/2026 17:00,09/10/2026 10:00,Trực tiếp
`
	octoberWardB = `Mã hồ sơ,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Hình thức nộp
HS-0001,12/10/2026 08:00,15/10/2026 17:00,14/10/2026 10:00,Bưu chính
HS-0009,13/10/2026 08:00,16/10/2026 17:00,,Trực tuyến
`
)

// formOf is the October form of every ward, one line per ward with its
// counted columns.
func formOf(t *testing.T, w *warehouse.Warehouse) []string {
	t.Helper()
	rows, err := w.ReportForm(context.Background(), warehouse.ReportOptions{
		From: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for i, c := range cols {
			if c == "ward_code" || slices.Contains(warehouse.FormFigures, c) {
				fmt.Fprintf(&b, "%s=%v ", c, vals[i])
			}
		}
		out = append(out, strings.TrimSpace(b.String()))
	}
	return out
}

// Issue 16, trap 1: a first load without --ward rejected every row, and
// the load the message advised (with --ward) answered "already loaded".
// The identity of a load is the file and the options that change what it
// gives; a load of the same file with other options replaces the earlier
// one, so no dossier is counted twice, and a wrong --ward that overwrote
// another ward's dossier gives it back.
func TestLoadWithOtherOptionsReplacesTheEarlierOne(t *testing.T) {
	w := mustOpen(t)
	dir := t.TempDir()
	a := writeFile(t, dir, "thang10-a.csv", octoberWardA)
	b := writeFile(t, dir, "thang10-b.csv", octoberWardB)

	// Without --ward: every row rejected, nothing loaded.
	r := mustIngest(t, w, a, pipeline.FileOptions{})
	if !pipeline.NothingLoaded(r) || r.Rejected != 3 {
		t.Fatalf("a file without its unit, no --ward: %+v", r)
	}
	// The advised command loads it.
	r = mustIngest(t, w, a, pipeline.FileOptions{Ward: "H26.01"})
	if r.AlreadyLoaded != nil || r.New != 3 {
		t.Fatalf("again with --ward must load the file: %+v", r)
	}
	if n := queryInt(t, w.DB(), `SELECT count(*) FROM rejects`); n != 0 {
		t.Fatalf("the rejects of the load that loaded nothing must go once the file loads: %d left", n)
	}
	// The same options again: a no-op.
	if r := mustIngest(t, w, a, pipeline.FileOptions{Ward: "H26.01"}); r.AlreadyLoaded == nil {
		t.Fatalf("the same file with the same options must be a no-op: %+v", r)
	}

	// Ward B's export loaded by mistake as ward A's: its HS-0001 overwrites
	// A's, HS-0009 joins A.
	rb := mustIngest(t, w, b, pipeline.FileOptions{Ward: "H26.01"})
	if rb.New != 1 || rb.Changed != 1 {
		t.Fatalf("B's export as A's: %+v", rb)
	}
	// Reloaded as is: its dossiers are unchanged, and keep the load_id of
	// the load that wrote them.
	rbr := mustIngest(t, w, b, pipeline.FileOptions{Ward: "H26.01", Reload: true})
	if rbr.Unchanged != 2 || !slices.Equal(rbr.Replaced, []int64{rb.LoadID}) || rbr.Withdrawn != 0 {
		t.Fatalf("B's export as A's, reloaded: %+v", rbr)
	}
	// Loaded again with the right ward: it replaces that load.
	rb2 := mustIngest(t, w, b, pipeline.FileOptions{Ward: "H26.02"})
	if rb2.AlreadyLoaded != nil || rb2.New != 2 || !slices.Equal(rb2.Replaced, []int64{rbr.LoadID}) || rb2.Withdrawn != 2 {
		t.Fatalf("B's export with its own ward must replace the wrong load: %+v", rb2)
	}
	want := []string{
		"ward_code=H26.01 received_total=3 carried_over=0 new_online=1 new_direct=2 new_postal=0 resolved_total=2 resolved_early=1 resolved_on_time=0 resolved_late=1 withdrawn=0 pending_total=1 pending_in_time=0 pending_overdue=1",
		"ward_code=H26.02 received_total=2 carried_over=0 new_online=1 new_direct=0 new_postal=1 resolved_total=1 resolved_early=1 resolved_on_time=0 resolved_late=0 withdrawn=0 pending_total=1 pending_in_time=0 pending_overdue=1",
	}
	if got := formOf(t, w); !slices.Equal(got, want) {
		t.Fatalf("the form after loading B as A, then as B:\n got %s\nwant %s", strings.Join(got, "\n    "), strings.Join(want, "\n    "))
	}
	if n := queryInt(t, w.DB(), `SELECT count(*) FROM dossiers WHERE ward_code = 'H26.01' AND dossier_code = 'HS-0001' AND received_at = '2026-10-01 08:00'`); n != 1 {
		t.Fatal("ward A's HS-0001, overwritten by the wrong load, must be put back")
	}
	if st := queryOne[string](t, w.DB(), `SELECT status FROM loads WHERE load_id = ?`, rb.LoadID); st != "replaced" {
		t.Fatalf("the wrong load's status: %q", st)
	}

	// --reload re-reads a file on purpose: nothing changes, nothing is
	// counted twice.
	rr := mustIngest(t, w, b, pipeline.FileOptions{Ward: "H26.02", Reload: true})
	if rr.AlreadyLoaded != nil || rr.Unchanged != 2 || rr.Loaded != 0 || !slices.Equal(rr.Replaced, []int64{rb2.LoadID}) || rr.Withdrawn != 0 {
		t.Fatalf("--reload: %+v", rr)
	}
	if got := formOf(t, w); !slices.Equal(got, want) {
		t.Fatalf("the form after --reload:\n got %s\nwant %s", strings.Join(got, "\n    "), strings.Join(want, "\n    "))
	}
	// A load of the file that rejects every row replaces nothing.
	if r := mustIngest(t, w, b, pipeline.FileOptions{}); !pipeline.NothingLoaded(r) || len(r.Replaced) != 0 {
		t.Fatalf("a load of B without --ward: %+v", r)
	}
	if got := formOf(t, w); !slices.Equal(got, want) {
		t.Fatalf("a load that loaded nothing changed the form:\n got %s\nwant %s", strings.Join(got, "\n    "), strings.Join(want, "\n    "))
	}
	if n := queryInt(t, w.DB(), `SELECT count(*) FROM (SELECT ward_code, dossier_code FROM dossiers GROUP BY ALL HAVING count(*) > 1)`); n != 0 {
		t.Fatalf("%d dossiers stored twice", n)
	}
}

// A sheet named with --sheet is a file of its own: loading another sheet
// of the same workbook loads it (it answered "already loaded") and
// replaces nothing.
func TestEachNamedSheetIsALoadOfItsOwn(t *testing.T) {
	w := mustOpen(t)
	const book = "../testdata/ingest/two-wards.xls"
	one := mustIngest(t, w, book, pipeline.FileOptions{Sheet: "Phường 1"})
	two := mustIngest(t, w, book, pipeline.FileOptions{Sheet: "Phường 2"})
	if one.New != 3 || two.AlreadyLoaded != nil || two.New != 3 || len(two.Replaced) != 0 {
		t.Fatalf("--sheet \"Phường 1\", then \"Phường 2\": %+v, then %+v", one, two)
	}
	// The whole workbook, every sheet of dossiers: each sheet was loaded.
	res, err := pipeline.File(context.Background(), w, book, pipeline.FileOptions{Hasher: testHasher})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range append([]pipeline.FileResult{res}, res.More...) {
		if r.Result.AlreadyLoaded == nil {
			t.Errorf("%s: a sheet loaded by name must be known when the workbook is loaded whole: %+v", r.Path, r.Result)
		}
	}
	if n := queryInt(t, w.DB(), `SELECT count(*) FROM dossiers`); n != 6 {
		t.Fatalf("%d dossiers, want 6", n)
	}
}

// A wrong --map, then the right one: the dossiers stored under the wrong
// column's codes leave the warehouse; each dossier is counted once.
func TestLoadWithTheRightMapReplacesTheWrongOne(t *testing.T) {
	w := mustOpen(t)
	p := writeFile(t, t.TempDir(), "map.csv", `Số BN,Số cũ,Ngày tiếp nhận,Mã đơn vị
BN-01,OLD-77,01/10/2026 08:00,H26.01
BN-02,OLD-78,02/10/2026 08:00,H26.01
BN-03,OLD-79,03/10/2026 08:00,H26.01
`)
	wrong := mustIngest(t, w, p, pipeline.FileOptions{Map: map[string]string{"dossier_code": "Số cũ"}})
	right := mustIngest(t, w, p, pipeline.FileOptions{Map: map[string]string{"dossier_code": "Số BN"}})
	if wrong.New != 3 || right.AlreadyLoaded != nil || right.New != 3 || right.Withdrawn != 3 || !slices.Equal(right.Replaced, []int64{wrong.LoadID}) {
		t.Fatalf("the wrong --map, then the right one: %+v, then %+v", wrong, right)
	}
	if got := queryOne[string](t, w.DB(), `SELECT string_agg(dossier_code, ' ' ORDER BY dossier_code) FROM dossiers`); got != "BN-01 BN-02 BN-03" {
		t.Fatalf("stored codes %q", got)
	}
	if got := formOf(t, w); len(got) != 1 || !strings.HasPrefix(got[0], "ward_code=H26.01 received_total=3 ") {
		t.Fatalf("the form: %q", got)
	}
}
