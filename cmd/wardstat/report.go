package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"wardstat/internal/atomicfile"
	"wardstat/internal/msg"
	"wardstat/render"
	"wardstat/report"
	"wardstat/warehouse"
)

type reportFlags struct {
	from, to, month, ward, by, format, out string
	nightly                                bool
	// wardSet is true when --ward was on the command line (even empty).
	wardSet bool
}

func newReportCommand(a *app) *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report [--from DATE --to DATE | --month YYYY-MM] [flags]",
		Short: "Print the official report form for a period",
		Long: `Print the periodic report form (Biểu 06) for an inclusive period of
Vietnam local dates, per ward, district or province.

Every figure follows the rules of the form, judged from the dossiers'
dates: carried over = received before the start and still open at it;
new = received in the period, by channel; resolved = completed in the
period, early / on time / late against the due day; withdrawn = withdrawn
or stopped in the period; pending = received by the end and still open at
it, overdue when its due day is before the end. received_total =
resolved_total + withdrawn + pending_total.

With no period, the last full calendar month. A period wholly after today
is refused; one that ends after today is reported as of today: its end
becomes today (the title says the real dates, with a note), so the
figures are what a ward would count by hand today.

--ward takes a unit's code, in any case (h01.01 is H01.01), or its name,
with or without diacritics or "Phường"/"Xã" ("Phường Một", "phuong mot").
A code or name no unit has is an error naming the closest known units; a
name several units share, an error listing them (wardstat units list).
--ward does not go with --by district or province.

--out never replaces what is not a regular file (a terminal, /dev/stdout,
a FIFO, a folder): it is refused; through a link, its target is written.`,
		Example: `  wardstat report --nightly --month 2026-10 --out reports/
  wardstat report --month 2026-10
  wardstat report --from 2026-01-01 --to 2026-11-24 --by district
  wardstat report --from 2026-07-01 --to 2026-09-30 --format json
  wardstat report --month 2026-10 --format xlsx --out bieu06-2026-10.xlsx`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.wardSet = cmd.Flags().Changed("ward")
			return a.runReport(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.from, "from", "", "first day of the period, YYYY-MM-DD")
	fl.StringVar(&f.to, "to", "", "last day of the period, YYYY-MM-DD (inclusive)")
	fl.StringVar(&f.month, "month", "", "a calendar month, YYYY-MM (instead of --from/--to)")
	fl.StringVar(&f.ward, "ward", "", "one ward only: its code (any case) or its name")
	fl.StringVar(&f.by, "by", "ward", "level: ward, district or province")
	fl.StringVar(&f.format, "format", "table", "table, csv, json or xlsx (the Biểu 06 workbook; with --out FILE on a terminal)")
	fl.StringVarP(&f.out, "out", "o", "", "write to this file instead of standard output (with --nightly: a folder)")
	fl.BoolVar(&f.nightly, "nightly", false, "write the month's full report (HTML with charts and the XLSX form) into --out")
	return cmd
}

// monthEnd is the last day of a YYYY-MM month, as YYYY-MM-DD ("YYYY-MM-DD"
// when the month is not written as one).
func monthEnd(month string) string {
	m, err := time.Parse("2006-01", month)
	if err != nil {
		return "YYYY-MM-DD"
	}
	return m.AddDate(0, 1, -1).Format(time.DateOnly)
}

// period turns the flags into an inclusive date range.
func (f reportFlags) period(now time.Time) (time.Time, time.Time, error) {
	parse := func(flag, v string) (time.Time, error) {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return t, usageError{msg.Errorf("--%s %q: hãy ghi ngày dạng YYYY-MM-DD", "--%s %q: write the date as YYYY-MM-DD", flag, v)}
		}
		return t, nil
	}
	switch {
	case f.month != "" && (f.from != "" || f.to != ""):
		return time.Time{}, time.Time{}, usageError{msg.Errorf("hãy ghi --month hoặc --from/--to, không ghi cả hai (--month %s là --from %s --to %s)", "give either --month or --from/--to, not both (--month %s is --from %s --to %s)", f.month, f.month+"-01", monthEnd(f.month))}
	case f.month != "":
		m, err := time.Parse("2006-01", f.month)
		if err != nil {
			return m, m, usageError{msg.Errorf("--month %q: hãy ghi tháng dạng YYYY-MM", "--month %q: write the month as YYYY-MM", f.month)}
		}
		return m, m.AddDate(0, 1, -1), nil
	case f.from == "" && f.to == "":
		first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
		return first, first.AddDate(0, 1, -1), nil
	case f.from == "" || f.to == "":
		return time.Time{}, time.Time{}, usageError{msg.Errorf("hãy ghi cả --from và --to (hoặc --month)", "give both --from and --to (or --month)")}
	}
	from, err := parse("from", f.from)
	if err != nil {
		return from, from, err
	}
	to, err := parse("to", f.to)
	if err != nil {
		return from, to, err
	}
	if to.Before(from) {
		return from, to, usageError{msg.Errorf("--to %s trước --from %s", "--to %s is before --from %s", f.to, f.from)}
	}
	return from, to, nil
}

