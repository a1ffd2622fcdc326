package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// openInternal opens a fresh warehouse for the tests inside the package.
func openInternal(t *testing.T) *Warehouse {
	w, err := Open(context.Background(), filepath.Join(t.TempDir(), "w.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// Every fast style reads a text as the full parser (ws_ts_o) does in each
// order of day and month the style may read a column in, or not at all:
// the fast path must never give another date than the slow one.
func TestFastStylesAgreeWithTheFullParser(t *testing.T) {
	w := openInternal(t)
	texts := []string{"15/03/2024 08:30:15", "15/03/2024 08:30", "15/03/2024", "03/15/2024 08:30 PM", "3/15/2024",
		"2024-03-15 08:30:00", "2024-03-15T08:30:00", "2024-03-15", "15-03-2024 14:05", "20240315083000",
		"45366", "45366.75", "2024-03-31T17:30:00Z", "2024-03-31T23:30:00+07:00",
		"1710462600000", "1710462600", "0710462600", "17104626000000", "9999999999999", "171046260000a", "+710462600000",
		" 1710462600000", "1710462600.5", "12", "31/02/2024",
		"15/03/2024 08:30 SA", "15/03/2024 08:30 CH", "15/03/2024 12:05 SA", "15/03/2024 12:05 CH", "15/03/2024 00:05 SA",
		"15/03/2024 13:05 CH", "15/03/2024 08:30:15 ch", "15/03/2024 08:30CH", "15/03/2024 08:30 PM", "15/04/2024 11:59:59 AM",
		"/Date(1710462600000)/", "/Date(1710462600000+0700)/", "/Date(-1000)/", "/Date(17104626000a)/", "15.03.2024 08:30:15", "15.03.2024 08:30", "15.03.2024", "08:30 15/03/2024", "08:30:15 15/03/2024", "8:05 5/3/2024",
		"08:30 31/02/2024", "08:30 03/15/2024", "15/03/24", "1/3/24", "2024-03-15 08:30", "15-03-2024 14:05:09", "15-03-2024", "03/15/2024 08:30:15 PM", "03/15/2024 08:30:15", "03/15/2024 08:30", "15/03/99", "15/03/69", "31/02/24", "15/3/2024 8:30 SA", "15/03/124", "5/03/24 08:00",
		"03/04/2024", "03/04/2024 08:30 PM", "03/04/2024 08:30", "08:30 03/04/2024", "2024-03-31T17:30:00+99:00", "2024-03-31T17:30:00+14:00",
		"2024-03-31T17:30:00-14:30", "2024-03-31T17:30:00+05:75", "2024-03-31T17:30:00+0530"}
	// One query: planning ws_ts once per text and style took a minute.
	values := make([]string, len(texts))
	for i, text := range texts {
		values[i] = "(" + sqlString(text) + ")"
	}
	exprs := make([]string, len(fastFormats))
	for i, style := range fastFormats {
		exprs[i] = "ws_ts_in_range(" + styleExpr(style, "v") + ")"
	}
	orders := []string{dayFirst, monthFirst, bothOrders}
	rows, err := w.DB().Query(`SELECT v, ws_ts_o(v, 'd'), ws_ts_o(v, 'm'), ws_ts_o(v, 'x'), ` + strings.Join(exprs, ", ") + ` FROM (VALUES ` + strings.Join(values, ", ") + `) t(v)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	read := make([]int, len(fastFormats)) // texts each style reads
	for rows.Next() {
		var text string
		full := make([]sql.NullTime, len(orders))
		fast := make([]sql.NullTime, len(fastFormats))
		dest := []any{&text, &full[0], &full[1], &full[2]}
		for i := range fast {
			dest = append(dest, &fast[i])
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		n++
		for i, f := range fast {
			for k, o := range orders {
				if readsIn(fastFormats[i], o) && f.Valid && (!full[k].Valid || !f.Time.Equal(full[k].Time)) {
					t.Errorf("%s reads %q as %v, ws_ts_o(%s) as %v", fastFormats[i], text, f.Time, o, full[k])
				}
			}
			if f.Valid {
				read[i]++
			}
		}
	}
	if err := rows.Err(); err != nil || n != len(texts) {
		t.Fatalf("%d rows, %v", n, err)
	}
	for i, k := range read {
		if k == 0 {
			t.Errorf("no text is read by %s: the test says nothing of it", fastFormats[i])
		}
	}
}

// A column of Unix milliseconds or seconds, as APIs send dates, is read by
// its fast style: by the full parser, 1 M records took 27 s more.
func TestUnixTimesHaveAFastStyle(t *testing.T) {
	ctx := context.Background()
	w := openInternal(t)
	conn, err := w.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cols := make([]string, len(dateFields))
	for i, f := range dateFields {
		cols[i] = "NULL::VARCHAR AS " + f
		switch f {
		case "received_at":
			cols[i] = "(1710462600000 + i * 60000)::VARCHAR AS " + f
		case "due_at":
			cols[i] = "(1710462600 + i * 3600)::VARCHAR AS " + f
		}
	}
	if _, err := conn.ExecContext(ctx, `CREATE TEMP TABLE stage_sample AS SELECT `+strings.Join(cols, ", ")+` FROM range(600) r(i)`); err != nil {
		t.Fatal(err)
	}
	styles, _, err := dateStyles(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(styles["received_at"]) != "["+styleUnixMillis+"]" || fmt.Sprint(styles["due_at"]) != "["+styleUnixSeconds+"]" {
		t.Errorf("styles %v, want received_at %q and due_at %q", styles, styleUnixMillis, styleUnixSeconds)
	}
}

func TestShapeFormats(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"15/03/2024 08:30:00.000", "[%d/%m/%Y %H:%M:%S.%g]"},
		{"15/03/2024 08:30:00.123456", "[%d/%m/%Y %H:%M:%S.%f]"},
		{"15/03/2024 08h30", "[%d/%m/%Y %Hh%M]"},
		{"15-03-2024 lúc 8:30", "[%d-%m-%Y lúc %H:%M]"},
		{"2024/03/15", "[%Y/%m/%d]"},
		{"15/03/2024 08:30 PM", "[%d/%m/%Y %I:%M %p]"},
		{"15/03/2024 8:30:00pm", "[%d/%m/%Y %I:%M:%S%p]"},
		{"08:30:00.000 15/03/2024", "[%H:%M:%S.%g %d/%m/%Y]"},
		{" 15/03/2024 ", "[%d/%m/%Y]"},
		{"100%/03/2024", "[]"},
		{"15/03/24 08:30", "[]"},    // two-digit year: its own style reads it as 20yy
		{"Ngày 15/03/2024", "[]"},   // a word first
		{"15/03/2024 (sáng)", "[]"}, // a word after
		{"15/03/2024 08:30:00:000", "[]"},
		{"15/03/2024 08:30:00.12", "[]"},
		{"15/03/2024 08:30:00,000", "[%d/%m/%Y %H:%M:%S,%g]"},
		{"15 03 2024", "[]"},
		{"1/2/3/4/5/6/7/8", "[]"},
		{"12345", "[]"},
		{"", "[]"},
	} {
		if got := fmt.Sprint(shapeFormats(c.text)); got != c.want {
			t.Errorf("shapeFormats(%q) = %s, want %s", c.text, got, c.want)
		}
	}
}

// A date column in a style no fast format has is read by a format made
// from its own texts, checked against the full parser on the sample; a
// format the full parser disagrees with is not used.
func TestDateStylesLearnFromTheFile(t *testing.T) {
	ctx := context.Background()
	w := openInternal(t)
	conn, err := w.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, c := range []struct{ name, expr, want string }{
		{"milliseconds", `strftime(TIMESTAMP '2024-03-01 07:00' + i * INTERVAL 1 HOUR, '%d/%m/%Y %H:%M:%S') || '.' || lpad((i % 1000)::VARCHAR, 3, '0')`, "[%d/%m/%Y %H:%M:%S.%g]"},
		{"hours with h", `strftime(TIMESTAMP '2024-03-01 07:00' + i * INTERVAL 7 MINUTE, '%d/%m/%Y %Hh%M')`, "[%d/%m/%Y %Hh%M]"},
		{"lúc", `strftime(TIMESTAMP '2024-03-01 07:00' + i * INTERVAL 7 MINUTE, '%d-%m-%Y lúc %H:%M')`, "[%d-%m-%Y lúc %H:%M]"},
		{"the full parser reads none", `strftime(TIMESTAMP '2024-03-01 07:00' + i * INTERVAL 7 MINUTE, '%d/%m/%Y_%H:%M')`, "[]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cols := make([]string, len(dateFields))
			for i, f := range dateFields {
				cols[i] = "NULL::VARCHAR AS " + f
				if f == "received_at" {
					cols[i] = c.expr + " AS " + f
				}
			}
			if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE stage_sample AS SELECT `+strings.Join(cols, ", ")+` FROM range(600) r(i)`); err != nil {
				t.Fatal(err)
			}
			styles, _, err := dateStyles(ctx, conn)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(styles["received_at"]); got != c.want {
				t.Fatalf("styles %s, want %s", got, c.want)
			}
			for _, f := range styles["received_at"] {
				var n, differ int
				if err := conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*), count(*) FILTER (%s IS DISTINCT FROM ws_ts(received_at)) FROM stage_sample`,
					styleExpr(f, "received_at"))).Scan(&n, &differ); err != nil {
					t.Fatal(err)
				}
				if differ != 0 {
					t.Errorf("%s reads %d of %d texts otherwise than ws_ts", f, differ, n)
				}
			}
		})
	}
}

// From any text, shapeFormats makes only formats of known directives, with
// the text's other characters as they are, and no digits.
func FuzzShapeFormats(f *testing.F) {
	for _, s := range []string{"15/03/2024 08:30:00.000", "08h30 15-03-2024", "2024.03.15 8:30 pm", "100%/3/2024", "1/2/3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		formats := shapeFormats(text)
		if len(formats) > 2 {
			t.Fatalf("%q: %d formats", text, len(formats))
		}
		for _, format := range formats {
			if strings.ContainsAny(format, "0123456789") {
				t.Fatalf("%q: %q holds a digit", text, format)
			}
			for i := 0; i < len(format); i++ {
				if format[i] != '%' {
					continue
				}
				if i+1 == len(format) || !strings.ContainsRune("dmYHIMSgfp%", rune(format[i+1])) {
					t.Fatalf("%q: %q has an unknown directive at %d", text, format, i)
				}
				i++
			}
		}
	})
}

// A column's order of day and month is what its cells show, never what
// one cell shows; a column that shows none takes its file's.
func TestDateOrders(t *testing.T) {
	for _, c := range []struct {
		name     string
		evidence map[string]dateEvidence
		want     string // received_at's order, then due_at's
	}{
		{"nothing shown: day first", map[string]dateEvidence{"received_at": {either: 500}}, "d d"},
		{"one typo shows nothing", map[string]dateEvidence{"received_at": {month: 1, either: 499}}, "d d"},
		{"two typos among many", map[string]dateEvidence{"received_at": {month: 2, day: 100, either: 398}}, "d d"},
		{"a US export", map[string]dateEvidence{"received_at": {month: 300, either: 200, day: 1}}, "m m"},
		{"both orders", map[string]dateEvidence{"received_at": {month: 100, day: 100, either: 300}}, "x x"},
		{"a column shows its own", map[string]dateEvidence{"received_at": {month: 300}, "due_at": {day: 300}}, "m d"},
		{"AM/PM and nothing else", map[string]dateEvidence{"received_at": {either: 500, ampm: 400}}, "m m"},
		{"a tiny file's typo", map[string]dateEvidence{"received_at": {month: 1, either: 2}}, "d d"},
	} {
		o := dateOrders(c.evidence)
		if got := o["received_at"] + " " + o["due_at"]; got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
