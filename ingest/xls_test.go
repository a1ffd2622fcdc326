package ingest_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"wardstat/ingest"
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
		res, err := ingest.File(ctx, w, f, ingest.FileOptions{Hasher: h})
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

// A damaged workbook is refused with a clear line, at once: a sector chain
// that loops made the decoder read forever, a cut file made it panic.
func TestDamagedXLSIsRefused(t *testing.T) {
	good, err := os.ReadFile("../testdata/ingest/dossiers-400.xls")
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	looped := append([]byte(nil), good...)
	// The directory's first sector points back to itself in the FAT.
	dir := le.Uint32(looped[0x30:])
	fat := int64(le.Uint32(looped[0x4C+4*(dir/128):])+1) * 512 // 512-byte sectors, 128 entries each
	le.PutUint32(looped[fat+4*int64(dir%128):], dir)
	huge := append([]byte(nil), good...)
	le.PutUint32(huge[0x2C:], 1<<30) // FAT sectors
	for name, data := range map[string][]byte{
		"looped": looped, "cut": good[:len(good)/2], "huge": huge,
		"header only": good[:512], "garbage": append(append([]byte(nil), good[:8]...), make([]byte, 2000)...),
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "damaged.xls")
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				r, err := ingest.OpenXLS(p, "", transform.ScoreHeader)
				if err == nil {
					r.Close()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil {
					t.Fatal("a damaged workbook was read")
				}
				if !strings.Contains(err.Error(), "save it as .xlsx") {
					t.Errorf("error without advice: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("reading a damaged workbook did not end")
			}
		})
	}
	// A workbook with a password is another compound file, with no
	// workbook stream in it.
	if _, err := ingest.OpenXLS("../testdata/ingest/html-table.xls", "", nil); err == nil {
		t.Error("an HTML file was read as a binary workbook")
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
				res, err := ingest.File(context.Background(), w, p, ingest.FileOptions{Hasher: transform.NewHasher([]byte("k"))})
				if err != nil {
					t.Fatal(err)
				}
				all := append([]ingest.FileResult{res}, res.More...)
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
