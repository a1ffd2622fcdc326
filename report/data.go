// Package report writes the nightly report of a district: the official form
// as an XLSX workbook laid out like Biểu 06, and a self-contained HTML page
// with charts (inline SVG: it opens offline, on a phone too).
package report

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Options say what to report.
type Options struct {
	// Month is the reported month (its first day); the year to date ends with it.
	Month time.Time
	// Through, when set and before the month's last day, is the last day
	// reported (today, the month not being over): the form and the year to
	// date end with it, the title says so, and the month's anomalies
	// (judged against whole months) are left out.
	Through time.Time
	// Ward limits the report to one ward ("" for the whole district).
	Ward string
	// Lang is vi or en.
	Lang string
	// Sources are the pull sources' freshness, when a scheduler runs them.
	Sources []SourceStatus
	// Now is when the report is made.
	Now time.Time
}

// SourceStatus is one pull source's freshness.
type SourceStatus struct {
	Source, Level, LastStatus, LastError string
	LastNewData                          *time.Time
}

// FormRow is one unit's line of the form.
type FormRow struct {
	Code, Name, District                               string
	Received, Carried, NewOnline, NewDirect, NewPostal int64
	Resolved, Early, OnTime, Late, Withdrawn           int64
	Pending, PendingInTime, PendingOverdue             int64
	Rate                                               sql.NullFloat64
}

// MonthPoint is one month of the district's trend.
type MonthPoint struct {
	Month                                string
	Rate                                 sql.NullFloat64
	Online, Direct, Postal               int64
	Resolved, Pending, Overdue, Received int64
}

// Anomaly is one flagged ward-month.
type Anomaly struct{ Ward, Name, Metric, Reason string }

// IndexRow is a ward's index parts for the month.
type IndexRow struct {
	Code, Name                                  string
	Progress, Online, Payment, Digitised, Score sql.NullFloat64
	Possible                                    int64
	Note                                        string // why a part is unknown, in the report's language
}

// Data is everything the report shows.
type Data struct {
	Opt        Options
	From, To   time.Time
	YearFrom   time.Time
	Form       []FormRow
	YearToDate []FormRow
	Trend      []MonthPoint
	Anomalies  []Anomaly
	Index      []IndexRow
	// Partial is true when the month is not over: To is today.
	Partial bool
}

// Gather reads the report's figures from the warehouse.
func Gather(ctx context.Context, db *sql.DB, opt Options) (*Data, error) {
	d := &Data{Opt: opt, From: opt.Month, To: opt.Month.AddDate(0, 1, -1), YearFrom: time.Date(opt.Month.Year(), 1, 1, 0, 0, 0, 0, time.UTC)}
	if !opt.Through.IsZero() && opt.Through.Before(d.To) {
		d.To, d.Partial = opt.Through, true
	}
	var err error
	if d.Form, err = form(ctx, db, d.From, d.To, opt.Ward); err != nil {
		return nil, err
	}
	if d.YearToDate, err = form(ctx, db, d.YearFrom, d.To, opt.Ward); err != nil {
		return nil, err
	}
	month := d.From.Format("2006-01")
	first := d.From.AddDate(0, -12, 0).Format("2006-01")
	rows, err := db.QueryContext(ctx, `
		SELECT month, on_time_rate(sum(resolved_early + resolved_on_time), sum(resolved_total)),
		       sum(new_online)::BIGINT, sum(new_direct)::BIGINT, sum(new_postal)::BIGINT, sum(resolved_total)::BIGINT,
		       sum(pending_total)::BIGINT, sum(pending_overdue)::BIGINT, sum(received_total)::BIGINT
		FROM ward_month WHERE month BETWEEN ? AND ? AND (? = '' OR ward_code = ?)
		GROUP BY month ORDER BY month`, first, month, opt.Ward, opt.Ward)
	if err != nil {
		return nil, fmt.Errorf("trend: %w", err)
	}
	for rows.Next() {
		var p MonthPoint
		if err := rows.Scan(&p.Month, &p.Rate, &p.Online, &p.Direct, &p.Postal, &p.Resolved, &p.Pending, &p.Overdue, &p.Received); err != nil {
			rows.Close()
			return nil, err
		}
		if d.Partial && p.Month == month {
			p = asOfPoint(month, d.Form) // ward_month judges the whole month
		}
		d.Trend = append(d.Trend, p)
	}
	rows.Close()
	reason := "reason_vi"
	if opt.Lang == "en" {
		reason = "reason_en"
	}
	partialMonth := ""
	if d.Partial {
		partialMonth = month // a month not over is no anomaly
	}
	rows, err = db.QueryContext(ctx, `SELECT ward_code, coalesce(ward_name, ward_code), metric, `+reason+`
		FROM mart_anomalies WHERE month = ? AND month <> ? AND (? = '' OR ward_code = ?) ORDER BY ward_code, metric`, month, partialMonth, opt.Ward, opt.Ward)
	if err != nil {
		return nil, fmt.Errorf("anomalies: %w", err)
	}
	for rows.Next() {
		var a Anomaly
		if err := rows.Scan(&a.Ward, &a.Name, &a.Metric, &a.Reason); err != nil {
			rows.Close()
			return nil, err
		}
		d.Anomalies = append(d.Anomalies, a)
	}
	rows.Close()
	note := "note_vi"
	if opt.Lang == "en" {
		note = "note_en"
	}
	rows, err = db.QueryContext(ctx, `SELECT ward_code, coalesce(ward_name, ward_code), progress_rate, online_share, online_payment_share,
		digitisation_share, points, points_possible, coalesce(`+note+`, '') FROM mart_index766 WHERE month = ? AND (? = '' OR ward_code = ?) ORDER BY points DESC NULLS LAST`,
		month, opt.Ward, opt.Ward)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	for rows.Next() {
		var r IndexRow
		if err := rows.Scan(&r.Code, &r.Name, &r.Progress, &r.Online, &r.Payment, &r.Digitised, &r.Score, &r.Possible, &r.Note); err != nil {
			rows.Close()
			return nil, err
		}
		d.Index = append(d.Index, r)
	}
	rows.Close()
	return d, nil
}