func (a *app) runReport(ctx context.Context, f reportFlags) error {
	now := a.now()
	from, to, err := f.period(now)
	if err != nil {
		return err
	}
	if err := a.checkWardGiven("--ward", f.wardSet, f.ward); err != nil {
		return err
	}
	if f.nightly {
		through, partial, err := a.periodAsOfToday(from, from.AddDate(0, 1, -1), now)
		if err != nil {
			return err
		}
		if !partial {
			through = time.Time{}
		}
		return a.runNightly(ctx, f, from, through)
	}
	if !contains(render.Formats, f.format) {
		return usageError{msg.Errorf("--format %q: hãy dùng một trong %s", "--format %q: use one of %s", f.format, strings.Join(render.Formats, ", "))}
	}
	if !contains(warehouse.Levels, f.by) {
		return usageError{msg.Errorf("--by %q: hãy dùng một trong %s", "--by %q: use one of %s", f.by, strings.Join(warehouse.Levels, ", "))}
	}
	if strings.TrimSpace(f.ward) != "" && f.by != "ward" {
		return usageError{fmt.Errorf(a.t("--ward %s với --by %s sẽ ghi số liệu của một xã, phường thành tổng của cả %s: hãy bỏ --by (báo cáo của xã, phường) hoặc bỏ --ward (báo cáo theo %s)",
			"--ward %s with --by %s would label one ward's figures as its whole %s's: leave out --by (the ward's form) or --ward (the form by %s)"), f.ward, f.by, a.levelName(f.by), a.levelName(f.by))}
	}
	to, partial, err := a.periodAsOfToday(from, to, now)
	if err != nil {
		return err
	}
	if f.out != "" {
		if f.out, err = a.outFile(f.out); err != nil {
			return err
		}
	}
	if f.format == "xlsx" && f.out == "" {
		if out, ok := a.stdout.(*os.File); ok && isTerminal(out) {
			return usageError{errors.New(a.t("bảng tính xlsx là tệp nhị phân, không in ra màn hình được: hãy ghi nó vào một tệp với --out TỆP.xlsx",
				"an xlsx workbook is binary and cannot be shown on a terminal: write it to a file with --out FILE.xlsx"))}
		}
	}
	w, err := a.open(ctx, true)
	if err != nil {
		return err
	}
	defer w.Close()
	ward, err := a.resolveWardIn(ctx, w, "--ward", f.ward, from, to)
	if err != nil {
		return err
	}
	opt := warehouse.ReportOptions{From: from, To: to, Ward: ward, By: f.by}
	res, err := formResult(ctx, w, opt)
	if err != nil {
		return err
	}
	if f.format == "xlsx" {
		err = a.writeFormXLSX(res, from, to, partial, f.out)
	} else {
		err = a.writeResult(res, f.format, f.out, a.formTitle(from, to))
	}
	if err != nil || f.by == "ward" {
		return err
	}
	return a.noteUnregistered(ctx, w, opt)
}

