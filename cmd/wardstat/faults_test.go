package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A row the CSV reader rejects on its line (a quote left open, a line over
// the limit, a byte not of the file's encoding) is told in one line, in
// Vietnamese and in English, with its row, and the rows around it load.
func TestReaderFaultsAreToldOnTheirRow(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "faults")
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Mã đơn vị,Tên thủ tục,Ngày tiếp nhận,Kênh\n")
	for i := 1; i <= 30; i++ {
		switch i {
		case 10:
			fmt.Fprintf(&b, "H%02d,000.01.01.H01,\"Đăng ký khai sinh,01/03/2024,Trực tiếp\n", i)
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
	for _, want := range []string{"đọc 30 · nạp 27", "loại 3", "dòng 11: ngoặc kép không đóng", "dòng 21: dòng có byte không đúng mã hoá UTF-8", "dòng 26: dòng (hoặc một ô của dòng) dài quá 64 KiB"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	out = mustRun(t, "--db", filepath.Join(dir, "en.duckdb"), "--lang", "en", "ingest", p)
	for _, want := range []string{"read 30 · loaded 27", "rejected 3", "row 11: unclosed quote", "row 21: the row holds bytes that are not UTF-8, the file's encoding", "row 26: the line (or one of its cells) is over 64 KiB"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
}
