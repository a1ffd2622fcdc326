package pipeline_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/unicode/norm"

	"wardstat/ingest"
	"wardstat/pipeline"
	"wardstat/transform"
	"wardstat/warehouse"
)

// canonical is the one truth every variant in testdata/ingest encodes:
// three dossiers of ward H05.01, in Vietnam local time.
var canonical = []dossierRow{
	{"H05.01-240305-0001", "online", "2024-03-05 08:15", "2024-03-08", "2024-03-07 16:00", "", 10},
	{"H05.01-240305-0002", "direct", "2024-03-05 14:20", "2024-03-12", "", "", 4},
	{"H05.01-240306-0001", "postal", "2024-03-06 09:00", "2024-03-11", "", "2024-03-07 10:00", 7},
}

type dossierRow struct {
	Code, Channel, Received, Due, Completed, Withdrawn string
	Status                                             int64
}

func TestReadersAgreeOnEveryFormat(t *testing.T) {
	xlsxDir := t.TempDir()
	cases := []struct {
		file   string
		format ingest.Format
	}{
		{"../testdata/ingest/semicolon-bom.csv", ingest.CSV},
		{"../testdata/ingest/utf16-tab.txt", ingest.CSV},
		{"../testdata/ingest/windows-1258.csv", ingest.CSV},
		{"../testdata/ingest/pipe-portal-codes.csv", ingest.CSV},
		{"../testdata/ingest/title-rows.csv", ingest.CSV},
		{"../testdata/ingest/us-locale-excel.csv", ingest.CSV},
		{"../testdata/ingest/array-utc.json", ingest.JSON},
		{"../testdata/ingest/portal-sync.ndjson", ingest.JSON},
		{"../testdata/ingest/wrapped-nested.json", ingest.JSON},
		{"../testdata/ingest/igate-like.json", ingest.JSON},
		{"../testdata/ingest/html-table.xls", ingest.HTML},
		{"../testdata/ingest/portal-array.json", ingest.JSON},
		{writeTitledXLSX(t, xlsxDir), ingest.XLSX},
		{writeMergedHeaderXLSX(t, xlsxDir), ingest.XLSX},
		// The same two workbooks saved by LibreOffice as Excel 97-2003.
		{"../testdata/ingest/onestop-titled.xls", ingest.XLS},
		{"../testdata/ingest/merged-header.xls", ingest.XLS},
		// Written by another writer (Python's xlwt), dates as date cells.
		{"../testdata/ingest/xlwt-titled.xls", ingest.XLS},
	}
	for _, tc := range cases {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			w := openWarehouse(t)
			res, err := pipeline.File(context.Background(), w, tc.file, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("k"))})
			if err != nil {
				t.Fatal(err)
			}
			if res.Format != tc.format {
				t.Errorf("format %s, want %s", res.Format, tc.format)
			}
			r := res.Result
			if r.Read != 3 || r.Loaded != 3 || r.Rejected != 0 {
				t.Fatalf("read %d loaded %d rejected %d: %+v", r.Read, r.Loaded, r.Rejected, r.Rejects)
			}
			got := readDossiers(t, w.DB())
			for i := range canonical {
				if got[i] != canonical[i] {
					t.Errorf("row %d:\n got %+v\nwant %+v", i, got[i], canonical[i])
				}
			}
		})
	}
}

