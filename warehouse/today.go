package warehouse

import (
	"context"
	"database/sql/driver"
	"fmt"
	"sync"
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

// connInit is the connector's init for a warehouse opening: every new
// connection gets the pinned day (pinToday), and the first one runs the
// statements that set the database for all (GLOBAL settings; the time
// zone needs ICU, loaded after opening), each error naming its statement.
func connInit(ctx context.Context, today time.Time, once ...string) func(driver.ExecerContext) error {
	var mu sync.Mutex
	done := false
	return func(ex driver.ExecerContext) error {
		mu.Lock()
		defer mu.Unlock()
		if err := pinToday(ctx, ex, today); err != nil {
			return err
		}
		if done {
			return nil
		}
		for _, s := range once {
			if _, err := ex.ExecContext(ctx, s, nil); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		done = true
		return nil
	}
}
