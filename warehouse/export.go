package warehouse

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// ExportMarts writes the dashboards' Parquet files into dir, each replaced
// atomically (written beside, then renamed): ward_month (the form per ward
// per month), form_last_month and form_year_to_date. It returns the paths.
// When dir holds this warehouse's lake as of now (ExportLake ran first),
// ward_month is read from the lake's mart_ward_month rather than computed
// again over every dossier (lakeWardMonth), and the forms of whole months
// are added up from ward_month.parquet's rows where the lake's manifest
// says ward_month gives report_form exactly (formFromWardMonth); else
// each form is report_form, a pass over every dossier.
func (w *Warehouse) ExportMarts(ctx context.Context, dir string, lastMonth, yearStart, today time.Time) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	began := time.Now()
	wardMonth, lakeLast, exactBefore := w.lakeWardMonth(ctx, dir)
	var sqlToday time.Time
	if wardMonth != "" && exactBefore != "" {
		if err := w.db.QueryRowContext(ctx, `SELECT wardstat_today()`).Scan(&sqlToday); err != nil {
			return nil, fmt.Errorf("today: %w", err)
		}
	}
	form := func(start, end time.Time) (string, bool) {
		if wardMonth != "" && exactBefore != "" {
			wm := fmt.Sprintf(`FROM read_parquet('%s')`, escape(filepath.Join(dir, "ward_month.parquet")))
			if q := formFromWardMonth(wm, start, end, sqlToday, exactBefore, lakeLast); q != "" {
				return q, true
			}
		}
		return fmt.Sprintf(`SELECT '%s'::DATE AS period_start, '%s'::DATE AS period_end, * FROM report_form('%[1]s', '%[2]s')`,
			start.Format(time.DateOnly), end.Format(time.DateOnly)), false
	}
	lastQ, lastFromWM := form(lastMonth, lastMonth.AddDate(0, 1, -1))
	ytdQ, ytdFromWM := form(yearStart, today)
	w.log.Info("dashboards' marts", "dir", dir, "ward_month_from_lake", wardMonth != "",
		"form_last_month_from_ward_month", lastFromWM, "form_year_to_date_from_ward_month", ytdFromWM,
		"plan_seconds", time.Since(began).Seconds())
	if wardMonth == "" {
		wardMonth = `SELECT * FROM ward_month`
	}
	marts := []struct{ name, query string }{
		{"ward_month", wardMonth}, // first: the forms may read it
		{"form_last_month", lastQ},
		{"form_year_to_date", ytdQ},
	}
	var out []string
	for _, m := range marts {
		final := filepath.Join(dir, m.name+".parquet")
		tmp := final + ".tmp"
		began := time.Now()
		q := fmt.Sprintf(`COPY (%s) TO '%s' (FORMAT parquet, COMPRESSION zstd)`, m.query, escape(tmp))
		if _, err := w.db.ExecContext(ctx, q); err != nil {
			os.Remove(tmp)
			return out, fmt.Errorf("writing %s: %w", final, err)
		}
		if err := os.Rename(tmp, final); err != nil {
			return out, err
		}
		out = append(out, final)
		w.log.Debug("dashboards' mart", "name", m.name, "seconds", time.Since(began).Seconds())
	}
	return out, nil
}

func escape(s string) string {
	b := []byte{}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			b = append(b, '\'')
		}
		b = append(b, s[i])
	}
	return string(b)
}
