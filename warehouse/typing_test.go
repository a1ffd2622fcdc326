package warehouse_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"wardstat/pipeline"
	"wardstat/transform"
	"wardstat/warehouse"
)

// The typing pass: what the sample decides (LoadResult.Typing), and the
// rows past it typed again when they show what it did not.

// A file sorted by status (pending dossiers first, so no completion date
// and one channel among its first rows) is typed again once the first
// typing left many rows to the fix-up: the same dossiers as the file in
// another order, where the first rows show everything.
func TestRowsPastTheSampleAreTypedAgain(t *testing.T) {
	rows := make([]string, 0, 9000)
	for i := 0; i < 9000; i++ {
		switch {
		case i < 4500:
			rows = append(rows, fmt.Sprintf("H01-240301-%05d,H01,Trực tuyến,Đang giải quyết,01/03/2024 08:00,,%d", i, i%3*25000))
		case i%2 == 0:
			rows = append(rows, fmt.Sprintf("H01-240301-%05d,H01,Trực tiếp,Đã trả kết quả,01/03/2024 08:00,05/03/2024 16:%02d,0", i, i%60))
		default:
			rows = append(rows, fmt.Sprintf("H01-240301-%05d,H01,BCCI,Hoàn thành,01/03/2024 08:00,2024-03-06 09:%02d,0", i, i%60))
		}
	}
	shuffled := slices.Clone(rows)
	for i := range shuffled {
		j := (i * 7919) % len(shuffled)
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	}
	load := func(lines []string) (string, bool) {
		p := filepath.Join(t.TempDir(), "export.csv")
		text := "Mã hồ sơ,Mã đơn vị,Kênh,Trạng thái,Ngày tiếp nhận,Ngày có kết quả,Lệ phí\n" + strings.Join(lines, "\n") + "\n"
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		w := mustOpen(t)
		r := mustIngest(t, w, p, pipeline.FileOptions{})
		if r.Loaded != 9000 {
			t.Fatalf("%+v", r)
		}
		var s string
		if err := w.DB().QueryRow(`SELECT string_agg(d::VARCHAR, '|' ORDER BY d.dossier_code) FROM (SELECT * EXCLUDE (load_id, source_row, state_hash, first_load_id) FROM dossiers) d`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s, r.Typing.TypedAgain
	}
	sorted, sortedAgain := load(rows)
	mixed, mixedAgain := load(shuffled)
	if sorted != mixed {
		t.Errorf("the sorted file gives other dossiers than the shuffled one")
	}
	if !sortedAgain || mixedAgain {
		t.Errorf("typed again: sorted %v, shuffled %v; want only the sorted file", sortedAgain, mixedAgain)
	}
}

// A column may hold two or three date styles (an export joining an old
// system's rows to a new one's): each is read at once, in the file's order
// of day and month, and the dates are those the full parser reads.
func TestMixedDateStylesReadAtOnce(t *testing.T) {
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Mã đơn vị,Kênh,Ngày tiếp nhận\n")
	want := map[string]time.Time{}
	for i := range 6000 {
		d := time.Date(2024, time.Month(1+i%12), 1+i%28, 8+i%9, i%60, 0, 0, time.UTC)
		var text string
		switch i % 3 {
		case 0:
			text = d.Format("02/01/2006 15:04:05")
		case 1:
			text = d.Format("2006-01-02 15:04:05")
		default:
			text = d.Format("02-01-2006 15:04")
		}
		code := fmt.Sprintf("H%05d", i)
		want[code] = d
		fmt.Fprintf(&b, "%s,000.01.01.H01,Trực tiếp,%s\n", code, text)
	}
	p := writeFile(t, t.TempDir(), "mixed.csv", b.String())
	w := mustOpen(t)
	r := mustIngest(t, w, p, pipeline.FileOptions{})
	if r.Loaded != 6000 {
		t.Fatalf("%+v", r)
	}
	checkReceived(t, w, want)
	got := slices.Sorted(slices.Values(r.Typing.DateStyles[transform.ReceivedAt]))
	if want := []string{"%Y-%m-%d %H:%M:%S", "%d-%m-%Y %H:%M", "%d/%m/%Y %H:%M:%S"}; !slices.Equal(got, slices.Sorted(slices.Values(want))) || r.Typing.TypedAgain {
		t.Errorf("the three styles are not all read at once: %q, typed again %v", got, r.Typing.TypedAgain)
	}
}

// A small file (its first rows are its sample) whose later rows change
// date style is typed again with both styles, and reads the same dates.
func TestDateStyleChangingLateIsTypedAgain(t *testing.T) {
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Mã đơn vị,Kênh,Ngày tiếp nhận\n")
	want := map[string]time.Time{}
	for i := range 9000 {
		d := time.Date(2024, time.Month(1+i%12), 1+i%28, 8, i%60, 0, 0, time.UTC)
		text := d.Format("02/01/2006 15:04:05")
		if i >= 5000 {
			text = d.Format("2006-01-02 15:04:05")
		}
		code := fmt.Sprintf("H%05d", i)
		want[code] = d
		fmt.Fprintf(&b, "%s,000.01.01.H01,Trực tiếp,%s\n", code, text)
	}
	p := writeFile(t, t.TempDir(), "late-style.csv", b.String())
	w := mustOpen(t)
	r := mustIngest(t, w, p, pipeline.FileOptions{})
	if r.Loaded != 9000 {
		t.Fatalf("%+v", r)
	}
	checkReceived(t, w, want)
	if !r.Typing.TypedAgain || len(r.Typing.DateStyles[transform.ReceivedAt]) < 2 {
		t.Errorf("not typed again with the second style: %+v", r.Typing)
	}
}

// A fee text the fast reading misses but the sample shows often ("Miễn
// phí" for a free procedure) is read in the typing pass, as ws_fee reads it.
func TestFreeFeesReadAtOnce(t *testing.T) {
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Mã đơn vị,Ngày tiếp nhận,Lệ phí\n")
	for i := range 6000 {
		fee := "50.000"
		if i%2 == 0 {
			fee = "Miễn phí"
		}
		fmt.Fprintf(&b, "H01-240301-%05d,H01,01/03/2024 08:00,%s\n", i, fee)
	}
	p := writeFile(t, t.TempDir(), "free.csv", b.String())
	w := mustOpen(t)
	r := mustIngest(t, w, p, pipeline.FileOptions{})
	if r.Loaded != 6000 || len(r.Warnings) > 1 {
		t.Fatalf("%+v", r)
	}
	if n := queryInt(t, w.DB(), `SELECT count(*) FROM dossiers WHERE fee = 0`); n != 3000 {
		t.Errorf("%d free dossiers, want 3000", n)
	}
	if !slices.Equal(r.Typing.FeeTexts, []string{"Miễn phí"}) {
		t.Errorf("the free fee is not read at once: fee texts %q", r.Typing.FeeTexts)
	}
}

// checkReceived checks every stored dossier's receipt time.
func checkReceived(t *testing.T, w *warehouse.Warehouse, want map[string]time.Time) {
	t.Helper()
	rows, err := w.DB().Query(`SELECT dossier_code, received_at FROM dossiers`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		var got time.Time
		if err := rows.Scan(&code, &got); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(want[code]) {
			t.Errorf("%s received %v, want %v", code, got, want[code])
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// The rows past the sample are evidence too. A US export whose first rows
// (the sample) all read both ways, as an export sorted by date shows the
// first twelve days of a month, shows its order in the rows past them: the
// whole column is read month first, typed again, not the first rows day
// first and the rest month first. A day-first export whose later rows mix
// in month-first dates holds both orders: its ambiguous cells are
// rejected, not read one way or the other.
func TestDateOrderPastTheSample(t *testing.T) {
	for _, c := range []struct {
		name string
		// date gives row i's day and month, and whether the text is
		// written month first.
		date  func(i int) (d, m int, monthFirst bool)
		mixed bool
	}{
		{"US export", func(i int) (int, int, bool) {
			if i < 4500 {
				return 1 + i%12, 1 + (i/12)%12, true
			}
			return 13 + i%16, 1 + (i/12)%12, true
		}, false},
		{"both orders", func(i int) (int, int, bool) {
			if i < 4500 {
				return 1 + i%12, 1 + (i/12)%12, false
			}
			return 13 + i%16, 1 + (i/12)%12, i%2 == 0
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("Mã hồ sơ,Mã đơn vị,Kênh,Ngày tiếp nhận\n")
			want := map[string]time.Time{}
			var rejected int64
			for i := range 9000 {
				d, m, monthFirst := c.date(i)
				code := fmt.Sprintf("H%05d", i)
				first, second := d, m
				if monthFirst {
					first, second = m, d
				}
				fmt.Fprintf(&b, "%s,H01,Trực tiếp,%02d/%02d/2024 08:%02d\n", code, first, second, i%60)
				if c.mixed && d <= 12 && m <= 12 && d != m {
					rejected++
					continue
				}
				want[code] = time.Date(2024, time.Month(m), d, 8, i%60, 0, 0, time.UTC)
			}
			w := mustOpen(t)
			r := mustIngest(t, w, writeFile(t, t.TempDir(), "dates.csv", b.String()), pipeline.FileOptions{})
			if r.Loaded != int64(len(want)) || r.Rejected != rejected {
				t.Fatalf("loaded %d rejected %d, want %d and %d", r.Loaded, r.Rejected, len(want), rejected)
			}
			checkReceived(t, w, want)
			if !r.Typing.TypedAgain {
				t.Errorf("not typed again in the column's order")
			}
		})
	}
}
