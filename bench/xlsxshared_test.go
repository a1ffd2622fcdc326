package bench_test

import (
	"archive/zip"
	"bytes"
	"io"
	"path/filepath"
	"reflect"
	"testing"

	"wardstat/bench"
	"wardstat/ingest"
)

// The shared-strings form of the bench's workbook holds the same cells.
func TestSharedStringsXLSXHoldsTheSameCells(t *testing.T) {
	dir := t.TempDir()
	inline, shared := filepath.Join(dir, "inline.xlsx"), filepath.Join(dir, "shared.xlsx")
	if _, err := bench.WriteXLSX(inline, 300, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := bench.WriteSharedStringsXLSX(inline, shared); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(shared)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	sheet, err := zr.Open("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	xml, _ := io.ReadAll(sheet)
	if bytes.Contains(xml, []byte("inlineStr")) || bytes.Count(xml, []byte(`t="s"`)) < 300*5 {
		t.Fatalf("the sheet still has inline text, or few shared cells (%d)", bytes.Count(xml, []byte(`t="s"`)))
	}
	read := func(path string) [][]string {
		r, err := ingest.OpenXLSX(path, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var rows [][]string
		for {
			rec, err := r.Next()
			if err == io.EOF {
				return rows
			}
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, rec.Cells)
		}
	}
	a, b := read(inline), read(shared)
	if len(a) != 303 || !reflect.DeepEqual(a, b) {
		t.Fatalf("%d rows inline, %d shared; equal %v", len(a), len(b), reflect.DeepEqual(a, b))
	}
}