// noteUnregistered says on standard error which wards of a district or
// province report the unit registry lacks, and where their figures went:
// the province their code names (warehouse.UnregisteredWards).
func (a *app) noteUnregistered(ctx context.Context, w *warehouse.Warehouse, opt warehouse.ReportOptions) error {
	wards, err := w.UnregisteredWards(ctx, opt)
	if err != nil || len(wards) == 0 {
		return err
	}
	const most = 20
	var list []string
	for i, u := range wards {
		if i == most {
			list = append(list, fmt.Sprintf(a.t("và %d xã, phường khác", "and %d more"), len(wards)-most))
			break
		}
		p := u.Province
		if p == "" {
			p = a.t("chưa rõ tỉnh", "province unknown")
		}
		list = append(list, u.Code+" ("+p+")")
	}
	fmt.Fprintf(a.stderr, a.t("ghi chú: các xã, phường không có trong danh mục đơn vị của kỳ (%d), được cộng vào tỉnh mà mã của chúng ghi, không thuộc huyện nào: %s; hãy bổ sung danh mục (wardstat units import)\n",
		"note: wards not in the unit registry for the period (%d), summed into the province their code names, with no district: %s; complete the registry (wardstat units import)\n"),
		len(wards), strings.Join(list, ", "))
	return nil
}

// writeFormXLSX writes the form as the official Biểu 06 workbook (merged
// two-row header, column numbers, totals), the same layout as the nightly
// report's first sheet, to out or, when out is "", to standard output
// (never a terminal: runReport refused that before).
func (a *app) writeFormXLSX(res render.Result, from, to time.Time, partial bool, out string) error {
	var buf bytes.Buffer
	asOf := time.Time{}
	if partial {
		asOf = to
	}
	if err := report.WriteFormXLSXAsOf(&buf, from, to, asOf, a.formRows(res), a.lang); err != nil {
		return err
	}
	if out == "" {
		_, err := io.Copy(a.stdout, &buf)
		return err
	}
	if err := atomicfile.Write(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, a.t("đã ghi %s\n", "wrote %s\n"), out)
	return nil
}

// formRows turns the report's rows (ward, district or province level) into
// the form's lines, named by the unit they sum.
func (a *app) formRows(res render.Result) []report.FormRow {
	idx := map[string]int{}
	for i, c := range res.Columns {
		idx[c] = i
	}
	text := func(row []any, col string) string {
		if j, ok := idx[col]; ok && row[j] != nil {
			return render.Text(row[j])
		}
		return ""
	}
	num := func(row []any, col string) int64 {
		j, ok := idx[col]
		if !ok {
			return 0
		}
		switch v := row[j].(type) {
		case int64:
			return v
		case int32:
			return int64(v)
		case float64:
			return int64(v)
		case *big.Int:
			return v.Int64()
		}
		return 0
	}
	var rows []report.FormRow
	for _, row := range res.Rows {
		r := report.FormRow{
			Code: text(row, "ward_code"), District: text(row, "district"),
			Received: num(row, "received_total"), Carried: num(row, "carried_over"),
			NewOnline: num(row, "new_online"), NewDirect: num(row, "new_direct"), NewPostal: num(row, "new_postal"),
			Resolved: num(row, "resolved_total"), Early: num(row, "resolved_early"), OnTime: num(row, "resolved_on_time"),
			Late: num(row, "resolved_late"), Withdrawn: num(row, "withdrawn"),
			Pending: num(row, "pending_total"), PendingInTime: num(row, "pending_in_time"), PendingOverdue: num(row, "pending_overdue"),
		}
		if j, ok := idx["on_time_rate"]; ok {
			if v, ok := row[j].(float64); ok {
				r.Rate = sql.NullFloat64{Float64: v, Valid: true}
			}
		}
		switch {
		case res.Columns[0] == "ward_code":
			r.Name = text(row, "ward_name")
			if r.Name == "" {
				r.Name = r.Code
			}
		case res.Columns[0] == "district":
			r.Name = text(row, "district")
			if r.Name == "" {
				r.Name = a.t("(không thuộc huyện nào)", "(no district)")
			}
			if p := text(row, "province"); p != "" {
				r.Name += ", " + p
			}
		default:
			r.Name = text(row, "province")
			if r.Name == "" {
				r.Name = a.t("(chưa rõ tỉnh)", "(province unknown)")
			}
		}
		rows = append(rows, r)
	}
	return rows
}

var vietnam = time.FixedZone("ICT", 7*3600)

func formResult(ctx context.Context, w *warehouse.Warehouse, o warehouse.ReportOptions) (render.Result, error) {
	rows, err := w.ReportForm(ctx, o)
	if err != nil {
		return render.Result{}, err
	}
	return render.FromRows(rows)
}

func (a *app) formTitle(from, to time.Time) string {
	return fmt.Sprintf(a.t("Tình hình giải quyết hồ sơ TTHC từ %s đến %s", "Dossiers handled from %s to %s"),
		from.Format("02/01/2006"), to.Format("02/01/2006"))
}

