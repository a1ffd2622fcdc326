package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"wardstat/internal/msg"
	"wardstat/transform"
)

// WardReport is a form a ward reported itself.
type WardReport struct {
	Ward       string
	From, To   time.Time
	Figures    map[string]int64 // FormFigures name -> value (absent: not reported)
	SourceLine int
}

// wardReportAliases name the form's columns as wards write them.
var wardReportAliases = map[string][]string{
	"ward_code":        {"ward_code", "ma don vi", "ma dv", "don vi", "ma xa", "unit code"},
	"period_start":     {"period_start", "tu ngay", "from", "ngay bat dau", "start"},
	"period_end":       {"period_end", "den ngay", "to", "ngay ket thuc", "end"},
	"received_total":   {"received_total", "tong so tiep nhan", "tong tiep nhan", "tong so ho so", "so ho so nhan giai quyet", "tong so"},
	"carried_over":     {"carried_over", "ky truoc chuyen qua", "ton ky truoc", "chuyen qua"},
	"new_online":       {"new_online", "truc tuyen", "moi tiep nhan truc tuyen", "tiep nhan truc tuyen"},
	"new_direct":       {"new_direct", "truc tiep", "moi tiep nhan truc tiep", "tiep nhan truc tiep"},
	"new_postal":       {"new_postal", "bcci", "buu chinh", "dich vu bcci", "moi tiep nhan bcci"},
	"resolved_total":   {"resolved_total", "da giai quyet", "so ho so da giai quyet", "tong da giai quyet"},
	"resolved_early":   {"resolved_early", "truoc han"},
	"resolved_on_time": {"resolved_on_time", "dung han"},
	"resolved_late":    {"resolved_late", "qua han da giai quyet", "giai quyet qua han", "tre han"},
	"withdrawn":        {"withdrawn", "rut", "rut ho so", "rut dung xu ly", "dung xu ly"},
	"pending_total":    {"pending_total", "dang giai quyet", "so ho so dang giai quyet", "tong dang giai quyet"},
	"pending_in_time":  {"pending_in_time", "trong han", "chua den han"},
	"pending_overdue":  {"pending_overdue", "qua han dang giai quyet", "dang giai quyet qua han", "qua han chua giai quyet"},
}

// wardReportKey folds a form's header (transform.Fold) into words of a-z
// and 0-9; any other rune, a letter folding leaves outside ASCII among
// them, separates words (transform.HeaderKey would keep such a letter).
func wardReportKey(s string) string {
	return strings.Join(strings.FieldsFunc(transform.Fold(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}), " ")
}

// WardReportColumns maps a header row to the form's columns; it returns an
// error naming what is missing.
func WardReportColumns(headers []string) (map[string]int, error) {
	cols := map[string]int{}
	for i, h := range headers {
		k := wardReportKey(h)
		for field, names := range wardReportAliases {
			for _, n := range names {
				if k == wardReportKey(n) {
					if _, taken := cols[field]; !taken {
						cols[field] = i
					}
				}
			}
		}
	}
	if _, ok := cols["received_total"]; !ok {
		return nil, msg.Errorf("không có cột received_total (Tổng số tiếp nhận); các cột tìm thấy là %q; hãy dùng tên cột của biểu: %s",
			"no received_total column (Tổng số tiếp nhận); the columns found are %q; use the form's column names: %s",
			headers, strings.Join(FormFigures, ", "))
	}
	return cols, nil
}

