package pipeline

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLineScanSpeed times the line scan beside DuckDB's reading over a
// generated export of 1.5 M rows (every tenth with a quoted procedure
// name holding a comma), without and with the count of cells a line
// (FaultExtraCells). Run with WARDSTAT_LONG=1.
func TestLineScanSpeed(t *testing.T) {
	if os.Getenv("WARDSTAT_LONG") == "" {
		t.Skip("WARDSTAT_LONG=1 times the line scan")
	}
	p := filepath.Join(t.TempDir(), "big.csv")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("Mã hồ sơ,Mã đơn vị,Tên thủ tục,Lĩnh vực,Hình thức nộp,Ngày tiếp nhận,Ngày hẹn trả,Trạng thái,Lệ phí\n")
	const n = 1_500_000
	for i := 1; i <= n; i++ {
		procedure := "Đăng ký khai sinh"
		if i%10 == 0 {
			procedure = `"Cấp bản sao, trích lục"`
		}
		fmt.Fprintf(w, "000.10.27.H37-210101-%07d,000.10.27.H37,%s,Hộ tịch,Trực tiếp,01/01/2021 08:29:50,10/01/2021 08:29:50,Chờ bổ sung,6000\n", i, procedure)
	}
	w.Flush()
	f.Close()
	st, _ := os.Stat(p)
	for _, cells := range []int{0, 9, 0, 9, 0, 9} {
		start := time.Now()
		_, refusal, err := csvRowFixes(p, 1, maxRowFixes, ',', 9, cells)
		if err != nil || refusal != "" {
			t.Fatal(err, refusal)
		}
		t.Logf("%d rows, %d MB, cells limit %d: %v", n, st.Size()>>20, cells, time.Since(start))
	}
}
