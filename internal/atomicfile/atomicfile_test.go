package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplacesWholeOrNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.csv")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A reader that opened the old file keeps reading the old bytes.
	reader, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()

	if err := Write(path, []byte("new content\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "new content\n" {
		t.Fatalf("after Write the file holds %q", got)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
	old := make([]byte, 16)
	if n, _ := reader.Read(old); string(old[:n]) != "old\n" {
		t.Fatalf("an open reader saw %q, want the old content", old[:n])
	}

	// A failing writer leaves the file as it was and no temporary file.
	boom := errors.New("boom")
	err = WriteWith(path, 0o644, func(f *os.File) error {
		f.Write([]byte("half"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WriteWith returned %v, want the writer's error", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "new content\n" {
		t.Fatalf("after a failed write the file holds %q", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("the folder holds %v, want only report.csv", names)
	}
}

func TestWriteHonoursPermAndUmask(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.json")
	if err := Write(path, []byte("{}"), 0o640); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// The umask may only take bits away, as with os.WriteFile.
	if st.Mode().Perm()&^0o640 != 0 || st.Mode().Perm()&0o600 != 0o600 {
		t.Fatalf("mode %v, want 0640 less the umask", st.Mode().Perm())
	}
}
