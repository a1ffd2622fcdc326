package warehouse

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"wardstat/internal/msg"
)

// FormFigures are the report form's counted columns, in the form's order.
var FormFigures = []string{
	"received_total", "carried_over", "new_online", "new_direct", "new_postal",
	"resolved_total", "resolved_early", "resolved_on_time", "resolved_late",
	"withdrawn", "pending_total", "pending_in_time", "pending_overdue",
}

// Levels a report can be rolled up to.
var Levels = []string{"ward", "district", "province"}

// ReportOptions pick the form's period, units and level.
type ReportOptions struct {
	From, To time.Time // inclusive local dates
	Ward     string    // one ward only; "" for all
	By       string    // ward | district | province
}

// ReportForm runs the report form. At ward level the columns are those of
// the report_form macro; at district and province level the figures are
// summed and the rate recomputed.
func (w *Warehouse) ReportForm(ctx context.Context, o ReportOptions) (*sql.Rows, error) {
	if o.To.Before(o.From) {
		return nil, msg.Errorf("kỳ kết thúc (%s) trước khi bắt đầu (%s)", "the period ends (%s) before it starts (%s)", o.To.Format(time.DateOnly), o.From.Format(time.DateOnly))
	}
	q, args, err := reportQuery(o)
	if err != nil {
		return nil, err
	}
	return w.db.QueryContext(ctx, q, args...)
}

func reportQuery(o ReportOptions) (string, []any, error) {
	switch o.By {
	case "", "ward":
		from, to := o.From.Format(time.DateOnly), o.To.Format(time.DateOnly)
		args := []any{from, to}
		where := ""
		if o.Ward != "" {
			where = " WHERE ward_code = ?"
			args = append(args, o.Ward)
		}
		return `SELECT * FROM report_form(?::DATE, ?::DATE)` + where + ` ORDER BY ward_code`, args, nil
	case "district", "province":
		// The roll-up is unit_rollup's (sql/models/30_marts.sql), as for
		// mart_unit_month.
		keys := "district, province"
		if o.By == "province" {
			keys = "province"
		}
		forms, args := placedForms(o)
		return forms + `
			SELECT ` + keys + `, ` + strings.Join(FormFigures, ", ") + `, on_time_rate
			FROM unit_rollup('forms') WHERE level = ` + sqlString(o.By) + `
			ORDER BY ` + keys + ` NULLS LAST`, args, nil
	}
	return "", nil, msg.Errorf("--by %q: hãy dùng một trong %s", "--by %q: use one of %s", o.By, strings.Join(Levels, ", "))
}

// placedForms is a WITH clause making forms: report_form's rows for o,
// one period (NULL); unit_rollup and placed_forms (sql/models/30_marts.sql)
// place the wards the unit registry lacks.
func placedForms(o ReportOptions) (string, []any) {
	args := []any{o.From.Format(time.DateOnly), o.To.Format(time.DateOnly)}
	where := ""
	if o.Ward != "" {
		where = " WHERE ward_code = ?"
		args = append(args, o.Ward)
	}
	return `WITH forms AS (SELECT NULL AS period, * FROM report_form(?::DATE, ?::DATE)` + where + `)`, args
}

// UnregisteredWard is a ward with dossiers in a report's period that the
// unit registry does not hold, and the province its roll-up counts it in
// ("" when its code names none).
type UnregisteredWard struct {
	Code, Province string
}

// UnregisteredWards are the wards of the report o (its period and ward)
// missing from the unit registry, by code, each with the province the
// district and province levels count it in (placedForms).
func (w *Warehouse) UnregisteredWards(ctx context.Context, o ReportOptions) ([]UnregisteredWard, error) {
	forms, args := placedForms(o)
	rows, err := w.db.QueryContext(ctx, forms+` SELECT ward_code, coalesce(province, '') FROM placed_forms('forms') WHERE ward_name IS NULL ORDER BY ward_code`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []UnregisteredWard
	for rows.Next() {
		var u UnregisteredWard
		if err := rows.Scan(&u.Code, &u.Province); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
