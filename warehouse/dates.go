package warehouse

import (
	"context"
	"fmt"
	"strings"

	"wardstat/transform"
)

// dateFields are the staged fields that hold timestamps.
var dateFields = []string{
	transform.SubmittedAt, transform.ReceivedAt, transform.DueAt, transform.CompletedAt,
	transform.ReturnedAt, transform.WithdrawnAt, transform.SupplementRequestedAt, transform.SupplementReceivedAt,
}

// fastFormats are the strptime styles worth a fast path. A file writes a
// column in one style almost always, so the load samples each column and
// picks the style that reads most of it; DuckDB then parses that column
// vectorised with one format (a list of formats costs a failed attempt per
// miss), and only the cells it does not read go to the full parser.
var fastFormats = []string{
	"%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y",
	"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
	"%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y", "%Y%m%d%H%M%S",
	// A spreadsheet saved in a US locale: month first. Listed last, so a
	// column whose days are all 12 or less reads day first, the Vietnamese way.
	"%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y",
	// Not strptime formats: Excel serial day numbers (date cells of a
	// workbook), ISO 8601 with an offset or Z (APIs in UTC), and Unix
	// milliseconds or seconds (APIs that send dates as numbers; read the
	// slow way, 1 M records took 27 s more).
	styleExcelSerial, styleISOOffset, styleUnixMillis, styleUnixSeconds,
}

const (
	styleExcelSerial = "excel serial"
	styleISOOffset   = "iso offset"
	styleUnixMillis  = "unix ms"
	styleUnixSeconds = "unix s"
)

// styleExpr is the SQL reading text v in a style, NULL when it does not fit.
func styleExpr(style, v string) string {
	switch style {
	case styleExcelSerial:
		return fmt.Sprintf(`CASE WHEN regexp_full_match(%[1]s, '\d{5}(\.\d+)?') THEN TIMESTAMP '1899-12-30' + to_microseconds(round(%[1]s::DOUBLE * 86400000000)::BIGINT) END`, v)
	case styleISOOffset:
		return fmt.Sprintf(`(try_cast(%s AS TIMESTAMPTZ) AT TIME ZONE 'UTC') + INTERVAL 7 HOUR`, v)
	case styleUnixMillis: // as ws_ts_any reads \d{13}
		return fmt.Sprintf(`CASE WHEN regexp_full_match(%[1]s, '\d{13}') THEN try(make_timestamp(%[1]s::BIGINT * 1000)) + INTERVAL 7 HOUR END`, v)
	case styleUnixSeconds: // as ws_ts_any reads 1\d{9}
		return fmt.Sprintf(`CASE WHEN regexp_full_match(%[1]s, '1\d{9}') THEN try(make_timestamp(%[1]s::BIGINT * 1000000)) + INTERVAL 7 HOUR END`, v)
	}
	return fmt.Sprintf("try_strptime(%s, %s)", v, sqlString(style))
}

// dateSampleCells is how many non-empty cells of a date column decide its
// style: each is tried in every format, most of which fail, and a failed
// parse is the slow part (2,000 cells made this 0.1 s of every load).
const dateSampleCells = 500

// dateStyles picks each staged date column's fast format ("" when none reads
// most of a sample).
//
// Day and month order is a property of the file, not of a column: when one
// column can only be month-first (a day above 12 in second place, or a
// 12-hour clock with AM/PM), the other columns read month-first too where
// that reads as much of them.
func dateStyles(ctx context.Context, q querier) (map[string]string, error) {
	counts := make([]string, len(fastFormats))
	for i, f := range fastFormats {
		counts[i] = fmt.Sprintf("count(ws_ts_in_range(%s))", styleExpr(f, "v"))
	}
	// One query for every column (planning these expressions costs more
	// than running them on a sample).
	parts := make([]string, len(dateFields))
	for i, field := range dateFields {
		parts[i] = fmt.Sprintf(`(SELECT '%[1]s' AS field, trim(%[1]s) AS v FROM stage_sample WHERE nullif(trim(%[1]s), '') IS NOT NULL LIMIT %[2]d)`, field, dateSampleCells)
	}
	rows, err := q.QueryContext(ctx, fmt.Sprintf(`SELECT field, count(*), %s FROM (%s) GROUP BY field`,
		strings.Join(counts, ", "), strings.Join(parts, " UNION ALL ")))
	if err != nil {
		return nil, fmt.Errorf("sampling dates: %w", err)
	}
	defer rows.Close()
	hitsByField := map[string][]int64{}
	for rows.Next() {
		var field string
		hits := make([]int64, len(fastFormats)+1) // [0] is the sample size
		dest := []any{&field}
		for i := range hits {
			dest = append(dest, &hits[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("sampling dates: %w", err)
		}
		hitsByField[field] = hits
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sampling dates: %w", err)
	}
	pick := func(hits []int64, monthFirst bool) int {
		best := -1
		for i, f := range fastFormats {
			h := hits[i+1]
			if h == 0 {
				continue
			}
			switch {
			case best < 0 || h > hits[best+1]:
				best = i
			case h == hits[best+1] && monthFirst && strings.HasPrefix(f, "%m/") && !strings.HasPrefix(fastFormats[best], "%m/"):
				best = i
			}
		}
		if best >= 0 && hits[best+1]*2 >= hits[0] {
			return best
		}
		return -1
	}
	monthFirst := false
	for _, hits := range hitsByField {
		if b := pick(hits, false); b >= 0 && strings.HasPrefix(fastFormats[b], "%m/") {
			monthFirst = true
		}
	}
	out := map[string]string{}
	for field, hits := range hitsByField {
		if b := pick(hits, monthFirst); b >= 0 {
			out[field] = fastFormats[b]
		}
	}
	return out, nil
}
