package pipeline_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wardstat/ingest"
	"wardstat/pipeline"
	"wardstat/transform"
)

// Wrapped JSON above the streaming size is walked to its records, not read
// whole: the same dossiers come out.
func TestLargeWrapperStreams(t *testing.T) {
	defer ingest.SetStreamWrapperBytes(0)()
	for _, f := range []string{"../testdata/ingest/wrapped-nested.json", "../testdata/ingest/igate-like.json", "../testdata/ingest/portal-sync.ndjson"} {
		t.Run(filepath.Base(f), func(t *testing.T) {
			w := openWarehouse(t)
			res, err := pipeline.File(context.Background(), w, f, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("k"))})
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
	res, err := pipeline.File(context.Background(), w, p, pipeline.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.DuckDBRead || res.Result.Read != int64(len(lines)) || res.Result.Loaded+res.Result.Rejected != res.Result.Read {
		t.Fatalf("DuckDB read it: %v; %+v", res.DuckDBRead, res.Result)
	}
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
		res, err := pipeline.File(context.Background(), w, p, pipeline.FileOptions{})
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
			res, err := pipeline.File(context.Background(), w, p, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("k")), GoReader: goReader})
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
			res, err := pipeline.File(context.Background(), w, p, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("k"))})
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
