package main

import (
	"context"
	"fmt"

	"wardstat/render"
	"wardstat/warehouse"
)

// wardReportCheckColumns are the columns of `ward-reports check`, one row
// per ward, period, check and column of the form.
var wardReportCheckColumns = []string{"ward_code", "period_start", "period_end", "check", "form_column",
	"reported", "expected", "difference", "note"}

// checkWardReports prints the comparisons of the wards' own forms: those
// that fail, or every one with all.
func (a *app) checkWardReports(ctx context.Context, format string, all bool) error {
	if !contains(render.Formats, format) || format == "xlsx" {
		return usageError{fmt.Errorf(a.t("--format %q: dùng table, csv hoặc json", "--format %q: use table, csv or json"), format)}
	}
	w, err := a.open(ctx, true)
	if err != nil {
		return err
	}
	defer w.Close()
	res, err := w.CheckWardReports(ctx, all)
	if err != nil {
		return err
	}
	table := format == "" || format == "table"
	if table && res.Forms == 0 {
		fmt.Fprint(a.stdout, a.t("Chưa có biểu đơn vị tự báo cáo; nạp bằng: wardstat ward-reports import TỆP\n",
			"No reported forms yet; load them with: wardstat ward-reports import FILE\n"))
		return nil
	}
	if table && len(res.Checks) == 0 && res.FormsAgreeing == res.Forms {
		fmt.Fprintf(a.stdout, a.t("Cả %d biểu khớp với hồ sơ ở mọi cột; xem từng cột: wardstat ward-reports check --all\n",
			"All %d forms agree with the dossiers in every column; see each column: wardstat ward-reports check --all\n"), res.Forms)
		return nil
	}
	out := render.Result{Columns: wardReportCheckColumns}
	for _, c := range res.Checks {
		var diff any
		if d, ok := c.Difference(); ok {
			diff = d
		}
		check, column := c.Check, nullText(c.Column)
		if table { // people read words; programs (csv, json) get the codes
			check = a.wardReportCheckLabel(c.Check)
			if c.Column != "" {
				column = render.Label(c.Column, a.lang)
			}
		}
		out.Rows = append(out.Rows, []any{c.Ward, c.From, c.To, check, column, nullInt(c.Reported.Int64, c.Reported.Valid),
			nullInt(c.Expected.Int64, c.Expected.Valid), diff, a.wardReportNote(c)})
	}
	if err := render.Write(a.stdout, out, format, a.lang); err != nil {
		return err
	}
	if table {
		fmt.Fprintf(a.stdout, a.t("%d biểu: %d khớp, %d có chênh lệch", "%d forms: %d agree, %d differ"),
			res.Forms, res.FormsAgreeing, res.FormsDiffering)
		if res.FormsIncomplete > 0 {
			fmt.Fprintf(a.stdout, a.t(", %d thiếu số liệu", ", %d leave figures out"), res.FormsIncomplete)
		}
		fmt.Fprintln(a.stdout)
	}
	return nil
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt(v int64, ok bool) any {
	if !ok {
		return nil
	}
	return v
}

// wardReportCheckLabel names a check for people.
func (a *app) wardReportCheckLabel(check string) string {
	switch check {
	case "counted":
		return a.t("so với hồ sơ", "vs dossiers")
	case "parts":
		return a.t("tổng các phần", "sum of parts")
	case "identity":
		return a.t("cân đối", "identity")
	case "no_dossiers":
		return a.t("không có hồ sơ", "no dossiers")
	case "missing":
		return a.t("thiếu số liệu", "missing")
	}
	return check
}

// wardReportNote says one comparison in words, in the app's language.
func (a *app) wardReportNote(c warehouse.WardReportCheck) string {
	label := render.Label(c.Column, a.lang)
	rep, exp := c.Reported.Int64, c.Expected.Int64
	d, _ := c.Difference()
	switch c.Check {
	case "no_dossiers":
		return a.t("kho chưa có hồ sơ nào của đơn vị này; nạp tệp xuất của đơn vị rồi đối chiếu lại",
			"the warehouse holds no dossier of this ward; load its export, then check again")
	case "missing":
		if c.Expected.Valid {
			return fmt.Sprintf(a.t("%s: biểu không ghi số này (hồ sơ đếm được %d); hãy điền số rồi nạp lại biểu",
				"%s: not given on the form (the dossiers count %d); fill it in and import the form again"), label, exp)
		}
		return fmt.Sprintf(a.t("%s: biểu không ghi số này; hãy điền số rồi nạp lại biểu", "%s: not given on the form; fill it in and import the form again"), label)
	case "counted":
		switch {
		case !c.Reported.Valid:
			return fmt.Sprintf(a.t("%s: biểu không báo", "%s: not reported"), label)
		case c.Agrees.Bool:
			return fmt.Sprintf(a.t("%s: khớp (%d)", "%s: agrees (%d)"), label, rep)
		}
		return fmt.Sprintf(a.t("%s: biểu báo %d, hồ sơ đếm được %d (chênh %+d)", "%s: reported %d, the dossiers count %d (%+d)"),
			label, rep, exp, d)
	}
	var parts string
	switch {
	case c.Check == "identity":
		parts = a.t("đã giải quyết + rút/dừng + đang giải quyết", "resolved + withdrawn + pending")
	case c.Column == "received_total":
		parts = a.t("kỳ trước chuyển qua + mới (trực tuyến, trực tiếp, BCCI)", "carried over + new online, direct, postal")
	case c.Column == "resolved_total":
		parts = a.t("trước hạn + đúng hạn + quá hạn", "early + on time + late")
	case c.Column == "pending_total":
		parts = a.t("trong hạn + quá hạn", "in time + overdue")
	}
	switch {
	case !c.Reported.Valid || !c.Expected.Valid:
		return fmt.Sprintf(a.t("%s = %s: biểu thiếu số để so", "%s = %s: the form lacks a figure to compare"), label, parts)
	case c.Agrees.Bool:
		return fmt.Sprintf(a.t("%s %d = %s: khớp", "%s %d = %s: agrees"), label, rep, parts)
	}
	return fmt.Sprintf(a.t("%s %d ≠ %s = %d (chênh %+d)", "%s %d ≠ %s = %d (%+d)"), label, rep, parts, exp, d)
}
