//go:build linux

package warehouse_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// The lake is readable by others as any output is: its folders get 0777 and
// its files 0666 under the umask (0755 and 0644 under the usual 022, 0750
// and 0640 under 027), the month= partitions included (they were 0700,
// made by MkdirTemp and renamed into place, so a dashboard running as
// another user could read none of them). A lake an older export left with
// private partitions is opened up by the next export, even when no
// partition changed.
func TestLakeModesAreThoseOfOrdinaryOutput(t *testing.T) {
	w := handcount(t)
	for _, c := range []struct {
		umask             int
		dirMode, fileMode fs.FileMode
	}{{0o022, 0o755, 0o644}, {0o027, 0o750, 0o640}} {
		old := unix.Umask(c.umask)
		dir := filepath.Join(t.TempDir(), "lake")
		_, err := w.ExportLake(t.Context(), dir)
		unix.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		checkModes(t, dir, c.dirMode, c.fileMode)
	}

	// An older export's lake: private month folders and files.
	old := unix.Umask(0o022)
	defer unix.Umask(old)
	dir := filepath.Join(t.TempDir(), "lake")
	if _, err := w.ExportLake(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	months, _ := filepath.Glob(filepath.Join(dir, "mart_*", "month=*"))
	if len(months) == 0 {
		t.Fatal("no partition written")
	}
	for _, m := range months {
		os.Chmod(filepath.Join(m, "data.parquet"), 0o600)
		os.Chmod(m, 0o700)
	}
	res, err := w.ExportLake(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.Written != 0 {
		t.Errorf("nothing changed, yet %d partitions were rewritten", res.Written)
	}
	checkModes(t, dir, 0o755, 0o644)
}

func checkModes(t *testing.T, dir string, dirMode, fileMode fs.FileMode) {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Error(err)
			return nil
		}
		info, _ := d.Info()
		want := fileMode
		if d.IsDir() {
			want = dirMode
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s: mode %04o, want %04o", p, got, want)
		}
		if filepath.Ext(p) == ".parquet" {
			n++
		}
		return nil
	})
	if n == 0 {
		t.Errorf("%s: no Parquet file", dir)
	}
}
