package warehouse

import (
	"context"
	"fmt"
)

// dateSampleCells is how many non-empty cells of a date column decide its
// style: each is tried in every format, most of which fail, and a failed
// parse is the slow part, paid by every load.
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
// would make sampling many times slower, most of it in planning.)
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
