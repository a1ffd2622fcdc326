package ingest

import (
	"fmt"
	"os"

	"github.com/xuri/excelize/v2"

	"wardstat/transform"
)

// dossierSheets names a workbook's sheets that hold dossiers: a header
// naming a dossier code and a receipt date in the top rows, and a row
// under it. A workbook compiled by hand often keeps one sheet a ward, or
// one for the dossiers on time and one for the late ones: reading only the
// best sheet dropped the others without a word.
// An .xls reader (r) has found them already, decoding the workbook; an
// XLSX workbook's top rows are read again.
func dossierSheets(r Reader, path string) ([]string, error) {
	if x, ok := r.(*xlsReader); ok {
		return x.dossierSheets, nil
	}
	if _, ok := r.(*xlsxReader); ok {
		tmp, err := xlsxTempDir() // the cells in clear: see xlsxTempDir
		if err != nil {
			return nil, fmt.Errorf("making a temporary folder for the workbook: %w", err)
		}
		defer os.RemoveAll(tmp)
		f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true, TmpDir: tmp, UnzipXMLSizeLimit: xlsxMemoryLimit})
		if err != nil {
			return nil, fmt.Errorf("opening workbook: %w", err)
		}
		defer f.Close()
		var out []string
		for _, s := range f.GetSheetList() {
			if top, err := topRows(f, s, transform.HeaderScanRows+1); err == nil && holdsDossiers(top) {
				out = append(out, s)
			}
		}
		return out, nil
	}
	return nil, nil
}

// holdsDossiers says whether a sheet's top rows hold a dossier header and a
// row under it.
func holdsDossiers(top [][]string) bool {
	headers, consumed, ok := transform.FindHeader(top)
	if !ok {
		return false
	}
	m, err := transform.Resolve(headers, nil)
	if err != nil {
		return false
	}
	_, code := m.Columns[transform.DossierCode]
	_, received := m.Columns[transform.ReceivedAt]
	if !code || !received {
		return false
	}
	for _, row := range top[consumed:] {
		if nonBlank(row) {
			return true
		}
	}
	return false
}
