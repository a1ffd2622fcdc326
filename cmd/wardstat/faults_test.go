package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A row the CSV reader rejects on its line (a quote left open, a line over
// the limit, a byte not of the file's encoding, more cells than the
// header's: a name with a comma unquoted) is told in one line, in
// Vietnamese and in English, with its row, and the rows around it load.
func TestReaderFaultsAreToldOnTheirRow(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "faults")
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Mã đơn vị,Tên thủ tục,Ngày tiếp nhận,Kênh\n")
	for i := 1; i <= 60; i++ {
		switch i {
		case 10:
			fmt.Fprintf(&b, "H%02d,000.01.01.H01,\"Đăng ký khai sinh,01/03/2024,Trực tiếp\n", i)
		case 45: // past the first 40 rows, which may widen the header
			fmt.Fprintf(&b, "H%02d,000.01.01.H01,Nguyễn Văn A, phường 3,01/03/2024,Trực tiếp\n", i)
		case 20:
			fmt.Fprintf(&b, "H%02d,000.01.01.H01,Khai sinh,01/03/2024,Tr\xf1c tiếp\n", i)
		case 25:
			fmt.Fprintf(&b, "H%02d,000.01.01.H01,%s,01/03/2024,Trực tiếp\n", i, strings.Repeat("x", 2<<20))
		default:
			fmt.Fprintf(&b, "H%02d,000.01.01.H01,Khai sinh,01/03/2024,Trực tiếp\n", i)
		}
	}
	p := filepath.Join(dir, "faults.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "--db", filepath.Join(dir, "vi.duckdb"), "ingest", p)
	for _, want := range []string{"đọc 60 · nạp 56", "loại 4", "dòng 11: ngoặc kép không đóng", "dòng 46: dòng có 6 ô, nhiều hơn 5 cột của dòng tiêu đề", "dòng 21: dòng có byte không đúng mã hoá UTF-8", "dòng 26: dòng (hoặc một ô của dòng) dài quá 64 KiB"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Nguyễn Văn A") || strings.Contains(out, "phường 3") {
		t.Errorf("the slid row's name or address is told:\n%s", out)
	}
	out = mustRun(t, "--db", filepath.Join(dir, "en.duckdb"), "--lang", "en", "ingest", p)
	for _, want := range []string{"read 60 · loaded 56", "rejected 4", "row 11: unclosed quote", "row 46: the row has 6 cells, more than the 5 columns of the header: a cell probably holds the delimiter unquoted", "row 21: the row holds bytes that are not UTF-8, the file's encoding", "row 26: the line (or one of its cells) is over 64 KiB"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
}
