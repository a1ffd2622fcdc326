package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/unicode/norm"

	"wardstat/ingest"
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
			res, err := ingest.File(context.Background(), w, tc.file, ingest.FileOptions{Hasher: transform.NewHasher([]byte("k"))})
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
		res, err := ingest.File(context.Background(), w, file, ingest.FileOptions{Hasher: transform.NewHasher([]byte("k")), GoReader: goReader})
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
	res, err := ingest.File(context.Background(), w, p, ingest.FileOptions{Hasher: transform.NewHasher([]byte("k"))})
	if err != nil {
		t.Fatal(err)
	}
	if res.Result.Loaded != 2 {
		t.Fatalf("%+v", res.Result)
	}
}

// Wrapped JSON above the streaming size is walked to its records, not read
// whole: the same dossiers come out.
func TestLargeWrapperStreams(t *testing.T) {
	defer ingest.SetStreamWrapperBytes(0)()
	for _, f := range []string{"../testdata/ingest/wrapped-nested.json", "../testdata/ingest/igate-like.json", "../testdata/ingest/portal-sync.ndjson"} {
		t.Run(filepath.Base(f), func(t *testing.T) {
			w := openWarehouse(t)
			res, err := ingest.File(context.Background(), w, f, ingest.FileOptions{Hasher: transform.NewHasher([]byte("k"))})
			if err != nil || res.Result.Loaded != 3 {
				t.Fatalf("%v %+v", err, res.Result)
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

// A record whose object is a plain value instead, past the first records
// that planned the reading, makes DuckDB's reader refuse the file: ours
// reads it, and every record loads.
func TestNestedJSONWithAScalarFallsBack(t *testing.T) {
	b, err := os.ReadFile(nestedJSON(t, true))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	lines[3000] = strings.Replace(lines[3000], `"procedure":{"code":"1.000","name":"Thủ tục 0"}`, `"procedure":"Thủ tục 0"`, 1)
	if !strings.Contains(lines[3000], `"procedure":"Thủ tục 0"`) {
		t.Fatal("the record to change is not as expected")
	}
	p := fuzzFile(t, []byte(strings.Join(lines, "\n")), "scalar.ndjson")
	w := openWarehouse(t)
	res, err := ingest.File(context.Background(), w, p, ingest.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.DuckDBRead || res.Result.Read != int64(len(lines)) || res.Result.Loaded+res.Result.Rejected != res.Result.Read {
		t.Fatalf("DuckDB read it: %v; %+v", res.DuckDBRead, res.Result)
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

// JSON records that leave out the keys whose value is null: a key first
// seen past the records that planned the reading is read all the same. One
// that a field reads (a completion date) sends the file to our reader,
// whose header grows; one no field reads leaves it with DuckDB's.
func TestJSONKeysSeenLate(t *testing.T) {
	for _, c := range []struct {
		late       string
		duckDBRead bool
	}{{`"NgayKetThucXuLy":"20240305100000"`, false}, {`"GhiChuNoiBo":"xem lại"`, true}} {
		var b strings.Builder
		for i := range 1500 {
			extra := ""
			if i == 1400 {
				extra = "," + c.late
			}
			fmt.Fprintf(&b, `{"MaHoSo":"H05.01-240301-%05d","KenhThucHien":1,"NgayTiepNhan":"20240301081500","TrangThaiHoSo":%d%s}`+"\n", i, map[bool]int{true: 10, false: 4}[i == 1400 && !c.duckDBRead], extra)
		}
		p := fuzzFile(t, []byte(b.String()), "late.ndjson")
		w := openWarehouse(t)
		res, err := ingest.File(context.Background(), w, p, ingest.FileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.DuckDBRead != c.duckDBRead || res.Result.Loaded != 1500 || res.Result.Rejected != 0 {
			t.Errorf("%s: read by DuckDB %v; %+v", c.late, res.DuckDBRead, res.Result)
		}
		if !c.duckDBRead {
			var completed sql.NullTime
			if err := w.DB().QueryRow(`SELECT completed_at FROM dossiers WHERE dossier_code = 'H05.01-240301-01400'`).Scan(&completed); err != nil || !completed.Valid {
				t.Errorf("the late completion date was not read: %v %v", completed, err)
			}
		}
	}
}

// nestedJSON writes records nested as an iGate-style API returns them
// (objects for the procedure, the channel, the status and the applicant),
// as an array or one per line, past the typing pass's sample, with nulls,
// missing objects, numbers, late texts and a row to reject.
func nestedJSON(t *testing.T, ndjson bool) string {
	recs := nestedRecords()
	text, name := "[\n"+strings.Join(recs, ",\n")+"\n]", "nested.json"
	if ndjson {
		text, name = strings.Join(recs, "\n")+"\n", "nested.ndjson"
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// wrappedJSON is nestedJSON's records as an API answers them: inside a
// wrapper, after arrays of other things, some records over several lines,
// with nulls between some (which are no records).
func wrappedJSON(t *testing.T) string {
	var b strings.Builder
	b.WriteString(`{"status":"ok","meta":{"tags":["a","[{"],"errors":[]},"result":{"total":4200,"items":[` + "\n")
	for i, r := range nestedRecords() {
		if i > 0 {
			b.WriteString(",\n")
		}
		if i%17 == 0 {
			r = strings.Replace(r, `,"fee":`, ",\r\n    \"fee\": ", 1)
		}
		if i%500 == 1 {
			b.WriteString("null,\n")
		}
		b.WriteString(r)
	}
	b.WriteString("\n]},\"page\":1}\n")
	p := filepath.Join(t.TempDir(), "wrapped.json")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// nestedRecords are 4,200 records of an iGate-style API, nested, with a
// key seen late and an unreadable receipt date.
func nestedRecords() []string {
	var recs []string
	for i := 0; i < 4200; i++ {
		method := `{"id":1,"name":"Trực tiếp"}`
		status := `{"id":4,"name":"Đang xử lý"}`
		completed := "null"
		switch {
		case i%7 == 0:
			method = `{"id":2,"name":"Trực tuyến"}`
		case i%11 == 0:
			method = "null"
		}
		if i%5 == 0 {
			status, completed = `{"id":10,"name":"Đã trả kết quả"}`, `"2024-03-07T16:00:00.000+0700"`
		}
		if i > 4100 && i%9 == 0 {
			status = `{"id":"5","name":"Đã trả kết quả (trễ hạn)"}`
		}
		applicant := fmt.Sprintf(`{"data":{"fullname":"Người %d","identityNumber":"0010990%05d"}}`, i%300, i%300)
		if i%13 == 0 {
			applicant = `{"data":{}}`
		}
		received := fmt.Sprintf(`"2024-03-%02dT08:15:00.000+0700"`, 1+i%28)
		if i == 4150 {
			received = `"không rõ"`
		}
		recs = append(recs, fmt.Sprintf(`{"id":"r%d","code":"H05.01-240301-%05d","procedure":{"code":"1.00%d","name":"Thủ tục %d"},"applyMethod":%s,`+
			`"acceptedDate":%s,"appointmentDate":"2024-03-29T00:00:00.000+0700","completedDate":%s,"dossierStatus":%s,"fee":%d,"applicant":%s}`,
			i, i, i%4, i%4, method, received, completed, status, (i%3)*25000, applicant))
	}
	return recs
}

// lateTexts writes a CSV whose first rows (the typing pass's sample) show
// one status, one channel and one date style, and whose later rows bring
// others, cells wrapped as ="…" or padded with spaces, a fee in words, and
// rows to reject.
func lateTexts(t *testing.T) string {
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Mã đơn vị,Kênh,Trạng thái,Ngày tiếp nhận,Hạn trả,Ngày có kết quả,Lệ phí,Tên thủ tục\r\n")
	for i := 0; i < 4500; i++ {
		fmt.Fprintf(&b, "H%06d,000.01.01.H01,Trực tiếp,Đang xử lý,02/01/2024 08:00:00,10/01/2024 17:00:00,,0,Khai sinh\r\n", i)
	}
	b.WriteString(`H900001,000.01.01.H01, Trực tuyến ,đã trả kết quả,2024-01-03,2024-01-09,05/01/2024 09:30,50.000 đ,"Khai tử, trích lục"` + "\r\n")
	b.WriteString(`="H900002",000.01.01.H01,Bưu điện,Hoàn thành,ngày 4 tháng 1 năm 2024,  ,45296,miễn phí, Kết hôn ` + "\r\n")
	b.WriteString("H900003,000.01.01.H01,Fax,Đang xử lý,04/01/2024 08:00:00,,,,Khai sinh\r\n")
	b.WriteString("H900004,000.01.01.H01,Trực tiếp,không rõ,32/01/2024,,,abc,Khai sinh\r\n")
	b.WriteString("H900005,000.01.01.H01,Trực tiếp,Đã trả kết quả,04/01/2024 08:00:00,,,,Khai sinh\r\n")
	b.WriteString("Tổng cộng,,,,,,,,\r\n")
	p := filepath.Join(t.TempDir(), "late-texts.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// dirtyTexts is a CSV whose text cells carry every kind of dirt a ward
// export has: padding with spaces (the commonest), tabs, no-break spaces, a
// BOM, Excel's ="…" and '… wrappers, cells of spaces only, a CR inside a
// quoted cell. (A CR alone sends a file to our reader: TestCSVRowFixes.)
func dirtyTexts(t *testing.T) string {
	nbsp, bom := "\u00a0", "\ufeff"
	cells := [][4]string{
		{"H1", "000.01.01.H01", "Khai sinh", "Hộ tịch"},
		{"  H2  ", " 000.01.01.H01 ", "   Khai tử", "Hộ tịch   "},
		{"\tH3", "000.01.01.H01\t", "Kết hôn" + nbsp, nbsp + "Hộ tịch"},
		{bom + "H4", "000.01.01.H01", ` Chứng thực `, "   "},
		{`="H5"`, "'000.01.01.H01", "'Khai sinh", `="Hộ tịch"`},
		{" '=H6 ", "000.01.01.H01", "Khai sinh", " "},
		{"H7 ", "  ", "Khai sinh ", "Chứng thực "},
	}
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Mã đơn vị,Tên thủ tục,Lĩnh vực,Ngày tiếp nhận\n")
	b.WriteString("H0,000.01.01.H01,\"Khai\r\nsinh\",Hộ tịch,02/01/2024 08:00:00\n")
	for i := 0; i < 4100; i++ { // past the sample
		c := cells[i%len(cells)]
		code := strings.Replace(c[0], "H", fmt.Sprintf("H%d-", i), 1)
		fmt.Fprintf(&b, "%s,%s,%s,%s,02/01/2024 08:00:00\n", code, c[1], c[2], c[3])
	}
	p := filepath.Join(t.TempDir(), "dirty-texts.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Blank lines and cells that span lines do not shift the row numbers the
// rejects give: DuckDB's reader and ours name the same lines.
func TestRejectRowsAreLineNumbers(t *testing.T) {
	text := "Mã hồ sơ,Mã đơn vị,Kênh,Ngày tiếp nhận,Ghi chú\n" + // line 1
		"H1,000.01.01.H01,Fax,01/03/2024,a\n" + // 2: rejected
		"\n" + // 3
		"H2,000.01.01.H01,Trực tiếp,01/03/2024,\"dòng 1\ndòng 2\"\n" + // 4-5
		"H3,000.01.01.H01,Fax,01/03/2024,b\n" + // 6: rejected
		"\r\n" + // 7
		"H4,000.01.01.H01,Trực tiếp,31/02/2024,c\n" // 8: rejected
	p := filepath.Join(t.TempDir(), "lines.csv")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path     string
		goReader bool
	}{{p, false}, {p, true}, {asUTF16(t, p, true), false}} {
		goReader := c.goReader
		w := openWarehouse(t)
		res, err := ingest.File(context.Background(), w, c.path, ingest.FileOptions{Hasher: transform.NewHasher([]byte("k")), GoReader: goReader})
		if err != nil {
			t.Fatal(err)
		}
		if res.DuckDBRead == goReader {
			t.Fatalf("%s: read by DuckDB %v", c.path, res.DuckDBRead)
		}
		var got []int64
		for _, r := range res.Result.Rejects {
			got = append(got, r.Row)
		}
		var row int64
		if err := w.DB().QueryRow(`SELECT source_row FROM dossiers WHERE dossier_code = 'H2'`).Scan(&row); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if fmt.Sprint(got) != "[2 6 8]" || row != 4 {
			t.Errorf("%s, our reader %v: rejects on lines %v (want [2 6 8]), H2 on line %d (want 4)", filepath.Base(c.path), goReader, got, row)
		}
	}
}

// lateIdentity is a warehouse whose loads learn the file's sha256 only once
// typing has begun, as with a large file whose hashing takes a while.
type lateIdentity struct{ *warehouse.Warehouse }

func late(req warehouse.LoadRequest) warehouse.LoadRequest {
	typing := make(chan struct{})
	var once sync.Once
	phase, sum := req.Phase, req.SHA256
	req.Phase = func(p string) {
		if phase != nil {
			phase(p)
		}
		once.Do(func() { close(typing) })
	}
	req.SHA256 = func() (string, error) {
		<-typing
		return sum()
	}
	return req
}

func (l lateIdentity) Load(ctx context.Context, req warehouse.LoadRequest, src warehouse.RowSource) (warehouse.LoadResult, error) {
	return l.Warehouse.Load(ctx, late(req), src)
}

func (l lateIdentity) LoadCSV(ctx context.Context, req warehouse.LoadRequest, plan warehouse.CSVPlan, h *transform.Hasher) (warehouse.LoadResult, error) {
	return l.Warehouse.LoadCSV(ctx, late(req), plan, h)
}

func (l lateIdentity) LoadJSON(ctx context.Context, req warehouse.LoadRequest, plan warehouse.JSONPlan, h *transform.Hasher) (warehouse.LoadResult, error) {
	return l.Warehouse.LoadJSON(ctx, late(req), plan, h)
}

// A file's sha256 is computed beside its load: a file loaded before, known
// only once typing has begun, still stops the load, which writes nothing
// and says when the file was loaded. (DuckDB's CSV and JSON readers and
// ours alike: a Windows-1258 CSV, an XLSX.)
func TestKnownFileStopsTheLoadBesideIt(t *testing.T) {
	xlsx := writeTitledXLSX(t, t.TempDir())
	for _, p := range []string{"../testdata/ingest/semicolon-bom.csv", "../testdata/ingest/portal-array.json", "../testdata/ingest/windows-1258.csv", xlsx} {
		t.Run(filepath.Base(p), func(t *testing.T) {
			w := openWarehouse(t)
			opt := ingest.FileOptions{Hasher: transform.NewHasher([]byte("k"))}
			first, err := ingest.File(context.Background(), lateIdentity{w}, p, opt)
			if err != nil || first.Result.Loaded == 0 {
				t.Fatalf("first load: %+v, %v", first.Result, err)
			}
			again, err := ingest.File(context.Background(), lateIdentity{w}, p, opt)
			if err != nil {
				t.Fatal(err)
			}
			if again.Result.AlreadyLoaded == nil || again.Result.AlreadyLoaded.LoadID != first.Result.LoadID || again.Result.Loaded != 0 {
				t.Fatalf("the same bytes again: %+v", again.Result)
			}
			var loads int
			if err := w.DB().QueryRow(`SELECT count(*) FROM loads`).Scan(&loads); err != nil || loads != 1 {
				t.Fatalf("%d loads recorded (%v), want 1", loads, err)
			}
		})
	}
}

// A file with old Mac line endings (a CR alone ends each line, as Excel for
// Mac's "CSV (Macintosh)" writes) loads every row, numbered by its line.
func TestOldMacLineEndings(t *testing.T) {
	p := fuzzFile(t, []byte("Mã hồ sơ,Mã đơn vị,Ngày tiếp nhận,Kênh\r"+
		"H1,000.01.01.H01,01/03/2024,Trực tiếp\r"+
		"H2,000.01.01.H01,02/03/2024,Fax\r"+
		"H3,000.01.01.H01,03/03/2024,\"Trực\rtuyến\"\r"+
		"H4,000.01.01.H01,04/03/2024,Trực tuyến\r"), "mac.csv")
	w := openWarehouse(t)
	res, err := ingest.File(context.Background(), w, p, ingest.FileOptions{Hasher: transform.NewHasher([]byte("k"))})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Result; r.Read != 4 || r.Loaded != 3 || r.Rejected != 1 {
		t.Fatalf("%+v", r)
	}
	var rows string
	if err := w.DB().QueryRow(`SELECT string_agg(dossier_code || '@' || source_row, ' ' ORDER BY source_row) FROM dossiers`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	// H3's channel cell spans lines 4 and 5 (and still reads as online).
	if rows != "H1@2 H3@4 H4@6" {
		t.Errorf("dossiers at lines: %s, want H1@2 H3@4 H4@6", rows)
	}
	if err := w.DB().QueryRow(`SELECT string_agg(source_row::VARCHAR, ' ' ORDER BY source_row) FROM rejects`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != "3" {
		t.Errorf("rejects at lines: %s, want 3", rows)
	}
}

// A file with more cells over two lines than DuckDB's reader can number
// (the row fixes, found beside the typing, refuse it) is read by ours:
// every row loads, each numbered by its first line.
func TestManyCellsOverLines(t *testing.T) {
	defer ingest.SetMaxRowFixes(200)()
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Mã đơn vị,Ngày tiếp nhận,Ghi chú\n")
	n := 300 // more than maxRowFixes
	for i := range n {
		fmt.Fprintf(&b, "H%d,000.01.01.H01,01/03/2024,\"dòng một\ndòng hai\"\n", i)
	}
	b.WriteString("X1,000.01.01.H01,31/02/2024,\n")
	p := fuzzFile(t, []byte(b.String()), "notes.csv")
	w := openWarehouse(t)
	res, err := ingest.File(context.Background(), w, p, ingest.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Result; r.Read != int64(n+1) || r.Loaded != int64(n) || r.Rejected != 1 || res.DuckDBRead {
		t.Fatalf("%+v, read by DuckDB %v", r, res.DuckDBRead)
	}
	var first, last, reject int64
	if err := w.DB().QueryRow(`SELECT min(source_row), max(source_row), (SELECT source_row FROM rejects) FROM dossiers`).Scan(&first, &last, &reject); err != nil {
		t.Fatal(err)
	}
	if first != 2 || last != int64(2*n) || reject != int64(2*n+2) {
		t.Errorf("rows %d..%d, reject at %d; want 2..%d, reject at %d", first, last, reject, 2*n, 2*n+2)
	}
}

// A file whose cells break lines in many places, irregularly (in runs,
// at the edges of the lookup's 64-row blocks, over three lines, beside
// blank lines), is read by DuckDB, and every row, stored or rejected,
// gets the line our reader gives it.
func TestManyRowFixesAreLineNumbers(t *testing.T) {
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Mã đơn vị,Kênh,Ngày tiếp nhận,Ghi chú\n")
	breaks := map[int]string{}
	for _, i := range []int{0, 1, 2, 62, 63, 64, 65, 127, 128, 191, 255, 256, 257, 500, 501, 502, 503, 640, 641} {
		breaks[i] = "\"một\nhai\""
	}
	for i := 700; i < 1000; i += 7 {
		breaks[i] = "\"một\nhai\nba\""
	}
	const n = 1200
	for i := range n {
		note, ok := breaks[i]
		if !ok {
			note = "x"
		}
		channel := "Trực tiếp"
		if i%97 == 5 {
			channel = "Fax" // rejected: its row number is reported
		}
		fmt.Fprintf(&b, "H%04d,000.01.01.H01,%s,01/03/2024,%s\n", i, channel, note)
		if i%211 == 3 {
			b.WriteString("\n")
		}
	}
	p := fuzzFile(t, []byte(b.String()), "breaks.csv")
	rows := func(goReader bool) string {
		w := openWarehouse(t)
		res, err := ingest.File(context.Background(), w, p, ingest.FileOptions{Hasher: transform.NewHasher([]byte("k")), GoReader: goReader})
		if err != nil {
			t.Fatal(err)
		}
		if res.DuckDBRead == goReader || res.Result.Read != n {
			t.Fatalf("our reader %v: read by DuckDB %v, %+v", goReader, res.DuckDBRead, res.Result)
		}
		var s string
		if err := w.DB().QueryRow(`SELECT string_agg(dossier_code || '@' || source_row, ' ' ORDER BY dossier_code)
			|| ' rejects ' || (SELECT string_agg(source_row::VARCHAR, ' ' ORDER BY source_row) FROM rejects) FROM dossiers`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	fast, slow := rows(false), rows(true)
	if fast != slow {
		t.Errorf("rows differ:\nDuckDB: %s\nours:   %s", fast, slow)
	}
	if !strings.Contains(slow, "H1199@") || strings.Count(slow, "@") != n-13 {
		t.Errorf("our reader: %s", slow)
	}
}

// openWarehouse opens a new warehouse in a temp folder, closed when the test ends.
func openWarehouse(t *testing.T) *warehouse.Warehouse {
	t.Helper()
	w, err := warehouse.Open(context.Background(), filepath.Join(t.TempDir(), "w.duckdb"), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// jsonRecords are n records of a ward API, a line each.
func jsonRecords(n int) []string {
	recs := make([]string, n)
	for i := range recs {
		recs[i] = fmt.Sprintf(`{"MaHoSo": "H05.01-240305-%05d", "KenhThucHien": 1, "NgayTiepNhan": "20240305081500", "TrangThaiHoSo": 4}`, i)
	}
	return recs
}

// A null among the records is no record, and does not end the reading:
// past the first records (read ahead to learn the keys), one did, and
// every record after it was lost without a word. Nor does it count: the
// record after it is numbered as the next record, by whichever reader
// (DuckDB's counted it as a row, for a file whose first records were all
// of it).
func TestNullRecordIsSkipped(t *testing.T) {
	for _, c := range []struct{ n, null, bad int }{{1200, 1100, 1150}, {50, 10, 20}} {
		recs := jsonRecords(c.n)
		recs[c.bad] = strings.Replace(recs[c.bad], "20240305081500", "not a date", 1)
		text := "[\n" + strings.Join(recs[:c.null], ",\n") + ",\nnull,\n" + strings.Join(recs[c.null:], ",\n") + "\n]"
		p := filepath.Join(t.TempDir(), "nulls.json")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, goReader := range []bool{true, false} {
			w := openWarehouse(t)
			res, err := ingest.File(context.Background(), w, p, ingest.FileOptions{Hasher: transform.NewHasher([]byte("k")), GoReader: goReader})
			if err != nil || res.Result.Loaded != int64(c.n-1) || res.Result.Rejected != 1 || res.Result.Skipped != 0 {
				t.Fatalf("%d records, our reader only %v: %v %+v", c.n, goReader, err, res.Result)
			}
			if row := res.Result.Rejects[0].Row; row != int64(c.bad+1) {
				t.Errorf("%d records, our reader only %v: the bad record %d is numbered %d", c.n, goReader, c.bad+1, row)
			}
		}
	}
}

// A JSON file cut short (a download interrupted) is an error that says
// so, not its first records loaded as if they were all of them.
func TestTruncatedJSONIsAnError(t *testing.T) {
	for name, text := range map[string]string{
		"array":   "[\n" + strings.Join(jsonRecords(1200), ",\n"),
		"wrapper": `{"status": "ok", "data": [` + strings.Join(jsonRecords(1200), ",\n"),
	} {
		t.Run(name, func(t *testing.T) {
			defer ingest.SetStreamWrapperBytes(0)()
			p := filepath.Join(t.TempDir(), "cut.json")
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			w := openWarehouse(t)
			res, err := ingest.File(context.Background(), w, p, ingest.FileOptions{Hasher: transform.NewHasher([]byte("k"))})
			if err == nil || !strings.Contains(err.Error(), "cut short") {
				t.Fatalf("got %v, %+v; want an error saying the file was cut short", err, res.Result)
			}
			var n int
			if err := w.DB().QueryRow(`SELECT count(*) FROM dossiers`).Scan(&n); err != nil || n != 0 {
				t.Fatalf("%d dossiers stored (%v), want none", n, err)
			}
		})
	}
}

// An export in date order keeps its pending dossiers, with statuses and
// channels of their own, for last: the first rows are a poor sample, and
// the typing pass typed the file twice. Lines sampled from across the file
// spare that, and the dossiers are the same.
func TestSpreadSampleSparesTypingTwice(t *testing.T) {
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Mã đơn vị,Kênh,Trạng thái,Ngày tiếp nhận,Ngày có kết quả\n")
	for i := range 9000 {
		if i < 5000 {
			fmt.Fprintf(&b, "H01-240301-%05d,H01,Trực tiếp,Đã trả kết quả,01/03/2024 08:00,05/03/2024 16:%02d\n", i, i%60)
		} else {
			fmt.Fprintf(&b, "H01-240301-%05d,H01,BCCI,Chờ bổ sung,01/03/2024 08:00,\n", i)
		}
	}
	p := fuzzFile(t, []byte(b.String()), "by-date.csv")
	typedOnceSampledAcross(t, p, 9000)
}

// The national status and channel codes are read in the typing pass even
// when the first records do not show them: an API's records in date order
// are resolved (10) at the top, and were typed twice.
func TestCodesPastTheSampleAreReadAtOnce(t *testing.T) {
	var b strings.Builder
	for i := range 9000 {
		if i < 5000 {
			fmt.Fprintf(&b, `{"MaHoSo": "H05.01-240305-%05d", "KenhThucHien": 1, "NgayTiepNhan": "20240305081500", "NgayTra": "20240308081500", "TrangThaiHoSo": 10}`+"\n", i)
		} else {
			fmt.Fprintf(&b, `{"MaHoSo": "H05.01-240305-%05d", "KenhThucHien": %d, "NgayTiepNhan": "20240305081500", "NgayTra": null, "TrangThaiHoSo": %d}`+"\n", i, 2+i%2, 4+i%2)
		}
	}
	p := fuzzFile(t, []byte(b.String()), "by-date.ndjson")
	w, log := openLogged(t)
	res, err := ingest.File(context.Background(), w, p, ingest.FileOptions{})
	if err != nil || !res.DuckDBRead || res.Result.Loaded != 9000 {
		t.Fatalf("%+v, read by DuckDB %v: %v", res.Result, res.DuckDBRead, err)
	}
	var s string
	if err := w.DB().QueryRow(`SELECT string_agg(channel || ' ' || status || ' ' || n, ', ' ORDER BY channel, status) FROM (SELECT channel::VARCHAR AS channel, status, count(*) AS n FROM dossiers GROUP BY ALL)`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	if want := "direct 10 5000, online 4 2000, postal 5 2000"; s != want {
		t.Errorf("dossiers %s, want %s", s, want)
	}
	if strings.Contains(log.String(), "typing again") {
		t.Errorf("typed twice")
	}
}

// The same for JSON records in date order, statuses written out: records
// from across the file join the sample, and the file is typed once.
func TestSpreadJSONSampleSparesTypingTwice(t *testing.T) {
	var b strings.Builder
	b.WriteString("[\n")
	for i := range 9000 {
		status, done := "Đã trả kết quả", `"20240308081500"`
		if i >= 5000 {
			status, done = "Chờ bổ sung", "null"
		}
		sep := ","
		if i == 8999 {
			sep = ""
		}
		fmt.Fprintf(&b, `{"MaHoSo": "H05.01-240305-%05d", "KenhThucHien": 1, "NgayTiepNhan": "20240305081500", "NgayTra": %s, "TrangThai": "%s"}%s`+"\n", i, done, status, sep)
	}
	b.WriteString("]\n")
	p := fuzzFile(t, []byte(b.String()), "by-date.json")
	typedOnceSampledAcross(t, p, 9000)
}

// A quote inside an unquoted cell (5" for inches) is text to both
// readers; the line count did not know that, took it for a cell running
// on, and numbered every row after it wrong.
func TestStrayQuoteKeepsLineNumbers(t *testing.T) {
	text := "Mã hồ sơ,Mã đơn vị,Kênh,Ngày tiếp nhận,Ghi chú\n" + // 1
		"H1,000.01.01.H01,Trực tiếp,01/03/2024,màn hình 5\" cũ\n" + // 2
		"H2,000.01.01.H01,Trực tiếp,01/03/2024,b\n" + // 3
		"\n" + // 4
		"H3,000.01.01.H01,Fax,01/03/2024,c\n" + // 5: rejected
		"H4,000.01.01.H01,Trực tiếp,01/03/2024,\"dòng\nhai\"\n" + // 6-7
		"H5,000.01.01.H01,Fax,01/03/2024,d\n" // 8: rejected
	p := fuzzFile(t, []byte(text), "stray.csv")
	for _, goReader := range []bool{false, true} {
		w := openWarehouse(t)
		res, err := ingest.File(context.Background(), w, p, ingest.FileOptions{GoReader: goReader})
		if err != nil {
			t.Fatal(err)
		}
		if res.DuckDBRead == goReader {
			t.Fatalf("read by DuckDB %v", res.DuckDBRead)
		}
		var got []int64
		for _, r := range res.Result.Rejects {
			got = append(got, r.Row)
		}
		var note string
		if err := w.DB().QueryRow(`SELECT count(*) || ' ' || max(source_row) FROM dossiers`).Scan(&note); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != "[5 8]" || note != "3 6" {
			t.Errorf("our reader %v: rejects on lines %v (want [5 8]), dossiers and last row %q (want \"3 6\")", goReader, got, note)
		}
	}
}

// A workbook in date order, read by our reader, is typed once too: rows
// from across the staged file join the sample.
func TestWorkbookInDateOrderIsTypedOnce(t *testing.T) {
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"Mã hồ sơ", "Mã đơn vị", "Kênh", "Trạng thái", "Ngày tiếp nhận", "Ngày có kết quả"})
	for i := range 9000 {
		row := []any{fmt.Sprintf("H01-240301-%05d", i), "H01", "Trực tiếp", "Đã trả kết quả", "01/03/2024 08:00", "05/03/2024 16:00"}
		if i >= 5000 {
			row = []any{fmt.Sprintf("H01-240301-%05d", i), "H01", "BCCI", "Chờ bổ sung", "01/03/2024 08:00", ""}
		}
		f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+2), &row)
	}
	p := filepath.Join(t.TempDir(), "by-date.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	w, log := openLogged(t)
	res, err := ingest.File(context.Background(), w, p, ingest.FileOptions{})
	if err != nil || res.Result.Loaded != 9000 {
		t.Fatalf("%+v: %v", res.Result, err)
	}
	var s string
	if err := w.DB().QueryRow(`SELECT string_agg(channel || ' ' || status || ' ' || n, ', ' ORDER BY channel, status) FROM (SELECT channel::VARCHAR AS channel, status, count(*) AS n FROM dossiers GROUP BY ALL)`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	if want := "direct 10 5000, postal 5 4000"; s != want {
		t.Errorf("dossiers %s, want %s", s, want)
	}
	if strings.Contains(log.String(), "typing again") {
		t.Errorf("typed twice")
	}
}

// openLogged is openWarehouse with its debug log kept, for tests that look
// at what a load did on the way ("typing again").
func openLogged(t *testing.T) (*warehouse.Warehouse, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	w, err := warehouse.Open(context.Background(), filepath.Join(t.TempDir(), "w.duckdb"),
		warehouse.Options{Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, &log
}

// typedOnceSampledAcross loads a file of n dossiers whose first rows are a
// poor sample twice: sampled across, it must be typed once; from its first
// rows only, twice; both must give the same dossiers.
func typedOnceSampledAcross(t *testing.T, p string, n int64) {
	t.Helper()
	load := func(spreadFrom int64) (string, string) {
		defer ingest.SetSpreadMinBytes(spreadFrom)()
		w, log := openLogged(t)
		res, err := ingest.File(context.Background(), w, p, ingest.FileOptions{})
		if err != nil || !res.DuckDBRead || res.Result.Loaded != n {
			t.Fatalf("%+v, read by DuckDB %v: %v", res.Result, res.DuckDBRead, err)
		}
		var s string
		if err := w.DB().QueryRow(`SELECT string_agg(d::VARCHAR, '|' ORDER BY d.dossier_code) FROM (SELECT * EXCLUDE (load_id, state_hash, first_load_id) FROM dossiers) d`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s, log.String()
	}
	spread, spreadLog := load(0)
	head, headLog := load(1 << 40)
	if spread != head {
		t.Errorf("sampled across, the file gives other dossiers")
	}
	if strings.Contains(spreadLog, "typing again") || !strings.Contains(headLog, "typing again") {
		t.Errorf("typed again: sampled across %v, first rows only %v; want only the second",
			strings.Contains(spreadLog, "typing again"), strings.Contains(headLog, "typing again"))
	}
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
	if _, err := ingest.File(context.Background(), w, p, ingest.FileOptions{Hasher: transform.NewHasher([]byte("k"))}); err != nil {
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
		res, err := ingest.File(context.Background(), w, path, ingest.FileOptions{Hasher: h, GoReader: goReader})
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
