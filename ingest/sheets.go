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
func dossierSheets(path string, format Format) ([]string, error) {
	switch format {
	case XLSX:
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
			rows, err := f.Rows(s)
			if err != nil {
				continue
			}
			var top [][]string
			for len(top) <= transform.HeaderScanRows && rows.Next() {
				cells, err := rows.Columns(excelize.Options{RawCellValue: true})
				if err != nil {
					break
				}
				top = append(top, cells)
			}
			rows.Close()
			if holdsDossiers(top) {
				out = append(out, s)
			}
		}
		return out, nil
	case XLS:
		r, err := OpenXLS(path, "", nil)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return r.(*xlsReader).dossierSheets, nil
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
