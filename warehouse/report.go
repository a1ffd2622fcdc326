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
	from, to := o.From.Format(time.DateOnly), o.To.Format(time.DateOnly)
	args := []any{from, to}
	where := ""
	if o.Ward != "" {
		where = " WHERE ward_code = ?"
		args = append(args, o.Ward)
	}
	switch o.By {
	case "", "ward":
		return `SELECT * FROM report_form(?::DATE, ?::DATE)` + where + ` ORDER BY ward_code`, args, nil
	case "district", "province":
		// The roll-up is unit_rollup's (sql/models/30_marts.sql), as for
		// mart_unit_month.
		keys := "district, province"
		if o.By == "province" {
			keys = "province"
		}
		return `WITH forms AS (SELECT NULL AS period, * FROM report_form(?::DATE, ?::DATE)` + where + `)
			SELECT ` + keys + `, ` + strings.Join(FormFigures, ", ") + `, on_time_rate
			FROM unit_rollup('forms') WHERE level = ` + sqlString(o.By) + `
			ORDER BY ` + keys + ` NULLS LAST`, args, nil
	}
	return "", nil, msg.Errorf("--by %q: hãy dùng một trong %s", "--by %q: use one of %s", o.By, strings.Join(Levels, ", "))
}
