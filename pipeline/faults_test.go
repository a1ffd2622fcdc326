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

// exportWithFault writes a ward export of n data rows (line i+1 holds
// dossier i) whose data row at (1-based) is written by fault instead, and
// returns its path. Every tenth row quotes its procedure name, as
// exports do for a name with a comma: a quote left open meets those.
func exportWithFault(t *testing.T, n, at int, fault func(code string) string) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("Mã hồ sơ,Mã đơn vị,Tên thủ tục,Lĩnh vực,Hình thức nộp,Ngày tiếp nhận,Ngày hẹn trả,Trạng thái,Lệ phí\n")
	for i := 1; i <= n; i++ {
		code := fmt.Sprintf("000.10.27.H37-210101-%07d", i)
		if i == at {
			b.WriteString(fault(code))
			continue
		}
		procedure := "Đăng ký khai sinh"
		if i%10 == 0 {
			procedure = `"Cấp bản sao, trích lục"`
		}
		fmt.Fprintf(&b, "%s,000.10.27.H37,%s,Hộ tịch,Trực tiếp,01/01/2021 08:29:50,10/01/2021 08:29:50,Chờ bổ sung,6000\n", code, procedure)
	}
	p := filepath.Join(t.TempDir(), "export.csv")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// faultAt is the data row the tests write their attack at (line 1002).
const faultAt = 1001

// loadedBothWays loads a file through DuckDB's reader (where it can) and
// through ours, checks that every data line is accounted for and that
// both give the same dossiers and rejects, and returns the rejects
// ("line:code"). at is the attack's data row, n the dossiers written;
// rows is how many rows the file has (read counts them),
// or -1 when some are lines of a broken cell (skipped, having no code);
// shift is how many lines the attack's row takes past its own. Each
// dossier but the attack's must be stored, on its own line.
func loadedBothWays(t *testing.T, path string, at, n, rows, shift int) string {
	t.Helper()
	var got [2]string
	for i, goReader := range []bool{false, true} {
		w := openWarehouse(t)
		res, err := pipeline.File(context.Background(), w, path, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("k")), GoReader: goReader})
		if err != nil {
			t.Fatalf("our reader %v: %v", goReader, err)
		}
		r := res.Result
		if (rows >= 0 && r.Read != int64(rows)) || r.Loaded+r.Rejected != r.Read || r.Duplicate != 0 {
			t.Fatalf("our reader %v: %+v; want read %d, each row loaded or rejected", goReader, r, rows)
		}
		// Each stored dossier sits on its own line: row i on line i+1,
		// shift more past the attack.
		var placed int64
		var rejects string
		if err := w.DB().QueryRow(`SELECT (SELECT count(*) FROM dossiers
				WHERE source_row = right(dossier_code, 7)::INT + 1 + CASE WHEN right(dossier_code, 7)::INT > ? THEN ? ELSE 0 END),
			coalesce((SELECT string_agg(source_row || ':' || reason_code, ' ' ORDER BY source_row) FROM rejects), '')`,
			at, shift).Scan(&placed, &rejects); err != nil {
			t.Fatal(err)
		}
		want := int64(n)
		if rejects != "" {
			want--
		}
		if placed != want || placed != r.Loaded {
			t.Errorf("our reader %v: %d dossiers on their lines, %d loaded, want %d", goReader, placed, r.Loaded, want)
		}
		var dump string
		if err := w.DB().QueryRow(`SELECT md5(string_agg(d::VARCHAR, '|' ORDER BY d.dossier_code))
			FROM (SELECT * EXCLUDE (load_id, first_load_id, state_hash) FROM dossiers) d`).Scan(&dump); err != nil {
			t.Fatal(err)
		}
		got[i] = fmt.Sprintf("%s %v|%s", dump, []int64{r.Read, r.Loaded, r.Rejected, r.Skipped}, rejects)
		w.Close()
	}
	if got[0] != got[1] {
		t.Errorf("the readers differ:\nDuckDB's: %s\nours:     %s", got[0], got[1])
	}
	_, rejects, _ := strings.Cut(got[1], "|")
	return rejects
}

