package render

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// columnFormat is how one column's values print, decided once for the
// whole column so that its values read alike: a rate column of 40 and
// 33.1 prints 40.00 and 33.10 (not 40 beside 33.10), and a TIMESTAMP
// column prints every value with its time, midnight included (not a date
// beside a date and time).
type columnFormat struct {
	// decimals of a float column in a table: 2 when any of its values has
	// a fraction, else 0; more when a value is below 0.01, so that the
	// smallest non-zero value keeps two significant digits (0.004 is
	// 0.0040, not 0.00), up to maxDecimals.
	decimals int
	// scientific is a float column whose smallest non-zero value needs
	// more than maxDecimals: every value prints as 1.00e-20.
	scientific bool
	// layout of the column's time values.
	layout string
}

const (
	dateLayout      = "2006-01-02"
	timestampLayout = "2006-01-02 15:04:05"
	timeLayout      = "15:04:05"
)

// columnFormats decides each column's format from its DuckDB type, else
// (a result built by hand) from its values: a time column holding any
// time of day other than midnight prints every value with its time.
func columnFormats(r Result) []columnFormat {
	out := make([]columnFormat, len(r.Columns))
	for j := range out {
		typ := ""
		if j < len(r.Types) {
			typ = strings.ToUpper(r.Types[j])
		}
		switch {
		case typ == "DATE":
			out[j].layout = dateLayout
		case typ == "TIME" || strings.HasPrefix(typ, "TIME WITH"):
			out[j].layout = timeLayout
		case strings.HasPrefix(typ, "TIMESTAMP"):
			out[j].layout = timestampLayout
		}
		smallest := math.Inf(1) // the smallest non-zero magnitude of a float value
		for _, row := range r.Rows {
			switch x := row[j].(type) {
			case float64:
				if frac(x) {
					out[j].decimals = 2
					smallest = min(smallest, math.Abs(x))
				}
			case float32:
				if frac(float64(x)) {
					out[j].decimals = 2
					smallest = min(smallest, math.Abs(float64(x)))
				}
			case time.Time:
				if typ == "" && (x.Hour() != 0 || x.Minute() != 0 || x.Second() != 0 || x.Nanosecond() != 0) {
					out[j].layout = timestampLayout
				}
			}
		}
		if out[j].layout == "" {
			out[j].layout = dateLayout
		}
		out[j].decimals, out[j].scientific = floatDecimals(out[j].decimals, smallest)
	}
	return out
}

// maxDecimals is the most decimals a float column prints with before it
// turns scientific.
const maxDecimals = 12

// floatDecimals widens a float column's decimals so that its smallest
// non-zero magnitude (below 1) keeps two significant digits: 0.004 needs
// 4 decimals (0.0040), 1e-9 needs 11; past maxDecimals the column is
// scientific.
func floatDecimals(decimals int, smallest float64) (int, bool) {
	if decimals == 0 || smallest >= 1 || smallest == 0 || math.IsInf(smallest, 0) {
		return decimals, false
	}
	need := int(math.Floor(-math.Log10(smallest))) + 2
	if need > maxDecimals {
		return decimals, true
	}
	return max(decimals, need), false
}

func frac(x float64) bool {
	return !math.IsNaN(x) && !math.IsInf(x, 0) && (math.Trunc(x) != x || math.Abs(x) >= 1e15)
}

// text is a value as a table shows it in this column.
func (c columnFormat) text(v any) string {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return Text(x)
		}
		if c.scientific {
			return strconv.FormatFloat(x, 'e', 2, 64)
		}
		return strconv.FormatFloat(x, 'f', c.decimals, 64)
	case float32:
		return c.text(float64(x))
	case duckdb.Decimal:
		return decimalText(x)
	case time.Time:
		return x.Format(c.layout)
	}
	return Text(v)
}

// timeText is a time value as text in this column's layout; any other
// value is left as it is.
func (c columnFormat) timeText(v any) any {
	if t, ok := v.(time.Time); ok {
		return t.Format(c.layout)
	}
	return v
}

// timesAsText turns a row's time values into text in their columns'
// layouts, in place.
func timesAsText(row []any, formats []columnFormat) []any {
	for j, v := range row {
		if j < len(formats) {
			row[j] = formats[j].timeText(v)
		}
	}
	return row
}

// decimalText is a DECIMAL with all the digits of its scale (1.50, not 1.5).
func decimalText(d duckdb.Decimal) string {
	if d.Value == nil {
		return d.String()
	}
	digits := d.Value.String()
	neg := strings.HasPrefix(digits, "-")
	digits = strings.TrimPrefix(digits, "-")
	scale := int(d.Scale)
	if scale > 0 {
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if neg {
		digits = "-" + digits
	}
	return digits
}