// ImportWardReports stores wards' own forms (one transaction) under a new
// load. A file that gives one ward's form for one period twice is refused,
// naming both rows (duplicateWardReport).
func (w *Warehouse) ImportWardReports(ctx context.Context, path, sha string, reports []WardReport) (int64, error) {
	if err := duplicateWardReport(path, reports); err != nil {
		return 0, err
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var loadID int64
	if err := tx.QueryRowContext(ctx, `SELECT nextval('load_id_seq')`).Scan(&loadID); err != nil {
		return 0, err
	}
	for _, r := range reports {
		args := []any{loadID, r.Ward, r.From.Format(time.DateOnly), r.To.Format(time.DateOnly)}
		for _, f := range FormFigures {
			if v, ok := r.Figures[f]; ok {
				args = append(args, v)
			} else {
				args = append(args, nil)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ward_reports VALUES (?, ?, ?::DATE, ?::DATE, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...); err != nil {
			return 0, msg.Errorf("dòng %d: %w", "row %d: %w", r.SourceLine, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO loads VALUES (?, ?, ?, NULL, 'ward-report', 'form', current_localtimestamp(), ?, 0, 0, 0, 0, 0, 0, NULL, NULL, 'loaded', NULL)`,
		loadID, path, sha, len(reports)); err != nil {
		return 0, err
	}
	return loadID, tx.Commit()
}

// duplicateWardReport refuses two rows of one file for the same ward and
// period: which of the two the ward meant is a guess (a copied row, a
// corrected figure left beside the old one), and keeping either silently
// would compare a form no one checked. A later file replaces an earlier
// one on purpose; within one file the clerk must choose.
func duplicateWardReport(path string, reports []WardReport) error {
	type key struct {
		ward     string
		from, to time.Time
	}
	seen := map[key]int{}
	for _, r := range reports {
		k := key{r.Ward, r.From, r.To}
		if first, ok := seen[k]; ok {
			return msg.Errorf("%s: dòng %d và dòng %d cùng là biểu của %s kỳ %s–%s; hãy giữ một dòng rồi nạp lại",
				"%s: rows %d and %d are both the form of %s for %s–%s; keep one of them and import again",
				path, first, r.SourceLine, r.Ward, r.From.Format("02/01/2006"), r.To.Format("02/01/2006"))
		}
		seen[k] = r.SourceLine
	}
	return nil
}

// ParseFigure reads a reported count ("1.234", "1,234", "1234").
func ParseFigure(s string) (int64, bool, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "-" {
		return 0, false, nil
	}
	clean := strings.NewReplacer(".", "", ",", "", " ", "", "\u00a0", "").Replace(s)
	v, err := strconv.ParseInt(clean, 10, 64)
	if err != nil {
		return 0, false, msg.Errorf("%q không phải một số đếm", "%q is not a count", s)
	}
	if v < 0 {
		return 0, false, msg.Errorf("%q là số âm; số hồ sơ không thể âm, hãy sửa ô này (để trống nếu không báo)",
			"%q is negative; a count of dossiers cannot be, correct the cell (leave it blank if not reported)", s)
	}
	return v, true, nil
}

// WardReportCheck is one comparison made on a ward's own reported form
// (the view ward_report_check): a column against the dossiers' count
// ("counted"), a total against its own reported parts ("parts"), the
// form's identity received = resolved + withdrawn + pending ("identity"),
// a column the form left blank ("missing"), or the warehouse holding no
// dossier of the ward ("no_dossiers").
type WardReportCheck struct {
	Ward               string
	From, To           time.Time
	LoadID             int64
	Check              string
	Column             string // a FormFigures name; "" for no_dossiers
	Reported, Expected sql.NullInt64
	Agrees             sql.NullBool // NULL: the form left a figure out
}

// Difference is reported - expected, when both are known.
func (c WardReportCheck) Difference() (int64, bool) {
	if !c.Reported.Valid || !c.Expected.Valid {
		return 0, false
	}
	return c.Reported.Int64 - c.Expected.Int64, true
}

// WardReportChecks are the comparisons of every reported form, in ward,
// period and form order, and how many forms there are, differ (a figure
// or a total that does not match, or no dossier of the ward), leave a
// figure out (FormsIncomplete), and agree in every column (FormsAgreeing:
// neither differing nor incomplete).
type WardReportChecks struct {
	Checks                                                []WardReportCheck
	Forms, FormsDiffering, FormsIncomplete, FormsAgreeing int
}

// CheckWardReports compares every column of every ward's own form (the
// last imported for a ward and period) with the dossiers and with itself.
// Only the comparisons that fail and the figures the form left out
// (missing) are returned unless all is set.
func (w *Warehouse) CheckWardReports(ctx context.Context, all bool) (WardReportChecks, error) {
	var res WardReportChecks
	if err := w.db.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE differs),
		count(*) FILTER (WHERE incomplete), count(*) FILTER (WHERE NOT differs AND NOT incomplete) FROM (
		SELECT ward_code, period_start, period_end, coalesce(bool_or(agrees = false), false) AS differs,
		       bool_or(check_kind = 'missing') AS incomplete
		FROM ward_report_check GROUP BY ALL)`).Scan(&res.Forms, &res.FormsDiffering, &res.FormsIncomplete, &res.FormsAgreeing); err != nil {
		return res, fmt.Errorf("checking the reported forms: %w", err)
	}
	rows, err := w.db.QueryContext(ctx, `SELECT ward_code, period_start, period_end, load_id, check_kind,
		coalesce(form_column, ''), reported, expected, agrees
		FROM ward_report_check WHERE ? OR agrees = false OR check_kind = 'missing'
		ORDER BY ward_code, period_start, period_end,
		         CASE check_kind WHEN 'no_dossiers' THEN 0 WHEN 'parts' THEN 1 WHEN 'identity' THEN 2 ELSE 3 END, column_no`, all)
	if err != nil {
		return res, fmt.Errorf("checking the reported forms: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c WardReportCheck
		if err := rows.Scan(&c.Ward, &c.From, &c.To, &c.LoadID, &c.Check, &c.Column, &c.Reported, &c.Expected, &c.Agrees); err != nil {
			return res, err
		}
		res.Checks = append(res.Checks, c)
	}
	return res, rows.Err()
}
