package warehouse

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// fastFormats are the strptime styles worth a fast path. A file writes a
// column in one style almost always, so the load samples each column and
// picks the style that reads most of it; DuckDB then parses that column
// vectorised with one format (a list of formats costs a failed attempt per
// miss), and only the cells it does not read go to the full parser.
var fastFormats = []string{
	"%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y",
	"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
	"%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y", "%Y%m%d%H%M%S",
	// Dots, and the time first, as some exports write dates (the full
	// parser reads them many times slower).
	"%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%H:%M %d/%m/%Y", "%H:%M:%S %d/%m/%Y",
	// A 12-hour clock, day first, as a Vietnamese locale writes it: "08:30
	// SA" / "02:15 CH" (sáng, chiều), many times slower in the full parser.
	// (AM and PM are read month first, below: a spreadsheet in a US locale.)
	styleSACHMinutes, styleSACHSeconds,
	// A spreadsheet saved in a US locale: month first. Listed last, so a
	// column whose days are all 12 or less reads day first, the Vietnamese way.
	"%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y",
	// Not strptime formats: Excel serial day numbers (date cells of a
	// workbook), ISO 8601 with an offset or Z (APIs in UTC), and Unix
	// milliseconds or seconds (APIs that send dates as numbers).
	styleExcelSerial, styleISOOffset, styleUnixMillis, styleUnixSeconds,
	// Two-digit years ("15/03/24"), which the full parser reads as 20yy
	// (strptime's %y would read 69–99 as 19yy). And .NET's JSON dates,
	// "/Date(1710462600000)/", as older portals send them.
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
		return "ws_ts_excel(" + v + ")" // sql/models/10_parse.sql, as ws_ts_any reads them
	case styleISOOffset:
		return fmt.Sprintf(`CASE WHEN ws_offset_ok(%[1]s) THEN (try_cast(%[1]s AS TIMESTAMPTZ) AT TIME ZONE 'UTC') + INTERVAL 7 HOUR END`, v)
	case styleUnixMillis:
		return "ws_ts_unix_ms(" + v + ")"
	case styleUnixSeconds:
		return "ws_ts_unix_s(" + v + ")"
	case styleDotNetDate:
		return "ws_ts_dotnet(" + v + ")"
	case styleTwoDigitYear: // as ws_ts_from reads a two-digit year: 2000 + yy
		return fmt.Sprintf(`CASE WHEN regexp_full_match(%[1]s, '\d{1,2}/\d{1,2}/\d{2}') THEN %[2]s END`, v, strptimeSQL(fmt.Sprintf(`regexp_replace(%s, '/(\d{2})$', '/20\1')`, v), "%d/%m/%Y"))
	case styleSACHMinutes, styleSACHSeconds: // SA (sáng) is AM, CH (chiều) PM, as ws_ts_from reads them
		format := "%d/%m/%Y %I:%M %p"
		if style == styleSACHSeconds {
			format = "%d/%m/%Y %I:%M:%S %p"
		}
		return fmt.Sprintf(`CASE WHEN regexp_matches(%[1]s, '(?:SA|sa|CH|ch)$') THEN %[2]s END`,
			v, strptimeSQL(fmt.Sprintf(`regexp_replace(regexp_replace(%s, '\s*(?:SA|sa)$', ' AM'), '\s*(?:CH|ch)$', ' PM')`, v), format))
	}
	return strptimeSQL(v, style)
}

// strptimeSQL is try_strptime of text v in one format, made safe from a
// DuckDB 1.5.6 bug: StrpTimeFormat::Parse compares a format's literal
// characters with the text without checking that the text has not ended,
// so a text that stops where a literal is due ("15/03/2024 08:30" against
// "%d/%m/%Y %H:%M:%S") is read one byte past its end. That byte is almost
// always another string's; when the text ends a mapped page it is not,
// and the load died by SIGSEGV (about one load in twenty under CPU load,
// in date sampling). Text and format both end with the unit separator
// (chr(31), never in a date and not a space to strptime), so the parse
// meets it before the end. strptime accepts trailing spaces, which the
// mark would now follow, so the text loses them first (ws_strptime_text):
// the result is unchanged (TestPaddedStrptimeReadsAsBare).
// sql/models/10_parse.sql does the same (ws_strptime); TestNoBareStrptime
// keeps every call so.
func strptimeSQL(v, format string) string {
	return fmt.Sprintf("try_strptime(ws_strptime_text(%s) || chr(31), %s || chr(31))", v, sqlString(format))
}

