package pipeline_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"wardstat/pipeline"
)

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
	w := openWarehouse(t)
	res, err := pipeline.File(context.Background(), w, p, pipeline.FileOptions{})
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
	if res.Result.Typing.TypedAgain {
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
	w := openWarehouse(t)
	res, err := pipeline.File(context.Background(), w, p, pipeline.FileOptions{})
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
	if res.Result.Typing.TypedAgain {
		t.Errorf("typed twice")
	}
}

// typedOnceSampledAcross loads a file of n dossiers whose first rows are a
// poor sample twice: sampled across, it must be typed once; from its first
// rows only, twice; both must give the same dossiers.
func typedOnceSampledAcross(t *testing.T, p string, n int64) {
	t.Helper()
	load := func(spreadFrom int64) (string, bool) {
		defer pipeline.SetSpreadMinBytes(spreadFrom)()
		w := openWarehouse(t)
		res, err := pipeline.File(context.Background(), w, p, pipeline.FileOptions{})
		if err != nil || !res.DuckDBRead || res.Result.Loaded != n {
			t.Fatalf("%+v, read by DuckDB %v: %v", res.Result, res.DuckDBRead, err)
		}
		var s string
		if err := w.DB().QueryRow(`SELECT string_agg(d::VARCHAR, '|' ORDER BY d.dossier_code) FROM (SELECT * EXCLUDE (load_id, state_hash, first_load_id) FROM dossiers) d`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s, res.Result.Typing.TypedAgain
	}
	spread, spreadTwice := load(0)
	head, headTwice := load(1 << 40)
	if spread != head {
		t.Errorf("sampled across, the file gives other dossiers")
	}
	if spreadTwice || !headTwice {
		t.Errorf("typed again: sampled across %v, first rows only %v; want only the second", spreadTwice, headTwice)
	}
}