// Form reads the form's lines of a period, one per ward (ward "" for all),
// as the nightly report's workbook shows them.
func Form(ctx context.Context, db *sql.DB, from, to time.Time, ward string) ([]FormRow, error) {
	return form(ctx, db, from, to, ward)
}

func form(ctx context.Context, db *sql.DB, from, to time.Time, ward string) ([]FormRow, error) {
	rows, err := db.QueryContext(ctx, `SELECT ward_code, coalesce(ward_name, ward_code), coalesce(district, ''), received_total, carried_over,
		new_online, new_direct, new_postal, resolved_total, resolved_early, resolved_on_time, resolved_late, withdrawn,
		pending_total, pending_in_time, pending_overdue, on_time_rate
		FROM report_form(?::DATE, ?::DATE) WHERE ? = '' OR ward_code = ? ORDER BY district NULLS LAST, ward_code`,
		from.Format(time.DateOnly), to.Format(time.DateOnly), ward, ward)
	if err != nil {
		return nil, fmt.Errorf("form: %w", err)
	}
	defer rows.Close()
	var out []FormRow
	for rows.Next() {
		var r FormRow
		if err := rows.Scan(&r.Code, &r.Name, &r.District, &r.Received, &r.Carried, &r.NewOnline, &r.NewDirect, &r.NewPostal,
			&r.Resolved, &r.Early, &r.OnTime, &r.Late, &r.Withdrawn, &r.Pending, &r.PendingInTime, &r.PendingOverdue, &r.Rate); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Total sums form rows (the rate recomputed), labelled name.
func Total(rows []FormRow, name string) FormRow {
	t := FormRow{Name: name}
	for _, r := range rows {
		t.Received += r.Received
		t.Carried += r.Carried
		t.NewOnline += r.NewOnline
		t.NewDirect += r.NewDirect
		t.NewPostal += r.NewPostal
		t.Resolved += r.Resolved
		t.Early += r.Early
		t.OnTime += r.OnTime
		t.Late += r.Late
		t.Withdrawn += r.Withdrawn
		t.Pending += r.Pending
		t.PendingInTime += r.PendingInTime
		t.PendingOverdue += r.PendingOverdue
	}
	if t.Resolved > 0 {
		t.Rate = sql.NullFloat64{Float64: float64(int64(float64(t.Early+t.OnTime)*10000/float64(t.Resolved)+0.5)) / 100, Valid: true}
	}
	return t
}

// asOfPoint is a month not over as the trend shows it: the form's figures
// as of its last day reported (ward_month counts a dossier due later in
// the month as overdue in it).
func asOfPoint(month string, form []FormRow) MonthPoint {
	t := Total(form, "")
	return MonthPoint{Month: month, Rate: t.Rate, Online: t.NewOnline, Direct: t.NewDirect, Postal: t.NewPostal,
		Resolved: t.Resolved, Pending: t.Pending, Overdue: t.PendingOverdue, Received: t.Received}
}
