package render

import (
	"database/sql"
	"unicode/utf8"
)

// Budget bounds what FromRowsBudget keeps of a result for a person's
// table: at most Rows rows and Bytes bytes of cells, each text or bytes
// cell cut to Cell characters with an ellipsis.
type Budget struct {
	Rows  int
	Bytes int64
	Cell  int
}

// Kept says what FromRowsBudget left out.
type Kept struct {
	More int64 // rows counted but not kept
	Cut  int64 // cells cut to Budget.Cell characters
}

// FromRowsBudget reads a query's rows within a budget and counts the rest
// without keeping them: a table of 10,000 rows of 50 KB texts would
// otherwise hold 500 MB to align its columns.
func FromRowsBudget(rows *sql.Rows, b Budget) (res Result, kept Kept, err error) {
	defer rows.Close()
	sc, err := newScanner(rows)
	if err != nil {
		return Result{}, kept, err
	}
	res.Columns, res.Types = sc.cols, sc.types
	var size int64
	for rows.Next() {
		if len(res.Rows) >= b.Rows || size >= b.Bytes {
			kept.More++
			continue
		}
		vals, err := sc.scan()
		if err != nil {
			return res, kept, err
		}
		for i, v := range vals {
			switch x := v.(type) {
			case string:
				if c, ok := CutText(x, b.Cell); ok {
					vals[i], x = c, c
					kept.Cut++
				}
				size += int64(len(x))
			case []byte:
				if len(x) > b.Cell {
					vals[i] = string(x[:b.Cell]) + "…"
					kept.Cut++
				}
				size += int64(min(len(x), b.Cell))
			default:
				size += 16
			}
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, kept, rows.Err()
}

// CutText is s cut to n characters and an ellipsis, when longer.
func CutText(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	i, count := 0, 0
	for i < len(s) && count < n {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
		count++
	}
	if i >= len(s) {
		return s, false
	}
	return s[:i] + "…", true
}
