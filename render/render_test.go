package render

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"io"
	"math/big"
	"runtime"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

func sample() Result {
	return Result{
		Columns: []string{"ward_code", "received_total", "on_time_rate", "month"},
		Rows: [][]any{
			{"H01", int64(13), 66.67, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
			{"H02", new(big.Int).SetInt64(1), nil, time.Date(2024, 3, 1, 8, 30, 0, 0, time.UTC)},
		},
	}
}

func TestJSONKeepsColumnNamesAndOrder(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, sample()); err != nil {
		t.Fatal(err)
	}
	want := `[
  {"ward_code": "H01", "received_total": 13, "on_time_rate": 66.67, "month": "2024-03-01 00:00:00"},
  {"ward_code": "H02", "received_total": 1, "on_time_rate": null, "month": "2024-03-01 08:30:00"}
]
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	JSON(&b, Result{Columns: []string{"a"}})
	if b.String() != "[]\n" {
		t.Fatalf("empty: %q", b.String())
	}
}

func TestTableLabelsAndAlignment(t *testing.T) {
	var b bytes.Buffer
	if err := Table(&b, sample(), "vi"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if !strings.HasPrefix(lines[0], "Mã đơn vị  Tổng tiếp nhận") {
		t.Fatalf("header: %q", lines[0])
	}
	if !strings.Contains(lines[3], "             1") {
		t.Fatalf("numbers align right, HUGEINT included: %q", lines[3])
	}
	b.Reset()
	Table(&b, sample(), "en")
	if !strings.HasPrefix(b.String(), "Ward code  Received") {
		t.Fatalf("en: %q", b.String())
	}
}

func TestCSV(t *testing.T) {
	var b bytes.Buffer
	if err := CSV(&b, sample()); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "ward_code,received_total,on_time_rate,month\nH01,13,66.67,2024-03-01 00:00:00\nH02,1,,") {
		t.Fatalf("%q", b.String())
	}
}

// A UUID column (applicant_key) reads as DuckDB prints it, not as 16 raw
// bytes, in every format.
func TestUUIDsReadAsText(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT '5f455ba2-445a-edf1-0345-d8589d994c09'::UUID AS applicant_key, NULL::UUID AS none`)
	if err != nil {
		t.Fatal(err)
	}
	r, err := FromRows(rows)
	if err != nil {
		t.Fatal(err)
	}
	if got := Text(r.Rows[0][0]); got != "5f455ba2-445a-edf1-0345-d8589d994c09" {
		t.Errorf("table: %q", got)
	}
	var b bytes.Buffer
	if err := JSON(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"applicant_key": "5f455ba2-445a-edf1-0345-d8589d994c09", "none": null`) {
		t.Errorf("json: %s", b.String())
	}
}

// MAP, STRUCT and LIST values read as JSON text in every format (issue 14,
// item 11: they printed as Go's map[k:v] / OrderedMap{k: v}, and --format
// json could not write a MAP at all). A MAP keeps its order.
func TestNestedValuesReadAsJSON(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT MAP {'zeta': 2, 'alpha': 1} AS m,
		{'ward': 'H01', 'n': 3, 'rate': 96.5, 'day': DATE '2026-10-01'} AS s,
		[1, NULL, 3] AS l,
		[{'k': 'Đã "xử lý"', 'v': [true, false]}] AS ls,
		MAP {1: MAP {'a': NULL::INTEGER}} AS mm,
		NULL::MAP(VARCHAR, INTEGER) AS none`)
	if err != nil {
		t.Fatal(err)
	}
	r, err := FromRows(rows)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"zeta": 2, "alpha": 1}`,
		`{"day": "2026-10-01", "n": 3, "rate": 96.5, "ward": "H01"}`,
		`[1, null, 3]`,
		`[{"k": "Đã \"xử lý\"", "v": [true, false]}]`,
		`{"1": {"a": null}}`,
		``,
	}
	for i, w := range want {
		if got := Text(r.Rows[0][i]); got != w {
			t.Errorf("%s: table text %q, want %q", r.Columns[i], got, w)
		}
	}
	var b bytes.Buffer
	if err := CSV(&b, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "map[") || strings.Contains(b.String(), "OrderedMap") || !strings.Contains(b.String(), `"{""zeta"": 2, ""alpha"": 1}"`) {
		t.Errorf("csv: %s", b.String())
	}
	b.Reset()
	if err := JSON(&b, r); err != nil {
		t.Fatalf("json: %v", err)
	}
	var parsed []map[string]any
	if err := json.Unmarshal(b.Bytes(), &parsed); err != nil {
		t.Fatalf("json output is not JSON: %v\n%s", err, b.String())
	}
	if !strings.Contains(b.String(), `"m": {"zeta": 2, "alpha": 1}`) || parsed[0]["none"] != nil {
		t.Errorf("json: %s", b.String())
	}
	b.Reset()
	if err := Table(&b, r, "en"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "map[") || strings.Contains(b.String(), "OrderedMap") {
		t.Errorf("table: %s", b.String())
	}
}

// Stream writes what CSV and JSON write over the whole result, holding one
// row at a time: a million rows go out with the heap flat.
func TestStreamMatchesAndHoldsOneRow(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const q = `SELECT range AS n, 'H' || range AS ward, [range, NULL] AS l, '5f455ba2-445a-edf1-0345-d8589d994c09'::UUID AS u,
		CASE WHEN range % 2 = 0 THEN 1.5 END AS rate, MAP {'k': range} AS m FROM range(3)`
	for _, format := range []string{"csv", "json"} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		var streamed bytes.Buffer
		if n, err := Stream(&streamed, rows, format); err != nil || n != 3 {
			t.Fatalf("%s: %d rows, %v", format, n, err)
		}
		rows, _ = db.Query(q)
		res, err := FromRows(rows)
		if err != nil {
			t.Fatal(err)
		}
		var whole bytes.Buffer
		Write(&whole, res, format, "")
		if streamed.String() != whole.String() {
			t.Errorf("%s: streamed\n%s\nwhole\n%s", format, streamed.String(), whole.String())
		}
	}
	rows, _ := db.Query(`SELECT 1 AS a WHERE false`)
	var empty bytes.Buffer
	Stream(&empty, rows, "json")
	if empty.String() != "[]\n" {
		t.Errorf("empty json: %q", empty.String())
	}

	rows, err = db.Query(`SELECT range AS n, md5(range::VARCHAR) AS h FROM range(1000000)`)
	if err != nil {
		t.Fatal(err)
	}
	var peak uint64
	done := make(chan struct{})
	sampled := make(chan struct{})
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	go func() {
		defer close(sampled)
		for {
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak {
				peak = ms.HeapInuse
			}
		}
	}()
	n, err := Stream(io.Discard, rows, "csv")
	close(done)
	<-sampled
	if err != nil || n != 1_000_000 {
		t.Fatalf("%d rows, %v", n, err)
	}
	t.Logf("the heap grew by %d MB", (int64(peak)-int64(base))>>20)
	if grew := int64(peak) - int64(base); grew > 64<<20 {
		t.Errorf("streaming 1M rows grew the heap by %d MB", grew>>20)
	}
}

// TestOneColumnOneFormat: a column's values print alike (issue 16, trap 9):
// a rate column of 40 and 33.1 prints 40.00 and 33.10, never 40 beside
// 33.10; a TIMESTAMP column prints midnight with its time, never a date
// beside a date and time; a DATE column prints dates; a DECIMAL its scale.
func TestOneColumnOneFormat(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	query := `SELECT * FROM (VALUES
		(40.0::DOUBLE, TIMESTAMP '2024-03-01 00:00:00', DATE '2024-03-01', 1.5::DECIMAL(5,2)),
		(33.1::DOUBLE, TIMESTAMP '2024-03-02 08:30:00', DATE '2024-03-02', 2::DECIMAL(5,2))) t(rate, seen_at, day, fee)`
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	res, err := FromRows(rows)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Table(&b, res, ""); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"40.00", "33.10", "2024-03-01 00:00:00", "2024-03-02 08:30:00", "1.50", "2.00"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	for _, line := range strings.Split(b.String(), "\n")[2:] {
		if f := strings.Fields(line); len(f) > 3 && len(f[3]) != len("2024-03-01") {
			t.Errorf("DATE column: %q", line)
		}
	}
	for _, format := range []string{"csv", "json"} {
		rows, err := db.Query(query)
		if err != nil {
			t.Fatal(err)
		}
		b.Reset()
		if _, err := Stream(&b, rows, format); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "2024-03-01 00:00:00") || strings.Contains(b.String(), "2024-03-01\"") && format == "csv" {
			t.Errorf("%s: a TIMESTAMP at midnight prints without its time:\n%s", format, b.String())
		}
	}
	// A result built by hand (no types): the values decide, for the whole column.
	b.Reset()
	if err := CSV(&b, sample()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "2024-03-01 00:00:00") {
		t.Errorf("hand-built result, time column: %s", b.String())
	}
}
