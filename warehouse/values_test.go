package warehouse_test

import (
	"archive/zip"
	"bytes"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"wardstat/pipeline"
	"wardstat/warehouse"
)

// A value is read as its writer meant it, or stored as unknown (NULL) with
// a note naming its column and rows, or its row is rejected: never changed
// silently. These load real files holding the attacks.

// feeAttacks are fee texts that are not a fee as written: each must be
// stored as unknown, with a note, and its dossier loaded.
var feeAttacks = []string{
	"1e400", strings.Repeat("9", 29), "99.999.999.999.999.999", "1e15", "-5000", "-50.000", "(1.000)", "( 5.000 đ )", "5000-",
	"#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!",
	"NaN", "Infinity", "-inf", "0x10", "1_000", "5.000đ - 10.000đ", "12 5",
}

// feeReadings are fee texts read as written, around the attacks.
var feeReadings = map[string]float64{
	"50.000": 50000, "5E+04": 50000, "1 234 567": 1234567, "6.000 đ/hồ sơ": 6000, "+5000": 5000, "0": 0, "Miễn phí": 0,
}

// feeFile writes the fee attacks between fees read as written, as CSV or
// XLSX, and returns its path with the row of each attack.
func feeFile(t *testing.T, format string) (string, map[string]int64) {
	t.Helper()
	good := slices.Sorted(func(yield func(string) bool) {
		for k := range feeReadings {
			if !yield(k) {
				return
			}
		}
	})
	var rows [][]string
	attackRow := map[string]int64{}
	for i := range 200 {
		fee := good[i%len(good)]
		if i%5 == 3 && i/5 < len(feeAttacks) {
			fee = feeAttacks[i/5]
			attackRow[fee] = int64(i + 2) // the header is row 1
		}
		rows = append(rows, []string{fmt.Sprintf("H01-240301-%05d", i), "H01", "01/03/2024 08:00", fee})
	}
	header := []string{"Mã hồ sơ", "Mã đơn vị", "Ngày tiếp nhận", "Lệ phí"}
	dir := t.TempDir()
	if format == "csv" {
		var b strings.Builder
		b.WriteString(strings.Join(header, ",") + "\n")
		for _, r := range rows {
			fmt.Fprintf(&b, "%s,%s,%s,%q\n", r[0], r[1], r[2], r[3])
		}
		return writeFile(t, dir, "fees.csv", b.String()), attackRow
	}
	return writeXLSX(t, filepath.Join(dir, "fees.xlsx"), header, rows), attackRow
}

