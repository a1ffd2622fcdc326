package ingest

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// The lines sampled across a file are whole records: none starts inside a
// line, none is a piece of a cell broken over several.
func TestSpreadLinesAreRecords(t *testing.T) {
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Ghi chú,Ngày tiếp nhận\n")
	for i := range 3000 {
		note := "x"
		switch i % 10 {
		case 3:
			note = "\"một\nhai, ba\nbốn\"" // three lines, the middle one with the delimiter
		case 7:
			note = "\"năm \"\"sáu\"\"\"" // quotes, doubled, on one line
		}
		fmt.Fprintf(&b, "H%04d,%s,01/03/2024\n", i, note)
	}
	text := []byte(b.String())
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	header := int64(len("Mã hồ sơ,Ghi chú,Ngày tiếp nhận\n"))
	n, err := writeSpreadLines(bytes.NewReader(text), int64(len(text)), header, ',', 3, w)
	if err != nil {
		t.Fatal(err)
	}
	w.Flush()
	lines := strings.SplitAfter(out.String(), "\n")
	lines = lines[:len(lines)-1]
	if n != len(lines) || n < spreadPlaces*spreadLines/2 {
		t.Fatalf("%d lines said, %d written, want about %d", n, len(lines), spreadPlaces*spreadLines)
	}
	record := regexp.MustCompile(`^H\d{4},(x|"năm ""sáu"""),01/03/2024\n$`)
	first, last := "H9999", "H0000"
	for _, l := range lines {
		if !record.MatchString(l) {
			t.Errorf("not a record: %q", l)
		}
		first, last = min(first, l[:5]), max(last, l[:5])
	}
	if first > "H0400" || last < "H2600" {
		t.Errorf("records %s to %s, want them from across the file", first, last)
	}
}
