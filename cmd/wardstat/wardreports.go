package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"wardstat/ingest"
	"wardstat/internal/msg"
	"wardstat/warehouse"
)

func newWardReportsCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ward-reports",
		Short: "Load the forms wards report themselves, and reconcile them with the dossiers",
	}
	var ward, from, to string
	imp := &cobra.Command{
		Use:   "import [--ward CODE] [--from D --to D] FILE",
		Short: "Load a ward's own form (CSV or XLSX with the form's columns)",
		Long: `Load forms that wards filled in themselves: a CSV or XLSX whose header
names the form's columns, in English (received_total, carried_over,
new_online, new_direct, new_postal, resolved_total, resolved_early,
resolved_on_time, resolved_late, withdrawn, pending_total, pending_in_time,
pending_overdue) or Vietnamese ("Tổng số tiếp nhận", "Kỳ trước chuyển qua",
"Trực tuyến", "Trực tiếp", "BCCI", "Đã giải quyết", "Trước hạn", "Đúng hạn",
"Quá hạn đã giải quyết", "Rút hồ sơ", "Đang giải quyết", "Trong hạn",
"Quá hạn đang giải quyết"), one row per ward and period, with ward_code,
period_start and period_end columns or --ward, --from and --to. ward_code
is a unit's code (in any case) or its name; a code the warehouse does not
know is warned about. A file with two rows for one ward and period, or a
negative count, is refused.

Then: wardstat ward-reports check`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.importWardReports(cmd.Context(), args[0], ward, from, to)
		},
	}
	imp.Flags().StringVar(&ward, "ward", "", "the ward, when the file has no ward column")
	imp.Flags().StringVar(&from, "from", "", "the period's first day, when the file has none")
	imp.Flags().StringVar(&to, "to", "", "the period's last day, when the file has none")
	var format string
	var all bool
	check := &cobra.Command{
		Use:   "check [--all] [--format table|csv|json]",
		Short: "Compare every column of the wards' own forms with the dossiers and with themselves",
		Long: `Compare every column of each ward's own form (the last imported for a
ward and period) with the dossiers' count for the same ward and period
(counted), each total with the sum of its own parts (parts: received =
carried over + new online, direct, postal; resolved = early + on time +
late; pending = in time + overdue) and received with resolved + withdrawn
+ pending (identity). One row per ward, period, check and column that
differs, with reported, expected, difference and a note; a ward with no
dossier in the warehouse is one row (no_dossiers); each figure the form
left blank is one row (missing), apart from the differences. Forms that
agree are listed only with --all, which shows every comparison. --format csv or
json gives the same rows to programs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.checkWardReports(cmd.Context(), format, all)
		},
	}
	check.Flags().StringVar(&format, "format", "table", "table, csv or json")
	check.Flags().BoolVar(&all, "all", false, "list every comparison, the forms and columns that agree too")
	cmd.AddCommand(imp, check)
	return cmd
}

func (a *app) importWardReports(ctx context.Context, path, ward, from, to string) error {
	var fromT, toT time.Time
	var err error
	if from != "" {
		if fromT, err = time.Parse(time.DateOnly, from); err != nil {
			return usageError{msg.Errorf("--from %q: hãy ghi ngày dạng YYYY-MM-DD", "--from %q: write the date as YYYY-MM-DD", from)}
		}
	}
	if to != "" {
		if toT, err = time.Parse(time.DateOnly, to); err != nil {
			return usageError{msg.Errorf("--to %q: hãy ghi ngày dạng YYYY-MM-DD", "--to %q: write the date as YYYY-MM-DD", to)}
		}
	}
	r, _, err := ingest.Open(path, ingest.Options{})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer r.Close()
	var cols map[string]int
	var reports []warehouse.WardReport
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if cols == nil {
			if c, err := warehouse.WardReportColumns(rec.Cells); err == nil {
				cols = c
			} else if rec.Line >= 20 {
				return fmt.Errorf("%s: %w", path, err)
			}
			continue
		}
		cell := func(f string) string {
			if i, ok := cols[f]; ok && i < len(rec.Cells) {
				return rec.Cells[i]
			}
			return ""
		}
		rep := warehouse.WardReport{Ward: ward, From: fromT, To: toT, Figures: map[string]int64{}, SourceLine: rec.Line}
		if v := cell("ward_code"); v != "" {
			rep.Ward = v
		}
		for _, p := range []struct {
			field string
			t     *time.Time
		}{{"period_start", &rep.From}, {"period_end", &rep.To}} {
			if v := cell(p.field); v != "" {
				t, err := parseDay(v)
				if err != nil {
					return msg.Errorf("%s, dòng %d, cột %s: %q: hãy ghi ngày dạng dd/mm/yyyy hoặc yyyy-mm-dd", "%s, row %d, column %s: %q: write the date as dd/mm/yyyy or yyyy-mm-dd", path, rec.Line, p.field, v)
				}
				*p.t = t
			}
		}
		empty := true
		for _, f := range warehouse.FormFigures {
			v, ok, err := warehouse.ParseFigure(cell(f))
			if err != nil {
				return msg.Errorf("%s, dòng %d, cột %s: %w", "%s, row %d, column %s: %v", path, rec.Line, f, err)
			}
			if ok {
				rep.Figures[f] = v
				empty = false
			}
		}
		if empty {
			continue
		}
		if rep.Ward == "" || rep.From.IsZero() || rep.To.IsZero() {
			return msg.Errorf("%s, dòng %d: không rõ xã, phường hoặc kỳ; hãy thêm các cột ward_code, period_start và period_end, hoặc ghi --ward, --from và --to", "%s, row %d: the ward or the period is unknown; add ward_code, period_start and period_end columns, or give --ward, --from and --to", path, rec.Line)
		}
		reports = append(reports, rep)
	}
	if len(reports) == 0 {
		return msg.Errorf("%s: không tìm thấy biểu tự báo cáo (một dòng tiêu đề có received_total hoặc \"Tổng số tiếp nhận\", và các dòng số liệu)", "%s: no reported form found (a header naming received_total or \"Tổng số tiếp nhận\", and rows of figures)", path)
	}
	b, _ := os.ReadFile(path)
	sum := sha256.Sum256(b)
	w, err := a.open(ctx, false)
	if err != nil {
		return err
	}
	defer w.Close()
	if err := a.resolveReportWards(ctx, w, path, ward, reports); err != nil {
		return err
	}
	abs, _ := filepath.Abs(path)
	id, err := w.ImportWardReports(ctx, abs, hex.EncodeToString(sum[:]), reports)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, a.t("%s [lần nạp #%d]: %d biểu đơn vị tự báo cáo; đối chiếu: wardstat ward-reports check\n",
		"%s [load #%d]: %d reported forms; reconcile with: wardstat ward-reports check\n"), path, id, len(reports))
	return nil
}

func parseDay(s string) (time.Time, error) {
	for _, layout := range []string{time.DateOnly, "02/01/2006", "2/1/2006", "02-01-2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("not a date")
}
