package ingest

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// workbookLimits bound what a workbook may unpack to, so that a small
// file cannot take the memory or the disk (a 2 MB workbook unpacked to a
// 2 GiB sheet took 3.7 GB and 77 s). See checkWorkbook.
type workbookLimits struct {
	// Total is the most all the parts may unpack to (excelize unpacks a
	// large sheet to a temporary file, so this bounds the disk).
	Total int64
	// InMemory is the most a part may unpack to that excelize reads whole
	// into memory (every part but the sheets and the shared strings).
	InMemory int64
	// Ratio is the most a part past RatioFrom may unpack to per byte it
	// packs to: a zip bomb repeats one pattern, a sheet of dossiers
	// packs ~10:1 (a sheet of blank rows up to ~50:1).
	Ratio     int64
	RatioFrom int64
	// ScanFrom is the size past which a sheet or the shared strings are
	// read once before excelize opens them, checking that no row (no
	// shared string) is longer than Row: excelize reads a row, a cell, a
	// string whole. A smaller part can hold no row larger than itself.
	ScanFrom int64
	Row      int64
	// Strings is the most shared strings a workbook may hold: excelize
	// keeps an index entry for each (~40 bytes, and its slice doubles as
	// it grows: 5 M strings take ~300 MB).
	Strings int64
}

// xlsxLimits are the limits applied; tests lower them.
var xlsxLimits = workbookLimits{
	Total:     4 << 30,
	InMemory:  64 << 20,
	Ratio:     100,
	RatioFrom: 16 << 20,
	ScanFrom:  64 << 20,
	Row:       16 << 20,
	Strings:   5_000_000,
}

// checked remembers the workbooks found within the limits (by path, size
// and time), so that a workbook read a sheet at a time is scanned once.
var checked sync.Map

type checkedKey struct {
	path string
	size int64
	mod  time.Time
}

// checkWorkbook refuses a workbook whose parts would unpack past the
// limits, before excelize opens it, from the sizes in the zip's central
// directory. Then scanned reads every part through, beside excelize's
// unpacking (which holds no more than the limits allow), and must say
// nil before a row is read: archive/zip stops a part that holds more
// than its header says (zip.ErrFormat), where excelize would take the
// part cut short without a word, and a row or shared string too long for
// memory is refused before excelize reads it whole.
func checkWorkbook(path string) (scanned func() error, err error) {
	none := func() error { return nil }
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	key := checkedKey{path, st.Size(), st.ModTime()}
	if _, ok := checked.Load(key); ok {
		return none, nil
	}
	z, err := zip.OpenReader(path)
	if err != nil {
		return none, nil // not a zip excelize can read either: it says so
	}
	if err := checkSizes(z.File, xlsxLimits); err != nil {
		z.Close()
		return nil, err
	}
	done := make(chan error, 1)
	go func() {
		defer z.Close()
		for _, f := range z.File {
			streamed, sharedStrings := partKind(f.Name)
			if err := scanPart(f, streamed && f.UncompressedSize64 > uint64(xlsxLimits.ScanFrom), sharedStrings, xlsxLimits); err != nil {
				done <- err
				return
			}
		}
		checked.Store(key, true)
		done <- nil
	}()
	return sync.OnceValue(func() error { return <-done }), nil
}

// partKind says whether excelize streams a part (a sheet, or the shared
// strings), rather than read it whole, and whether it is the shared strings.
func partKind(name string) (streamed, sharedStrings bool) {
	name = strings.ToLower(strings.ReplaceAll(name, "\\", "/"))
	sharedStrings = name == "xl/sharedstrings.xml"
	return sharedStrings || strings.HasPrefix(name, "xl/worksheets/sheet"), sharedStrings
}

// checkSizes checks the parts' sizes as the zip's headers give them.
func checkSizes(files []*zip.File, lim workbookLimits) error {
	var total uint64
	for _, f := range files {
		size, packed := f.UncompressedSize64, f.CompressedSize64
		total += size
		if total > uint64(lim.Total) {
			return tooLarge(
				fmt.Sprintf("sổ tính giải nén ra hơn %s, quá giới hạn %s của wardstat", BytesText(total), BytesText(uint64(lim.Total))),
				fmt.Sprintf("the workbook unpacks to over %s, past wardstat's limit of %s", BytesText(total), BytesText(uint64(lim.Total))))
		}
		if streamed, _ := partKind(f.Name); !streamed && size > uint64(lim.InMemory) {
			return tooLarge(
				fmt.Sprintf("phần %s của sổ tính giải nén ra %s, quá giới hạn %s", f.Name, BytesText(size), BytesText(uint64(lim.InMemory))),
				fmt.Sprintf("the workbook's part %s unpacks to %s, past the limit of %s", f.Name, BytesText(size), BytesText(uint64(lim.InMemory))))
		}
		if size > uint64(lim.RatioFrom) && size > uint64(lim.Ratio)*max(packed, 1) {
			return tooLarge(
				fmt.Sprintf("phần %s của sổ tính nén %s thành %s (hơn %d:1, như một \"bom zip\"); wardstat từ chối phần lớn hơn %s nén quá %d:1; hãy mở tệp bằng Excel và lưu lại",
					f.Name, BytesText(size), BytesText(packed), lim.Ratio, BytesText(uint64(lim.RatioFrom)), lim.Ratio),
				fmt.Sprintf("the workbook's part %s packs %s into %s (over %d:1, as a zip bomb does); wardstat refuses parts over %s packed more than %d:1; open the file in Excel and save it again",
					f.Name, BytesText(size), BytesText(packed), lim.Ratio, BytesText(uint64(lim.RatioFrom)), lim.Ratio))
		}
	}
	return nil
}

