//go:build linux

package warehouse

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEveryCopyKeepsTheLock: each way Publish may copy the live file
// (copy_file_range or pread through DuckDB's descriptor, cp in a child)
// gives its bytes and leaves the lock held: another process is refused.
func TestEveryCopyKeepsTheLock(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.duckdb")
	w, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.db.Exec(`CHECKPOINT`); err != nil {
		t.Fatal(err)
	}
	fd := heldFD(path)
	if fd < 0 {
		t.Fatal("DuckDB's descriptor of the warehouse is not found")
	}
	var st os.FileInfo
	if st, err = os.Stat(path); err != nil {
		t.Fatal(err)
	}
	copies := map[string]func(*os.File) error{
		"copyLive":    func(f *os.File) error { return copyLive(context.Background(), path, f) },
		"preadCopy":   func(f *os.File) error { return preadCopy(context.Background(), fd, f, st.Size()) },
		"copyInChild": func(f *os.File) error { return copyInChild(context.Background(), path, f) },
	}
	var first []byte
	for name, copyTo := range copies {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := copyTo(f); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f.Close()
		got, _ := os.ReadFile(f.Name())
		if int64(len(got)) != st.Size() || (first != nil && !bytes.Equal(got, first)) {
			t.Errorf("%s copied %d bytes of %d, or other bytes than the others", name, len(got), st.Size())
		}
		first = got
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		c := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestLockProbeChild$", "-test.count=1")
		c.Env = append(os.Environ(), "WARDSTAT_LOCK_PROBE="+path)
		out, err := c.CombinedOutput()
		cancel()
		if err != nil || !strings.Contains(string(out), "probe: refused locked=true") {
			t.Errorf("after %s another process must be refused: %v\n%s", name, err, out)
		}
	}
}