func readDossiers(t *testing.T, db *sql.DB) []dossierRow {
	t.Helper()
	rows, err := db.Query(`SELECT dossier_code, channel, strftime(received_at, '%Y-%m-%d %H:%M'), strftime(due_at, '%Y-%m-%d'),
		coalesce(strftime(completed_at, '%Y-%m-%d %H:%M'), ''), coalesce(strftime(withdrawn_at, '%Y-%m-%d %H:%M'), ''), status
		FROM dossiers WHERE ward_code = 'H05.01' ORDER BY dossier_code`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []dossierRow
	for rows.Next() {
		var d dossierRow
		if err := rows.Scan(&d.Code, &d.Channel, &d.Received, &d.Due, &d.Completed, &d.Withdrawn, &d.Status); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	if len(out) != 3 {
		t.Fatalf("want 3 dossiers of H05.01, got %d", len(out))
	}
	return out
}

func mustTime(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		t, err = time.Parse(time.DateOnly, s)
	}
	if err != nil {
		panic(err)
	}
	return t
}

// writeTitledXLSX writes a one-stop system's export: a cover sheet first,
// title rows above the header, date cells (stored as serials), a blank row,
// a total and a signature line below.
func writeTitledXLSX(t *testing.T, dir string) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	f.SetCellValue("Sheet1", "A1", "Hướng dẫn sử dụng")
	f.NewSheet("Danh sách")
	sheet := "Danh sách"
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 22})
	f.SetCellValue(sheet, "A1", "UBND PHƯỜNG NĂM")
	f.SetCellValue(sheet, "A2", "DANH SÁCH HỒ SƠ")
	header := []any{"STT", "Mã hồ sơ", "Hình thức nộp", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày có kết quả", "Ngày rút hồ sơ", "Trạng thái", "Chủ hồ sơ"}
	f.SetSheetRow(sheet, "A4", &header)
	channels := map[string]string{"online": "Trực tuyến", "direct": "Trực tiếp", "postal": "BCCI"}
	status := map[int64]string{10: "Đã trả kết quả", 4: "Đang xử lý", 7: "Rút hồ sơ"}
	r := 5
	for i, d := range canonical {
		if i == 1 {
			r++ // a blank row inside the data
		}
		row := []any{i + 1, d.Code, channels[d.Channel], mustTime(d.Received), mustTime(d.Due), nil, nil, status[d.Status], "Nguyễn Văn A"}
		if d.Completed != "" {
			row[5] = mustTime(d.Completed)
		}
		if d.Withdrawn != "" {
			row[6] = mustTime(d.Withdrawn)
		}
		f.SetSheetRow(sheet, fmt.Sprintf("A%d", r), &row)
		f.SetCellStyle(sheet, fmt.Sprintf("D%d", r), fmt.Sprintf("G%d", r), style)
		r++
	}
	f.SetCellValue(sheet, fmt.Sprintf("A%d", r), "Tổng số: 3 hồ sơ")
	f.SetCellValue(sheet, fmt.Sprintf("F%d", r+2), "Người lập biểu")
	p := filepath.Join(dir, "titled.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeMergedHeaderXLSX writes a hand-made sheet: a two-row header under a
// merged "Ngày" cell, a row of column numbers, dates typed as text.
func writeMergedHeaderXLSX(t *testing.T, dir string) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	s := "Sheet1"
	set := func(c string, v any) { f.SetCellValue(s, c, v) }
	set("A1", "STT")
	set("B1", "Số hồ sơ")
	set("C1", "Kênh thực hiện")
	set("D1", "Ngày")
	set("D2", "Tiếp nhận")
	set("E2", "Hẹn trả")
	set("F2", "Hoàn thành")
	set("G2", "Rút hồ sơ")
	set("H1", "Trạng thái")
	f.MergeCell(s, "D1", "G1")
	for i, c := range []string{"A", "B", "C", "D", "E", "F", "G", "H"} {
		set(c+"3", fmt.Sprintf("(%d)", i+1))
	}
	channels := map[string]string{"online": "2", "direct": "1", "postal": "3"}
	dmy := func(s string) string {
		if s == "" {
			return ""
		}
		tm := mustTime(s)
		if len(s) > 10 {
			return tm.Format("02/01/2006 15:04")
		}
		return tm.Format("02/01/2006")
	}
	for i, d := range canonical {
		row := []any{i + 1, d.Code, channels[d.Channel], dmy(d.Received), dmy(d.Due), dmy(d.Completed), dmy(d.Withdrawn), d.Status}
		f.SetSheetRow(s, fmt.Sprintf("A%d", 4+i), &row)
	}
	f.SetCellValue(s, "A7", "Cộng")
	f.SetCellValue(s, "B7", 3)
	p := filepath.Join(dir, "merged.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDuckDBReaderAgreesWithOurs loads each CSV (UTF-8, UTF-16 and
// Windows-1258, the last two copied to UTF-8 first) and JSON fixture
// through DuckDB's reader (the fast path) and through wardstat's own: the
// dossiers, their applicant keys, the counts and the rejects with their
// rows must be the same.
func TestDuckDBReaderAgreesWithOurs(t *testing.T) {
	skipIfShort(t, "every fixture through both readers (TestReadersAgreeOnEveryFormat stays)")
	files := []string{"../testdata/ingest/semicolon-bom.csv", "../testdata/ingest/pipe-portal-codes.csv",
		"../testdata/ingest/title-rows.csv", "../testdata/ingest/us-locale-excel.csv", "../testdata/ingest/header-line-breaks.csv",
		"../testdata/report/handcount/ward-export.csv", "../testdata/ingest/portal-sync.ndjson", "../testdata/ingest/portal-array.json",
		lateTexts(t), dirtyTexts(t), nestedJSON(t, false), nestedJSON(t, true),
		asUTF16(t, lateTexts(t), true), asUTF16(t, dirtyTexts(t), false),
		wrappedJSON(t), asWindows1258(t, lateTexts(t)), "../testdata/ingest/windows-1258.csv", asUTF16BE(t, lateTexts(t))}
	// Wrappers of any size are streamed, and then copied out for DuckDB.
	defer ingest.SetStreamWrapperBytes(0)()
	dump := func(t *testing.T, goReader bool, file string) (string, warehouse.LoadResult) {
		w := openWarehouse(t)
		res, err := pipeline.File(context.Background(), w, file, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("k")), GoReader: goReader})
		if err != nil {
			t.Fatal(err)
		}
		if res.DuckDBRead == goReader {
			t.Fatalf("read by DuckDB: %v, want %v", res.DuckDBRead, !goReader)
		}
		var s string
		if err := w.DB().QueryRow(`SELECT string_agg(COLUMNS(* EXCLUDE (load_id, source_row, first_load_id, state_hash))::VARCHAR, '|' ORDER BY dossier_code) FROM dossiers`).Scan(&s); err != nil {
			// COLUMNS with string_agg returns one column per input; fall back to a struct dump.
			if err := w.DB().QueryRow(`SELECT string_agg(d::VARCHAR, '|' ORDER BY d.dossier_code) FROM (SELECT * EXCLUDE (load_id, source_row, first_load_id, state_hash) FROM dossiers) d`).Scan(&s); err != nil {
				t.Fatal(err)
			}
		}
		// The rejects too, with the rows they name.
		var rej sql.NullString
		if err := w.DB().QueryRow(`SELECT string_agg(source_row || ':' || reason_code, ' ' ORDER BY source_row) FROM rejects`).Scan(&rej); err != nil {
			t.Fatal(err)
		}
		r := res.Result
		r.LoadID, r.Rejects, r.Warnings = 0, nil, nil
		return s + " rejects " + rej.String, r
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			fast, fr := dump(t, false, f)
			slow, sr := dump(t, true, f)
			if fast != slow {
				t.Errorf("dossiers differ:\nDuckDB: %s\nours:   %s", fast, slow)
			}
			if fr.Read != sr.Read || fr.Loaded != sr.Loaded || fr.Rejected != sr.Rejected || fr.Skipped != sr.Skipped {
				t.Errorf("counts differ: DuckDB %+v, ours %+v", fr, sr)
			}
		})
	}
}

