package warehouse_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"wardstat/pipeline"
	"wardstat/warehouse"
)

// nightFile writes a ward's export of n dossiers received on day (dd/mm),
// numbered from first, each resolved two days later.
func nightFile(t *testing.T, ward, day string, first, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Hình thức nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Trạng thái\n")
	dd, mm, _ := strings.Cut(day, "/")
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&b, "%s-24%s%s-%04d,Trực tuyến,%s/2024 09:00,20/%s/2024,12/%s/2024 10:00,Đã có kết quả\n", ward, mm, dd, i, day, mm, mm)
	}
	return writeFile(t, t.TempDir(), ward+"-"+mm+dd+fmt.Sprint(first)+".csv", b.String())
}

// failures is a run's failing tests and their counts, "name=n" sorted.
func failures(err error) string {
	var dt *warehouse.DataTestError
	if !errors.As(err, &dt) {
		return fmt.Sprint(err)
	}
	var out []string
	for _, f := range dt.Failed {
		out = append(out, fmt.Sprintf("%s=%d", f.Name, f.Failures))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func changedRun(t *testing.T, w *warehouse.Warehouse) (warehouse.DataTestRun, error) {
	t.Helper()
	run, err := w.RunChangedDataTests(t.Context())
	var dt *warehouse.DataTestError
	if err != nil && !errors.As(err, &dt) {
		t.Fatalf("data tests: %v", err)
	}
	if len(run.Results) < 6 {
		t.Fatalf("only %d data tests in the result", len(run.Results))
	}
	return run, err
}

func wantScope(t *testing.T, step string, run warehouse.DataTestRun, scope string, rows int64) {
	t.Helper()
	if run.Scope != scope || (rows >= 0 && run.Rows != rows) {
		t.Fatalf("%s: scope %s over %d rows (%s), want %s over %d", step, run.Scope, run.Rows, run.Why, scope, rows)
	}
}

// The night's data tests read the night's dossiers, and give the verdict
// a run over every dossier gives: the same tests fail, over as many rows.
func TestChangedDataTestsFollowTheNightAndAgreeWithTheFullRun(t *testing.T) {
	w := handcount(t)
	all := queryInt(t, w.DB(), `SELECT count(*) FROM dossiers`)

	run, err := changedRun(t, w)
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	wantScope(t, "first run, no verdict", run, warehouse.DataTestsAll, all)

	run, err = changedRun(t, w)
	if err != nil {
		t.Fatal(err)
	}
	wantScope(t, "nothing new", run, warehouse.DataTestsReused, 0)

	// A good night: three new dossiers of a ward in the registry.
	mustIngest(t, w, nightFile(t, "H01.02", "10/05", 1, 3), pipeline.FileOptions{})
	through := run.Through
	run, err = changedRun(t, w)
	if err != nil {
		t.Fatalf("a good night: %v", err)
	}
	wantScope(t, "a good night", run, warehouse.DataTestsChanged, 3)
	if run.Since != through || run.Through <= through {
		t.Errorf("a good night tested loads %d..%d, want after %d", run.Since, run.Through, through)
	}

	// A bad night: a ward the registry lacks, which the night's load
	// writes (and warns of). The changed run fails as the full run does.
	mustIngest(t, w, nightFile(t, "H09.09", "11/05", 1, 2), pipeline.FileOptions{})
	run, err = changedRun(t, w)
	wantScope(t, "a bad night", run, warehouse.DataTestsChanged, 2)
	_, fullErr := w.RunDataTests(t.Context())
	if got, want := failures(err), failures(fullErr); got != want || got != "wards_in_registry=1" {
		t.Fatalf("a bad night: the changed run found %q, the full run %q, want wards_in_registry=1", got, want)
	}

	// A failed verdict is never reused: the next run reads every dossier.
	run, err = changedRun(t, w)
	wantScope(t, "after a failure", run, warehouse.DataTestsAll, all+5)
	if got := failures(err); got != "wards_in_registry=1" {
		t.Fatalf("after a failure: %q", got)
	}

	// The registry changed (the ward added): every dossier again.
	units := []warehouse.Unit{{Code: "H01.01", Name: "Phường Một"}, {Code: "H01.02", Name: "Xã Hai"}, {Code: "H09.09", Name: "Xã Chín"}}
	if err := w.ReplaceUnits(t.Context(), units); err != nil {
		t.Fatal(err)
	}
	run, err = changedRun(t, w)
	if err != nil {
		t.Fatalf("registry fixed: %v", err)
	}
	wantScope(t, "registry fixed", run, warehouse.DataTestsAll, all+5)
	units[2].Name = "Xã Chín Mới"
	if err := w.ReplaceUnits(t.Context(), units); err != nil {
		t.Fatal(err)
	}
	run, _ = changedRun(t, w)
	wantScope(t, "a ward renamed", run, warehouse.DataTestsAll, all+5)
	run, _ = changedRun(t, w)
	wantScope(t, "the registry as it was", run, warehouse.DataTestsReused, 0)

	// A night that changes dossiers already stored: their new states only.
	mustIngest(t, w, nightFile(t, "H01.02", "10/05", 2, 2), pipeline.FileOptions{}) // 0002 again, 0003 again
	mustIngest(t, w, nightFile(t, "H01.02", "10/05", 3, 2), pipeline.FileOptions{}) // 0003 again, 0004 new
	run, err = changedRun(t, w)
	if err != nil {
		t.Fatalf("a night of repeats: %v", err)
	}
	wantScope(t, "a night of repeats", run, warehouse.DataTestsChanged, 1) // 0004: the same states write nothing
	mustIngest(t, w, nightFile(t, "H01.02", "10/05", 1, 4), pipeline.FileOptions{})
	run, err = changedRun(t, w)
	if err != nil {
		t.Fatalf("a night of repeats only: %v", err)
	}
	wantScope(t, "a night of repeats only", run, warehouse.DataTestsReused, 0)

	// A reload replaces a load the verdict covered: every dossier again.
	mustIngest(t, w, "../testdata/report/handcount/ward-export.csv", pipeline.FileOptions{Reload: true})
	run, err = changedRun(t, w)
	if err != nil {
		t.Fatalf("a reload: %v", err)
	}
	wantScope(t, "a reload of a tested load", run, warehouse.DataTestsAll, -1)
}

// A duplicate is a group: the changed run compares the changed keys with
// every stored one. Rows written past the loads a verdict covered are the
// changed ones; a row written under an old load's id is seen too.
func TestChangedDataTestsCompareChangedKeysWithAll(t *testing.T) {
	w := handcount(t)
	if _, err := changedRun(t, w); err != nil {
		t.Fatal(err)
	}
	// As a buggy load would: a second copy of a stored dossier, with a
	// status outside the catalogue, under a load after the verdict's.
	if _, err := w.DB().Exec(`INSERT INTO dossiers SELECT * REPLACE (42 AS status, (SELECT max(load_id) + 1 FROM loads) AS load_id)
		FROM dossiers WHERE dossier_code = 'H01.01-240301-0001'`); err != nil {
		t.Fatal(err)
	}
	run, err := changedRun(t, w)
	wantScope(t, "a duplicate", run, warehouse.DataTestsChanged, 1)
	_, fullErr := w.RunDataTests(t.Context())
	if got, want := failures(err), failures(fullErr); got != want || got != "accepted_values=1 unique_dossier_per_ward=1" {
		t.Fatalf("the changed run found %q, the full run %q", got, want)
	}

	// Under an old load's id (no load writes so): the count of the tested
	// loads' states says so, and every dossier is tested.
	w2 := handcount(t)
	if _, err := changedRun(t, w2); err != nil {
		t.Fatal(err)
	}
	if _, err := w2.DB().Exec(`INSERT INTO dossiers SELECT * REPLACE (42 AS status) FROM dossiers WHERE dossier_code = 'H01.01-240301-0001'`); err != nil {
		t.Fatal(err)
	}
	run, err = changedRun(t, w2)
	wantScope(t, "a row under an old load", run, warehouse.DataTestsAll, -1)
	if got := failures(err); got != "accepted_values=1 unique_dossier_per_ward=1" {
		t.Fatalf("a row under an old load: %q", got)
	}
}

// form_identity (received = resolved + withdrawn + pending for every ward
// and month) holds over any set of dossiers, by the construction of
// ward_month: which is why the changed run tests it over the changed
// dossiers alone (DATATESTS.md). Here over dossiers no load would store.
func TestFormIdentityHoldsForAnyDossiers(t *testing.T) {
	w := handcount(t)
	// code, received, completed, withdrawn, due, status
	odd := [][6]string{
		// completed before received; closed both ways; received after today
		{"X-1", "'2024-05-10 09:00'", "'2024-04-02 09:00'", "NULL", "'2024-05-20'", "4"},
		{"X-2", "'2024-05-10 09:00'", "'2024-06-02 09:00'", "'2024-06-03 09:00'", "'2024-05-20'", "9"},
		{"X-3", "'2099-01-10 09:00'", "NULL", "NULL", "'2099-01-20'", "4"},
		// completed after today; withdrawn before received, due before
		// received, not counted; open and overdue; closed before received
		// both ways, no due date, no status
		{"X-4", "'2024-07-10 09:00'", "'2099-01-02 09:00'", "NULL", "'2024-07-01'", "9"},
		{"X-5", "'2024-07-10 09:00'", "NULL", "'2024-07-01 09:00'", "'2024-06-01'", "1"},
		{"X-6", "'2023-01-10 09:00'", "NULL", "NULL", "'2023-01-20'", "4"},
		{"X-7", "'2024-08-10 09:00'", "'2024-08-09 09:00'", "'2024-08-08 09:00'", "NULL", "NULL"},
	}
	for _, o := range odd {
		if _, err := w.DB().Exec(fmt.Sprintf(`INSERT INTO dossiers SELECT * REPLACE ('%s' AS dossier_code, %s::TIMESTAMP AS received_at,
			%s::TIMESTAMP AS completed_at, %s::TIMESTAMP AS withdrawn_at, %s::TIMESTAMP AS due_at, %s::SMALLINT AS status)
			FROM dossiers WHERE dossier_code = 'H01.01-240301-0001'`, o[0], o[1], o[2], o[3], o[4], o[5])); err != nil {
			t.Fatal(err)
		}
	}
	if n := queryInt(t, w.DB(), `SELECT count(*) FROM dossiers WHERE dossier_code LIKE 'X-%'`); n != int64(len(odd)) {
		t.Fatalf("%d odd dossiers stored", n)
	}
	results, err := w.RunDataTests(t.Context())
	for _, r := range results {
		if r.Name == "form_identity" && r.Failures != 0 {
			t.Errorf("form_identity: %d rows, e.g. %v", r.Failures, r.ExamplesEN)
		}
	}
	if got := failures(err); !strings.Contains(got, "no_completion_before_receipt=3") || strings.Contains(got, "form_identity") {
		t.Errorf("the odd dossiers: %s", got)
	}
}

// A read-only warehouse reads the verdict its writer kept, and keeps its
// own in memory: a failure there is forgotten in memory too.
func TestChangedDataTestsOnAReadOnlyWarehouse(t *testing.T) {
	w := handcount(t)
	if _, err := changedRun(t, w); err != nil {
		t.Fatal(err)
	}
	// A night with a ward the registry lacks.
	mustIngest(t, w, nightFile(t, "H09.09", "11/05", 1, 2), pipeline.FileOptions{})
	path := w.Path()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := warehouse.Open(t.Context(), path, warehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	run, err := changedRun(t, ro)
	wantScope(t, "read-only, the writer's verdict", run, warehouse.DataTestsChanged, 2)
	if got := failures(err); got != "wards_in_registry=1" {
		t.Fatalf("read-only: %q", got)
	}
	run, _ = changedRun(t, ro)
	wantScope(t, "read-only, after a failure", run, warehouse.DataTestsAll, -1)
	// The temp objects went with the run: the connections read main.dossiers.
	for range 4 {
		if n := queryInt(t, ro.DB(), `SELECT count(*) FROM dossiers`); n < 10 {
			t.Fatalf("a connection reads %d dossiers: a temp view was left behind", n)
		}
	}
}
