package ingest

import (
	"io"
	"strings"
	"unicode/utf8"

	"github.com/shakinm/xlsReader/xls"
	"github.com/shakinm/xlsReader/xls/structure"

	"wardstat/internal/msg"
)

// xlsReader reads one sheet of an old binary workbook (.xls, Excel 97-2003,
// BIFF8), as many one-stop systems still export. The sheet is read whole:
// the format holds at most 65,536 rows a sheet. Cells come as stored, as
// from a workbook of today: a date cell is its Excel serial number, text
// as text.
type xlsReader struct {
	rows  [][]string
	next  int
	Sheet string
	// tops are every sheet's top rows (SheetTops).
	tops []SheetTop
}

var _ Reader = (*xlsReader)(nil)

// OpenXLS opens a sheet of an .xls workbook: the named one, else the sheet
// whose top rows hold the best-scoring header (the first sheet on a tie).
func OpenXLS(path, sheet string, score func([]string) int) (r Reader, err error) {
	// The decoder trusts the file's record lengths: a damaged file makes it
	// panic, which is this file's error, not the run's.
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, msg.Errorf("sổ .xls bị hỏng hoặc không do Excel 97-2003 ghi (%v); hãy mở bằng Excel hoặc LibreOffice rồi lưu dạng .xlsx",
				"the .xls workbook is damaged or not one Excel 97-2003 wrote (%v); open it in Excel or LibreOffice and save it as .xlsx", p)
		}
	}()
	if err := checkCFB(path); err != nil {
		return nil, err
	}
	wb, err := xls.OpenFile(path)
	if err != nil {
		return nil, msg.Errorf("không mở được sổ .xls (%w); hãy mở bằng Excel hoặc LibreOffice rồi lưu dạng .xlsx", "opening the .xls workbook: %w; open it in Excel or LibreOffice and save it as .xlsx", err)
	}
	sheets := make([]*xls.Sheet, 0, wb.GetNumberSheets())
	names := make([]string, 0, wb.GetNumberSheets())
	for i := range wb.GetNumberSheets() {
		s, err := wb.GetSheet(i)
		if err != nil {
			return nil, msg.Errorf("đọc trang %d của sổ .xls: %w", "reading the .xls workbook's sheet %d: %w", i+1, err)
		}
		sheets = append(sheets, s)
		names = append(names, xlsText(s.GetName()))
	}
	if len(sheets) == 0 {
		return nil, msg.Errorf("tệp không chứa sổ Excel 97-2003 (sổ có mật khẩu, hoặc một tài liệu Office khác?): %w; hãy gỡ mật khẩu, hoặc lưu lại dạng .xlsx",
			"the file holds no Excel 97-2003 workbook (a workbook with a password, or another Office document?): %w; remove the password, or save it as .xlsx", ErrUnsupported)
	}
	chosen := 0
	switch {
	case sheet != "":
		chosen = -1
		for i, n := range names {
			if strings.EqualFold(n, sheet) {
				chosen = i
			}
		}
		if chosen < 0 {
			return nil, msg.Errorf("không có trang %q; các trang là %q", "no sheet %q; the sheets are %q", sheet, names)
		}
	case score != nil && len(sheets) > 1:
		best := -1
		for i, s := range sheets {
			sc := 0
			for _, cells := range xlsRows(s, sheetProbeRows) {
				sc = max(sc, score(cells))
			}
			if sc > best {
				chosen, best = i, sc
			}
		}
	}
	tops := make([]SheetTop, len(sheets))
	for i, s := range sheets {
		tops[i] = SheetTop{Name: names[i], Rows: xlsRows(s, sheetTopRows)}
	}
	return &xlsReader{rows: xlsRows(sheets[chosen], -1), Sheet: names[chosen], tops: tops}, nil
}

// xlsRows is a sheet's first n rows as text (all of them when n < 0), up to
// the last cell of each; a row with no cell is empty.
func xlsRows(s *xls.Sheet, n int) [][]string {
	last := s.GetNumberRows()
	if n >= 0 {
		last = min(last, n-1)
	}
	out := make([][]string, 0, last+1)
	for i := 0; i <= last; i++ {
		row, err := s.GetRow(i)
		if err != nil {
			out = append(out, nil)
			continue
		}
		cols := row.GetCols()
		cells := make([]string, len(cols))
		empty := true
		for j, c := range cols {
			cells[j] = xlsCell(c)
			empty = empty && cells[j] == ""
		}
		if empty {
			cells = nil
		}
		out = append(out, cells)
	}
	// The decoder counts a row past the last; trailing empty rows go.
	for len(out) > 0 && out[len(out)-1] == nil {
		out = out[:len(out)-1]
	}
	return out
}

// xlsCell is a cell's text. Numbers come in their shortest exact form (a
// date cell: its serial number, "45356.34375").
func xlsCell(c structure.CellData) string {
	if c == nil {
		return ""
	}
	return xlsText(c.GetString())
}

// xlsText is a workbook string as UTF-8. A string whose characters all fit
// in one byte is stored one byte each (Latin-1), and the decoder passes
// those bytes on as they are: "Ngày" came as "Ng\xe0y".
func xlsText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) * 2)
	for i := 0; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}

func (x *xlsReader) Next() (Record, error) {
	// Empty rows are passed on, numbered, as a workbook's are.
	if x.next >= len(x.rows) {
		return Record{}, io.EOF
	}
	x.next++
	return Record{Line: x.next, Cells: x.rows[x.next-1]}, nil
}

func (x *xlsReader) Close() error { return nil }
