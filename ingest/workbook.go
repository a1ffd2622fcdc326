package ingest

import (
	"fmt"
	"os"

	"github.com/xuri/excelize/v2"

	"wardstat/transform"
)

// SheetTop is one sheet of a workbook and its top rows, for the caller to
// tell which sheets hold dossiers.
type SheetTop struct {
	Name string
	Rows [][]string
}

// sheetTopRows is how many top rows SheetTops gives: enough to find a
// header and a row under it.
const sheetTopRows = transform.HeaderScanRows + 1

// SheetTops gives every sheet of the .xls workbook with its top rows: the
// reader decoded them all when it opened the workbook.
func (x *xlsReader) SheetTops() ([]SheetTop, error) { return x.tops, nil }

// SheetTops gives every sheet of the workbook with its top rows, read
// again from the file (the reader streams one sheet).
func (x *xlsxReader) SheetTops() ([]SheetTop, error) {
	tmp, err := xlsxTempDir() // the cells in clear: see xlsxTempDir
	if err != nil {
		return nil, fmt.Errorf("making a temporary folder for the workbook: %w", err)
	}
	defer os.RemoveAll(tmp)
	f, err := excelize.OpenFile(x.path, excelize.Options{RawCellValue: true, TmpDir: tmp, UnzipXMLSizeLimit: xlsxMemoryLimit})
	if err != nil {
		return nil, fmt.Errorf("opening workbook: %w", err)
	}
	defer f.Close()
	var out []SheetTop
	for _, s := range f.GetSheetList() {
		if top, err := topRows(f, s, sheetTopRows); err == nil {
			out = append(out, SheetTop{Name: s, Rows: top})
		}
	}
	return out, nil
}
