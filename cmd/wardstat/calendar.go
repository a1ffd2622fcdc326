package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"wardstat/internal/msg"
	"wardstat/warehouse"
)

// newCalendarCommand is `wardstat calendar`: which years are announced,
// imported or guessed, and import / show / reset a year.
func newCalendarCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "calendar",
		Short: "The working-day calendar: which years are the government's announcements and which are guesses",
		Long: `The working-day calendar counts due dates and processing times. It holds
2015-2035. Each year is one of:
  announced  the government's announced schedule for public servants (Tết,
             Hùng Kings, 30/4-1/5, 2/9, New Year, their make-up working
             Saturdays), built into wardstat with its source (2015-2017,
             2019-2026);
  imported   a year you imported, which replaced the announcement or rule;
  rule       the Labour Code's rules: a guess, until the year is announced.
With no subcommand, lists the years and says which are guesses.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer w.Close()
			years, err := w.CalendarYears(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, a.t("Năm\tNguồn\tNgày nghỉ T2-T6\tNgày cuối tuần làm bù\tCăn cứ",
				"Year\tSource\tWeekdays off\tWorking weekend days\tBasis"))
			var guesses []int
			for _, y := range years {
				var src, basis string
				switch y.Source {
				case warehouse.CalendarAnnounced:
					src, basis = a.t("lịch công bố", "announced"), firstSource(y.Detail)
				case warehouse.CalendarImported:
					src = a.t("nhập từ tệp", "imported")
					basis = a.t("nhập lúc ", "imported at ") + y.UpdatedAt.Format("2006-01-02 15:04")
				default:
					src, basis = a.t("ước đoán (quy tắc)", "guess (rule)"), a.t("Bộ luật Lao động, chưa có lịch công bố", "Labour Code; not announced yet")
					guesses = append(guesses, y.Year)
				}
				fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\n", y.Year, src, y.WeekdaysOff, y.WorkingWeekends, basis)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(guesses) > 0 {
				fmt.Fprintf(a.stdout, a.t(
					"Các năm chỉ là ước đoán theo quy tắc (chưa có lịch Chính phủ công bố): %s. Khi lịch của một năm được công bố, nạp cả năm: wardstat calendar import TỆP.csv (day,working,note).\n",
					"Years that are only the rule's guesses (no announced schedule): %s. When a year is announced, import the whole year: wardstat calendar import FILE.csv (day,working,note).\n"),
					yearRanges(guesses))
			}
			return nil
		},
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "import FILE.csv",
		Short: "Replace whole years of the calendar with a CSV (day,working,note)",
		Long: `Replace every year the CSV has a day of: the year is made from the file
alone (Monday-Friday working, Saturday-Sunday off, but for the days the
file lists), replacing that year's announcement or rule, not adding to it.
List every day off (the whole break, as announced) and every make-up
working Saturday (working 1), e.g.
  day,working,note
  2027-02-04,0,Tết Nguyên đán
  2027-04-24,1,Làm bù cho ngày 30/04
A swap that crosses a year's end (a Monday 31/12 off, made up on a
Saturday in January) touches both years: give both years whole.
"wardstat calendar show YEAR" prints a year in this form, to edit and
import back; "wardstat calendar reset YEAR" undoes an import.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			w, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer w.Close()
			n, years, err := w.ImportCalendar(cmd.Context(), f)
			if err != nil {
				return fmt.Errorf("%s: %s", args[0], a.calendarError(err))
			}
			fmt.Fprintf(a.stdout, a.t("đã nạp %d dòng từ %s: các năm %s được thay bằng lịch trong tệp\n",
				"loaded %d rows from %s: years %s replaced by the file's calendar\n"), n, args[0], yearRanges(years))
			// A year is replaced whole: a file holding a few days only
			// (one extra day off) leaves the year without Tết or 2/9.
			for _, y := range years {
				var off int
				if err := w.DB().QueryRowContext(cmd.Context(), `SELECT count(*) FROM calendar_days
					WHERE year(day) = ? AND NOT working AND isodow(day) <= 5`, y).Scan(&off); err != nil {
					return err
				}
				if off < 8 {
					fmt.Fprintf(a.stderr, a.t("cảnh báo: năm %d giờ chỉ có %d ngày nghỉ trong tuần: tệp nhập thay cả năm, nên phải ghi mọi ngày nghỉ (Tết, Giỗ Tổ, 30/4-1/5, 2/9, Tết Dương lịch); hoàn tác: %s calendar reset %d\n",
						"warning: year %d now has only %d weekdays off: an import replaces the whole year, so it must list every day off (Tết, Hùng Kings, 30/4-1/5, 2/9, New Year); to undo: %s calendar reset %d\n"), y, off, a.self(), y)
				}
			}
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "show YEAR",
		Short: "Print a year's days off and working weekend days as a calendar CSV",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCalendarYear(cmd, args[0], func(w *warehouse.Warehouse, year int) error {
				return a.showCalendarYear(cmd, w, year)
			})
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "reset YEAR",
		Short: "Undo an import: the year holds its announcement again, or the rule's guess",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCalendarYear(cmd, args[0], func(w *warehouse.Warehouse, year int) error {
				return a.resetCalendarYear(cmd, w, year)
			})
		},
	})
	return cmd
}

