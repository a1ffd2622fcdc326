package ingest_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"wardstat/ingest"
	"wardstat/transform"
)

// drain reads every record; readers must never panic or loop on any input.
func drain(t *testing.T, r ingest.Reader) {
	defer r.Close()
	for i := 0; i < 100000; i++ {
		if _, err := r.Next(); err != nil {
			return
		}
	}
	t.Fatal("reader did not end")
}

func seedFiles(f *testing.F, pattern string) {
	files, _ := filepath.Glob(pattern)
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
}

func fuzzFile(t *testing.T, data []byte, name string) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func FuzzCSV(f *testing.F) {
	seedFiles(f, "../testdata/ingest/*.csv")
	seedFiles(f, "../testdata/ingest/*.txt")
	f.Add([]byte("a;b\n\"x\ny\";2\n"))
	f.Add([]byte{0xff, 0xfe, 'a', 0, ',', 0, 'b', 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ingest.OpenCSV(fuzzFile(t, data, "in.csv"))
		if err != nil {
			return
		}
		drain(t, r)
	})
}

func FuzzJSON(f *testing.F) {
	seedFiles(f, "../testdata/ingest/*.json")
	seedFiles(f, "../testdata/ingest/*.ndjson")
	f.Add([]byte(`{"data":[{"a":1},{"b":{"c":[1,2]}}]}`))
	f.Add([]byte(`[{"a":1}, 2]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		watchdog := time.AfterFunc(5*time.Second, func() { panic(fmt.Sprintf("stuck on %q", data)) })
		defer watchdog.Stop()
		path := fuzzFile(t, data, "in.json")
		if r, err := ingest.OpenJSON(path); err == nil {
			drain(t, r)
		}
		// The same input walked as a large wrapper would be.
		restore := ingest.SetStreamWrapperBytes(0)
		defer restore()
		if r, err := ingest.OpenJSON(path); err == nil {
			drain(t, r)
		}
	})
}

func FuzzXLSX(f *testing.F) {
	x := excelize.NewFile()
	x.SetCellValue("Sheet1", "A1", "Mã hồ sơ")
	x.SetCellValue("Sheet1", "B1", "Ngày tiếp nhận")
	x.SetCellValue("Sheet1", "A2", "H01-240101-0001")
	x.SetCellValue("Sheet1", "B2", 45366.5)
	var buf bytes.Buffer
	_ = x.Write(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte("PK\x03\x04garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ingest.OpenXLSX(fuzzFile(t, data, "in.xlsx"), "", transform.ScoreHeader)
		if err != nil {
			return
		}
		drain(t, r)
	})
}

// FuzzXLS: any bytes given as an old binary workbook are rows or a clear
// error, never a panic or a read without end.
func FuzzXLS(f *testing.F) {
	seedFiles(f, "../testdata/ingest/*.xls")
	f.Add([]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ingest.OpenXLS(fuzzFile(t, data, "in.xls"), "", transform.ScoreHeader)
		if err != nil {
			return
		}
		drain(t, r)
	})
}

// FuzzDetect: any bytes get a format or a clear error, never a panic.
func FuzzDetect(f *testing.F) {
	seedFiles(f, "../testdata/ingest/*")
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := ingest.Detect(fuzzFile(t, data, "in"), "auto")
		if err != nil && !errors.Is(err, ingest.ErrUnsupported) && !errors.Is(err, ingest.ErrEmpty) && !errors.Is(err, io.EOF) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}

func FuzzHTML(f *testing.F) {
	seedFiles(f, "../testdata/ingest/*.xls")
	f.Add([]byte(`<table><tr><td rowspan="3" colspan="2">a</td><td>b</td></tr><tr><td>c</td></tr></table>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ingest.OpenHTML(fuzzFile(t, data, "in.html"))
		if err != nil {
			return
		}
		drain(t, r)
	})
}
