package warehouse

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"
)

// TodayVariable is the DuckDB session variable that fixes the day the
// models count "as of" (wardstat_today() in sql/models/20_report_form.sql):
// report_form and ward_month judge a period not yet over as of today.
// Unset, the SQL reads the real date in Vietnam (UTC+7).
const TodayVariable = "wardstat_today"

// pinToday sets TodayVariable on one connection to day's calendar date
// (as written, whatever its location); a zero day sets nothing. It runs on
// every new connection: DuckDB's variables belong to one connection.
func pinToday(ctx context.Context, ex driver.ExecerContext, day time.Time) error {
	if day.IsZero() {
		return nil
	}
	s := fmt.Sprintf("SET VARIABLE %s = DATE '%s'", TodayVariable, day.Format(time.DateOnly))
	if _, err := ex.ExecContext(ctx, s, nil); err != nil {
		return fmt.Errorf("%s: %w", s, err)
	}
	return nil
}
