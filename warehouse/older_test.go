package warehouse_test

import (
	"testing"

	"wardstat/pipeline"
)

// An older export loaded after a newer one (a clerk's last month's file
// again, a drop folder out of order, a --reload) must not reopen the
// dossiers the newer one closed: November's form stayed as the ward
// counted it only if HS-2's completion survives October's file. A later
// export still closes what an earlier one left open.
func TestOlderExportNeverReopensAClosedDossier(t *testing.T) {
	w := mustOpen(t)
	dir := t.TempDir()
	head := "Mã hồ sơ,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả\n"
	october := writeFile(t, dir, "thang10.csv", head+
		"HS-1,20/10/2026 08:00,30/10/2026 17:00,\n"+
		"HS-2,21/10/2026 08:00,10/11/2026 17:00,\n")
	november := writeFile(t, dir, "thang11.csv", head+
		"HS-1,20/10/2026 08:00,30/10/2026 17:00,\n"+
		"HS-2,21/10/2026 08:00,10/11/2026 17:00,05/11/2026 10:00\n"+
		"HS-3,03/11/2026 08:00,20/11/2026 17:00,\n")
	opt := pipeline.FileOptions{Ward: "H01.01"}

	mustIngest(t, w, november, opt)
	r := mustIngest(t, w, october, opt)
	if r.Older != 1 || r.Changed != 0 || r.Unchanged != 2 {
		t.Errorf("October after November: older %d, changed %d, unchanged %d; want 1, 0, 2", r.Older, r.Changed, r.Unchanged)
	}
	found := false
	for _, wn := range r.Warnings {
		found = found || wn.Code == "older_state" && wn.Count == 1
	}
	if !found {
		t.Errorf("no older_state warning: %+v", r.Warnings)
	}
	if n := queryInt(t, w.DB(), `SELECT count(*) FROM dossiers WHERE dossier_code = 'HS-2' AND completed_at IS NOT NULL`); n != 1 {
		t.Fatalf("HS-2 was reopened by the older export")
	}
	if n := queryInt(t, w.DB(), `SELECT resolved_total FROM report_form('2026-11-01', '2026-11-30')`); n != 1 {
		t.Errorf("November resolved %d, want 1 (HS-2)", n)
	}

	// The other way round: a later export closes a dossier an earlier one
	// left open.
	w2 := mustOpen(t)
	mustIngest(t, w2, october, opt)
	r = mustIngest(t, w2, november, opt)
	if r.Older != 0 || r.Changed != 1 {
		t.Errorf("November after October: older %d, changed %d; want 0, 1", r.Older, r.Changed)
	}
	if n := queryInt(t, w2.DB(), `SELECT resolved_total FROM report_form('2026-11-01', '2026-11-30')`); n != 1 {
		t.Errorf("November resolved %d after the later export, want 1", n)
	}
}

// A file saved again (other bytes) and loaded with another --ward stores
// its dossiers twice; the load says so. The same bytes with another
// --ward replace the earlier load, and nothing is said.
func TestCodesStoredUnderAnotherWardAreSaid(t *testing.T) {
	w := mustOpen(t)
	dir := t.TempDir()
	body := "Mã hồ sơ,Ngày tiếp nhận\nHS-1,01/10/2026 08:00\nHS-2,02/10/2026 08:00\n"
	first := writeFile(t, dir, "a.csv", body)
	mustIngest(t, w, first, pipeline.FileOptions{Ward: "H01.01"})
	r := mustIngest(t, w, first, pipeline.FileOptions{Ward: "H01.02"})
	for _, wn := range r.Warnings {
		if wn.Code == "code_in_other_ward" {
			t.Errorf("the same bytes with another --ward replace the earlier load, yet: %+v", wn)
		}
	}
	resaved := writeFile(t, dir, "a-resaved.csv", body+"\n")
	r = mustIngest(t, w, resaved, pipeline.FileOptions{Ward: "H01.03"})
	found := false
	for _, wn := range r.Warnings {
		found = found || wn.Code == "code_in_other_ward" && wn.Count == 2 && wn.Example == "H01.02"
	}
	if !found {
		t.Errorf("a re-saved file under a third ward: no code_in_other_ward warning naming H01.02: %+v", r.Warnings)
	}
}
