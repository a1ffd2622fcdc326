package pipeline

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzCSVRowFixesLeast: with the fewest cells a record may have
// (FaultMissingCells), skimming blocks of lines and reading every line
// refuse the same files at the same line.
func FuzzCSVRowFixesLeast(f *testing.F) {
	f.Add([]byte("h,i,j\na,b,c\nd,e\n,,\n \t\nf,\"g,h\"\n"), 1, 8)
	f.Add([]byte("h,i\na,\"b\nc\"\nd\n"), 1, 5)
	f.Add([]byte("h,i,j\r\na,b,c\r\nd,\"e,f\"\r\n"), 1, 11)
	f.Fuzz(func(t *testing.T, data []byte, skip, block int) {
		if skip < 0 || skip > 5 || block < 1 || block > 64 {
			return
		}
		least := block%4 + 1
		sc := newRowFixScanner(skip, fuzzMaxFixes, ',', 0, 0)
		sc.least = least
		fixes, refusal, err := sc.scan(bytes.NewReader(data), block)
		if err != nil {
			t.Fatal(err)
		}
		by := newRowFixScanner(skip, fuzzMaxFixes, ',', 0, 0)
		by.least = least
		wantRefusal := ""
		for rest := data; len(rest) > 0; {
			i := bytes.IndexByte(rest, '\n') + 1
			if i == 0 {
				i = len(rest)
			}
			if !by.oneLine(rest[:i]) {
				wantRefusal = by.refusal
				break
			}
			rest = rest[i:]
		}
		if wantRefusal == "" && !by.end() {
			wantRefusal = by.refusal
		}
		wantFixes := by.fixes
		if wantRefusal != "" {
			wantFixes = nil
		}
		if refusal != wantRefusal || !reflect.DeepEqual(fixes, wantFixes) {
			t.Fatalf("block %d least %d: got %v %q, line by line %v %q", block, least, fixes, refusal, wantFixes, wantRefusal)
		}
	})
}
