package warehouse

import (
	"strings"
	"testing"
	"time"
)

// The rule (for years not announced) guesses every announced year
// 2015-2026 but for the swapped days: its weekdays off are the
// announcement's, less the days the government swapped for a Saturday.
// So a guessed year is wrong only by the swaps no rule can know.
func TestRuleGuessesTheAnnouncedYears(t *testing.T) {
	for _, year := range AnnouncedYears() {
		want := map[time.Time]bool{}
		for _, d := range announcedDays[year] {
			if d.Day.Year() == year && !d.Working && !isWeekend(d.Day) && !strings.HasPrefix(d.Note, "Nghỉ hoán đổi") {
				want[d.Day] = true
			}
		}
		got := map[time.Time]bool{}
		for d := range ruleHolidays(year) {
			if !isWeekend(d) {
				got[d] = true
			}
		}
		for d := range want {
			if !got[d] {
				t.Errorf("%d: the rule misses %s", year, d.Format("Mon 2006-01-02"))
			}
		}
		for d := range got {
			if !want[d] {
				t.Errorf("%d: the rule adds %s", year, d.Format("Mon 2006-01-02"))
			}
		}
	}
}

// Each announced year's rows cite a source, and a swap's day off has its
// make-up working day in the same year.
func TestAnnouncedDataIsWellFormed(t *testing.T) {
	if len(AnnouncedYears()) < 11 || AnnouncedYears()[0] != 2015 {
		t.Fatalf("announced years %v", AnnouncedYears())
	}
	for year, days := range announcedDays {
		swaps, makeUps := 0, 0
		for _, d := range days {
			if d.Source == "" || d.Note == "" {
				t.Errorf("%s: no note or source", d.Day.Format(time.DateOnly))
			}
			if d.Working {
				makeUps++
				if !isWeekend(d.Day) {
					t.Errorf("%s: a make-up working day on a weekday", d.Day.Format(time.DateOnly))
				}
			}
			// (2015's New Year make-up Saturday, 27/12/2014, is outside the calendar.)
			if strings.HasPrefix(d.Note, "Nghỉ hoán đổi") && !strings.Contains(d.Note, "/2014") {
				swaps++
			}
		}
		if swaps != makeUps {
			t.Errorf("%d: %d swapped days off, %d make-up working days", year, swaps, makeUps)
		}
	}
}