// scanPart reads a part through, checking that it holds what its header
// says and, for a sheet (or the shared strings) when rows is set, that no
// row (no string) is longer than the limit, and that the strings are not
// too many.
func scanPart(f *zip.File, rows, sharedStrings bool, lim workbookLimits) error {
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("reading the workbook's part %s: %w", f.Name, err)
	}
	defer rc.Close()
	marker := []byte("<row")
	if sharedStrings {
		marker = []byte("<si")
	}
	var (
		buf      = make([]byte, min(1<<20, f.UncompressedSize64+64))
		carry    int   // bytes kept from the last read (a marker cut in two)
		pos      int64 // the offset of buf[0] in the part
		last     int64 // where the last marker began
		elements int64
	)
	for {
		n := carry
		var err error
		for n < len(buf) && err == nil {
			var k int
			k, err = rc.Read(buf[n:])
			n += k
		}
		chunk := buf[:n]
		for i := 0; rows; {
			j := bytes.Index(chunk[i:], marker)
			if j < 0 {
				break
			}
			at := pos + int64(i+j)
			if at-last > lim.Row {
				return rowTooLong(f.Name, sharedStrings, lim.Row)
			}
			last, i = at, i+j+len(marker)
			elements++
			if sharedStrings && elements > lim.Strings {
				return tooLarge(
					fmt.Sprintf("bảng chuỗi dùng chung của sổ tính có hơn %d chuỗi, quá giới hạn của wardstat; hãy lưu tệp thành .csv", lim.Strings),
					fmt.Sprintf("the workbook's shared strings number over %d, past wardstat's limit; save the file as .csv", lim.Strings))
			}
		}
		if rows && pos+int64(n)-last > lim.Row {
			return rowTooLong(f.Name, sharedStrings, lim.Row)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrChecksum) || err == io.ErrUnexpectedEOF {
				return &Message{
					VI: fmt.Sprintf("phần %s của sổ tính không khớp với kích thước hoặc mã kiểm tra ghi trong tệp zip (tệp bị sửa hoặc hỏng); hãy mở bằng Excel và lưu lại", f.Name),
					EN: fmt.Sprintf("the workbook's part %s does not match the size or checksum its zip gives (a tampered or broken file); open it in Excel and save it again", f.Name),
				}
			}
			return fmt.Errorf("reading the workbook's part %s: %w", f.Name, err)
		}
		// Keep the tail, where a marker may have been cut.
		carry = len(marker) - 1
		copy(buf, chunk[n-carry:])
		pos += int64(n - carry)
	}
}

func rowTooLong(part string, sharedStrings bool, limit int64) error {
	if sharedStrings {
		return tooLarge(
			fmt.Sprintf("một chuỗi trong %s dài hơn %s, quá giới hạn của wardstat (Excel giữ tối đa 32.767 ký tự một ô)", part, BytesText(uint64(limit))),
			fmt.Sprintf("a string in %s is longer than %s, past wardstat's limit (Excel keeps at most 32,767 characters a cell)", part, BytesText(uint64(limit))))
	}
	return tooLarge(
		fmt.Sprintf("một dòng của %s dài hơn %s, quá giới hạn của wardstat (Excel giữ tối đa 32.767 ký tự một ô)", part, BytesText(uint64(limit))),
		fmt.Sprintf("a row of %s is longer than %s, past wardstat's limit (Excel keeps at most 32,767 characters a cell)", part, BytesText(uint64(limit))))
}

func tooLarge(vi, en string) error {
	return &Message{VI: vi, EN: en, Err: ErrTooLarge}
}

// BytesText is a size for a person: "2.0 GiB", "16 MiB", "2.1 KiB".
func BytesText(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// max1904Sheet bounds the sheets of a workbook that counts days from
// 1904: to tell its date cells, excelize reads a sheet's styles by
// loading the whole sheet into memory (a 58 MiB sheet peaked at 785 MB),
// so such a sheet is read only up to this size. Tests lower it.
var max1904Sheet int64 = 32 << 20

// check1904 refuses a workbook counting days from 1904 with a sheet past
// max1904Sheet unpacked.
func check1904(path string) error {
	z, err := zip.OpenReader(path)
	if err != nil {
		return nil
	}
	defer z.Close()
	for _, f := range z.File {
		if streamed, sharedStrings := partKind(f.Name); streamed && !sharedStrings && f.UncompressedSize64 > uint64(max1904Sheet) {
			return tooLarge(
				fmt.Sprintf("sổ tính tính ngày từ năm 1904 (Excel cho Mac) có trang %s giải nén ra %s, quá giới hạn %s cho loại sổ này; hãy mở bằng Excel và lưu thành .csv, hoặc bỏ tùy chọn \"1904 date system\"",
					f.Name, BytesText(f.UncompressedSize64), BytesText(uint64(max1904Sheet))),
				fmt.Sprintf("the workbook counts days from 1904 (Excel for Mac) and its sheet %s unpacks to %s, past the limit of %s for such workbooks; open it in Excel and save it as .csv, or untick \"1904 date system\"",
					f.Name, BytesText(f.UncompressedSize64), BytesText(uint64(max1904Sheet))))
		}
	}
	return nil
}
