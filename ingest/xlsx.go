package ingest

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxReader streams one sheet of a workbook. Cells come as stored: a date
// cell is its Excel serial number (the parsers read serials), text as text.
type xlsxReader struct {
	f     *excelize.File
	rows  *excelize.Rows
	line  int
	Sheet string
}

var _ Reader = (*xlsxReader)(nil)

// sheetProbeRows is how many top rows of each sheet are scored to pick one.
const sheetProbeRows = 40

// OpenXLSX opens a workbook's sheet: the named one, else the sheet whose top
// rows hold the best-scoring header (the first sheet on a tie).
func OpenXLSX(path, sheet string, score func([]string) int) (Reader, error) {
	f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, fmt.Errorf("opening workbook: %w", err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, ErrEmpty
	}
	chosen := sheets[0]
	if sheet != "" {
		found := false
		for _, s := range sheets {
			if strings.EqualFold(s, sheet) {
				chosen, found = s, true
			}
		}
		if !found {
			f.Close()
			return nil, fmt.Errorf("no sheet %q; the sheets are %q", sheet, sheets)
		}
	} else if score != nil && len(sheets) > 1 {
		bestScore := -1
		for _, s := range sheets {
			if sc := probeSheet(f, s, score); sc > bestScore {
				chosen, bestScore = s, sc
			}
		}
	}
	rows, err := f.Rows(chosen)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("reading sheet %q: %w", chosen, err)
	}
	return &xlsxReader{f: f, rows: rows, Sheet: chosen}, nil
}

func probeSheet(f *excelize.File, sheet string, score func([]string) int) int {
	rows, err := f.Rows(sheet)
	if err != nil {
		return -1
	}
	defer rows.Close()
	best := 0
	for i := 0; i < sheetProbeRows && rows.Next(); i++ {
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return -1
		}
		if s := score(cells); s > best {
			best = s
		}
	}
	return best
}

func (x *xlsxReader) Next() (Record, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return Record{}, fmt.Errorf("sheet %q: %w", x.Sheet, err)
		}
		return Record{}, io.EOF
	}
	x.line++
	cells, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return Record{}, fmt.Errorf("sheet %q, row %d: %w", x.Sheet, x.line, err)
	}
	return Record{Line: x.line, Cells: cells}, nil
}

func (x *xlsxReader) Close() error {
	err := x.rows.Close()
	if cerr := x.f.Close(); err == nil {
		err = cerr
	}
	return err
}
