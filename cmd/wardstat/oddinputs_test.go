package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const goodCSV = "Mã hồ sơ,Ngày tiếp nhận,Hình thức nộp\nH08.01-240301-0001,01/03/2024,Trực tiếp\nH08.01-240301-0002,01/03/2024,Trực tuyến\n"

// runWithin runs the CLI and fails the test if it has not ended in time.
func runWithin(t *testing.T, limit time.Duration, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	type result struct {
		out, errOut string
		err         error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.out, r.errOut, r.err = run(t, args...)
		done <- r
	}()
	select {
	case r := <-done:
		return r.out, r.errOut, r.err
	case <-time.After(limit):
		t.Fatalf("wardstat %s still runs after %s", strings.Join(args, " "), limit)
		return "", "", nil
	}
}

// TestIngestRefusesWhatIsNotAFile: a named pipe and a link to /dev/zero
// among the files of a folder are each refused in one line, in the
// language asked for, and the good file beside them loads; the command
// ends (a pipe hung it forever, /dev/zero ran past 6 GB) and exits
// non-zero.
func TestIngestRefusesWhatIsNotAFile(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "odd")
	dir := t.TempDir()
	exports := filepath.Join(dir, "exports")
	os.MkdirAll(exports, 0o755)
	os.WriteFile(filepath.Join(exports, "a.csv"), []byte(goodCSV), 0o644)
	if err := syscall.Mkfifo(filepath.Join(exports, "z.csv"), 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(exports, "x.csv")); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "w.duckdb")
	for _, lang := range []string{"en", "vi"} {
		out, errOut, err := runWithin(t, 30*time.Second, "--db", db, "--lang", lang, "ingest", exports)
		if err == nil {
			t.Errorf("%s: exit 0 with two files refused", lang)
		}
		want := map[string]string{"en": "not a regular file but a named pipe", "vi": "không phải tệp thường mà là đường ống"}[lang]
		if !strings.Contains(errOut, "z.csv: ") || !strings.Contains(errOut, want) {
			t.Errorf("%s: the pipe is not refused in one line:\n%s", lang, errOut)
		}
		wantDev := map[string]string{"en": "not a regular file but a device", "vi": "không phải tệp thường mà là thiết bị"}[lang]
		if !strings.Contains(errOut, "x.csv: ") || !strings.Contains(errOut, wantDev) {
			t.Errorf("%s: the link to /dev/zero is not refused in one line:\n%s", lang, errOut)
		}
		if lang == "en" && !strings.Contains(out, "read 2 · loaded 2") {
			t.Errorf("the good file did not load beside them:\n%s", out)
		}
	}
}

// TestIngestEmptyFolder: a folder named like a file, holding nothing,
// says so and exits non-zero (it was silent, exit 0).
func TestIngestEmptyFolder(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "odd")
	dir := t.TempDir()
	empty := filepath.Join(dir, "x.csv")
	os.MkdirAll(empty, 0o755)
	_, errOut, err := run(t, "--db", filepath.Join(dir, "w.duckdb"), "--lang", "en", "ingest", empty)
	if err == nil || exitCode(err) == 0 {
		t.Errorf("an empty folder: exit 0")
	}
	if !strings.Contains(errOut, "x.csv: NOT LOADED: the folder holds no file to load") {
		t.Errorf("an empty folder is not said:\n%s", errOut)
	}
}

// TestIngestFolderHoldingTheWarehouse: a folder of exports that also holds
// the warehouse loads the exports and leaves the warehouse's own files
// alone (its .duckdb file was parsed as an export and 40 KB of binary
// printed); another DuckDB file there is refused in one short line.
func TestIngestFolderHoldingTheWarehouse(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "odd")
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	os.WriteFile(filepath.Join(dir, "a.csv"), []byte(goodCSV), 0o644)
	first := filepath.Join(t.TempDir(), "first.csv") // the warehouse exists before the folder is read
	os.WriteFile(first, []byte(strings.ReplaceAll(goodCSV, "0301-", "0302-")), 0o644)
	mustRun(t, "--db", db, "ingest", first)
	out, errOut, err := run(t, "--db", db, "--lang", "en", "ingest", dir)
	if err != nil {
		t.Fatalf("the folder holding the warehouse: %v\n%s", err, errOut)
	}
	if strings.Contains(out+errOut, "w.duckdb") || !strings.Contains(out, "read 2 · loaded 2") {
		t.Errorf("the warehouse was read as an export, or the export not loaded:\n%s\n%s", out, errOut)
	}
	// A copy of a warehouse is not the warehouse: refused, briefly.
	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "copy.duckdb")
	os.WriteFile(other, raw, 0o644)
	_, errOut, err = run(t, "--db", db, "--lang", "en", "ingest", other)
	if err == nil {
		t.Errorf("a DuckDB file loaded as an export")
	}
	if !strings.Contains(errOut, "a DuckDB database") || len(errOut) > 400 {
		t.Errorf("a DuckDB file is not refused in one short line:\n%.600s", errOut)
	}
}
