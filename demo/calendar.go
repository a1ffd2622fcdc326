package demo

import "time"

// tet is the first day of the lunar new year, from DOMAIN.md.
var tet = map[int]string{
	2021: "2021-02-12", 2022: "2022-02-01", 2023: "2023-01-22", 2024: "2024-02-10",
	2025: "2025-01-29", 2026: "2026-02-17", 2027: "2027-02-06",
}

// hungKings is the Hùng Kings' commemoration day.
var hungKings = map[int]string{
	2021: "2021-04-21", 2022: "2022-04-10", 2023: "2023-04-29", 2024: "2024-04-18",
	2025: "2025-04-07", 2026: "2026-04-26", 2027: "2027-04-16",
}

func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, time.UTC)
	if err != nil {
		panic(err)
	}
	return t
}

// holidays is a simple public-holiday set good enough for demo due dates:
// 1 Jan, Tết (eve and four days), Hùng Kings, 30 Apr, 1 May, 2-3 Sep.
func holidays(year int) map[time.Time]bool {
	h := map[time.Time]bool{}
	add := func(t time.Time) { h[t] = true }
	add(time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC))
	if s, ok := tet[year]; ok {
		t := day(s)
		for i := -1; i < 4; i++ {
			add(t.AddDate(0, 0, i))
		}
	}
	if s, ok := hungKings[year]; ok {
		add(day(s))
	}
	add(time.Date(year, 4, 30, 0, 0, 0, 0, time.UTC))
	add(time.Date(year, 5, 1, 0, 0, 0, 0, time.UTC))
	add(time.Date(year, 9, 2, 0, 0, 0, 0, time.UTC))
	add(time.Date(year, 9, 3, 0, 0, 0, 0, time.UTC))
	return h
}

type calendar struct{ cache map[int]map[time.Time]bool }

func (c *calendar) working(t time.Time) bool {
	if t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
		return false
	}
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	if c.cache == nil {
		c.cache = map[int]map[time.Time]bool{}
	}
	h, ok := c.cache[t.Year()]
	if !ok {
		h = holidays(t.Year())
		c.cache[t.Year()] = h
	}
	return !h[d]
}

// addWorkingDays moves t forward n working days (0: the same day, or the
// next working day when t is not one).
func (c *calendar) addWorkingDays(t time.Time, n int) time.Time {
	for !c.working(t) {
		t = t.AddDate(0, 0, 1)
	}
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if c.working(t) {
			n--
		}
	}
	return t
}

// tetFactor scales a day's volume around Tết: almost nothing in the week of
// the holiday, a slow fortnight before it, a catch-up after.
func tetFactor(t time.Time) float64 {
	s, ok := tet[t.Year()]
	if !ok {
		return 1
	}
	d := t.Sub(day(s)).Hours() / 24
	switch {
	case d >= -2 && d < 5:
		return 0.05
	case d >= -14 && d < -2:
		return 0.7
	case d >= 5 && d < 12:
		return 0.6
	case d >= 12 && d < 40:
		return 1.25
	}
	return 1
}
