package warehouse

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"

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

// dateSampleCells is how many non-empty cells of a date column decide its
// style: each is tried in every format, most of which fail, and a failed
// parse is the slow part (2,000 cells made this 0.1 s of every load).
const dateSampleCells = 500

// The order of day and month in a date column, decided once per column
// (dateOrders) and then kept by the fast formats and the full parser
// alike (ws_ts_o): a cell is read in its column's order or not at all.
const (
	dayFirst   = "d" // 03/04/2024 is 3 April, as Vietnamese systems write
	monthFirst = "m" // 03/04/2024 is 4 March: a spreadsheet in a US locale
	bothOrders = "x" // the column holds both: a cell that reads both ways is not read
)

// dateEvidence counts a date column's sampled cells by the orders they may
// be read in: only day first (13/05/2024), only month first (05/13/2024),
// either way but not the same (03/04/2024: no evidence, of which ampm
// with an AM/PM clock, as a US locale writes).
type dateEvidence struct{ day, month, either, ampm int64 }

func (e dateEvidence) add(o dateEvidence) dateEvidence {
	return dateEvidence{e.day + o.day, e.month + o.month, e.either + o.either, e.ampm + o.ampm}
}

// sampleEvidence counts the evidence of order in the sampled cells (field,
// v) of each date column: the first two numbers of a date written with
// day and month (after a time, or not), as the full parser's branches for
// them take them. (The full parser itself, run both ways on the sample,
// made sampling ten times slower: 0.7 s a load, most of it planning.)
func sampleEvidence(ctx context.Context, q querier, cells string) (map[string]dateEvidence, error) {
	rows, err := q.QueryContext(ctx, `SELECT field,
		count(*) FILTER (a > 12 AND b BETWEEN 1 AND 12), count(*) FILTER (b > 12 AND a BETWEEN 1 AND 12),
		count(*) FILTER (a BETWEEN 1 AND 12 AND b BETWEEN 1 AND 12 AND a <> b),
		count(*) FILTER (a BETWEEN 1 AND 12 AND b BETWEEN 1 AND 12 AND a <> b AND regexp_matches(v, '[AaPp][Mm]$'))
		FROM (SELECT field, v, TRY_CAST(p.a AS INTEGER) AS a, TRY_CAST(p.b AS INTEGER) AS b
		      FROM (SELECT field, v, regexp_extract(v, '^(?:\d{1,2}[:hH]\d{1,2}(?::\d{1,2})?\s*(?:[AaPp][Mm]|SA|CH|sa|ch)?[ ,]+(?:[Nn]g[àa]y\s+)?)?(\d{1,2})[/.\-](\d{1,2})[/.\-](?:\d{4}|\d{2})(?:\D|$)', ['a', 'b']) AS p
		            FROM (`+cells+`)))
		GROUP BY field`)
	if err != nil {
		return nil, fmt.Errorf("sampling the order of day and month: %w", err)
	}
	defer rows.Close()
	out := map[string]dateEvidence{}
	for rows.Next() {
		var field string
		var e dateEvidence
		if err := rows.Scan(&field, &e.day, &e.month, &e.either, &e.ampm); err != nil {
			return nil, fmt.Errorf("sampling the order of day and month: %w", err)
		}
		out[field] = e
	}
	return out, rows.Err()
}

// order is the order the evidence shows, or none when it shows none. An
// order shows when at least two cells, and a twentieth of the cells that
// say anything of the order, read only that way: one typo ("05/13/2024"
// among day-first dates) shows nothing, and is read in the column's order
// (so not at all); a column whose cells show both orders is read neither
// way where a cell is ambiguous. Cells that show nothing but mostly write
// AM/PM are month first, as a US locale writes them.
func (e dateEvidence) order(none string) string {
	n := e.day + e.month + e.either
	shows := func(k int64) bool { return k >= 2 && k*20 >= n }
	switch d, m := shows(e.day), shows(e.month); {
	case d && m:
		return bothOrders
	case m:
		return monthFirst
	case d:
		return dayFirst
	case e.ampm*2 > e.either:
		return monthFirst
	}
	return none
}

// dateOrders decides the order of every date column from the evidence of
// its cells; a column whose cells show none (its days are all 12 or less)
// takes the order the file's columns show together, day first if none.
func dateOrders(evidence map[string]dateEvidence) map[string]string {
	var file dateEvidence
	for _, e := range evidence {
		file = file.add(e)
	}
	fileOrder := file.order(dayFirst)
	out := make(map[string]string, len(dateFields))
	for _, f := range dateFields {
		out[f] = evidence[f].order(fileOrder)
	}
	return out
}

