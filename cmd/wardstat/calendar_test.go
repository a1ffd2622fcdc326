package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `wardstat calendar` says which years are announced and which are the
// rule's guesses; an import replaces its years and the listing says so;
// reset undoes it; a bad row is named in the app's language.
func TestCalendarCommandSaysWhichYearsAreGuesses(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	out := mustRun(t, "--db", db, "calendar")
	for _, want := range []string{"2024  lịch công bố", "2027  ước đoán (quy tắc)", "ước đoán theo quy tắc (chưa có lịch Chính phủ công bố): 2018, 2027-2035"} {
		if !strings.Contains(out, want) {
			t.Errorf("calendar: no %q in\n%s", want, out)
		}
	}
	f := filepath.Join(dir, "2027.csv")
	if err := os.WriteFile(f, []byte("day,working,note\n2027-02-05,0,Tết\n2027-02-20,1,Làm bù\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, "--db", db, "calendar", "import", f); !strings.Contains(out, "các năm 2027 được thay") {
		t.Errorf("import: %s", out)
	}
	out = mustRun(t, "--db", db, "--lang", "en", "calendar")
	if !strings.Contains(out, "2027  imported") || !strings.Contains(out, "guesses (no announced schedule): 2018, 2028-2035") {
		t.Errorf("calendar after importing 2027:\n%s", out)
	}
	if out := mustRun(t, "--db", db, "calendar", "show", "2027"); out != "day,working,note\n2027-02-05,0,Tết\n2027-02-20,1,Làm bù\n" {
		t.Errorf("show 2027:\n%s", out)
	}
	if out := mustRun(t, "--db", db, "calendar", "reset", "2027"); !strings.Contains(out, "ước đoán") {
		t.Errorf("reset: %s", out)
	}
	if err := os.WriteFile(f, []byte("day,working,note\n2027-02-05,maybe,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, "--db", db, "calendar", "import", f); err == nil || !strings.Contains(err.Error(), "dòng 2, cột working") {
		t.Errorf("a bad row: %v", err)
	}
}

// An import replaces whole years: a file of one extra day off leaves its
// year without Tết, and the command warns, naming the undo.
func TestCalendarImportOfAFewDaysWarns(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	f := filepath.Join(dir, "one.csv")
	if err := os.WriteFile(f, []byte("day,working,note\n2024-02-15,0,nghỉ thêm\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, err := run(t, "--db", db, "calendar", "import", f)
	if err != nil || !strings.Contains(errOut, "cảnh báo: năm 2024") || !strings.Contains(errOut, "calendar reset 2024") {
		t.Errorf("a one-day import: %v, stderr %q; want a warning that 2024 lost its holidays, with the undo", err, errOut)
	}
}
