package report

import (
	"database/sql"
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"
)

// WriteXLSX writes the form laid out like the official Biểu 06 (merged
// two-level headers, column numbers, a totals row), then sheets for the
// trend, the index parts, the anomalies and the sources.
func WriteXLSX(w io.Writer, d *Data) error {
	f := excelize.NewFile()
	defer f.Close()
	l := labels(d.Opt.Lang)
	asOf := time.Time{}
	if d.Partial {
		asOf = d.To
	}
	head := formSheetAsOf(f, l, d.From, d.To, asOf, d.Form)
	moreSheets(f, l, head, d)
	return f.Write(w)
}

// WriteFormXLSX writes only the form, laid out like the official Biểu 06
// (the first sheet of WriteXLSX), for any period and any rows: a ward's,
// a district's or a province's lines.
func WriteFormXLSX(w io.Writer, from, to time.Time, rows []FormRow, lang string) error {
	f := excelize.NewFile()
	defer f.Close()
	formSheet(f, labels(lang), from, to, rows)
	return f.Write(w)
}

// WriteFormXLSXAsOf is WriteFormXLSX for a period not over: when asOf is
// set, the title says the figures are as of that day.
func WriteFormXLSXAsOf(w io.Writer, from, to, asOf time.Time, rows []FormRow, lang string) error {
	f := excelize.NewFile()
	defer f.Close()
	formSheetAsOf(f, labels(lang), from, to, asOf, rows)
	return f.Write(w)
}

// formSheetAsOf is formSheet with, when asOf is set, a line under the
// period saying the period has not ended and its figures are as of asOf.
func formSheetAsOf(f *excelize.File, l map[string]string, from, to, asOf time.Time, rows []FormRow) int {
	head := formSheet(f, l, from, to, rows)
	if !asOf.IsZero() {
		sheet := l["sheet_form"]
		f.MergeCell(sheet, "A4", "P4")
		f.SetCellValue(sheet, "A4", fmt.Sprintf(l["as_of"], asOf.Format("02/01/2006")))
		italic, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Italic: true}, Alignment: &excelize.Alignment{Horizontal: "center"}})
		f.SetCellStyle(sheet, "A4", "P4", italic)
	}
	return head
}

// formSheet lays the form out on the workbook's first sheet: the issuer and
// the form's number, its title and period, the merged two-level header, the
// column numbers, a line per row and the totals. It returns the header style.
func formSheet(f *excelize.File, l map[string]string, from, to time.Time, rows []FormRow) int {
	sheet := l["sheet_form"]
	f.SetSheetName("Sheet1", sheet)
	title, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 13}, Alignment: &excelize.Alignment{Horizontal: "center"}})
	head, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDEBF7"}, Pattern: 1},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}, Border: borders()})
	cell, _ := f.NewStyle(&excelize.Style{Border: borders()})
	num, _ := f.NewStyle(&excelize.Style{Border: borders(), NumFmt: 3})
	rate, _ := f.NewStyle(&excelize.Style{Border: borders(), NumFmt: 2})
	total, _ := f.NewStyle(&excelize.Style{Border: borders(), Font: &excelize.Font{Bold: true}, NumFmt: 3})
	set := func(ref string, v any) { f.SetCellValue(sheet, ref, v) }
	merge := func(a, b string, v any) {
		f.MergeCell(sheet, a, b)
		set(a, v)
	}
	merge("A1", "E1", l["issuer"])
	merge("M1", "P1", l["form_no"])
	merge("A2", "P2", l["form_title"])
	merge("A3", "P3", fmt.Sprintf(l["period"], from.Format("02/01/2006"), to.Format("02/01/2006")))
	f.SetCellStyle(sheet, "A2", "P3", title)
	merge("A5", "A7", l["no"])
	merge("B5", "B7", l["unit"])
	merge("C5", "G5", l["g_received"])
	merge("C6", "C7", l["total"])
	merge("D6", "D7", l["carried_over"])
	merge("E6", "G6", l["new"])
	set("E7", l["online"])
	set("F7", l["direct"])
	set("G7", l["postal"])
	merge("H5", "K5", l["g_resolved"])
	merge("H6", "H7", l["total"])
	merge("I6", "I7", l["early"])
	merge("J6", "J7", l["on_time"])
	merge("K6", "K7", l["late"])
	merge("L5", "L7", l["withdrawn"])
	merge("M5", "O5", l["g_pending"])
	merge("M6", "M7", l["total"])
	merge("N6", "N7", l["in_time"])
	merge("O6", "O7", l["overdue"])
	merge("P5", "P7", l["rate"])
	for i := 0; i < 16; i++ {
		ref, _ := excelize.CoordinatesToCellName(i+1, 8)
		set(ref, fmt.Sprintf("(%d)", i+1))
	}
	f.SetCellStyle(sheet, "A5", "P8", head)
	f.SetColWidth(sheet, "A", "A", 5)
	f.SetColWidth(sheet, "B", "B", 26)
	f.SetColWidth(sheet, "C", "P", 11)
	f.SetRowHeight(sheet, 7, 30)
	row := 9
	put := func(no any, r FormRow, style int) {
		vals := []any{no, r.Name, r.Received, r.Carried, r.NewOnline, r.NewDirect, r.NewPostal, r.Resolved, r.Early, r.OnTime,
			r.Late, r.Withdrawn, r.Pending, r.PendingInTime, r.PendingOverdue, nil}
		if r.Rate.Valid {
			vals[15] = r.Rate.Float64
		}
		ref, _ := excelize.CoordinatesToCellName(1, row)
		f.SetSheetRow(sheet, ref, &vals)
		a, _ := excelize.CoordinatesToCellName(1, row)
		b, _ := excelize.CoordinatesToCellName(2, row)
		c, _ := excelize.CoordinatesToCellName(3, row)
		o, _ := excelize.CoordinatesToCellName(15, row)
		p, _ := excelize.CoordinatesToCellName(16, row)
		f.SetCellStyle(sheet, a, b, cell)
		f.SetCellStyle(sheet, c, o, style)
		f.SetCellStyle(sheet, p, p, rate)
		if style == total {
			f.SetCellStyle(sheet, a, b, total)
		}
		row++
	}
	for i, r := range distinctNames(rows) {
		put(i+1, r, num)
	}
	put("", Total(rows, l["grand_total"]), total)
	f.SetPanes(sheet, &excelize.Panes{Freeze: true, XSplit: 2, YSplit: 8, TopLeftCell: "C9", ActivePane: "bottomRight"})
	// Printed as the form is: landscape, one page wide.
	landscape, one, zero, fit := "landscape", 1, 0, true
	f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit})
	f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape, FitToWidth: &one, FitToHeight: &zero})
	return head
}

