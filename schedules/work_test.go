package schedules

import (
	"os"
	"path/filepath"
	"testing"
)

// TestClearWorkRemovesKilledDownloads: a pull killed mid-download, or
// between the download and its load, leaves the export (applicants in
// clear) in the work folder; the next scheduler command removes it, and
// only what a pull names.
func TestClearWorkRemovesKilledDownloads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".wardstat-work")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	left := []string{"an-binh-1234567.part", "an-binh-20261206-010000.000.json", "phu-my-20261206-010000.000.ndjson"}
	kept := []string{"notes.txt", "an-binh-notes.txt"}
	for _, n := range append(append([]string{}, left...), kept...) {
		os.WriteFile(filepath.Join(dir, n), []byte(`{"ChuHoSo":"Nguyễn Thị Phượng"}`), 0o644)
	}
	if err := clearWork(dir, []Source{{Name: "an-binh"}, {Name: "phu-my"}}); err != nil {
		t.Fatal(err)
	}
	for _, n := range left {
		if _, err := os.Stat(filepath.Join(dir, n)); !os.IsNotExist(err) {
			t.Errorf("%s is still in the work folder", n)
		}
	}
	for _, n := range kept {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s is not a download and must stay: %v", n, err)
		}
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("work folder mode %v, want 0700", st.Mode().Perm())
	}
}
