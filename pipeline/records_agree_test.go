package pipeline

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"wardstat/ingest"
)

// FuzzRecordsAgreeWithLineScan: the two readers keep to one rule. Where
// the line scan beside DuckDB's reading finds nothing to refuse, our
// reader rejects no line for its quotes or length, and finds the same
// records on the same lines as the scan's row fixes say DuckDB does.
// Every line is in a record, a blank line or a rejected line: records
// start on lines that only grow, and each takes at most the limit.
func FuzzRecordsAgreeWithLineScan(f *testing.F) {
	f.Add([]byte("a,\"x\ny\",b\n\nc,\"d\"\n"))
	f.Add([]byte("a,\"x,y\nb,c\nd,e\n"))
	f.Add([]byte("a,\"1\n2\n3\n4\n5\",b\nc\n"))
	f.Add([]byte("a, \"x\ny\" ,b\nc,5\" d\n"))
	f.Add([]byte("a,\"Khai sinh\" mới\",b\n\"x\"\"\ny\"\n"))
	f.Add([]byte("a,b\r\n\r\n\"x\r\ny\"\r\n"))
	f.Add([]byte("a,\"x\"y,b\n" + strings.Repeat("z", 70) + "\n"))
	f.Add([]byte("b,c,d\ne, \"f,g\",,\r\nh,i,j,k\n"))
	f.Add([]byte("\x03\x03,c,d\ne,\"f,g\"\n,,\n \t\r\nh,\"i\nj\"\nk\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		defer ingest.SetRecordLimits(4, 64)()
		text := append([]byte("h\n"), data...)
		// The most cells a line may have (FaultExtraCells): 0 (any) to 4.
		cells := 0
		if len(data) > 0 {
			cells = int(data[0] % 5)
		}
		// The fewest cells a record may have (FaultMissingCells): 0 (any) to 4.
		least := 0
		if len(data) > 1 {
			least = int(data[1] % 5)
		}
		sc := newRowFixScanner(1, 1<<20, ',', 0, cells)
		sc.least = least
		refused := false
		for rest := text; len(rest) > 0 && !refused; {
			i := bytes.IndexByte(rest, '\n') + 1
			if i == 0 {
				i = len(rest)
			}
			refused = !sc.oneLine(rest[:i])
			rest = rest[i:]
		}
		refused = refused || !sc.end()
		rr := ingest.NewDelimitedReader(bytes.NewReader(text), ',', cells)
		maxLines, _ := ingest.RecordLimits()
		var lines []int
		prev, lastOf := 0, 0
		for {
			rec, err := rr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if rec.Line <= prev || rec.Line <= lastOf {
				t.Fatalf("record at line %d after one at %d ending at %d", rec.Line, prev, lastOf)
			}
			for _, c := range rec.Cells {
				if !utf8.ValidString(c) {
					t.Fatalf("line %d: a cell not UTF-8: %q", rec.Line, c)
				}
			}
			prev, lastOf = rec.Line, rec.Line+strings.Count(strings.Join(rec.Cells, ""), "\n")
			if rec.Line > 1 && missingCells(rec, least) {
				rec.Fault = ingest.FaultMissingCells // as the pipeline's rows reject it
			}
			if rec.Fault != "" && rec.Fault != ingest.FaultEncoding {
				if !refused {
					t.Fatalf("line %d rejected (%s), where the line scan let DuckDB read the file", rec.Line, rec.Fault)
				}
				continue
			}
			if lastOf-rec.Line >= maxLines {
				t.Fatalf("a record from line %d over more than %d lines", rec.Line, maxLines)
			}
			lines = append(lines, rec.Line)
		}
		if refused || lines == nil || lines[0] != 1 {
			return
		}
		lines = lines[1:] // the header
		if int64(len(lines)) != sc.record {
			t.Fatalf("our reader finds %d records, the line scan %d", len(lines), sc.record)
		}
		for i, line := range lines {
			var delta int64
			for _, fx := range sc.fixes {
				if fx.Record <= int64(i) {
					delta = fx.Delta
				}
			}
			if want := 2 + int64(i) + delta; int64(line) != want {
				t.Fatalf("record %d: our reader at line %d, the line scan at %d (fixes %v)", i, line, want, sc.fixes)
			}
		}
	})
}