// readsIn says whether a fast format may read a column in an order: one
// that reads day and month only one way, only in that order.
func readsIn(f, order string) bool {
	switch order {
	case monthFirst:
		return !dayFirstFormat(f)
	case bothOrders:
		return !dayFirstFormat(f) && !monthFirstFormat(f)
	}
	return !monthFirstFormat(f)
}

// dateStyles picks each staged date column's fast formats, the one that
// reads most of its sample first (none when none reads a twentieth of it),
// in the column's order of day and month (dateOrders), decided from the
// evidence of the sample, which is returned with them.
//
// A column may hold two or three styles (an export joining an old system's
// rows to a new one's: half of 1 M receipt dates in ISO took 25 s in the
// full parser, 5 s read by two fast formats). Each further format is the
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

// maxStyles is how many formats a style set can name: it is a 64-bit mask.
const maxStyles = 63

// cellSet is a number of a column's sampled cells (n) that the same formats
// read (set, bit i for formats[i]).
type cellSet struct {
	set uint64
	n   int64
}

// styleSets counts the sampled cells (field, v) of every date column by the
// set of formats that read them: the coverage of any choice of formats is
// then exact. unread is some texts that no format reads.
func styleSets(ctx context.Context, q querier, cells string, formats []string) (map[string][]cellSet, []string, error) {
	if len(formats) > maxStyles {
		panic("a style set is a 64-bit mask")
	}
	bits := make([]string, len(formats))
	for i, f := range formats {
		bits[i] = fmt.Sprintf("CASE WHEN ws_ts_in_range(%s) IS NOT NULL THEN %d ELSE 0 END", styleExpr(f, "v"), uint64(1)<<i)
	}
	rows, err := q.QueryContext(ctx, fmt.Sprintf(`SELECT field, set, count(*), CASE WHEN set = 0 THEN list(DISTINCT v)[1:%d] END
		FROM (SELECT field, v, (%s)::UBIGINT AS set FROM (%s)) GROUP BY field, set`, unreadTexts, strings.Join(bits, " + "), cells))
	if err != nil {
		return nil, nil, fmt.Errorf("sampling dates: %w", err)
	}
	defer rows.Close()
	sets := map[string][]cellSet{}
	var unread []string
	for rows.Next() {
		var field string
		var c cellSet
		var texts any
		if err := rows.Scan(&field, &c.set, &c.n, &texts); err != nil {
			return nil, nil, fmt.Errorf("sampling dates: %w", err)
		}
		sets[field] = append(sets[field], c)
		list, _ := texts.([]any)
		for _, x := range list {
			if t, ok := x.(string); ok {
				unread = append(unread, t)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("sampling dates: %w", err)
	}
	return sets, unread, nil
}

// maxLearned is how many formats made from a file's texts are tried at most.
const maxLearned = 8

// unreadTexts is how many texts of each column that no format reads are
// looked at for their shape.
const unreadTexts = 20

// learnFormats makes strptime formats from the shapes of texts that no fast
// format reads (shapeFormats), and keeps those that read cells of the
// sample (cells) exactly as the full parser does, and no cell otherwise;
// at most max. A column in a style the list lacks ("15/03/2024
// 08:30:00.000", "15/03/2024 08h30") is then read in the typing pass: left
// to the full parser, 1 M rows of it took 118 s instead of 5.
func learnFormats(ctx context.Context, q querier, cells string, texts []string, max int) ([]string, error) {
	var candidates []string
	for _, t := range texts {
		for _, f := range shapeFormats(t) {
			if !slices.Contains(candidates, f) && !slices.Contains(fastFormats, f) && len(candidates) < max {
				candidates = append(candidates, f)
			}
		}
	}
	if len(candidates) == 0 {
		return nil, nil
	}
	// For each candidate: how many cells it reads, and how many of those
	// the full parser reads otherwise (or not at all).
	counts := make([]string, 0, 2*len(candidates))
	for i, f := range candidates {
		r := "ws_ts_in_range(" + strptimeSQL("v", f) + ")"
		counts = append(counts, fmt.Sprintf("count(%s) AS r%d", r, i),
			fmt.Sprintf("count(*) FILTER (%s IS NOT NULL AND %[1]s IS DISTINCT FROM parsed) AS d%d", r, i))
	}
	dest := make([]int64, len(counts))
	ptrs := make([]any, len(counts))
	for i := range dest {
		ptrs[i] = &dest[i]
	}
	if err := singleRow(ctx, q, `SELECT `+strings.Join(counts, ", ")+` FROM (SELECT v, ws_ts_o(v, 'd') AS parsed FROM (`+cells+`))`, ptrs...); err != nil {
		return nil, fmt.Errorf("trying date formats made from the file's texts: %w", err)
	}
	var kept []string
	for i, f := range candidates {
		if dest[2*i] > 0 && dest[2*i+1] == 0 {
			kept = append(kept, f)
		}
	}
	return kept, nil
}

// shapeFormats are the strptime formats that a date text's shape suggests:
// its runs of digits read as day, month and year (a four-digit year first
// or last, the day before the month, as the full parser reads them), then
// hours, minutes, seconds and a fraction, or the time first. The date's
// parts are apart by / - or ., the time's by : or h, its fraction by . or
// ,; what lies between the date and the time is kept as it is, and a last
// AM/PM read as such. None for a shape that is not a date and a time.
func shapeFormats(t string) []string {
	t = strings.TrimSpace(t)
	var runs []string // digit runs
	var lits []string // the text before each run, and after the last (len(runs)+1)
	lit := strings.Builder{}
	for i := 0; i < len(t); {
		if c := t[i]; c >= '0' && c <= '9' {
			j := i
			for j < len(t) && t[j] >= '0' && t[j] <= '9' {
				j++
			}
			lits = append(lits, lit.String())
			lit.Reset()
			runs = append(runs, t[i:j])
			i = j
			continue
		}
		if t[i] == '%' {
			lit.WriteString("%%")
		} else {
			lit.WriteByte(t[i])
		}
		i++
	}
	lits = append(lits, lit.String())
	if len(runs) < 3 || len(runs) > 7 || lits[0] != "" {
		return nil
	}
	// The last text may be an AM/PM mark.
	tail := lits[len(runs)]
	ampm := false
	if u := strings.ToUpper(strings.TrimSpace(tail)); u == "AM" || u == "PM" {
		ampm = true
		tail = strings.TrimRightFunc(tail, unicode.IsLetter) + "%p"
	}
	if strings.IndexFunc(tail, func(r rune) bool { return !unicode.IsSpace(r) && r != '%' && r != 'p' }) >= 0 && !ampm {
		return nil // a word after the date: not a shape strptime reads the same way
	}
	short := func(i int) bool { return len(runs[i]) <= 2 }
	date := func(at int) (string, bool) {
		for _, sep := range lits[at+1 : at+3] {
			if sep != "/" && sep != "-" && sep != "." {
				return "", false
			}
		}
		switch {
		case len(runs[at]) == 4 && short(at+1) && short(at+2):
			return "%Y" + lits[at+1] + "%m" + lits[at+2] + "%d", true
		case short(at) && short(at+1) && len(runs[at+2]) == 4:
			return "%d" + lits[at+1] + "%m" + lits[at+2] + "%Y", true
		}
		return "", false
	}
	clock := []string{"%H", "%M", "%S"}
	if ampm {
		clock[0] = "%I"
	}
	// clockFormat reads the runs from at to end (exclusive) as a time.
	clockFormat := func(at, end int) (string, bool) {
		n := end - at
		if n < 2 || n > 4 {
			return "", false
		}
		f := ""
		for k := range n {
			if sep := lits[at+k]; k > 0 && k < 3 {
				if sep != ":" && sep != "h" && sep != "H" {
					return "", false
				}
				f += sep
			}
			switch {
			case k < 3 && short(at+k):
				f += clock[k]
			case k == 3 && (lits[at+k] == "." || lits[at+k] == ","):
				f += lits[at+k]
				switch len(runs[at+k]) {
				case 3:
					f += "%g"
				case 6:
					f += "%f"
				default:
					return "", false
				}
			default:
				return "", false
			}
		}
		return f, true
	}
	var out []string
	// The date first, then perhaps a time.
	if d, ok := date(0); ok {
		if len(runs) == 3 && !ampm {
			out = append(out, d+tail)
		} else if c, ok := clockFormat(3, len(runs)); ok {
			out = append(out, d+lits[3]+c+tail)
		}
	}
	// The time first.
	if n := len(runs); n >= 5 && !ampm {
		if d, ok := date(n - 3); ok {
			if c, ok := clockFormat(0, n-3); ok {
				out = append(out, c+lits[n-3]+d+tail)
			}
		}
	}
	return out
}
