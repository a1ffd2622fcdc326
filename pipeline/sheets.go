package pipeline

import (
	"wardstat/ingest"
	"wardstat/transform"
)

// workbook is a reader of a workbook (.xlsx, .xls), which gives its
// sheets' top rows.
type workbook interface {
	SheetTops() ([]ingest.SheetTop, error)
}

// dossierSheets names a workbook's sheets that hold dossiers: a header
// naming a dossier code and a receipt date in the top rows, and a row
// under it. A workbook compiled by hand often keeps one sheet a ward, or
// one for the dossiers on time and one for the late ones: reading only the
// best sheet dropped the others without a word.
func dossierSheets(r ingest.Reader) ([]string, error) {
	wb, ok := r.(workbook)
	if !ok {
		return nil, nil
	}
	tops, err := wb.SheetTops()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range tops {
		if holdsDossiers(s.Rows) {
			out = append(out, s.Name)
		}
	}
	return out, nil
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