// A CSV that DuckDB's reader refuses is read by ours instead.
func TestOddCSVFallsBackToOurReader(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "odd.csv")
	// A stray quote inside an unquoted cell: lenient for us, an error for a strict reader.
	os.WriteFile(p, []byte("Mã hồ sơ,Ngày tiếp nhận,Thủ tục\nH01-240301-0001,01/03/2024,Cấp \"bản sao\" trích lục\nH01-240301-0002,01/03/2024,\"Khai sinh\" mới\"\n"), 0o644)
	w := openWarehouse(t)
	res, err := pipeline.File(context.Background(), w, p, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("k"))})
	if err != nil {
		t.Fatal(err)
	}
	if res.Result.Loaded != 2 {
		t.Fatalf("%+v", res.Result)
	}
}

// reencoded writes a copy of a UTF-8 file in another encoding.
func reencoded(t *testing.T, path, prefix string, encode func([]byte) ([]byte, error)) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out, err := encode(b)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), prefix+filepath.Base(path))
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// asUTF16 writes a copy of a UTF-8 file as UTF-16 little-endian, as
// Excel's "Unicode text" saves it (with a BOM) or without one.
func asUTF16(t *testing.T, path string, bom bool) string {
	policy := unicode.IgnoreBOM
	if bom {
		policy = unicode.UseBOM
	}
	return reencoded(t, path, "utf16-", unicode.UTF16(unicode.LittleEndian, policy).NewEncoder().Bytes)
}

// asUTF16BE is the file in UTF-16, big-endian, with a BOM.
func asUTF16BE(t *testing.T, path string) string {
	return reencoded(t, path, "utf16be-", unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().Bytes)
}