// dateStyles picks each staged date column's fast formats, the one that
// reads most of its sample first (none when none reads a twentieth of it),
// in the column's order of day and month (dateOrders), decided from the
// evidence of the sample, which is returned with them.
//
// A column may hold two or three styles (an export joining an old system's
// rows to a new one's), each read by a fast format. Each further format is the
// one that reads the most cells the formats before it did not, if that is
// a twentieth of the sample or more, and only in the column's order of
// day and month: "03/04/2024" must not read both ways.
func dateStyles(ctx context.Context, q querier) (map[string][]string, map[string]dateEvidence, error) {
	// One query for every column (planning these expressions costs more
	// than running them on a sample).
	parts := make([]string, len(dateFields))
	for i, field := range dateFields {
		parts[i] = fmt.Sprintf(`(SELECT '%[1]s' AS field, trim(%[1]s) AS v FROM stage_sample WHERE nullif(trim(%[1]s), '') IS NOT NULL LIMIT %[2]d)`, field, dateSampleCells)
	}
	cells := strings.Join(parts, " UNION ALL ")
	formats := fastFormats
	setsByField, unread, err := styleSets(ctx, q, cells, formats)
	if err != nil {
		return nil, nil, err
	}
	// Cells no fast format reads may still share a shape the full parser
	// reads ("15/03/2024 08:30:00.000"): formats made from them are tried.
	if len(unread) > 0 {
		learned, err := learnFormats(ctx, q, cells, unread, min(maxLearned, maxStyles-len(fastFormats)))
		if err != nil {
			return nil, nil, err
		}
		if len(learned) > 0 {
			formats = append(slices.Clip(fastFormats), learned...)
			if setsByField, _, err = styleSets(ctx, q, cells, formats); err != nil {
				return nil, nil, err
			}
		}
	}
	evidence, err := sampleEvidence(ctx, q, cells)
	if err != nil {
		return nil, nil, err
	}
	orders := dateOrders(evidence)
	// hits are how many of a column's cells each format reads ([0] is the
	// sample's size) that the formats in read do not.
	hits := func(sets []cellSet, read uint64) []int64 {
		h := make([]int64, len(formats)+1)
		for _, c := range sets {
			h[0] += c.n
			if c.set&read != 0 {
				continue
			}
			for i := range formats {
				if c.set&(1<<i) != 0 {
					h[i+1] += c.n
				}
			}
		}
		return h
	}
	// most is the format, in the column's order, that reads the most cells
	// the formats in read do not, if a twentieth of the sample or more.
	most := func(sets []cellSet, read uint64, order string) int {
		h := hits(sets, read)
		best := -1
		for i, f := range formats {
			if h[i+1] > 0 && readsIn(f, order) && (best < 0 || h[i+1] > h[best+1]) {
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
		order := orders[field]
		var chosen []string
		for read, b := uint64(0), most(sets, 0, order); b >= 0 && len(chosen) < 3; b = most(sets, read, order) {
			chosen, read = append(chosen, formats[b]), read|uint64(1)<<b
		}
		if len(chosen) > 0 {
			out[field] = chosen
		}
	}
	return out, evidence, nil
}

// dayFirstFormat says whether a format reads the day before the month.
func dayFirstFormat(f string) bool {
	return strings.Contains(f, "%d/%m") || strings.Contains(f, "%d-%m") || strings.Contains(f, "%d.%m") || strings.HasPrefix(f, "dd/")
}

// monthFirstFormat says whether a format reads the month before the day
// (a US locale's).
func monthFirstFormat(f string) bool { return strings.Contains(f, "%m/%d") }
