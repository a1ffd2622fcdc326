package pipeline_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"wardstat/ingest"
	"wardstat/pipeline"
	"wardstat/transform"
)

// The same 400 dossiers, as CSV and as an Excel 97-2003 workbook (dates as
// date cells, phone numbers as numbers), load into the same rows: dates to
// the second, applicants, row numbers and state hashes.
func TestXLSLoadsAsTheCSV(t *testing.T) {
	ctx := context.Background()
	w := openWarehouse(t)
	h := transform.NewHasher([]byte("k"))
	for _, f := range []string{"../testdata/ingest/dossiers-400.csv", "../testdata/ingest/dossiers-400.xls"} {
		res, err := pipeline.File(ctx, w, f, pipeline.FileOptions{Hasher: h})
		if err != nil {
			t.Fatal(err)
		}
		// The second load finds every dossier unchanged.
		if r := res.Result; r.Read != 400 || r.Rejected != 0 || r.Loaded+r.Duplicate != 400 {
			t.Fatalf("%s: %+v", f, r)
		}
		if strings.HasSuffix(f, ".xls") {
			if res.Format != ingest.XLS {
				t.Errorf("format %s, want xls", res.Format)
			}
			if res.Result.Loaded != 0 || res.Result.Duplicate != 400 {
				t.Errorf("the workbook changed %d of the CSV's dossiers, want none: %+v", res.Result.Loaded, res.Result)
			}
		}
	}
	var n int
	if err := w.DB().QueryRow(`SELECT count(*) FROM dossiers WHERE received_at IS NULL OR date_part('microsecond', received_at) % 1000000 <> 0`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d receipt times off the second (%v)", n, err)
	}
}

// A workbook with dossiers in several sheets (one a ward, here with its
// columns in another order, beside a cover sheet) loads every such sheet,
// each its own load; loading it again changes nothing. Only the best sheet
// was read before, and the others were dropped without a word.
func TestEveryDossierSheetIsLoaded(t *testing.T) {
	dir := t.TempDir()
	f := excelize.NewFile()
	f.SetCellValue("Sheet1", "A1", "Hướng dẫn: mỗi phường một trang")
	header := []any{"Mã hồ sơ", "Hình thức nộp", "Ngày tiếp nhận", "Ngày hẹn trả", "Trạng thái"}
	for i, s := range []string{"Phường 1", "Phường 2"} {
		f.NewSheet(s)
		h := header
		if i == 1 {
			h = []any{"Trạng thái", "Ngày tiếp nhận", "Mã hồ sơ", "Ngày hẹn trả", "Hình thức nộp"}
		}
		f.SetSheetRow(s, "A1", &h)
		for r := range 3 {
			v := map[string]any{"Mã hồ sơ": fmt.Sprintf("H05.0%d-240305-000%d", i+1, r), "Hình thức nộp": "Trực tiếp",
				"Ngày tiếp nhận": "05/03/2024 08:00", "Ngày hẹn trả": "08/03/2024", "Trạng thái": "Đang xử lý"}
			row := make([]any, len(h))
			for k, name := range h {
				row[k] = v[name.(string)]
			}
			f.SetSheetRow(s, fmt.Sprintf("A%d", r+2), &row)
		}
	}
	xlsx := filepath.Join(dir, "two-wards.xlsx")
	if err := f.SaveAs(xlsx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{xlsx, "../testdata/ingest/two-wards.xls"} {
		t.Run(filepath.Ext(p), func(t *testing.T) {
			w := openWarehouse(t)
			for round := range 2 {
				res, err := pipeline.File(context.Background(), w, p, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("k"))})
				if err != nil {
					t.Fatal(err)
				}
				all := append([]pipeline.FileResult{res}, res.More...)
				if len(all) != 2 || all[0].Sheet != "Phường 1" || all[1].Sheet != "Phường 2" {
					t.Fatalf("round %d: %d loads, sheets %q %q", round, len(all), all[0].Sheet, res.Sheet)
				}
				for _, r := range all {
					if round == 0 && (r.Result.Loaded != 3 || r.Result.Rejected != 0) {
						t.Errorf("%s: %+v", r.Path, r.Result)
					}
					if round == 1 && r.Result.AlreadyLoaded == nil {
						t.Errorf("%s loaded again: %+v", r.Path, r.Result)
					}
				}
			}
			var wards string
			if err := w.DB().QueryRow(`SELECT string_agg(ward_code || ':' || n, ' ' ORDER BY ward_code) FROM (SELECT ward_code, count(*) AS n FROM dossiers GROUP BY 1)`).Scan(&wards); err != nil || wards != "H05.01:3 H05.02:3" {
				t.Errorf("dossiers by ward %q (%v), want 3 of each ward", wards, err)
			}
		})
	}
}
