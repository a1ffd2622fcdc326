package ingest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestWorkbookLeavesNothingBehind checks where excelize's temporary files
// go: the unpacked sheet and shared strings hold applicants in clear, so
// they must be in the workbook's own folder, gone when the reader closes,
// and a folder a killed process left must be removed by the next load.
func TestWorkbookLeavesNothingBehind(t *testing.T) {
	root := t.TempDir()
	t.Setenv("TMPDIR", root)
	defer func(old int64) { xlsxMemoryLimit = old }(xlsxMemoryLimit)
	xlsxMemoryLimit = 1 // every part to a temporary file, as in a large export

	// A workbook as Excel saves it: text in the shared-strings table.
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"Mã hồ sơ", "Chủ hồ sơ", "Ngày tiếp nhận"})
	for i := 2; i <= 50; i++ {
		f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i), &[]any{fmt.Sprintf("H37-240101-%04d", i), "Nguyễn Văn An " + strconv.Itoa(i), "01/01/2024"})
	}
	src := filepath.Join(t.TempDir(), "export.xlsx")
	if err := f.SaveAs(src); err != nil {
		t.Fatal(err)
	}
	f.Close()

	stale := filepath.Join(root, xlsxTempPrefix+"999999999-1")
	live := filepath.Join(root, xlsxTempPrefix+strconv.Itoa(os.Getpid())+"-2")
	for _, d := range []string{stale, live} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, "excelize-1"), []byte("Nguyễn Văn An"), 0o600)
	}

	r, err := OpenXLSX(src, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, rec.Cells[1])
	}
	if len(names) != 50 || names[49] != "Nguyễn Văn An 50" {
		t.Fatalf("read %d rows, last %q", len(names), names[len(names)-1])
	}
	// While it is read: excelize's files in a folder of the reader's own.
	tmp := r.(*xlsxReader).tmp
	inside, _ := os.ReadDir(tmp)
	if !strings.HasPrefix(filepath.Base(tmp), xlsxTempPrefix+strconv.Itoa(os.Getpid())+"-") || len(inside) == 0 {
		t.Fatalf("temporary folder %s holds %d files, want excelize's", tmp, len(inside))
	}
	if st, err := os.Stat(tmp); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("temporary folder mode %v (%v), want owner only", st.Mode().Perm(), err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	left, _ := os.ReadDir(root)
	var got []string
	for _, e := range left {
		got = append(got, e.Name())
	}
	// The killed process's folder is gone, a running one's kept (ours,
	// here), and the reader's own removed.
	if want := []string{filepath.Base(live)}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("left in $TMPDIR: %q, want %q", got, want)
	}
}
