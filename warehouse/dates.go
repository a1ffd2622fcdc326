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
	// Dots, and the time first, as some exports write dates (left to the
	// full parser, 1 M rows took 52 s and 35 s instead of 5 s).
	"%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%H:%M %d/%m/%Y", "%H:%M:%S %d/%m/%Y",
	// A 12-hour clock, day first, as a Vietnamese locale writes it: "08:30
	// SA" / "02:15 CH" (sáng, chiều). Left to the full parser, a column of
	// them took 1 M rows 44 s instead of 5 s. (AM and PM are read month
	// first, below: a spreadsheet in a US locale.)
	styleSACHMinutes, styleSACHSeconds,
	// A spreadsheet saved in a US locale: month first. Listed last, so a
	// column whose days are all 12 or less reads day first, the Vietnamese way.
	"%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y",
	// Not strptime formats: Excel serial day numbers (date cells of a
	// workbook), ISO 8601 with an offset or Z (APIs in UTC), and Unix
	// milliseconds or seconds (APIs that send dates as numbers; read the
	// slow way, 1 M records took 27 s more).
	styleExcelSerial, styleISOOffset, styleUnixMillis, styleUnixSeconds,
	// Two-digit years ("15/03/24"), which the full parser reads as 20yy
	// (strptime's %y would read 69–99 as 19yy): 1 M rows, 30 s. And .NET's
	// JSON dates, "/Date(1710462600000)/", as older portals send them
	// (1 M records, 38 s).
	styleTwoDigitYear, styleDotNetDate,
}

const (
	styleExcelSerial  = "excel serial"
	styleISOOffset    = "iso offset"
	styleUnixMillis   = "unix ms"
	styleUnixSeconds  = "unix s"
	styleTwoDigitYear = "dd/mm/yy"
	styleDotNetDate   = "/Date(ms)/"
	styleSACHMinutes  = "dd/mm/yyyy hh:mm SA|CH"
	styleSACHSeconds  = "dd/mm/yyyy hh:mm:ss SA|CH"
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
	case styleDotNetDate: // as ws_ts_any reads /Date(ms)/ (its offset aside)
		return fmt.Sprintf(`CASE WHEN regexp_full_match(%[1]s, '/Date\((-?\d+)([+-]\d{4})?\)/') THEN try(make_timestamp(regexp_extract(%[1]s, '(-?\d+)', 1)::BIGINT * 1000)) + INTERVAL 7 HOUR END`, v)
	case styleTwoDigitYear: // as ws_ts_from reads a two-digit year: 2000 + yy
		return fmt.Sprintf(`CASE WHEN regexp_full_match(%[1]s, '\d{1,2}/\d{1,2}/\d{2}') THEN try_strptime(regexp_replace(%[1]s, '/(\d{2})$', '/20\1'), '%%d/%%m/%%Y') END`, v)
	case styleSACHMinutes, styleSACHSeconds: // SA (sáng) is AM, CH (chiều) PM, as ws_ts_from reads them
		format := "%d/%m/%Y %I:%M %p"
		if style == styleSACHSeconds {
			format = "%d/%m/%Y %I:%M:%S %p"
		}
		return fmt.Sprintf(`CASE WHEN regexp_matches(%[1]s, '(?:SA|sa|CH|ch)$') THEN try_strptime(regexp_replace(regexp_replace(%[1]s, '\s*(?:SA|sa)$', ' AM'), '\s*(?:CH|ch)$', ' PM'), %[2]s) END`,
			v, sqlString(format))
	}
	return fmt.Sprintf("try_strptime(%s, %s)", v, sqlString(style))
}

// dateSampleCells is how many non-empty cells of a date column decide its
// style: each is tried in every format, most of which fail, and a failed
// parse is the slow part (2,000 cells made this 0.1 s of every load).
const dateSampleCells = 500

