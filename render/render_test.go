package render

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"math/big"
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
  {"ward_code": "H01", "received_total": 13, "on_time_rate": 66.67, "month": "2024-03-01"},
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
	if !strings.HasPrefix(b.String(), "ward_code,received_total,on_time_rate,month\nH01,13,66.67,2024-03-01\nH02,1,,") {
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