// withCalendarYear reads a YEAR argument, opens the warehouse and runs do.
func (a *app) withCalendarYear(cmd *cobra.Command, arg string, do func(*warehouse.Warehouse, int) error) error {
	year, err := calendarYearArg(a, arg)
	if err != nil {
		return err
	}
	w, err := a.open(cmd.Context(), false)
	if err != nil {
		return err
	}
	defer w.Close()
	return do(w, year)
}

// showCalendarYear prints a year's exceptions as an importable calendar CSV.
func (a *app) showCalendarYear(cmd *cobra.Command, w *warehouse.Warehouse, year int) error {
	days, err := w.CalendarExceptions(cmd.Context(), year)
	if err != nil {
		return err
	}
	out := csv.NewWriter(a.stdout)
	out.Write([]string{"day", "working", "note"})
	for _, d := range days {
		out.Write([]string{d.Day, d.Working, d.Note})
	}
	out.Flush()
	return out.Error()
}

// resetCalendarYear undoes an import of a year and says where it comes from now.
func (a *app) resetCalendarYear(cmd *cobra.Command, w *warehouse.Warehouse, year int) error {
	source, err := w.ResetCalendarYear(cmd.Context(), year)
	if err != nil {
		return err
	}
	if source == warehouse.CalendarAnnounced {
		fmt.Fprintf(a.stdout, a.t("năm %d: lịch Chính phủ công bố\n", "%d: the announced schedule\n"), year)
	} else {
		fmt.Fprintf(a.stdout, a.t("năm %d: ước đoán theo quy tắc (chưa có lịch công bố)\n", "%d: the rule's guess (not announced)\n"), year)
	}
	return nil
}

func calendarYearArg(a *app, s string) (int, error) {
	y, err := strconv.Atoi(s)
	if err != nil || y < warehouse.CalendarFirstYear || y > warehouse.CalendarLastYear {
		return 0, usageError{fmt.Errorf(a.t("%q: hãy ghi một năm từ %d đến %d", "%q: give a year from %d to %d"),
			s, warehouse.CalendarFirstYear, warehouse.CalendarLastYear)}
	}
	return y, nil
}

// calendarError renders a calendar CSV's error in the app's language.
func (a *app) calendarError(err error) string { return msg.Render(err, a.lang) }

// firstSource is the first announcement a year cites (not the Labour
// Code's own holidays), shortened.
func firstSource(detail string) string {
	sources := strings.Split(detail, " | ")
	s := sources[0]
	for _, c := range sources {
		if !strings.HasPrefix(c, "Bộ luật Lao động") {
			s = c
			break
		}
	}
	if r := []rune(s); len(r) > 70 {
		return string(r[:69]) + "…"
	}
	return s
}

// yearRanges writes 2015, 2016, 2017, 2019 as "2015-2017, 2019".
func yearRanges(ys []int) string {
	var parts []string
	for i := 0; i < len(ys); {
		j := i
		for j+1 < len(ys) && ys[j+1] == ys[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", ys[i], ys[j]))
		} else {
			parts = append(parts, strconv.Itoa(ys[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}