// A quote that opens a cell and never closes (the row 1,001 of
// 200,001 lines) dropped every row after it without a word, or swallowed
// them into one reject with the wrong reason. Now its line alone is
// rejected, as an unclosed quote, and reading goes on at the next line;
// so with a stray quote in a cell, and a quote closed too far on. A
// quoted cell over 2 or 3 lines still loads. Both readers agree.
func TestUnclosedQuoteRejectsItsLineOnly(t *testing.T) {
	skipIfShort(t, "every quote fault through both readers")
	sizes := []int{2000}
	if os.Getenv("WARDSTAT_LONG") != "" {
		sizes = append(sizes, 20000, 200000)
	}
	unclosed := func(code string) string {
		return code + `,000.10.27.H37,"Đăng ký khai sinh,Hộ tịch,Trực tiếp,01/01/2021 08:29:50,10/01/2021 08:29:50,Chờ bổ sung,6000` + "\n"
	}
	for _, n := range sizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			if got := loadedBothWays(t, exportWithFault(t, n, faultAt, unclosed), faultAt, n, n, 0); got != "1002:unclosed_quote" {
				t.Errorf("rejects %q, want 1002:unclosed_quote", got)
			}
		})
	}
	for _, c := range []struct {
		name, want string
		fault      func(code string) string
	}{
		{"a stray quote in a quoted cell", "1002:unclosed_quote", func(code string) string {
			return code + `,000.10.27.H37,"Đăng ký" khai sinh,Hộ tịch,Trực tiếp,01/01/2021 08:29:50,10/01/2021 08:29:50,Chờ bổ sung,6000` + "\n"
		}},
		{"a quote inside an unquoted cell", "", func(code string) string {
			return code + `,000.10.27.H37,Đăng ký "khai sinh,Hộ tịch,Trực tiếp,01/01/2021 08:29:50,10/01/2021 08:29:50,Chờ bổ sung,6000` + "\n"
		}},
		// The lines after it are read as rows: the last has a code ("hết\"")
		// and two cells of the header's nine (missing_cells).
		{"a quote closed 20 lines on", "1002:unclosed_quote 1022:missing_cells", func(code string) string {
			return code + `,000.10.27.H37,"Đăng ký khai sinh,Hộ tịch,Trực tiếp,01/01/2021 08:29:50,10/01/2021 08:29:50,Chờ bổ sung,6000` + "\n" +
				strings.Repeat("ghi chú\n", 19) + "hết\",x\n"
		}},
		{"a quoted cell over 2 lines", "", func(code string) string {
			return code + ",000.10.27.H37,\"Đăng ký\nkhai sinh\",Hộ tịch,Trực tiếp,01/01/2021 08:29:50,10/01/2021 08:29:50,Chờ bổ sung,6000\n"
		}},
		{"a quoted cell over 3 lines", "", func(code string) string {
			return code + ",000.10.27.H37,\"Đăng ký\r\nkhai\r\nsinh\",Hộ tịch,Trực tiếp,01/01/2021 08:29:50,10/01/2021 08:29:50,Chờ bổ sung,6000\n"
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			const n = 1200
			p := exportWithFault(t, n, faultAt, c.fault)
			shift := bytes.Count(must(os.ReadFile(p)), []byte{'\n'}) - (n + 1)
			rows := n
			if shift > 0 && c.want != "" {
				rows = -1 // the lines of a cell that did not close are rows of their own
			}
			if got := loadedBothWays(t, p, faultAt, n, rows, shift); got != c.want {
				t.Errorf("rejects %q, want %q", got, c.want)
			}
		})
	}
}

// A line of 20 MB (the was 300 MB, and took 1.96 GB) is rejected
// on its line without being read whole; the rows after it load.
func TestLongLineIsRejectedNotRead(t *testing.T) {
	long := func(code string) string {
		return code + ",000.10.27.H37," + strings.Repeat("Đăng ký khai sinh ", 20<<20/len("Đăng ký khai sinh ")) +
			",Hộ tịch,Trực tiếp,01/01/2021 08:29:50,10/01/2021 08:29:50,Chờ bổ sung,6000\n"
	}
	if got := loadedBothWays(t, exportWithFault(t, 1200, faultAt, long), faultAt, 1200, 1200, 0); got != "1002:too_long" {
		t.Errorf("rejects %q, want 1002:too_long", got)
	}
}

