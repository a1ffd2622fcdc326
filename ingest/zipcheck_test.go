package ingest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

const sheetHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Mã hồ sơ</t></is></c><c r="B1" t="inlineStr"><is><t>Ngày tiếp nhận</t></is></c></row>`
const sheetTail = `</sheetData></worksheet>`

// craftWorkbook writes a workbook whose first sheet's XML is what sheet
// writes (after sheetHead, before sheetTail), and whose other parts are
// an ordinary workbook's; extra adds parts.
func craftWorkbook(t *testing.T, sheet func(w io.Writer), extra map[string]func(w io.Writer)) string {
	t.Helper()
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"Mã hồ sơ", "Ngày tiếp nhận"})
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "export.xlsx")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	for _, e := range zr.File {
		w, _ := zw.Create(e.Name)
		if e.Name == "xl/worksheets/sheet1.xml" {
			io.WriteString(w, sheetHead)
			sheet(w)
			io.WriteString(w, sheetTail)
			continue
		}
		rc, _ := e.Open()
		io.Copy(w, rc)
		rc.Close()
	}
	for name, write := range extra {
		w, _ := zw.Create(name)
		write(w)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func repeat(s string, n int64) func(w io.Writer) {
	return func(w io.Writer) {
		if s == "" {
			return
		}
		chunk := strings.Repeat(s, max(1, (64<<10)/len(s)))
		for written := int64(0); written < n; written += int64(len(chunk)) {
			io.WriteString(w, chunk)
		}
	}
}

// lowerLimits scales the workbook limits down for the test (a 2 GiB bomb
// is the same attack as a 16 MiB one under limits 128 times smaller).
func lowerLimits(t *testing.T, l workbookLimits) {
	old := xlsxLimits
	xlsxLimits = l
	t.Cleanup(func() { xlsxLimits = old; checked.Clear() })
	checked.Clear()
}

var testLimits = workbookLimits{Total: 32 << 20, InMemory: 1 << 20, Ratio: 100, RatioFrom: 1 << 20, ScanFrom: 1 << 20, Row: 256 << 10, Strings: 10_000}

// allocatedBy is how many bytes do allocates on the heap.
func allocatedBy(do func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	do()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestWorkbookBombsAreRefused: a workbook that unpacks far past what it
// packs (a zip bomb), past the total, with a row or a shared string past
// the row limit, with too many shared strings, or whose zip header lies
// about a part's size is refused, naming the limit, without unpacking
// it into memory (the 2 GiB bomb took 3.7 GB and 77 s before saying "the
// file is empty"). The limits are lowered; the attack is the same.
func TestWorkbookBombsAreRefused(t *testing.T) {
	lowerLimits(t, testLimits)
	rng := rand.New(rand.NewSource(1))
	letters := func(n int) func(w io.Writer) {
		return func(w io.Writer) {
			b := make([]byte, n)
			for i := range b {
				b[i] = 'a' + byte(rng.Intn(26))
			}
			w.Write(b)
		}
	}
	cases := []struct {
		name  string
		path  string
		want  string
		bound uint64 // bytes the refusal may allocate
	}{
		{"a sheet of spaces 1000:1", craftWorkbook(t, repeat(" ", 24<<20), nil), "over 100:1", 8 << 20},
		{"a million blank rows packed past 100:1", craftWorkbook(t, repeat(`<row/>`, 24<<20), nil), "over 100:1", 8 << 20},
		{"a cell past the row limit", craftWorkbook(t, func(w io.Writer) {
			io.WriteString(w, `<row r="2"><c r="A2" t="inlineStr"><is><t>`)
			letters(2 << 20)(w)
			io.WriteString(w, `</t></is></c></row>`)
		}, nil), "a row of xl/worksheets/sheet1.xml is longer than 256.0 KiB", 8 << 20},
		{"a shared string past the limit", craftWorkbook(t, repeat("", 0), map[string]func(io.Writer){
			"xl/sharedStrings.xml": func(w io.Writer) {
				io.WriteString(w, `<sst><si><t>`)
				letters(2 << 20)(w)
				io.WriteString(w, `</t></si></sst>`)
			},
		}), "a string in xl/sharedStrings.xml is longer than", 8 << 20},
		{"too many shared strings", craftWorkbook(t, repeat("", 0), map[string]func(io.Writer){
			"xl/sharedStrings.xml": func(w io.Writer) {
				io.WriteString(w, `<sst>`)
				for i := 0; i < 100_000; i++ {
					fmt.Fprintf(w, "<si><t>%x</t></si>", rng.Int63())
				}
				io.WriteString(w, `</sst>`)
			},
		}), "shared strings number over 10000", 8 << 20},
		{"a part read into memory past its limit", craftWorkbook(t, repeat("", 0), map[string]func(io.Writer){
			"xl/media/image1.png": letters(2 << 20),
		}), "the workbook's part xl/media/image1.png unpacks to 2.0 MiB, past the limit of 1.0 MiB", 8 << 20},
		{"past the total", craftWorkbook(t, func(w io.Writer) {
			for r := 2; r < 400_000; r++ {
				fmt.Fprintf(w, `<row r="%d"><c r="A%d" t="inlineStr"><is><t>H08-%x</t></is></c><c r="B%d"><v>%d</v></c></row>`, r, r, rng.Int63(), r, 45000+r%300)
			}
		}, nil), "the workbook unpacks to over", 8 << 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checked.Clear()
			var err error
			alloc := allocatedBy(func() {
				var r Reader
				r, err = OpenXLSX(c.path, "", nil)
				if err == nil {
					r.Close()
				}
			})
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want ErrTooLarge saying %q", err, c.want)
			}
			var m *Message
			if !errors.As(err, &m) || m.VI == "" || strings.Contains(m.VI, "\n") || strings.Contains(m.EN, "\n") {
				t.Errorf("not one line in both languages: %#v", m)
			}
			if alloc > c.bound {
				t.Errorf("refusing it allocated %d bytes, want under %d", alloc, c.bound)
			}
		})
	}
}

// TestWorkbookHeaderLies: a part whose zip header says 1 KiB but which
// unpacks to 24 MiB is stopped at the size its header declared (by
// archive/zip), so the limits checked against the headers hold.
func TestWorkbookHeaderLies(t *testing.T) {
	lowerLimits(t, testLimits)
	honest := craftWorkbook(t, repeat("", 0), nil)
	zr, err := zip.OpenReader(honest)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	path := filepath.Join(t.TempDir(), "lying.xlsx")
	out, _ := os.Create(path)
	zw := zip.NewWriter(out)
	for _, e := range zr.File {
		if e.Name != "xl/worksheets/sheet1.xml" {
			w, _ := zw.Create(e.Name)
			rc, _ := e.Open()
			io.Copy(w, rc)
			rc.Close()
			continue
		}
		var body bytes.Buffer
		body.WriteString(sheetHead)
		repeat(`<row/>`, 24<<20)(&body)
		body.WriteString(sheetTail)
		var packed bytes.Buffer
		fw, _ := flate.NewWriter(&packed, flate.BestCompression)
		fw.Write(body.Bytes())
		fw.Close()
		hdr := &zip.FileHeader{Name: e.Name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(body.Bytes()),
			CompressedSize64: uint64(packed.Len()), UncompressedSize64: 1 << 10}
		w, err := zw.CreateRaw(hdr)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(packed.Bytes())
	}
	zw.Close()
	out.Close()
	var rerr error
	alloc := allocatedBy(func() {
		r, err := OpenXLSX(path, "", nil)
		if err != nil {
			rerr = err
			return
		}
		defer r.Close()
		for {
			if _, err := r.Next(); err != nil {
				if err != io.EOF {
					rerr = err
				}
				return
			}
		}
	})
	if rerr == nil || !strings.Contains(rerr.Error(), "does not match the size or checksum its zip gives") {
		t.Fatalf("a part holding more than its header says: err = %v, want it refused", rerr)
	}
	if alloc > 16<<20 {
		t.Errorf("reading it allocated %d bytes, want under 16 MiB", alloc)
	}
}

// TestWorkbookWithinLimitsLoads: a sheet past the scan size whose rows
// are ordinary passes the scan and reads whole.
func TestWorkbookWithinLimitsLoads(t *testing.T) {
	lowerLimits(t, testLimits)
	rng := rand.New(rand.NewSource(2))
	const rows = 20_000
	path := craftWorkbook(t, func(w io.Writer) {
		for r := 2; r <= rows+1; r++ {
			fmt.Fprintf(w, `<row r="%d"><c r="A%d" t="inlineStr"><is><t>H08.01-240301-%06d</t></is></c><c r="B%d"><v>%d</v></c></row>`, r, r, rng.Intn(1e6), r, 45000+r%300)
		}
	}, nil)
	if st, _ := os.Stat(path); st.Size() < 100<<10 {
		t.Fatalf("the workbook is too small to test the scan: %d bytes", st.Size())
	}
	r, err := OpenXLSX(path, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != rows+1 {
		t.Errorf("read %d rows, want %d", n, rows+1)
	}
}

// TestWorkbook1904SheetIsBounded: a workbook counting days from 1904 has
// its date cells told by their style, which excelize reads by loading the
// whole sheet (13 times its XML): a sheet past the limit (lowered to 256
// KiB here) is refused naming the limit; one within it reads.
func TestWorkbook1904SheetIsBounded(t *testing.T) {
	defer func(n int64) { max1904Sheet = n }(max1904Sheet)
	max1904Sheet = 256 << 10
	write := func(rows int) string {
		f := excelize.NewFile()
		yes := true
		f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes})
		f.SetSheetRow("Sheet1", "A1", &[]any{"Mã hồ sơ", "Ngày tiếp nhận"})
		for r := 2; r <= rows+1; r++ {
			f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", r), &[]any{fmt.Sprintf("H08.01-240301-%05d", r), 43000 + r%100})
		}
		path := filepath.Join(t.TempDir(), "mac.xlsx")
		if err := f.SaveAs(path); err != nil {
			t.Fatal(err)
		}
		return path
	}
	big, err := OpenXLSX(write(20_000), "", nil)
	if err == nil {
		big.Close()
	}
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "counts days from 1904") {
		t.Errorf("a 1904 workbook past the limit: err = %v", err)
	}
	r, err := OpenXLSX(write(100), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for {
		if _, err := r.Next(); err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
	}
}
