package warehouse

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gocarina/gocsv"

	"wardstat/internal/msg"
)

// Lunar holidays by year (DOMAIN.md): the first day of Tết and the Hùng
// Kings' day. Years not listed get the fixed-date holidays only.
var (
	tetDays = map[int]string{
		2015: "2015-02-19", 2016: "2016-02-08", 2017: "2017-01-28", 2018: "2018-02-16", 2019: "2019-02-05",
		2020: "2020-01-25", 2021: "2021-02-12", 2022: "2022-02-01", 2023: "2023-01-22", 2024: "2024-02-10",
		2025: "2025-01-29", 2026: "2026-02-17", 2027: "2027-02-06",
	}
	hungKingsDays = map[int]string{
		2015: "2015-04-28", 2016: "2016-04-16", 2017: "2017-04-06", 2018: "2018-04-25", 2019: "2019-04-14",
		2020: "2020-04-02", 2021: "2021-04-21", 2022: "2022-04-10", 2023: "2023-04-29", 2024: "2024-04-18",
		2025: "2025-04-07", 2026: "2026-04-26", 2027: "2027-04-16",
	}
)

// CalendarYears is the span wardstat fills by rule.
const (
	CalendarFirstYear = 2015
	CalendarLastYear  = 2035
)

// ruleHolidays lists a year's public holidays by the Labour Code 2019,
// Art. 112: 1 Jan; Tết (its eve and four days); Hùng Kings; 30 Apr; 1 May;
// 2 Sep and 1 Sep; and a compensatory day after any holiday that falls on
// a weekend. The government's yearly swaps (a Saturday worked for a bridge
// day) come from `wardstat calendar import`.
func ruleHolidays(year int) map[time.Time]string {
	h := map[time.Time]string{}
	d := func(m time.Month, day int) time.Time { return time.Date(year, m, day, 0, 0, 0, 0, time.UTC) }
	h[d(1, 1)] = "Tết Dương lịch"
	if s, ok := tetDays[year]; ok {
		t, _ := time.Parse(time.DateOnly, s)
		for i := -1; i < 4; i++ {
			h[t.AddDate(0, 0, i)] = "Tết Nguyên đán"
		}
	}
	if s, ok := hungKingsDays[year]; ok {
		t, _ := time.Parse(time.DateOnly, s)
		h[t] = "Giỗ Tổ Hùng Vương"
	}
	h[d(4, 30)] = "Ngày Chiến thắng"
	h[d(5, 1)] = "Quốc tế Lao động"
	h[d(9, 1)] = "Quốc khánh"
	h[d(9, 2)] = "Quốc khánh"
	// Compensatory days: a holiday on a weekend moves to the next working day.
	var moved []time.Time
	for day := range h {
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			moved = append(moved, day)
		}
	}
	// In date order, so that each compensatory day has one cause.
	slices.SortFunc(moved, func(a, b time.Time) int { return a.Compare(b) })
	for _, day := range moved {
		c := day.AddDate(0, 0, 1)
		for c.Weekday() == time.Saturday || c.Weekday() == time.Sunday || h[c] != "" {
			c = c.AddDate(0, 0, 1)
		}
		h[c] = "Nghỉ bù " + h[day]
	}
	return h
}

// seedCalendar fills calendar_days by rule when it is empty.
func (w *Warehouse) seedCalendar(ctx context.Context) error {
	var n int64
	if err := w.db.QueryRowContext(ctx, `SELECT count(*) FROM calendar_days`).Scan(&n); err != nil || n > 0 {
		return err
	}
	// Every day is made in SQL; only the holidays are listed.
	var hols []string
	for y := CalendarFirstYear; y <= CalendarLastYear; y++ {
		for d, note := range ruleHolidays(y) {
			hols = append(hols, fmt.Sprintf("(DATE '%s', %s)", d.Format(time.DateOnly), sqlString(note)))
		}
	}
	_, err := w.db.ExecContext(ctx, fmt.Sprintf(`INSERT INTO calendar_days
		SELECT d::DATE, isodow(d) < 6 AND h.note IS NULL, h.note
		FROM generate_series(DATE '%d-01-01', DATE '%d-12-31', INTERVAL 1 DAY) t(d)
		LEFT JOIN (VALUES %s) h(day, note) ON h.day = d::DATE
		ORDER BY 1`, CalendarFirstYear, CalendarLastYear, strings.Join(hols, ", ")))
	return err
}