// One byte that is not UTF-8 in a UTF-8 export (in its first rows, or
// past the 64 KB its encoding is told from) turned the whole file into Windows-1258: refused, "no header
// row", the message in mojibake. It stays UTF-8, and that row alone is
// rejected for its encoding. A real Windows-1258 export still reads as
// such (TestDuckDBReaderAgreesWithOurs, TestReadersAgreeOnEveryFormat).
func TestStrayByteKeepsUTF8(t *testing.T) {
	skipIfShort(t, "stray bytes past the encoding sample, through both readers")
	stray := func(code string) string {
		return code + ",000.10.27.H37,Đăng ký khai sinh,H\xf4 t\xecch,Trực tiếp,01/01/2021 08:29:50,10/01/2021 08:29:50,Chờ bổ sung,6000\n"
	}
	for _, at := range []int{5, faultAt} {
		t.Run(fmt.Sprint(at), func(t *testing.T) {
			p := exportWithFault(t, 1200, at, stray)
			if got, want := loadedBothWays(t, p, at, 1200, 1200, 0), fmt.Sprintf("%d:bad_encoding", at+1); got != want {
				t.Errorf("rejects %q, want %q", got, want)
			}
			w := openWarehouse(t)
			if _, err := pipeline.File(context.Background(), w, p, pipeline.FileOptions{}); err != nil {
				t.Fatal(err)
			}
			var sectors string
			if err := w.DB().QueryRow(`SELECT string_agg(DISTINCT sector, '|') FROM dossiers`).Scan(&sectors); err != nil {
				t.Fatal(err)
			}
			if sectors != "Hộ tịch" {
				t.Errorf("sectors %q, want the UTF-8 text \"Hộ tịch\"", sectors)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// A cell holding the delimiter unquoted (a name or an address with a
// comma) makes a row of more cells than the header's: its cells slide one
// column on, and when its dates still land in date columns it loaded as a
// dossier, the applicant's name stored as its procedure and the address as
// its sector, the last cell dropped by DuckDB's reader without a word.
// Now such a row is rejected on its line (extra_cells), by both readers,
// its raw row masked; every other row loads on its own line, and no
// planted name or address is anywhere in the warehouse file. A procedure
// name with a comma, quoted, still loads, and so does a row with an empty
// cell more at its end.
func TestSlidCellsRejectTheirLineOnly(t *testing.T) {
	const n = 1500
	planted := []string{"Nguyễn Văn Bình", "phường Tân Định", "Trần Quốc Toản", "45 Hàng Bạc"}
	slid := map[int]string{
		// Among the first rows, read before the width is known.
		5:       ",000.10.27.H37,Trực tiếp,Trần Quốc Toản, 45 Hàng Bạc,01/01/2021 08:29:50,10/01/2021 08:29:50,Hộ tịch",
		120:     ",000.10.27.H37,Trực tiếp,Nguyễn Văn Bình, phường Tân Định,01/01/2021 08:29:50,10/01/2021 08:29:50,Hộ tịch",
		faultAt: ",000.10.27.H37,Trực tiếp,Trần Quốc Toản, 45 Hàng Bạc,01/01/2021 08:29:50,10/01/2021 08:29:50,Hộ tịch\r",
		n:       ",000.10.27.H37,Trực tiếp,Đăng ký khai sinh,Nguyễn Văn Bình, phường Tân Định,01/01/2021 08:29:50,10/01/2021 08:29:50",
	}
	var b bytes.Buffer
	b.WriteString("Mã hồ sơ,Mã đơn vị,Hình thức nộp,Tên thủ tục,Lĩnh vực,Ngày tiếp nhận,Ngày hẹn trả\n")
	for i := 1; i <= n; i++ {
		code := fmt.Sprintf("000.10.27.H37-210101-%07d", i)
		if s, ok := slid[i]; ok {
			b.WriteString(code + s + "\n")
			continue
		}
		procedure, end := "Đăng ký khai sinh", ""
		switch {
		case i%10 == 0:
			procedure = `"Cấp bản sao, trích lục"`
		case i%7 == 0:
			end = "," // an empty cell more: nothing is dropped
		}
		fmt.Fprintf(&b, "%s,000.10.27.H37,Trực tiếp,%s,Hộ tịch,01/01/2021 08:29:50,10/01/2021 08:29:50%s\n", code, procedure, end)
	}
	p := filepath.Join(t.TempDir(), "export.csv")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	const want = "6:extra_cells 121:extra_cells 1002:extra_cells 1501:extra_cells"
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
		r := res.Result
		if r.Read != n || r.Loaded != n-int64(len(slid)) || r.Rejected != int64(len(slid)) || r.Duplicate != 0 {
			t.Errorf("our reader %v: %+v; want read %d, loaded %d, rejected %d", goReader, r, n, n-len(slid), len(slid))
		}
		var placed int64
		var rejects, values, dump string
		if err := w.DB().QueryRow(`SELECT (SELECT count(*) FROM dossiers WHERE source_row = right(dossier_code, 7)::INT + 1),
			coalesce((SELECT string_agg(source_row || ':' || reason_code, ' ' ORDER BY source_row) FROM rejects), ''),
			coalesce((SELECT string_agg(DISTINCT value || ' ' || (raw_row IS NOT NULL), '|') FROM rejects), ''),
			(SELECT md5(string_agg(d::VARCHAR, '|' ORDER BY d.dossier_code)) FROM (SELECT * EXCLUDE (load_id, first_load_id, state_hash) FROM dossiers) d)`).
			Scan(&placed, &rejects, &values, &dump); err != nil {
			t.Fatal(err)
		}
		if rejects != want {
			t.Errorf("our reader %v: rejects %q, want %q", goReader, rejects, want)
		}
		if placed != n-int64(len(slid)) {
			t.Errorf("our reader %v: %d dossiers on their lines, want %d", goReader, placed, n-len(slid))
		}
		if values != "8/7 true" {
			t.Errorf("our reader %v: the rejects' values and raw rows %q, want \"8/7 true\" (cells/columns, a raw row kept)", goReader, values)
		}
		got[i] = fmt.Sprintf("%s %v|%s", dump, []int64{r.Read, r.Loaded, r.Rejected, r.Skipped}, rejects)
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
				if i := bytes.Index(data, []byte(s)); i >= 0 {
					t.Errorf("our reader %v: %s holds %q: …%q…", goReader, filepath.Base(f), s, data[max(0, i-60):min(len(data), i+len(s)+60)])
				}
			}
		}
	}
	if got[0] != got[1] {
		t.Errorf("the readers differ:\nDuckDB's: %s\nours:     %s", got[0], got[1])
	}
}
