package warehouse

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gocarina/gocsv"

	"wardstat/internal/msg"
)

// CalendarDay is one row of a calendar CSV: day,working,note.
type CalendarDay struct {
	Day     string `csv:"day"`
	Working string `csv:"working"` // 1/0, true/false, yes/no, có/không
	Note    string `csv:"note"`
}

// CalendarRowError is a calendar CSV row that cannot be read: Code is
// "day" (not a yyyy-mm-dd date), "year" (outside 2015-2035), "working"
// (not 1 or 0) or "twice" (a day given twice).
type CalendarRowError struct {
	Row   int // the file's line, the header being line 1
	Code  string
	Value string
}

func (e *CalendarRowError) Error() string { return e.Text("en") }

// Text says the error in lang (vi or en).
func (e *CalendarRowError) Text(lang string) string {
	if lang != "en" {
		switch e.Code {
		case "day":
			return fmt.Sprintf("lịch, dòng %d, cột day: %q không phải ngày dạng yyyy-mm-dd", e.Row, e.Value)
		case "year":
			return fmt.Sprintf("lịch, dòng %d, cột day: %s nằm ngoài các năm của lịch %d-%d", e.Row, e.Value, CalendarFirstYear, CalendarLastYear)
		case "twice":
			return fmt.Sprintf("lịch, dòng %d, cột day: ngày %s có hai lần; hãy ghi mỗi ngày một lần", e.Row, e.Value)
		}
		return fmt.Sprintf("lịch, dòng %d, cột working: %q: hãy ghi 1 (ngày làm việc) hoặc 0 (ngày nghỉ)", e.Row, e.Value)
	}
	switch e.Code {
	case "day":
		return fmt.Sprintf("calendar, row %d, column day: %q is not a yyyy-mm-dd date", e.Row, e.Value)
	case "year":
		return fmt.Sprintf("calendar, row %d, column day: %s is outside the calendar's years %d-%d", e.Row, e.Value, CalendarFirstYear, CalendarLastYear)
	case "twice":
		return fmt.Sprintf("calendar, row %d, column day: %s is given twice; give each day once", e.Row, e.Value)
	}
	return fmt.Sprintf("calendar, row %d, column working: %q: write 1 (a working day) or 0 (a day off)", e.Row, e.Value)
}

// ImportCalendar replaces whole years of the calendar from a CSV with the
// header day,working,note: each year the file has a day of is made again
// from the file alone (weekdays working, weekends off, but for the days
// the file gives: days off, breaks, make-up working Saturdays), replacing
// that year's announcement or rule, not adding to it. It returns the rows
// read and the years replaced.
func (w *Warehouse) ImportCalendar(ctx context.Context, r io.Reader) (int, []int, error) {
	var rows []CalendarDay
	if err := gocsv.Unmarshal(r, &rows); err != nil {
		return 0, nil, msg.Errorf("đọc lịch (cần các cột day,working,note): %w", "reading the calendar (expected the columns day,working,note): %w", err)
	}
	years := map[int][]calendarDay{}
	seen := map[time.Time]bool{}
	for i, row := range rows {
		d, err := time.Parse(time.DateOnly, strings.TrimSpace(row.Day))
		if err != nil {
			return 0, nil, &CalendarRowError{Row: i + 2, Code: "day", Value: row.Day}
		}
		if d.Year() < CalendarFirstYear || d.Year() > CalendarLastYear {
			return 0, nil, &CalendarRowError{Row: i + 2, Code: "year", Value: row.Day}
		}
		if seen[d] {
			return 0, nil, &CalendarRowError{Row: i + 2, Code: "twice", Value: row.Day}
		}
		seen[d] = true
		var working bool
		switch strings.ToLower(strings.TrimSpace(row.Working)) {
		case "1", "true", "yes", "có", "co", "x", "working", "làm việc":
			working = true
		case "0", "false", "no", "không", "khong", "", "holiday", "nghỉ":
		default:
			return 0, nil, &CalendarRowError{Row: i + 2, Code: "working", Value: row.Working}
		}
		years[d.Year()] = append(years[d.Year()], calendarDay{Day: d, Working: working, Note: strings.TrimSpace(row.Note)})
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, nil, err
	}
	defer tx.Rollback()
	var ys []int
	for y, days := range years {
		slices.SortFunc(days, func(a, b calendarDay) int { return a.Day.Compare(b.Day) })
		if err := writeYear(ctx, tx, y, CalendarImported, days); err != nil {
			return 0, nil, err
		}
		ys = append(ys, y)
	}
	slices.Sort(ys)
	if err := recomputeCatalogueDue(ctx, tx); err != nil {
		return 0, nil, err
	}
	return len(rows), ys, tx.Commit()
}

// ResetCalendarYear undoes an import: the year holds its built-in
// announcement again, or the rule's guess. It returns where the year now
// comes from.
func (w *Warehouse) ResetCalendarYear(ctx context.Context, year int) (string, error) {
	if year < CalendarFirstYear || year > CalendarLastYear {
		return "", &CalendarRowError{Code: "year", Value: fmt.Sprint(year)}
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	source, days := yearPlan(year)
	if err := writeYear(ctx, tx, year, source, days); err != nil {
		return "", err
	}
	if err := recomputeCatalogueDue(ctx, tx); err != nil {
		return "", err
	}
	return source, tx.Commit()
}

// CalendarYear says where a year of the calendar comes from.
type CalendarYear struct {
	Year            int
	Source          string // CalendarAnnounced | CalendarImported | CalendarRule
	Detail          string // the announcements cited, for an announced year
	WeekdaysOff     int    // Monday-Friday days off
	WorkingWeekends int    // make-up working Saturdays (or Sundays)
	UpdatedAt       time.Time
}

// CalendarYears lists the calendar's years, oldest first.
func (w *Warehouse) CalendarYears(ctx context.Context) ([]CalendarYear, error) {
	rows, err := w.db.QueryContext(ctx, `SELECT y.year, y.source, coalesce(y.detail, ''), y.updated_at,
			count(*) FILTER (WHERE NOT c.working AND isodow(c.day) < 6),
			count(*) FILTER (WHERE c.working AND isodow(c.day) >= 6)
		FROM calendar_years y LEFT JOIN calendar_days c ON year(c.day) = y.year
		GROUP BY ALL ORDER BY y.year`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CalendarYear
	for rows.Next() {
		var c CalendarYear
		if err := rows.Scan(&c.Year, &c.Source, &c.Detail, &c.UpdatedAt, &c.WeekdaysOff, &c.WorkingWeekends); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CalendarExceptions are a year's days as a calendar CSV would give them
// (day,working,note): its days off on weekdays, its working weekend days
// and its noted days — what `calendar import` takes back.
func (w *Warehouse) CalendarExceptions(ctx context.Context, year int) ([]CalendarDay, error) {
	rows, err := w.db.QueryContext(ctx, `SELECT strftime(day, '%Y-%m-%d'), working::INT::VARCHAR, coalesce(note, '')
		FROM calendar_days WHERE year(day) = ? AND (working <> (isodow(day) < 6) OR note IS NOT NULL) ORDER BY day`, year)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CalendarDay
	for rows.Next() {
		var d CalendarDay
		if err := rows.Scan(&d.Day, &d.Working, &d.Note); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