// CalendarDay is one row of a calendar CSV: day,working,note.
type CalendarDay struct {
	Day     string `csv:"day"`
	Working string `csv:"working"` // 1/0, true/false, yes/no, có/không
	Note    string `csv:"note"`
}

// ImportCalendar overrides days of the calendar (the government's swaps,
// extra holidays) from a CSV with the header day,working,note.
func (w *Warehouse) ImportCalendar(ctx context.Context, r io.Reader) (int, error) {
	var days []CalendarDay
	if err := gocsv.Unmarshal(r, &days); err != nil {
		return 0, msg.Errorf("đọc lịch (cần các cột day,working,note): %w", "reading the calendar (expected the columns day,working,note): %w", err)
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	for i, d := range days {
		if _, err := time.Parse(time.DateOnly, d.Day); err != nil {
			return 0, msg.Errorf("lịch, dòng %d, cột day: %q không phải ngày dạng yyyy-mm-dd", "calendar, row %d, column day: %q is not a yyyy-mm-dd date", i+2, d.Day)
		}
		var working bool
		switch strings.ToLower(strings.TrimSpace(d.Working)) {
		case "1", "true", "yes", "có", "co", "x", "working", "làm việc":
			working = true
		case "0", "false", "no", "không", "khong", "", "holiday", "nghỉ":
		default:
			return 0, msg.Errorf("lịch, dòng %d, cột working: %q: hãy ghi 1 (ngày làm việc) hoặc 0 (ngày nghỉ)", "calendar, row %d, column working: %q: write 1 (a working day) or 0 (a day off)", i+2, d.Working)
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO calendar_days VALUES (?::DATE, ?, nullif(?, ''))`, d.Day, working, d.Note); err != nil {
			return 0, err
		}
	}
	return len(days), tx.Commit()
}

// Procedure is one row of the procedure catalogue CSV.
type Procedure struct {
	Code        string `csv:"procedure_code"`
	Name        string `csv:"procedure_name"`
	Sector      string `csv:"sector"`
	WorkingDays int    `csv:"working_days"`
}

// ImportProcedures replaces the procedure catalogue from a CSV with the
// header procedure_code,procedure_name,sector,working_days.
func (w *Warehouse) ImportProcedures(ctx context.Context, r io.Reader) (int, error) {
	var ps []Procedure
	if err := gocsv.Unmarshal(r, &ps); err != nil {
		return 0, msg.Errorf("đọc danh mục thủ tục (cần các cột procedure_code,procedure_name,sector,working_days): %w", "reading the procedure catalogue (expected the columns procedure_code,procedure_name,sector,working_days): %w", err)
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM procedures`); err != nil {
		return 0, err
	}
	for i, p := range ps {
		if strings.TrimSpace(p.Code) == "" && strings.TrimSpace(p.Name) == "" {
			return 0, msg.Errorf("danh mục thủ tục, dòng %d: cần procedure_code hoặc procedure_name", "procedure catalogue, row %d: give procedure_code or procedure_name", i+2)
		}
		if p.WorkingDays < 0 || p.WorkingDays > 365 {
			return 0, msg.Errorf("danh mục thủ tục, dòng %d, cột working_days: %d không phải số ngày làm việc", "procedure catalogue, row %d, column working_days: %d is not a number of working days", i+2, p.WorkingDays)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO procedures VALUES (nullif(?, ''), nullif(?, ''), nullif(?, ''), ?)`,
			strings.TrimSpace(p.Code), strings.TrimSpace(p.Name), strings.TrimSpace(p.Sector), p.WorkingDays); err != nil {
			return 0, err
		}
	}
	return len(ps), tx.Commit()
}