// writeResult prints a result; a table gets a title and a totals row.
func (a *app) writeResult(res render.Result, format, out, title string) error {
	var buf bytes.Buffer
	var err error
	switch format {
	case "table":
		if title != "" {
			fmt.Fprintln(&buf, title)
		}
		err = render.Table(&buf, withTotals(res, a.t("Tổng cộng", "Total")), a.lang)
		if len(res.Rows) == 0 {
			fmt.Fprintln(&buf, a.t("(không có hồ sơ nào trong kỳ)", "(no dossiers in the period)"))
		}
	case "xlsx":
		err = render.XLSX(&buf, withTotals(res, a.t("Tổng cộng", "Total")), a.lang, a.t("Biểu 06", "Form 06"))
	default:
		err = render.Write(&buf, res, format, a.lang)
	}
	if err != nil {
		return err
	}
	if out == "" {
		if format == "xlsx" {
			if f, ok := a.stdout.(*os.File); ok && isTerminal(f) {
				return usageError{msg.Errorf("sổ xlsx là tệp nhị phân: hãy ghi ra tệp bằng --out TỆP.xlsx", "an xlsx workbook is binary: write it to a file with --out FILE.xlsx")}
			}
		}
		_, err = io.Copy(a.stdout, &buf)
		return err
	}
	if err := atomicfile.Write(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, a.t("đã ghi %s\n", "wrote %s\n"), out)
	return nil
}

// withTotals appends a totals row summing the form's figures (rate recomputed).
func withTotals(res render.Result, label string) render.Result {
	if len(res.Rows) < 2 {
		return res
	}
	idx := map[string]int{}
	for i, c := range res.Columns {
		idx[c] = i
	}
	total := make([]any, len(res.Columns))
	total[0] = label
	summed := false
	for _, fig := range warehouse.FormFigures {
		j, ok := idx[fig]
		if !ok {
			continue
		}
		var s int64
		for _, row := range res.Rows {
			if v, ok := row[j].(int64); ok {
				s += v
			}
		}
		total[j] = s
		summed = true
	}
	if !summed {
		return res
	}
	if j, ok := idx["on_time_rate"]; ok {
		resolved := total[idx["resolved_total"]].(int64)
		if resolved > 0 {
			good := total[idx["resolved_early"]].(int64) + total[idx["resolved_on_time"]].(int64)
			total[j] = float64(int64(float64(good)*10000/float64(resolved)+0.5)) / 100
		}
	}
	res.Rows = append(append([][]any(nil), res.Rows...), total)
	return res
}

// levelName is a --by level in the reader's language.
func (a *app) levelName(by string) string {
	switch by {
	case "district":
		return a.t("huyện", "district")
	case "province":
		return a.t("tỉnh", "province")
	}
	return a.t("xã, phường", "ward")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// runNightly writes the month's report into f.out; through is today when
// the month has not ended (the report is as of today), else zero.
func (a *app) runNightly(ctx context.Context, f reportFlags, month, through time.Time) error {
	if f.out == "" {
		return usageError{msg.Errorf("--nightly ghi ra các tệp: hãy chỉ thư mục bằng --out THƯ_MỤC", "--nightly writes files: name the folder with --out DIR")}
	}
	if f.from != "" || f.to != "" {
		return usageError{msg.Errorf("--nightly báo cáo một tháng: hãy ghi --month YYYY-MM (hoặc không ghi gì, để lấy tháng đủ gần nhất)", "--nightly reports a month: give --month YYYY-MM (or nothing, for the last full month)")}
	}
	if err := a.outDir(f.out); err != nil {
		return err
	}
	w, err := a.open(ctx, true)
	if err != nil {
		return err
	}
	defer w.Close()
	end := through
	if end.IsZero() {
		end = month.AddDate(0, 1, -1)
	}
	ward, err := a.resolveWardIn(ctx, w, "--ward", f.ward, month, end)
	if err != nil {
		return err
	}
	paths, err := report.Nightly(ctx, w.DB(), f.out, report.Options{Month: month, Through: through, Ward: ward, Lang: a.lang, Now: a.now()})
	if err != nil {
		return err
	}
	for _, p := range paths {
		fmt.Fprintf(a.stdout, a.t("đã ghi %s\n", "wrote %s\n"), p)
	}
	return nil
}
