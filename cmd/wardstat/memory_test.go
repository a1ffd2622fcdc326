package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestIngestOfHugeCellsStaysUnderOneGiB loads, as a real process, files
// whose rows each hold one huge cell under the old 1 MiB line limit: a
// CSV of 700 lines of 900 KB (a procedure name, mapped), and a JSON array
// of 1,100 records with a 500 KB value. DuckDB reads and types 2,048 rows
// at a time on each thread, whatever its memory_limit: the CSV took 1.9
// GB of RSS, the JSON 3.1 GB, and both failed with DuckDB's out-of-memory
// error. Now each such row is rejected on its own line (too_long), the
// short rows between them load, and the peak RSS stays under 1 GiB.
func TestIngestOfHugeCellsStaysUnderOneGiB(t *testing.T) {
	skipIfShort(t, "memory: the RSS of a load of huge cells")
	if runtime.GOOS != "linux" {
		t.Skip("reads the child's peak RSS from Linux's rusage")
	}
	t.Setenv("WARDSTAT_PII_KEY", "memory")
	dir := t.TempDir()
	big := strings.Repeat("Đăng ký khai sinh kết hợp ", 900_000/len("Đăng ký khai sinh kết hợp "))
	const rows = 700
	short := func(i int) bool { return i%100 == 0 } // rows 0, 100, …, 600: normal
	write := func(name string, fill func(w *bufio.Writer)) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		fill(w)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	csv := write("huge-cells.csv", func(w *bufio.Writer) {
		w.WriteString("Mã hồ sơ,Tên thủ tục,Ngày tiếp nhận,Ngày hẹn trả,Trạng thái\n")
		for i := 0; i < rows; i++ {
			name := big
			if short(i) {
				name = "Đăng ký khai sinh"
			}
			fmt.Fprintf(w, "H01-%06d,%s,05/03/2024 08:15,08/03/2024,2\n", i, name)
		}
	})
	json := write("huge-values.json", func(w *bufio.Writer) {
		w.WriteString("[")
		for i := 0; i < rows; i++ {
			name := big[:500_000]
			if short(i) {
				name = "Đăng ký khai sinh"
			}
			if i > 0 {
				w.WriteString(",\n")
			}
			fmt.Fprintf(w, `{"Mã hồ sơ": "H01-%06d", "Tên thủ tục": %q, "Ngày tiếp nhận": "05/03/2024 08:15", "Ngày hẹn trả": "08/03/2024", "Trạng thái": "2"}`, i, name)
		}
		w.WriteString("]")
	})
	for _, tc := range []struct {
		path     string
		firstBad int // the file's row of the first huge cell (a CSV line; a JSON record's ordinal)
	}{{csv, 3}, {json, 2}} {
		db := filepath.Join(dir, filepath.Base(tc.path)+".duckdb")
		c := cli("--db", db, "--lang", "en", "ingest", "--ward", "000.00.00.H01", tc.path)
		var out bytes.Buffer
		c.Stdout, c.Stderr = &out, &out
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		if took, killed := endsWithin(t, c, time.Now(), 120*time.Second); killed {
			t.Fatalf("%s: still running after %v; killed", tc.path, took)
		}
		peak := c.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
		t.Logf("%s: exit %d, peak %d MB", filepath.Base(tc.path), c.ProcessState.ExitCode(), peak>>20)
		if peak > 1<<30 {
			t.Errorf("%s: peak resident memory %d MB, over 1 GiB", tc.path, peak>>20)
		}
		text := out.String()
		want := fmt.Sprintf("read %d · loaded %d (new %d, changed 0) · rejected %d", rows, rows/100, rows/100, rows-rows/100)
		if c.ProcessState.ExitCode() != 0 || !strings.Contains(text, want) ||
			!strings.Contains(text, fmt.Sprintf("row %d: the line (or one of its cells) is over 64 KiB", tc.firstBad)) {
			t.Errorf("%s: exit %d, want 0 and %q with row %d rejected as too long:\n%.2000s", tc.path, c.ProcessState.ExitCode(), want, tc.firstBad, text)
		}
		// Every huge row is a reject of its own, keeping no more than a
		// prefix of its cells; the short rows are the dossiers.
		got := strings.TrimSpace(mustRun(t, "--db", db, "sql", "--format", "csv",
			"SELECT (SELECT count(*) FROM rejects WHERE reason_code = 'too_long') || '/' || (SELECT count(*) FROM rejects) || '/' || "+
				"(SELECT min(source_row) FROM rejects) || '/' || (SELECT coalesce(max(length(raw_row::VARCHAR)), 0) < 16384 FROM rejects) || '/' || (SELECT count(*) FROM dossiers) AS r"))
		if want := fmt.Sprintf("r\n%d/%d/%d/true/%d", rows-rows/100, rows-rows/100, tc.firstBad, rows/100); got != want {
			t.Errorf("%s: too_long rejects/rejects/first reject's row/raw rows short/dossiers: %q, want %q", tc.path, got, want)
		}
	}
}
