package warehouse

import (
	"context"
	"crypto/sha256"
	"database/sql"
	_ "embed"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Lunar holidays by year: the first day of Tết and the Hùng Kings' day
// (10/3 lunar). 2015-2027 from DOMAIN.md; 2028-2035 computed with Hồ Ngọc
// Đức's lunar calendar algorithm for UTC+7 (the Vietnamese calendar: Tết
// 2030 is 2 February, a day before China's), which gives every date of
// 2015-2027 above exactly. Years not listed get the fixed-date holidays only.
var (
	tetDays = map[int]string{
		2015: "2015-02-19", 2016: "2016-02-08", 2017: "2017-01-28", 2018: "2018-02-16", 2019: "2019-02-05",
		2020: "2020-01-25", 2021: "2021-02-12", 2022: "2022-02-01", 2023: "2023-01-22", 2024: "2024-02-10",
		2025: "2025-01-29", 2026: "2026-02-17", 2027: "2027-02-06",
		2028: "2028-01-26", 2029: "2029-02-13", 2030: "2030-02-02", 2031: "2031-01-23", 2032: "2032-02-11",
		2033: "2033-01-31", 2034: "2034-02-19", 2035: "2035-02-08",
	}
	hungKingsDays = map[int]string{
		2015: "2015-04-28", 2016: "2016-04-16", 2017: "2017-04-06", 2018: "2018-04-25", 2019: "2019-04-14",
		2020: "2020-04-02", 2021: "2021-04-21", 2022: "2022-04-10", 2023: "2023-04-29", 2024: "2024-04-18",
		2025: "2025-04-07", 2026: "2026-04-26", 2027: "2027-04-16",
		2028: "2028-04-04", 2029: "2029-04-23", 2030: "2030-04-12", 2031: "2031-04-01", 2032: "2032-04-19",
		2033: "2033-04-09", 2034: "2034-04-28", 2035: "2035-04-17",
	}
)

// The calendar's span.
const (
	CalendarFirstYear = 2015
	CalendarLastYear  = 2035
)

// Where a year of the calendar comes from (calendar_years.source).
const (
	// CalendarAnnounced: the government's announced schedule for public
	// servants, built in (calendar_vn.csv).
	CalendarAnnounced = "announced"
	// CalendarImported: `wardstat calendar import`, which replaced the year.
	CalendarImported = "imported"
	// CalendarRule: the Labour Code's rules, a guess for a year without an
	// announcement.
	CalendarRule = "rule"
)

// calendarDay is a day that is not simply a working weekday or a weekend
// day off: a holiday, a day of a break (its weekend days too, as the
// announcement lists them), or a make-up working Saturday.
type calendarDay struct {
	Day     time.Time
	Working bool
	Note    string
	Source  string
}

//go:embed calendar_vn.csv
var announcedCSV string

// announcedDays are the built-in announcements, by the year whose
// announcement gives the day (2019's New Year break starts in 2018).
var announcedDays = mustParseAnnounced(announcedCSV)

func mustParseAnnounced(text string) map[int][]calendarDay {
	r := csv.NewReader(strings.NewReader(text))
	r.Comment = '#'
	r.FieldsPerRecord = 5
	recs, err := r.ReadAll()
	if err != nil || len(recs) == 0 || strings.Join(recs[0], ",") != "day,working,note,source,announcement" {
		panic(fmt.Sprintf("calendar_vn.csv: %v", err))
	}
	out := map[int][]calendarDay{}
	seen := map[time.Time]bool{}
	for _, rec := range recs[1:] {
		d, err := time.Parse(time.DateOnly, rec[0])
		year, yerr := strconv.Atoi(rec[4])
		if err != nil || yerr != nil || seen[d] || (rec[1] != "0" && rec[1] != "1") || rec[3] == "" || d.Year() < year-1 || d.Year() > year {
			panic(fmt.Sprintf("calendar_vn.csv: bad row %q", rec))
		}
		seen[d] = true
		out[year] = append(out[year], calendarDay{Day: d, Working: rec[1] == "1", Note: rec[2], Source: rec[3]})
	}
	return out
}

// AnnouncedYears are the years whose announced schedule is built in.
func AnnouncedYears() []int {
	var ys []int
	for y := range announcedDays {
		ys = append(ys, y)
	}
	slices.Sort(ys)
	return ys
}

func isWeekend(d time.Time) bool { return d.Weekday() == time.Saturday || d.Weekday() == time.Sunday }

// ruleHolidays guesses a year's days off by the Labour Code (2019, Art.
// 112; 2012, Art. 115 before 2021) and the government's usual practice:
// 1 Jan; Tết's five days (the eve and four days), and for each of them that
// falls on a weekend one weekday more, placed in turn the day before the
// break (when that is a weekday) and after it (the government places the
// break so; Tết's weekend days are not given back after the break); Hùng Kings; 30 Apr; 1 May; 2 Sep
// and, from 2021, the adjacent day that joins a weekend (3 Sep when 2 Sep
// is a Monday or Thursday, else 1 Sep); and for any other holiday that falls
// on a weekend the next working day. It matches every announced year
// 2015-2026 but for their swapped days (TestRuleGuessesTheAnnouncedYears).
// The government's swaps (a Saturday worked for a bridge day) cannot be
// guessed: they come with the announcement.
func ruleHolidays(year int) map[time.Time]string {
	h := map[time.Time]string{}
	d := func(m time.Month, day int) time.Time { return time.Date(year, m, day, 0, 0, 0, 0, time.UTC) }
	if s, ok := tetDays[year]; ok {
		t, _ := time.Parse(time.DateOnly, s)
		extra := 0
		for i := -1; i < 4; i++ {
			h[t.AddDate(0, 0, i)] = "Tết Nguyên đán"
			if isWeekend(t.AddDate(0, 0, i)) {
				extra++
			}
		}
		first, last := t.AddDate(0, 0, -1), t.AddDate(0, 0, 3)
		for i := 0; i < extra; i++ {
			if before := first.AddDate(0, 0, -1); i%2 == 0 && !isWeekend(before) {
				h[before] = "Tết Nguyên đán"
				first = before
				continue
			}
			after := last.AddDate(0, 0, 1)
			for isWeekend(after) {
				after = after.AddDate(0, 0, 1)
			}
			h[after] = "Tết Nguyên đán"
			last = after
		}
	}
	// The other holidays: a weekend one gives the next working day off.
	fixed := map[time.Time]string{d(1, 1): "Tết Dương lịch", d(4, 30): "Ngày Chiến thắng", d(5, 1): "Quốc tế Lao động", d(9, 2): "Quốc khánh"}
	if s, ok := hungKingsDays[year]; ok {
		t, _ := time.Parse(time.DateOnly, s)
		fixed[t] = "Giỗ Tổ Hùng Vương"
	}
	if year >= 2021 {
		if wd := d(9, 2).Weekday(); wd == time.Monday || wd == time.Thursday {
			fixed[d(9, 3)] = "Quốc khánh"
		} else {
			fixed[d(9, 1)] = "Quốc khánh"
		}
	}
	var days []time.Time
	for day, note := range fixed {
		h[day] = note
		days = append(days, day)
	}
	// In date order, so that each compensatory day has one cause.
	slices.SortFunc(days, func(a, b time.Time) int { return a.Compare(b) })
	for _, day := range days {
		if !isWeekend(day) {
			continue
		}
		c := day.AddDate(0, 0, 1)
		for isWeekend(c) || h[c] != "" {
			c = c.AddDate(0, 0, 1)
		}
		h[c] = "Nghỉ bù " + fixed[day]
	}
	return h
}

// ruleSource is the source column of a guessed year's days.
const ruleSource = "Quy tắc của wardstat theo Bộ luật Lao động (ước đoán: năm chưa có lịch công bố)"

// yearPlan is what a year of the calendar holds when nothing was imported
// for it: its announcement when built in, else the rule's guess.
// A day another year's announcement gives it (a New Year break that
// starts in December) stands over the rule's guess or its own.
func yearPlan(year int) (source string, days []calendarDay) {
	byDay := map[time.Time]calendarDay{}
	source = CalendarRule
	if a, ok := announcedDays[year]; ok {
		source = CalendarAnnounced
		for _, d := range a {
			if d.Day.Year() == year {
				byDay[d.Day] = d
			}
		}
	} else {
		for d, note := range ruleHolidays(year) {
			byDay[d] = calendarDay{Day: d, Note: note, Source: ruleSource}
		}
	}
	for y, a := range announcedDays {
		for _, d := range a {
			if y != year && d.Day.Year() == year {
				byDay[d.Day] = d
			}
		}
	}
	for _, d := range byDay {
		days = append(days, d)
	}
	slices.SortFunc(days, func(a, b calendarDay) int { return a.Day.Compare(b.Day) })
	return source, days
}

// daysFingerprint identifies the days a year was written with, so that a
// new build's corrected announcement or rule rewrites the year.
func daysFingerprint(source string, days []calendarDay) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", source)
	for _, d := range days {
		fmt.Fprintf(h, "%s|%t|%s|%s\n", d.Day.Format(time.DateOnly), d.Working, d.Note, d.Source)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// writeYear replaces a year of calendar_days: weekdays working, weekends
// off, but for the days given; calendar_years says where it came from.
func writeYear(ctx context.Context, tx *sql.Tx, year int, source string, days []calendarDay) error {
	first, last := fmt.Sprintf("%d-01-01", year), fmt.Sprintf("%d-12-31", year)
	if _, err := tx.ExecContext(ctx, `DELETE FROM calendar_days WHERE day BETWEEN ?::DATE AND ?::DATE`, first, last); err != nil {
		return err
	}
	vals := []string{"(NULL::DATE, NULL::BOOLEAN, NULL::VARCHAR)"}
	var detail []string
	for _, d := range days {
		vals = append(vals, fmt.Sprintf("(DATE '%s', %t, %s)", d.Day.Format(time.DateOnly), d.Working, sqlString(d.Note)))
		if d.Source != "" && !slices.Contains(detail, d.Source) {
			detail = append(detail, d.Source)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO calendar_days
		SELECT t.d::DATE, coalesce(x.working, isodow(t.d) < 6), nullif(x.note, '')
		FROM generate_series(DATE '%s', DATE '%s', INTERVAL 1 DAY) t(d)
		LEFT JOIN (VALUES %s) x(day, working, note) ON x.day = t.d::DATE
		ORDER BY 1`, first, last, strings.Join(vals, ", "))); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO calendar_years VALUES (?, ?, ?, ?, current_localtimestamp())`,
		year, source, nullIfEmpty(strings.Join(detail, " | ")), daysFingerprint(source, days))
	return err
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// syncCalendar makes every year of 2015-2035 hold what it should: an
// imported year is kept; any other holds its built-in announcement, or the
// rule's guess when there is none. A year is written again only when that
// changed (a new build with a new announcement or a corrected rule; a
// warehouse made before calendar_years, whose days the rule and its
// imports mixed).
func (w *Warehouse) syncCalendar(ctx context.Context) error {
	type have struct{ source, fp string }
	held := map[int]have{}
	rows, err := w.db.QueryContext(ctx, `SELECT year, source, fingerprint FROM calendar_years`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var y int
		var h have
		if err := rows.Scan(&y, &h.source, &h.fp); err != nil {
			rows.Close()
			return err
		}
		held[y] = h
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var tx *sql.Tx
	defer func() {
		if tx != nil {
			tx.Rollback()
		}
	}()
	for y := CalendarFirstYear; y <= CalendarLastYear; y++ {
		if held[y].source == CalendarImported {
			continue
		}
		source, days := yearPlan(y)
		if held[y] == (have{source, daysFingerprint(source, days)}) {
			continue
		}
		if tx == nil {
			if tx, err = w.db.BeginTx(ctx, nil); err != nil {
				return err
			}
		}
		if err := writeYear(ctx, tx, y, source, days); err != nil {
			return fmt.Errorf("the calendar of %d: %w", y, err)
		}
		w.log.Debug("calendar year written", "year", y, "source", source)
	}
	if tx == nil {
		return nil
	}
	if err := recomputeCatalogueDue(ctx, tx); err != nil {
		return err
	}
	err = tx.Commit()
	tx = nil
	return err
}

// recomputeCatalogueDue counts again, on the calendar as it now is, the
// due dates the procedure catalogue gave stored dossiers (as a load does,
// sql/load/10_due.sql: allowed days from the deemed receipt), and their
// state hashes: a calendar changed after a load (a new build's
// announcement, an import) would otherwise leave due dates of the old
// calendar beside processing times of the new one. Only the current
// states; history keeps what was.
func recomputeCatalogueDue(ctx context.Context, tx *sql.Tx) error {
	res, err := tx.ExecContext(ctx, `UPDATE dossiers AS d SET due_at = x.due
		FROM (
			SELECT d.rowid AS drow, c.day::TIMESTAMP AS due
			FROM dossiers d
			LEFT JOIN (SELECT procedure_code, min(working_days) AS n FROM procedures
			           WHERE procedure_code IS NOT NULL GROUP BY 1) pc ON pc.procedure_code = d.procedure_code
			LEFT JOIN (SELECT ws_key(procedure_name) AS name_key, min(working_days) AS n FROM procedures
			           WHERE procedure_name IS NOT NULL GROUP BY 1) pn ON pc.procedure_code IS NULL AND pn.name_key = ws_key(d.procedure_name)
			JOIN calendar_cum c0 ON c0.day = ws_clock_day(d.received_at)
			JOIN calendar_cum c ON c.working AND c.cum = c0.start_cum + coalesce(pc.n, pn.n)
			WHERE d.due_source = 'catalogue'
		) x
		WHERE d.rowid = x.drow AND d.due_at IS DISTINCT FROM x.due`)
	if err != nil {
		return fmt.Errorf("counting catalogue due dates on the new calendar: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE dossiers SET state_hash = hash(`+strings.Join(stateColumns, ", ")+`)
		WHERE due_source = 'catalogue'`); err != nil {
		return fmt.Errorf("counting catalogue due dates on the new calendar: %w", err)
	}
	return nil
}
