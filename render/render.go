// Package render prints query results for people and programs: aligned
// tables with Vietnamese or English labels, CSV, JSON with the exact column
// names, and XLSX workbooks.
package render

import (
	"bufio"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"
)

// Result is a query's columns and rows.
type Result struct {
	Columns []string
	Rows    [][]any
	// Types are the columns' DuckDB types (DATE, TIMESTAMP, DOUBLE…) when
	// the result comes from a query; nil when it was built by hand.
	Types []string
}

// FromRows reads all of a query's rows.
func FromRows(rows *sql.Rows) (Result, error) {
	res, _, err := FromRowsLimit(rows, -1)
	return res, err
}

// FromRowsLimit reads at most max of a query's rows (all when max < 0)
// and counts the rest without keeping them: a person's table of a
// million rows would hold them all in memory for nothing.
func FromRowsLimit(rows *sql.Rows, max int) (res Result, more int64, err error) {
	defer rows.Close()
	sc, err := newScanner(rows)
	if err != nil {
		return Result{}, 0, err
	}
	res.Columns, res.Types = sc.cols, sc.types
	for rows.Next() {
		if max >= 0 && len(res.Rows) >= max {
			more++
			continue
		}
		vals, err := sc.scan()
		if err != nil {
			return res, more, err
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, more, rows.Err()
}

// scanner reads one row at a time as values render can print.
type scanner struct {
	rows  *sql.Rows
	cols  []string
	types []string
	uuids []bool
}

func newScanner(rows *sql.Rows) (*scanner, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	sc := &scanner{rows: rows, cols: cols, types: make([]string, len(cols)), uuids: make([]bool, len(cols))}
	for i, t := range types {
		sc.types[i] = t.DatabaseTypeName()
		sc.uuids[i] = sc.types[i] == "UUID"
	}
	return sc, nil
}

func (sc *scanner) scan() ([]any, error) {
	vals := make([]any, len(sc.cols))
	ptrs := make([]any, len(sc.cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := sc.rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	for i, u := range sc.uuids {
		if u {
			vals[i] = uuidText(vals[i])
		}
	}
	return vals, nil
}

// Stream writes a query's rows as CSV or JSON while reading them, holding
// one row at a time, and returns how many it wrote. Its output is the same
// as CSV's or JSON's over the whole result.
func Stream(w io.Writer, rows *sql.Rows, format string) (n int64, err error) {
	defer rows.Close()
	if format != "csv" && format != "json" {
		return 0, fmt.Errorf("streaming: unknown format %q; use csv or json", format)
	}
	sc, err := newScanner(rows)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriter(w)
	var cw *csv.Writer
	if format == "csv" {
		cw = csv.NewWriter(bw)
		if err := cw.Write(sc.cols); err != nil {
			return 0, err
		}
	} else {
		bw.WriteString("[")
	}
	rec := make([]string, len(sc.cols))
	formats := columnFormats(Result{Columns: sc.cols, Types: sc.types})
	for rows.Next() {
		vals, err := sc.scan()
		if err != nil {
			return n, err
		}
		timesAsText(vals, formats)
		if cw != nil {
			for j, v := range vals {
				rec[j] = csvText(v)
			}
			if err := cw.Write(rec); err != nil {
				return n, err
			}
		} else {
			if n > 0 {
				bw.WriteString(",")
			}
			if err := jsonRow(bw, sc.cols, vals); err != nil {
				return n, err
			}
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	if cw != nil {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return n, err
		}
	} else {
		if n > 0 {
			bw.WriteString("\n")
		}
		bw.WriteString("]\n")
	}
	return n, bw.Flush()
}

// uuidText is a UUID as DuckDB prints it (applicant_key is one): the
// driver gives its 16 bytes.
func uuidText(v any) any {
	b, ok := v.([]byte)
	if !ok || len(b) != 16 {
		return v
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Formats a result can be written in.
var Formats = []string{"table", "csv", "json", "xlsx"}

// Write writes a result in a format. lang picks the table's labels ("vi"
// or "en"); csv and json always use the column names themselves.
func Write(w io.Writer, r Result, format, lang string) error {
	switch format {
	case "", "table":
		return Table(w, r, lang)
	case "csv":
		return CSV(w, r)
	case "json":
		return JSON(w, r)
	case "xlsx":
		return XLSX(w, r, lang, "")
	}
	return fmt.Errorf("unknown format %q; use one of %s", format, strings.Join(Formats, ", "))
}

// Text formats one value for a person.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		if math.Trunc(x) == x && math.Abs(x) < 1e15 {
			return strconv.FormatFloat(x, 'f', 0, 64)
		}
		return strconv.FormatFloat(x, 'f', 2, 64)
	case float32:
		return Text(float64(x))
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02")
		}
		return x.Format("2006-01-02 15:04:05")
	case []byte:
		return string(x)
	case []any, map[string]any, duckdb.OrderedMap, duckdb.Map, duckdb.Union, duckdb.Interval, duckdb.UUID:
		return string(nestedJSON(x))
	case fmt.Stringer: // *big.Int (HUGEINT), duckdb.Decimal, …
		return x.String()
	default:
		return fmt.Sprint(x)
	}
}

func isNumber(v any) bool {
	switch v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, *big.Int, duckdb.Decimal:
		return true
	}
	return false
}

// Table writes an aligned text table; numbers align right.
func Table(w io.Writer, r Result, lang string) error {
	headers := make([]string, len(r.Columns))
	width := make([]int, len(r.Columns))
	for i, c := range r.Columns {
		headers[i] = Label(c, lang)
		width[i] = utf8.RuneCountInString(headers[i])
	}
	cells := make([][]string, len(r.Rows))
	formats := columnFormats(r)
	for i, row := range r.Rows {
		cells[i] = make([]string, len(row))
		for j, v := range row {
			cells[i][j] = formats[j].text(v)
			if n := utf8.RuneCountInString(cells[i][j]); n > width[j] {
				width[j] = n
			}
		}
	}
	var b strings.Builder
	line := func(vals []string, right func(int) bool) {
		for j, v := range vals {
			pad := strings.Repeat(" ", width[j]-utf8.RuneCountInString(v))
			if j > 0 {
				b.WriteString("  ")
			}
			if right(j) {
				b.WriteString(pad + v)
			} else {
				b.WriteString(v + pad)
			}
		}
		b.WriteString("\n")
	}
	numeric := make([]bool, len(r.Columns))
	for j := range r.Columns {
		for _, row := range r.Rows {
			if row[j] != nil {
				numeric[j] = isNumber(row[j])
				break
			}
		}
	}
	line(headers, func(j int) bool { return numeric[j] })
	rule := make([]string, len(width))
	for j, n := range width {
		rule[j] = strings.Repeat("─", n)
	}
	line(rule, func(int) bool { return false })
	for _, row := range cells {
		line(row, func(j int) bool { return numeric[j] })
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// CSV writes a header of column names and one line per row.
func CSV(w io.Writer, r Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(r.Columns); err != nil {
		return err
	}
	rec := make([]string, len(r.Columns))
	formats := columnFormats(r)
	for _, row := range r.Rows {
		for j, v := range row {
			rec[j] = csvText(formats[j].timeText(v))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvText(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return Text(v)
}

// JSON writes an array of objects whose keys are the column names, in order.
func JSON(w io.Writer, r Result) error {
	var b strings.Builder
	b.WriteString("[")
	formats := columnFormats(r)
	for i, row := range r.Rows {
		if i > 0 {
			b.WriteString(",")
		}
		row = timesAsText(append([]any(nil), row...), formats)
		if err := jsonRow(&b, r.Columns, row); err != nil {
			return err
		}
	}
	if len(r.Rows) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// jsonRow writes one row as a JSON object on a line of its own.
func jsonRow(b interface {
	io.Writer
	io.StringWriter
}, cols []string, row []any) error {
	b.WriteString("\n  {")
	for j, v := range row {
		if j > 0 {
			b.WriteString(", ")
		}
		k, _ := json.Marshal(cols[j])
		b.Write(k)
		b.WriteString(": ")
		val, err := jsonValue(v)
		if err != nil {
			return err
		}
		b.Write(val)
	}
	b.WriteString("}")
	return nil
}

func jsonValue(v any) ([]byte, error) {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return []byte("null"), nil
		}
		return []byte(strconv.FormatFloat(x, 'f', -1, 64)), nil
	case time.Time:
		return json.Marshal(Text(x))
	case *big.Int:
		return []byte(x.String()), nil
	case duckdb.Decimal:
		return []byte(x.String()), nil
	case []byte:
		return json.Marshal(string(x))
	case []any, map[string]any, duckdb.OrderedMap, duckdb.Map, duckdb.Union, duckdb.Interval, duckdb.UUID:
		return nestedJSON(x), nil
	}
	return json.Marshal(v)
}

// nestedJSON writes a LIST, STRUCT, MAP, UNION, INTERVAL or UUID value as
// JSON text, the same in a table, CSV and JSON: [1, 2], {"k": "v"}. A
// MAP keeps its order (a key that is not text is written as text); a
// STRUCT's fields come sorted by name (the driver gives them as a Go map).
func nestedJSON(v any) []byte {
	var b strings.Builder
	writeNested(&b, v)
	return []byte(b.String())
}

func writeNested(b *strings.Builder, v any) {
	quote := func(s string) {
		q, _ := json.Marshal(s)
		b.Write(q)
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case []any:
		b.WriteString("[")
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeNested(b, e)
		}
		b.WriteString("]")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			quote(k)
			b.WriteString(": ")
			writeNested(b, x[k])
		}
		b.WriteString("}")
	case duckdb.OrderedMap:
		keys, vals := x.Keys(), x.Values()
		b.WriteString("{")
		for i := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			quote(Text(keys[i]))
			b.WriteString(": ")
			writeNested(b, vals[i])
		}
		b.WriteString("}")
	case duckdb.Map:
		var om duckdb.OrderedMap
		keys := make([]any, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return Text(keys[i]) < Text(keys[j]) })
		for _, k := range keys {
			om.Set(k, x[k])
		}
		writeNested(b, om)
	case duckdb.Union:
		writeNested(b, x.Value)
	case duckdb.Interval:
		quote(fmt.Sprintf("%d months %d days %s", x.Months, x.Days, time.Duration(x.Micros)*time.Microsecond))
	case duckdb.UUID:
		quote(uuidText(x[:]).(string))
	case string:
		quote(x)
	case []byte:
		quote(string(x))
	case time.Time:
		quote(Text(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	default:
		if isNumber(x) {
			if f, ok := x.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
				b.WriteString("null")
				return
			}
			if f, ok := x.(float32); ok && (math.IsNaN(float64(f)) || math.IsInf(float64(f), 0)) {
				b.WriteString("null")
				return
			}
			if f, ok := x.(float64); ok {
				b.WriteString(strconv.FormatFloat(f, 'f', -1, 64))
				return
			}
			b.WriteString(fmt.Sprint(x))
			return
		}
		quote(fmt.Sprint(x))
	}
}