// dateStyles picks each staged date column's fast formats, the one that
// reads most of its sample first (none when none reads a twentieth of it).
//
// Day and month order is a property of the file, not of a column: when one
// column can only be month-first (a day above 12 in second place, or a
// 12-hour clock with AM/PM), the other columns read month-first too where
// that reads as much of them.
//
// A column may hold two or three styles (an export joining an old system's
// rows to a new one's: half of 1 M receipt dates in ISO took 25 s in the
// full parser, 5 s read by two fast formats). Each further format is the
// one that reads the most cells the formats before it did not, if that is
// a twentieth of the sample or more, and only in the file's order of day
// and month: "03/04/2024" must not read both ways.
func dateStyles(ctx context.Context, q querier) (map[string][]string, error) {
	if len(fastFormats) > 63 {
		panic("a style set is a 64-bit mask")
	}
	// Each cell as the set of formats that read it (bit i: fastFormats[i]),
	// counted by set: the coverage of any choice of formats is then exact.
	bits := make([]string, len(fastFormats))
	for i, f := range fastFormats {
		bits[i] = fmt.Sprintf("CASE WHEN ws_ts_in_range(%s) IS NOT NULL THEN %d ELSE 0 END", styleExpr(f, "v"), uint64(1)<<i)
	}
	// One query for every column (planning these expressions costs more
	// than running them on a sample).
	parts := make([]string, len(dateFields))
	for i, field := range dateFields {
		parts[i] = fmt.Sprintf(`(SELECT '%[1]s' AS field, trim(%[1]s) AS v FROM stage_sample WHERE nullif(trim(%[1]s), '') IS NOT NULL LIMIT %[2]d)`, field, dateSampleCells)
	}
	rows, err := q.QueryContext(ctx, fmt.Sprintf(`SELECT field, (%s)::UBIGINT AS set, count(*) FROM (%s) GROUP BY ALL`,
		strings.Join(bits, " + "), strings.Join(parts, " UNION ALL ")))
	if err != nil {
		return nil, fmt.Errorf("sampling dates: %w", err)
	}
	defer rows.Close()
	type cellSet struct {
		set uint64
		n   int64
	}
	setsByField := map[string][]cellSet{}
	for rows.Next() {
		var field string
		var c cellSet
		if err := rows.Scan(&field, &c.set, &c.n); err != nil {
			return nil, fmt.Errorf("sampling dates: %w", err)
		}
		setsByField[field] = append(setsByField[field], c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sampling dates: %w", err)
	}
	// hits are how many of a column's cells each format reads ([0] is the
	// sample's size) that the formats in read do not.
	hits := func(sets []cellSet, read uint64) []int64 {
		h := make([]int64, len(fastFormats)+1)
		for _, c := range sets {
			h[0] += c.n
			if c.set&read != 0 {
				continue
			}
			for i := range fastFormats {
				if c.set&(1<<i) != 0 {
					h[i+1] += c.n
				}
			}
		}
		return h
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
			case h == hits[best+1] && monthFirst && monthFirstFormat(f) && !monthFirstFormat(fastFormats[best]):
				best = i
			}
		}
		if best >= 0 && hits[best+1]*2 >= hits[0] {
			return best
		}
		return -1
	}
	monthFirst := false
	for _, sets := range setsByField {
		if b := pick(hits(sets, 0), false); b >= 0 && monthFirstFormat(fastFormats[b]) {
			monthFirst = true
		}
	}
	otherOrder := func(f string) bool { return otherOrder(f, monthFirst) }
	// most is the format, in the file's order, that reads the most cells
	// the formats in read do not, if a twentieth of the sample or more.
	most := func(sets []cellSet, read uint64) int {
		h := hits(sets, read)
		best := -1
		for i, f := range fastFormats {
			if h[i+1] > 0 && !otherOrder(f) && (best < 0 || h[i+1] > h[best+1]) {
				best = i
			}
		}
		if best < 0 || h[best+1]*20 < h[0] {
			return -1
		}
		return best
	}
	out := map[string][]string{}
	for field, sets := range setsByField {
		b := pick(hits(sets, 0), monthFirst)
		if b < 0 {
			b = most(sets, 0) // no format reads most of the column
		}
		var chosen []string
		for read := uint64(0); b >= 0 && len(chosen) < 3; b = most(sets, read) {
			chosen, read = append(chosen, fastFormats[b]), read|uint64(1)<<b
		}
		if len(chosen) > 0 {
			out[field] = chosen
		}
	}
	return out, nil
}

// otherOrder says whether a format reads day and month the other way round
// from a file that is month first, or not.
func otherOrder(f string, monthFirst bool) bool {
	if monthFirst {
		return strings.Contains(f, "%d/%m") || strings.Contains(f, "%d-%m") || strings.Contains(f, "%d.%m") || strings.HasPrefix(f, "dd/")
	}
	return monthFirstFormat(f)
}

// monthFirstFormat says whether a format reads the month before the day
// (a US locale's).
func monthFirstFormat(f string) bool { return strings.Contains(f, "%m/%d") }

// monthFirstStyles says whether the styles chosen for a file read the
// month first.
func monthFirstStyles(styles map[string][]string) bool {
	for _, fs := range styles {
		for _, f := range fs {
			if monthFirstFormat(f) {
				return true
			}
		}
	}
	return false
}
