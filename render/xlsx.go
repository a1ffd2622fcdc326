package render

import (
	"io"

	"github.com/xuri/excelize/v2"
)

// XLSX writes a result as a one-sheet workbook with labelled, bold headers.
func XLSX(w io.Writer, r Result, lang, sheet string) error {
	f := excelize.NewFile()
	defer f.Close()
	if sheet == "" {
		sheet = "wardstat"
	}
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"}})
	if err != nil {
		return err
	}
	header := make([]any, len(r.Columns))
	for i, c := range r.Columns {
		header[i] = excelize.Cell{StyleID: bold, Value: Label(c, lang)}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	for i, row := range r.Rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		vals := make([]any, len(row))
		for j, v := range row {
			if isNumber(v) || v == nil {
				vals[j] = v
			} else {
				vals[j] = Text(v)
			}
		}
		if err := sw.SetRow(cell, vals); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}
