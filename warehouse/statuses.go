package warehouse

import (
	"context"
	"fmt"
)

// uncountedStatuses is the SQL list of the statuses the figures leave out,
// as the status catalogue says (statuses.counted; sql/migrations/001_init.sql:
// submitted online but never accepted, refused at intake), e.g. "1, 3"; ""
// when it leaves none out. The typing pass tests a constant list rather than
// the table: a join there would cost the pass its order (ws_clean in
// sql/models/10_parse.sql). The views read the catalogue through
// counted_status (sql/models/20_report_form.sql).
func uncountedStatuses(ctx context.Context, q querier) (string, error) {
	var list string
	if err := singleRow(ctx, q, `SELECT coalesce(string_agg(status::VARCHAR, ', ' ORDER BY status), '') FROM statuses WHERE NOT counted`, &list); err != nil {
		return "", fmt.Errorf("reading the status catalogue: %w", err)
	}
	return list, nil
}
