package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wardstat/pipeline"
	"wardstat/transform"
	"wardstat/warehouse"
)

// missingHeader is the tester's header: eleven columns, the applicant's
// name, phone and ID number last.
const missingHeader = "Mã hồ sơ,Mã đơn vị,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Hình thức nộp,Lĩnh vực,Tên thủ tục,Chủ hồ sơ,Số điện thoại,Số CCCD"

// missingPlanted are the applicant's data of the short rows, found in no
// other row: wherever they are found in the warehouse's bytes, a short
// row's cells were stored in free-text columns (a name in sector).
var missingPlanted = []string{"Đỗ Thị Riêng Tư", "0977111222", "001203999999"}

// shortRow is the tester's row: the sector and the procedure left out,
// nine cells of eleven; the name slides into sector, the phone into
// procedure_name.
func shortRow(code string) string {
	return code + ",000.31.09.H26,02/10/2026 08:00,05/10/2026,03/10/2026,Trực tiếp,Đỗ Thị Riêng Tư,0977111222,001203999999"
}

func fullRow(i int, tail string) string {
	return fmt.Sprintf("000.31.09.H26-261002-%04d,000.31.09.H26,02/10/2026 08:00,05/10/2026,03/10/2026,Trực tiếp,Hộ tịch,Đăng ký khai sinh%s", i, tail)
}

// loadBoth loads p with DuckDB's reader (when the plan allows) and with
// ours, and returns, per reader, the rejects as "row:code" and the values
// the rejects keep; it fails when a planted value is in the warehouse's
// bytes, or the readers' dossiers differ.
func loadBoth(t *testing.T, p string, planted []string) (rejects, values [2]string, loaded [2]int64) {
	t.Helper()
	var got [2]string
	for i, goReader := range []bool{false, true} {
		dbPath := filepath.Join(t.TempDir(), "w.duckdb")
		w, err := warehouse.Open(context.Background(), dbPath, warehouse.Options{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := pipeline.File(context.Background(), w, p, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("k")), GoReader: goReader})
		if err != nil {
			t.Fatalf("our reader %v: %v", goReader, err)
		}
		var dump string
		if err := w.DB().QueryRow(`SELECT coalesce((SELECT string_agg(source_row || ':' || reason_code, ' ' ORDER BY source_row) FROM rejects), ''),
			coalesce((SELECT string_agg(DISTINCT value, '|') FROM rejects), ''),
			coalesce((SELECT md5(string_agg(d::VARCHAR, '|' ORDER BY d.dossier_code)) FROM (SELECT * EXCLUDE (load_id, first_load_id, state_hash) FROM dossiers) d), '')`).
			Scan(&rejects[i], &values[i], &dump); err != nil {
			t.Fatal(err)
		}
		r := res.Result
		loaded[i] = r.Loaded
		got[i] = fmt.Sprintf("%s %v|%s", dump, []int64{r.Read, r.Loaded, r.Rejected, r.Skipped}, rejects[i])
		if _, err := w.DB().Exec("CHECKPOINT"); err != nil {
			t.Fatal(err)
		}
		w.Close()
		files, _ := filepath.Glob(dbPath + "*")
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				continue // a folder
			}
			for _, s := range planted {
				if bytes.Contains(data, []byte(s)) {
					t.Errorf("our reader %v: %s holds %q in clear", goReader, filepath.Base(f), s)
				}
			}
		}
	}
	if got[0] != got[1] {
		t.Errorf("the readers differ:\nDuckDB's: %s\nours:     %s", got[0], got[1])
	}
	return rejects, values, loaded
}

