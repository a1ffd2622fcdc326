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
// again over every dossier (lakeWardMonth).
func (w *Warehouse) ExportMarts(ctx context.Context, dir string, lastMonth, yearStart, today time.Time) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	wardMonth := w.lakeWardMonth(ctx, dir)
	w.log.Info("dashboards' marts", "dir", dir, "ward_month_from_lake", wardMonth != "")
	if wardMonth == "" {
		wardMonth = `SELECT * FROM ward_month`
	}
	lastMonthEnd := lastMonth.AddDate(0, 1, -1)
	marts := []struct{ name, query string }{
		{"ward_month", wardMonth},
		{"form_last_month", fmt.Sprintf(`SELECT '%s'::DATE AS period_start, '%s'::DATE AS period_end, * FROM report_form('%[1]s', '%[2]s')`,
			lastMonth.Format(time.DateOnly), lastMonthEnd.Format(time.DateOnly))},
		{"form_year_to_date", fmt.Sprintf(`SELECT '%s'::DATE AS period_start, '%s'::DATE AS period_end, * FROM report_form('%[1]s', '%[2]s')`,
			yearStart.Format(time.DateOnly), today.Format(time.DateOnly))},
	}
	var out []string
	for _, m := range marts {
		final := filepath.Join(dir, m.name+".parquet")
		tmp := final + ".tmp"
		q := fmt.Sprintf(`COPY (%s) TO '%s' (FORMAT parquet, COMPRESSION zstd)`, m.query, escape(tmp))
		if _, err := w.db.ExecContext(ctx, q); err != nil {
			os.Remove(tmp)
			return out, fmt.Errorf("writing %s: %w", final, err)
		}
		if err := os.Rename(tmp, final); err != nil {
			return out, err
		}
		out = append(out, final)
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
