package ingest_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"wardstat/ingest"
	"wardstat/internal/msg"
)

// TestBrokenFileSaysWhatToDo: a truncated workbook and a JSON cut short
// are refused with a lead in the user's language saying what to do, not
// only the library's English ("zip: not a valid zip file", "unexpected
// EOF").
func TestBrokenFileSaysWhatToDo(t *testing.T) {
	dir := t.TempDir()
	f := excelize.NewFile()
	f.SetCellValue("Sheet1", "A1", "Mã hồ sơ")
	f.SetCellValue("Sheet1", "B1", "Ngày tiếp nhận")
	whole := filepath.Join(dir, "whole.xlsx")
	if err := f.SaveAs(whole); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, err := os.ReadFile(whole)
	if err != nil {
		t.Fatal(err)
	}
	trunc := filepath.Join(dir, "trunc.xlsx")
	os.WriteFile(trunc, b[:len(b)/2], 0o644)
	broken := filepath.Join(dir, "broken.json")
	os.WriteFile(broken, []byte(`[{"Mã hồ sơ":"H26-1","Ngày tiếp nhận":"01/10/2026"},{"Mã hồ sơ":"H26-2","Ngày`), 0o644)
	for _, p := range []string{trunc, broken} {
		err := readAll(p)
		var m *msg.Error
		if err == nil || !errors.As(err, &m) {
			t.Fatalf("%s: %v, want a message", filepath.Base(p), err)
		}
		if vi, en := m.Text("vi"), m.Text("en"); !strings.Contains(vi, "hãy xuất lại tệp") || !strings.Contains(en, "export it again") {
			t.Errorf("%s:\n vi %s\n en %s\nwant what to do in both", filepath.Base(p), vi, en)
		}
	}
}

func readAll(p string) error {
	r, _, err := ingest.Open(p, ingest.Options{})
	if err != nil {
		return err
	}
	defer r.Close()
	for {
		if _, err := r.Next(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}