// TestShortRowsAreRejected: a CSV row with fewer cells than the header (a
// cell left out, the cells after it slid back: a name into sector, a
// phone into procedure_name) is rejected on its line as missing_cells,
// by DuckDB's reader and ours alike, among the first rows (read before
// the header's width is known) or far below them (where DuckDB's reader
// pads the row with NULLs), and its cells reach no column in clear.
func TestShortRowsAreRejected(t *testing.T) {
	const n = 1500
	for _, early := range []bool{false, true} {
		t.Run(fmt.Sprintf("early=%v", early), func(t *testing.T) {
			short := map[int]bool{120: true, 1002: true, n: true}
			want := "121:missing_cells 1003:missing_cells 1501:missing_cells"
			if early {
				short[5] = true
				want = "6:missing_cells " + want
			}
			var b strings.Builder
			b.WriteString(missingHeader + "\n")
			for i := 1; i <= n; i++ {
				if short[i] {
					b.WriteString(shortRow(fmt.Sprintf("000.31.09.H26-261002-%04d", i)) + "\n")
					continue
				}
				tail := ",Nguyễn Văn A,0900000000,001200000000"
				if i%9 == 0 {
					tail = ",,," // empty cells at the end, written: a full row
				}
				b.WriteString(fullRow(i, tail) + "\n")
			}
			p := filepath.Join(t.TempDir(), "export.csv")
			if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			rejects, values, loaded := loadBoth(t, p, missingPlanted)
			for i := range rejects {
				if rejects[i] != want || values[i] != "9/11" || loaded[i] != int64(n-len(short)) {
					t.Errorf("reader %d: rejects %q (values %q), loaded %d; want %q (9/11), %d", i, rejects[i], values[i], loaded[i], want, n-len(short))
				}
			}
		})
	}
}

// TestShortRowsTolerated: an export that leaves out the empty cells at
// the end of its rows (most of its first rows shorter than the header the
// same way) is read whole, by both readers; a row shorter still is
// rejected.
func TestShortRowsTolerated(t *testing.T) {
	const n = 300
	var b strings.Builder
	b.WriteString(missingHeader + "\n")
	for i := 1; i <= n; i++ {
		switch {
		case i == 250:
			b.WriteString(fmt.Sprintf("000.31.09.H26-261002-%04d,000.31.09.H26,02/10/2026 08:00,05/10/2026,03/10/2026,Trực tiếp,Đỗ Thị Riêng Tư\n", i))
		case i%4 == 0:
			b.WriteString(fullRow(i, ",Nguyễn Văn A,0900000000,001200000000") + "\n")
		default:
			b.WriteString(fullRow(i, "") + "\n") // the applicant's three cells left out, empty
		}
	}
	p := filepath.Join(t.TempDir(), "export.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	rejects, values, loaded := loadBoth(t, p, []string{"Đỗ Thị Riêng Tư"})
	for i := range rejects {
		if rejects[i] != "251:missing_cells" || values[i] != "7/8" || loaded[i] != n-1 {
			t.Errorf("reader %d: rejects %q (values %q), loaded %d; want 251:missing_cells (7/8), %d", i, rejects[i], values[i], loaded[i], n-1)
		}
	}
}

// TestShortHTMLRowsAreRejected: an HTML table's row missing a <td> is
// rejected too; a cell spanning two columns is no missing one.
func TestShortHTMLRowsAreRejected(t *testing.T) {
	var b strings.Builder
	b.WriteString("<html><body><table>\n<tr><th>" + strings.ReplaceAll(missingHeader, ",", "</th><th>") + "</th></tr>\n")
	row := func(line string) {
		b.WriteString("<tr><td>" + strings.ReplaceAll(line, ",", "</td><td>") + "</td></tr>\n")
	}
	for i := 1; i <= 20; i++ {
		switch i {
		case 7:
			row(shortRow(fmt.Sprintf("000.31.09.H26-261002-%04d", i)))
		case 9:
			b.WriteString(strings.Replace("<tr><td>"+strings.ReplaceAll(fullRow(i, ",,,"), ",", "</td><td>")+"</td></tr>\n",
				"<td></td><td></td></tr>", `<td colspan="2"></td></tr>`, 1))
		default:
			row(fullRow(i, ",Nguyễn Văn A,0900000000,001200000000"))
		}
	}
	b.WriteString("</table></body></html>\n")
	p := filepath.Join(t.TempDir(), "export.xls")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	rejects, values, loaded := loadBoth(t, p, missingPlanted)
	if rejects[1] != "8:missing_cells" || values[1] != "9/11" || loaded[1] != 19 {
		t.Errorf("rejects %q (values %q), loaded %d; want 8:missing_cells (9/11), 19", rejects[1], values[1], loaded[1])
	}
}