// asWindows1258 is the file as Excel on a Vietnamese Windows saves a CSV:
// Windows-1258, whose letters carry their tones as combining marks
// ("ệ" is "ê" and a dot below).
func asWindows1258(t *testing.T, path string) string {
	return reencoded(t, path, "cp1258-", func(b []byte) ([]byte, error) {
		var out []byte
		for _, r := range string(b) {
			if c, ok := charmap.Windows1258.EncodeRune(r); ok {
				out = append(out, c)
				continue
			}
			// The letter with the mark it has a byte for ("ậ": "â"), then the tone.
			d := []rune(norm.NFD.String(string(r)))
			for i := 1; i < len(d); i++ {
				if c, ok := charmap.Windows1258.EncodeRune([]rune(norm.NFC.String(string([]rune{d[0], d[i]})))[0]); ok {
					out, d = append(out, c), append(d[1:i:i], d[i+1:]...)
					break
				}
			}
			for _, m := range d {
				c, ok := charmap.Windows1258.EncodeRune(m)
				if !ok {
					return nil, fmt.Errorf("%q has no Windows-1258 form", r)
				}
				out = append(out, c)
			}
		}
		return out, nil
	})
}

// A workbook that counts days from 1904 (as Excel on a Mac did) gives its
// dates, not dates four years early; its fees are not moved.
func TestWorkbookDatesFrom1904(t *testing.T) {
	f := excelize.NewFile()
	yes := true
	if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
		t.Fatal(err)
	}
	s := "Sheet1"
	dateTime, _ := f.NewStyle(&excelize.Style{NumFmt: 22})
	custom := "dd/mm/yyyy"
	date, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &custom})
	money := `#,##0 "đ"`
	fee, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &money})
	h := []any{"Mã hồ sơ", "Hình thức nộp", "Ngày tiếp nhận", "Ngày hẹn trả", "Lệ phí"}
	f.SetSheetRow(s, "A1", &h)
	row := []any{"H05.01-240305-0001", "Trực tiếp", time.Date(2024, 3, 5, 8, 15, 0, 0, time.UTC), time.Date(2024, 3, 8, 0, 0, 0, 0, time.UTC), 45000}
	f.SetSheetRow(s, "A2", &row)
	f.SetCellStyle(s, "C2", "C2", dateTime)
	f.SetCellStyle(s, "D2", "D2", date)
	f.SetCellStyle(s, "E2", "E2", fee)
	p := filepath.Join(t.TempDir(), "mac.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	w := openWarehouse(t)
	if _, err := pipeline.File(context.Background(), w, p, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("k"))}); err != nil {
		t.Fatal(err)
	}
	var received, due time.Time
	var paid float64
	if err := w.DB().QueryRow(`SELECT received_at, due_at, fee FROM dossiers`).Scan(&received, &due, &paid); err != nil {
		t.Fatal(err)
	}
	if got := received.Format("2006-01-02 15:04") + " " + due.Format("2006-01-02"); got != "2024-03-05 08:15 2024-03-08" || paid != 45000 {
		t.Errorf("received, due %s and fee %v; want 2024-03-05 08:15 2024-03-08 and 45000", got, paid)
	}
}

// TestGzippedCSVLoads: a CSV saved as .csv.gz loads as the CSV does, under
// its own name, and loading it again changes nothing (it was read as
// binary text and refused).
func TestGzippedCSVLoads(t *testing.T) {
	w := openWarehouse(t)
	h := transform.NewHasher([]byte("t"))
	var rows strings.Builder
	rows.WriteString("Mã hồ sơ,Ngày tiếp nhận,Hình thức nộp\n")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&rows, "H08.01-240301-%04d,01/03/2024,Trực tuyến\n", i)
	}
	var packed bytes.Buffer
	z := gzip.NewWriter(&packed)
	z.Write([]byte(rows.String()))
	z.Close()
	path := filepath.Join(t.TempDir(), "export.csv.gz")
	os.WriteFile(path, packed.Bytes(), 0o644)
	for _, goReader := range []bool{false, true} {
		res, err := pipeline.File(context.Background(), w, path, pipeline.FileOptions{Hasher: h, GoReader: goReader})
		if err != nil {
			t.Fatal(err)
		}
		if !goReader && (res.Result.Read != 300 || res.Result.Loaded != 300) {
			t.Errorf("read %d, loaded %d, want 300", res.Result.Read, res.Result.Loaded)
		}
		if goReader && res.Result.AlreadyLoaded == nil {
			t.Errorf("loaded again: %+v", res.Result)
		}
	}
	var stored string
	if err := w.DB().QueryRow(`SELECT path FROM loads`).Scan(&stored); err != nil || !strings.HasSuffix(stored, "export.csv.gz") {
		t.Errorf("the load is recorded as %q (%v), want the file's own name", stored, err)
	}
}
