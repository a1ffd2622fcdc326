package warehouse

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
)

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
// 08:30:00.000", "15/03/2024 08h30") is then read in the typing pass, not
// cell by cell by the full parser.
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