// moreSheets adds the nightly report's trend, index, anomalies and sources.
func moreSheets(f *excelize.File, l map[string]string, head int, d *Data) {
	// Trend sheet.
	trend := l["sheet_trend"]
	f.NewSheet(trend)
	f.SetSheetRow(trend, "A1", &[]any{l["month"], l["received_total"], l["resolved_total"], l["rate"], l["online"], l["direct"], l["postal"], l["pending_total"], l["overdue"]})
	for i, p := range d.Trend {
		var r any
		if p.Rate.Valid {
			r = p.Rate.Float64
		}
		ref, _ := excelize.CoordinatesToCellName(1, i+2)
		f.SetSheetRow(trend, ref, &[]any{p.Month, p.Received, p.Resolved, r, p.Online, p.Direct, p.Postal, p.Pending, p.Overdue})
	}
	f.SetCellStyle(trend, "A1", "I1", head)
	f.SetColWidth(trend, "A", "I", 14)

	// Index sheet.
	idx := l["sheet_index"]
	f.NewSheet(idx)
	f.SetSheetRow(idx, "A1", &[]any{l["unit_code"], l["unit"], l["progress"], l["online_share"], l["payment_share"], l["digitisation"], l["points"], l["points_possible"], l["index_note"]})
	for i, r := range d.Index {
		ref, _ := excelize.CoordinatesToCellName(1, i+2)
		f.SetSheetRow(idx, ref, &[]any{r.Code, r.Name, nf(r.Progress), nf(r.Online), nf(r.Payment), nf(r.Digitised), nf(r.Score), r.Possible, r.Note})
	}
	f.SetCellStyle(idx, "A1", "I1", head)
	f.SetColWidth(idx, "A", "H", 16)
	f.SetColWidth(idx, "I", "I", 60)

	// Anomalies and sources.
	an := l["sheet_anomalies"]
	f.NewSheet(an)
	f.SetSheetRow(an, "A1", &[]any{l["unit_code"], l["unit"], l["reason"]})
	for i, a := range d.Anomalies {
		ref, _ := excelize.CoordinatesToCellName(1, i+2)
		f.SetSheetRow(an, ref, &[]any{a.Ward, a.Name, a.Reason})
	}
	if d.Partial {
		f.SetCellValue(an, "C2", l["anomalies_partial"])
	}
	f.SetCellStyle(an, "A1", "C1", head)
	f.SetColWidth(an, "C", "C", 90)
	if len(d.Opt.Sources) > 0 {
		src := l["sheet_sources"]
		f.NewSheet(src)
		f.SetSheetRow(src, "A1", &[]any{l["source"], l["freshness"], l["last_new_data"], l["last_status"], l["last_error"]})
		for i, s := range d.Opt.Sources {
			last := ""
			if s.LastNewData != nil {
				last = s.LastNewData.Format("2006-01-02 15:04")
			}
			ref, _ := excelize.CoordinatesToCellName(1, i+2)
			f.SetSheetRow(src, ref, &[]any{s.Source, s.Level, last, s.LastStatus, s.LastError})
		}
		f.SetCellStyle(src, "A1", "E1", head)
	}
}

func nf(v sql.NullFloat64) any {
	if !v.Valid {
		return nil
	}
	return v.Float64
}

func borders() []excelize.Border {
	var b []excelize.Border
	for _, side := range []string{"left", "right", "top", "bottom"} {
		b = append(b, excelize.Border{Type: side, Color: "999999", Style: 1})
	}
	return b
}

// distinctNames gives every line a name no other line has, as the form
// names a unit by its name only: two wards named alike ("Phường 1" of
// two districts) get their district, "Phường 1 (Quận 3)", or when that
// does not tell them apart, their unit code, "Phường 1 (H01.03)".
func distinctNames(rows []FormRow) []FormRow {
	count := map[string]int{}
	for _, r := range rows {
		count[r.Name]++
	}
	withDistrict := map[string]int{}
	for _, r := range rows {
		if count[r.Name] > 1 && r.District != "" {
			withDistrict[r.Name+"\x00"+r.District]++
		}
	}
	out := make([]FormRow, len(rows))
	for i, r := range rows {
		if count[r.Name] > 1 {
			switch {
			case r.District != "" && withDistrict[r.Name+"\x00"+r.District] == 1:
				r.Name += " (" + r.District + ")"
			case r.Code != "" && r.Code != r.Name:
				r.Name += " (" + r.Code + ")"
			}
		}
		out[i] = r
	}
	return out
}
