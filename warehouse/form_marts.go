package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ward_month gives report_form(first day, last day) of each month, and
// report_form(first day, today) of the current one, for dossiers that close
// once, on or after their receipt. A dossier stored with both a completion
// and a withdrawal date leaves ward_month's pending twice, and one closed
// before its receipt counts in a month report_form does not read it in:
// ward_month may differ from report_form from the month of its first
// closing date on. inexactClosing finds such dossiers in a table of
// dossiers' states (d); wardMonthExactBefore keeps, in the lake's manifest,
// the first month one of them touches.
const inexactClosing = `(d.completed_at IS NOT NULL AND d.withdrawn_at IS NOT NULL)
    OR d.completed_at::DATE < d.received_at::DATE OR d.withdrawn_at::DATE < d.received_at::DATE`

// noInexactMonth is wardMonthExactBefore's month when no dossier makes
// ward_month differ from report_form.
const noInexactMonth = "9999-12"

// wardMonthExactBefore is the first month (YYYY-MM) from which ward_month
// may differ from report_form, for the lake's manifest. A whole export
// reads it over every dossier; an incremental one takes the earlier of the
// last export's month and that of the states changed since (the
// plan's lake_changed_states, current or replaced: a dossier corrected
// since keeps the month, which only makes the marts fall back to
// report_form more often).
func wardMonthExactBefore(ctx context.Context, conn *sql.Conn, incremental bool, old string) (string, error) {
	from := "main.dossiers"
	if incremental && old != "" {
		from = "lake_changed_states"
	}
	var m sql.NullString
	if err := conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT strftime(min(least(d.completed_at::DATE, d.withdrawn_at::DATE)), '%%Y-%%m')
FROM %s d WHERE %s`, from, inexactClosing)).Scan(&m); err != nil {
		return "", fmt.Errorf("the dossiers closed twice or before their receipt: %w", err)
	}
	month := noInexactMonth
	if m.Valid {
		month = m.String
	}
	if from == "lake_changed_states" && old < month {
		month = old
	}
	return month, nil
}

// formFromWardMonth is a query giving exactly
//
//	SELECT start AS period_start, end AS period_end, * FROM report_form(start, end)
//
// from wardMonth (ward_month's rows of every month), or "" when it cannot:
// the period, cut at today as report_form does, must be whole months from
// the first day of one (the last of them possibly the current month up to
// today), all before exactBefore and none after lastMonth (ward_month's
// last). Per ward, carried over is the first month's, the flows are the
// months' sums and the pending figures the last month's: over months
// ward_month gives exactly, a dossier is counted once, from its receipt (or
// the period's first month) to the month it closes, the first day of the
// period and its last (min(end, today)) reading it as report_form does. A
// ward has a row when it has a dossier to count (received_total > 0: every
// dossier has a channel), named by unit_at of the period cut at today.
// Today is wardstat_today(), the day the SQL judges on.
func formFromWardMonth(wardMonth string, start, end, today time.Time, exactBefore, lastMonth string) string {
	start, end, today = civilDay(start), civilDay(end), civilDay(today)
	if start.Day() != 1 || start.After(today) || end.Before(start) {
		return ""
	}
	cut := end
	if today.Before(cut) {
		cut = today
	}
	if !cut.Equal(today) && cut.AddDate(0, 0, 1).Day() != 1 {
		return "" // ends inside a month already over
	}
	first, last := start.Format("2006-01"), cut.Format("2006-01")
	if last >= exactBefore || last > lastMonth {
		return ""
	}
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	return fmt.Sprintf(`WITH wm AS (SELECT * FROM (%[1]s) WHERE month BETWEEN '%[2]s' AND '%[3]s'),
f AS (
    SELECT ward_code,
           coalesce(any_value(carried_over) FILTER (WHERE month = '%[2]s'), 0)::BIGINT AS carried_over,
           sum(new_online)::BIGINT AS new_online, sum(new_direct)::BIGINT AS new_direct, sum(new_postal)::BIGINT AS new_postal,
           sum(resolved_total)::BIGINT AS resolved_total, sum(resolved_early)::BIGINT AS resolved_early,
           sum(resolved_on_time)::BIGINT AS resolved_on_time, sum(resolved_late)::BIGINT AS resolved_late,
           sum(withdrawn)::BIGINT AS withdrawn,
           coalesce(any_value(pending_total) FILTER (WHERE month = '%[3]s'), 0)::BIGINT AS pending_total,
           coalesce(any_value(pending_in_time) FILTER (WHERE month = '%[3]s'), 0)::BIGINT AS pending_in_time,
           coalesce(any_value(pending_overdue) FILTER (WHERE month = '%[3]s'), 0)::BIGINT AS pending_overdue
    FROM wm GROUP BY ward_code
)
SELECT '%[4]s'::DATE AS period_start, '%[5]s'::DATE AS period_end,
    f.ward_code, u.name AS ward_name, u.district AS district, u.province AS province,
    f.carried_over + f.new_online + f.new_direct + f.new_postal AS received_total,
    f.carried_over, f.new_online, f.new_direct, f.new_postal,
    f.resolved_total, f.resolved_early, f.resolved_on_time, f.resolved_late,
    f.withdrawn,
    f.pending_total, f.pending_in_time, f.pending_overdue,
    on_time_rate(f.resolved_early + f.resolved_on_time, f.resolved_total) AS on_time_rate
FROM f
LEFT JOIN unit_at('%[4]s'::DATE, '%[6]s'::DATE) u ON u.code = f.ward_code
WHERE f.carried_over + f.new_online + f.new_direct + f.new_postal > 0
ORDER BY f.ward_code`, wardMonth, first, last, day(start), day(end), day(cut))
}

// civilDay is t's calendar day (as written) at midnight UTC.
func civilDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