// writeXLSX writes a workbook of one sheet. A cell whose text is one of a
// spreadsheet's errors becomes a true error cell (t="e", as Excel saves a
// formula that failed), not a text; a cell that is a number is a number.
func writeXLSX(t *testing.T, path string, header []string, rows [][]string) string {
	t.Helper()
	f := excelize.NewFile()
	sheet := f.GetSheetName(0)
	errorCells := map[string]string{}
	for r, row := range append([][]string{header}, rows...) {
		for c, v := range row {
			name, _ := excelize.CoordinatesToCellName(c+1, r+1)
			switch {
			case excelError.MatchString(v):
				errorCells[name] = v
				if err := f.SetCellValue(sheet, name, "placeholder"); err != nil {
					t.Fatal(err)
				}
			case regexp.MustCompile(`^-?\d{1,15}$`).MatchString(v):
				var n int64
				fmt.Sscan(v, &n)
				if err := f.SetCellValue(sheet, name, n); err != nil {
					t.Fatal(err)
				}
			default:
				if err := f.SetCellStr(sheet, name, v); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	// Make the error cells what Excel writes: <c r="D5" t="e"><f>…</f><v>#DIV/0!</v></c>.
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(zf.Name, "xl/worksheets/") {
			for name, v := range errorCells {
				cell := regexp.MustCompile(`<c r="` + name + `"[^>]*>.*?</c>`)
				if !cell.Match(b) {
					t.Fatalf("no cell %s in the sheet", name)
				}
				b = cell.ReplaceAll(b, []byte(`<c r="`+name+`" t="e"><f>A1/0</f><v>`+v+`</v></c>`))
			}
		}
		w, err := zw.Create(zf.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var excelError = regexp.MustCompile(`^#(DIV/0!|N/A|VALUE!|REF!|NAME\?|NUM!|NULL!)$`)

// Fees that are no fee as written (an overflow, an exponent, a sign,
// brackets, a spreadsheet's error) are stored as unknown, each dossier
// loaded, and the note names the column and the rows; the fees around
// them are read as written.
func TestFeeAttacksAreNotedNotChanged(t *testing.T) {
	for _, format := range []string{"csv", "xlsx"} {
		t.Run(format, func(t *testing.T) {
			p, attackRow := feeFile(t, format)
			w := mustOpen(t)
			r := mustIngest(t, w, p, pipeline.FileOptions{})
			if r.Loaded != 200 || r.Rejected != 0 {
				t.Fatalf("a fee is not a reason to reject: %+v", r)
			}
			rows, err := w.DB().Query(`SELECT source_row, fee FROM dossiers`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			stored := map[int64]sql.NullFloat64{}
			for rows.Next() {
				var row int64
				var fee sql.NullFloat64
				if err := rows.Scan(&row, &fee); err != nil {
					t.Fatal(err)
				}
				stored[row] = fee
			}
			var wantRows []int64
			for _, text := range feeAttacks {
				row := attackRow[text]
				wantRows = append(wantRows, row)
				if fee := stored[row]; fee.Valid {
					t.Errorf("fee %q (row %d) stored as %v, want unknown", text, row, fee.Float64)
				}
			}
			// Every other row holds a fee read as written.
			for row, fee := range stored {
				if !slices.Contains(wantRows, row) && !fee.Valid {
					t.Errorf("row %d: a fee read as written is unknown", row)
				}
			}
			for text, want := range feeReadings {
				if n := queryInt(t, w.DB(), `SELECT count(*) FROM dossiers WHERE fee = ?`, want); n == 0 {
					t.Errorf("fee %q: no dossier with %v", text, want)
				}
			}
			var note *warehouse.Warning
			for i, wn := range r.Warnings {
				if wn.Code == "unreadable_value" && wn.Column == "Lệ phí" {
					note = &r.Warnings[i]
				}
			}
			slices.Sort(wantRows)
			if note == nil || note.Count != int64(len(feeAttacks)) || !slices.Equal(note.Rows, wantRows[:len(note.Rows)]) || len(note.Rows) == 0 {
				t.Fatalf("the note of column Lệ phí: %+v, want %d cells from rows %v", note, len(feeAttacks), wantRows[:5])
			}
			// The note is kept with the load.
			if n := queryInt(t, w.DB(), `SELECT count(*) FROM loads WHERE warnings::VARCHAR LIKE ?`, fmt.Sprintf(`%%"Rows":[%d,%%`, wantRows[0])); n != 1 {
				t.Errorf("the load's row does not keep the note's rows")
			}
		})
	}
}

// A spreadsheet's error in a date, a channel or the dossier code is no
// value: the row is rejected like one with an unreadable date, not loaded
// without its date, with a channel read from "#NULL!" or a code "#N/A";
// in the ward code it is an empty cell (the ward from the dossier code),
// not a ward "#REF!".
func TestExcelErrorsInDatesAndCodesAreRejected(t *testing.T) {
	header := []string{"Mã hồ sơ", "Mã đơn vị", "Kênh", "Ngày tiếp nhận", "Ngày có kết quả"}
	var rows [][]string
	want := map[int64]string{}
	for i := range 60 {
		row := []string{fmt.Sprintf("H01-240301-%05d", i), "H01", "Trực tiếp", "01/03/2024 08:00", "05/03/2024 16:00"}
		switch i {
		case 10:
			row[4] = "#N/A"
			want[int64(i+2)] = "bad_date:completed_at"
		case 20:
			row[4] = "#NULL!"
			want[int64(i+2)] = "bad_date:completed_at"
		case 30:
			row[3] = "#VALUE!"
			want[int64(i+2)] = "bad_date:received_at"
		case 40:
			row[2] = "#NULL!"
			want[int64(i+2)] = "bad_channel"
		case 50:
			row[4] = "#DIV/0!"
			want[int64(i+2)] = "bad_date:completed_at"
		case 55:
			row[0] = "#N/A"
			want[int64(i+2)] = "missing_code"
		case 58:
			row[1] = "#REF!" // the ward is the dossier code's prefix, as for an empty cell
		}
		rows = append(rows, row)
	}
	for _, format := range []string{"csv", "xlsx"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			var p string
			if format == "csv" {
				var b strings.Builder
				b.WriteString(strings.Join(header, ",") + "\n")
				for _, r := range rows {
					b.WriteString(strings.Join(r, ",") + "\n")
				}
				p = writeFile(t, dir, "errors.csv", b.String())
			} else {
				p = writeXLSX(t, filepath.Join(dir, "errors.xlsx"), header, rows)
			}
			w := mustOpen(t)
			r := mustIngest(t, w, p, pipeline.FileOptions{})
			if r.Loaded != 54 || r.Rejected != 6 {
				t.Fatalf("%+v", r)
			}
			got := map[int64]string{}
			rs, err := w.DB().Query(`SELECT source_row, reason_code, column_name FROM rejects`)
			if err != nil {
				t.Fatal(err)
			}
			defer rs.Close()
			for rs.Next() {
				var row int64
				var code, col string
				if err := rs.Scan(&row, &code, &col); err != nil {
					t.Fatal(err)
				}
				got[row] = code
				if col == "" {
					t.Errorf("row %d: no column named", row)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("rejects %v, want %v", got, want)
			}
			if wards := queryOne[string](t, w.DB(), `SELECT string_agg(DISTINCT ward_code, ',') FROM dossiers`); wards != "H01" {
				t.Errorf("wards %s, want only H01", wards)
			}
		})
	}
}

// An offset from UTC beyond ±14:00 is no time zone: the date is
// unreadable and its row rejected, whether the typing pass or the full
// parser reads the column; offsets the world uses are read.
func TestOffsetsBeyondFourteenHoursAreUnreadable(t *testing.T) {
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Mã đơn vị,Kênh,Ngày tiếp nhận\n")
	bad := map[int64]string{}
	want := map[string]time.Time{}
	for i := range 100 {
		code := fmt.Sprintf("H%05d", i)
		text := fmt.Sprintf("2024-03-%02dT01:30:00+07:00", 1+i%28)
		want[code] = time.Date(2024, 3, 1+i%28, 1, 30, 0, 0, time.UTC)
		switch i {
		case 10, 20, 30, 40, 50:
			text = fmt.Sprintf("2024-03-%02dT01:30:00%s", 1+i%28, map[int]string{10: "+99:00", 20: "+14:30", 30: "-15:00", 40: "+05:75", 50: "+2400"}[i])
			bad[int64(i+2)] = text
		case 60:
			text = "2024-03-05T01:30:00+14:00"
			want[code] = time.Date(2024, 3, 4, 18, 30, 0, 0, time.UTC)
		case 70:
			text = "2024-03-05T01:30:00-12:00"
			want[code] = time.Date(2024, 3, 5, 20, 30, 0, 0, time.UTC)
		}
		fmt.Fprintf(&b, "%s,H01,Trực tiếp,%s\n", code, text)
	}
	w := mustOpen(t)
	r := mustIngest(t, w, writeFile(t, t.TempDir(), "offsets.csv", b.String()), pipeline.FileOptions{})
	if r.Rejected != int64(len(bad)) {
		t.Fatalf("%+v", r)
	}
	for row, text := range bad {
		if v := queryOne[string](t, w.DB(), `SELECT reason_code || ' ' || column_name FROM rejects WHERE source_row = ?`, row); v != "bad_date:received_at Ngày tiếp nhận" {
			t.Errorf("row %d (%s): %q", row, text, v)
		}
	}
	for code := range want {
		if n := queryInt(t, w.DB(), `SELECT count(*) FROM dossiers WHERE dossier_code = ?`, code); n == 0 {
			delete(want, code)
		}
	}
	checkReceived(t, w, want)
}

// The order of day and month is a column's, decided by the evidence of
// all its cells: one cell cannot turn a day-first column month first, a
// typo is rejected in the column's order, a US export reads month first
// throughout, a column that truly holds both orders reads neither where a
// cell is ambiguous.
func TestDateOrderIsTheColumnsEvidence(t *testing.T) {
	type cell struct {
		text string
		want time.Time // zero: rejected
	}
	day := func(d, m int) time.Time { return time.Date(2024, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	// ambiguous are 300 day-first dates of days 1–12 (their month > 12
	// nowhere): the first rows of an export sorted by date.
	ambiguous := func(monthFirstText bool) []cell {
		var out []cell
		for i := range 300 {
			d, m := 1+i%12, 1+(i/12)%12
			text := fmt.Sprintf("%02d/%02d/2024", d, m)
			if monthFirstText {
				text = fmt.Sprintf("%02d/%02d/2024", m, d)
			}
			out = append(out, cell{text, day(d, m)})
		}
		return out
	}
	cases := []struct {
		name  string
		cells []cell
	}{
		{"day-first, one day above 12", append(ambiguous(false), cell{"13/05/2024", day(13, 5)})},
		{"day-first, a typo 05/13/2024", append(ambiguous(false), cell{"05/13/2024", time.Time{}})},
		{"day-first, a typo among days above 12", func() []cell {
			out := ambiguous(false)
			for i := range 100 {
				out = append(out, cell{fmt.Sprintf("%02d/03/2024", 13+i%16), day(13+i%16, 3)})
			}
			return append(out, cell{"05/13/2024", time.Time{}}, cell{"03/04/2024", day(3, 4)})
		}()},
		{"month-first US export", func() []cell {
			out := ambiguous(true)
			for i := range 200 {
				out = append(out, cell{fmt.Sprintf("03/%02d/2024", 13+i%16), day(13+i%16, 3)})
			}
			return append(out, cell{"13/05/2024", time.Time{}})
		}()},
		{"both orders", func() []cell {
			var out []cell
			for i := range 100 {
				out = append(out, cell{fmt.Sprintf("%02d/03/2024", 13+i%16), day(13+i%16, 3)},
					cell{fmt.Sprintf("04/%02d/2024", 13+i%16), day(13+i%16, 4)})
			}
			return append(out, cell{"03/04/2024", time.Time{}}, cell{"05/05/2024", day(5, 5)}, cell{"2024-04-03", day(3, 4)})
		}()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("Mã hồ sơ,Mã đơn vị,Kênh,Ngày tiếp nhận\n")
			want := map[string]time.Time{}
			var rejected []int64
			for i, x := range c.cells {
				code := fmt.Sprintf("H%05d", i)
				fmt.Fprintf(&b, "%s,H01,Trực tiếp,%s\n", code, x.text)
				if x.want.IsZero() {
					rejected = append(rejected, int64(i+2))
				} else {
					want[code] = x.want
				}
			}
			w := mustOpen(t)
			r := mustIngest(t, w, writeFile(t, t.TempDir(), "dates.csv", b.String()), pipeline.FileOptions{})
			if r.Loaded != int64(len(want)) || r.Rejected != int64(len(rejected)) {
				t.Fatalf("loaded %d rejected %d, want %d and %d", r.Loaded, r.Rejected, len(want), len(rejected))
			}
			for _, row := range rejected {
				if code := queryOne[string](t, w.DB(), `SELECT reason_code FROM rejects WHERE source_row = ?`, row); code != "bad_date:received_at" {
					t.Errorf("row %d: %s", row, code)
				}
			}
			checkReceived(t, w, want)
		})
	}
}

// In a small file most of whose rows keep their text (fees to note), the
// rows looked at again are the sample's own: one typo counted twice is
// still one typo, and the column stays day first.
func TestDateOrderOfASmallFile(t *testing.T) {
	p := writeFile(t, t.TempDir(), "small.csv", `Mã hồ sơ,Mã đơn vị,Ngày tiếp nhận,Lệ phí
H01-240301-00001,H01,01/03/2024,50.000
H01-240301-00002,H01,01/03/2024,1e400
H01-240301-00003,H01,02/03/2024,-5000
H01-240301-00004,H01,05/13/2024,(1.000)
`)
	w := mustOpen(t)
	r := mustIngest(t, w, p, pipeline.FileOptions{})
	if r.Loaded != 3 || r.Rejected != 1 || len(r.Rejects) != 1 || r.Rejects[0].Row != 5 || r.Rejects[0].Code != "bad_date:received_at" {
		t.Fatalf("%+v", r)
	}
	got := queryOne[string](t, w.DB(), `SELECT string_agg(strftime(received_at, '%Y-%m-%d') || ' ' || coalesce(fee::VARCHAR, '?'), ', ' ORDER BY source_row) FROM dossiers`)
	if got != "2024-03-01 50000.0, 2024-03-01 ?, 2024-03-02 ?" {
		t.Errorf("stored %s", got)
	}
}
