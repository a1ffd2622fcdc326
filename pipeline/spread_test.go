package pipeline

import (
	"bufio"
	"bytes"
	"encoding/json"
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

// Records are sampled across a file written a record a line (NDJSON, or
// an array with its commas), and only whole objects: a record written
// over several lines gives none.
func TestSpreadRecordsAreObjects(t *testing.T) {
	var lines, pretty strings.Builder
	lines.WriteString("[\n")
	pretty.WriteString("[\n")
	for i := range 3000 {
		sep := ","
		if i == 2999 {
			sep = ""
		}
		fmt.Fprintf(&lines, "{\"MaHoSo\": \"H%04d\", \"GhiChu\": \"{ \\\"}\\\", [x] }\"}%s\n", i, sep)
		fmt.Fprintf(&pretty, "  {\n    \"MaHoSo\": \"H%04d\",\n    \"Buoc\": {\"Ten\": \"a\"}\n  }%s\n", i, sep)
	}
	lines.WriteString("]\n")
	pretty.WriteString("]\n")
	sample := func(text string) []string {
		var out bytes.Buffer
		w := bufio.NewWriter(&out)
		if _, err := writeSpreadRecords(strings.NewReader(text), int64(len(text)), w); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		return strings.Fields(strings.ReplaceAll(out.String(), " ", ""))
	}
	got := sample(lines.String())
	if len(got) < spreadPlaces*spreadLines/2 {
		t.Fatalf("%d records sampled", len(got))
	}
	record := regexp.MustCompile(`^\{"MaHoSo":"H\d{4}","GhiChu":"\{\\"\}\\",\[x\]\}"\}$`)
	for _, r := range got {
		if !record.MatchString(r) {
			t.Errorf("not a record: %q", r)
		}
	}
	// A pretty-printed record's lines: only its nested objects are whole
	// objects on a line, and those are not records (no MaHoSo).
	for _, r := range sample(pretty.String()) {
		if strings.Contains(r, "MaHoSo") {
			t.Errorf("a piece of a pretty-printed record: %q", r)
		}
	}
}

// FuzzSpreadSample: any bytes give, from both samplers, only whole lines
// of the input (the CSV's with the width's delimiters or quotes, the JSON's
// valid objects), and never fail.
func FuzzSpreadSample(f *testing.F) {
	f.Add([]byte("h,a\n1,2\n\"x\ny\",3\n{\"a\":1},\n"), 1)
	f.Add([]byte("[\n{\"MaHoSo\":\"1\"},\n{\"MaHoSo\":\"2\"}\n]\n"), 3)
	f.Fuzz(func(t *testing.T, data []byte, width int) {
		if width < 1 || width > 8 {
			return
		}
		lines := map[string]bool{}
		for _, l := range bytes.SplitAfter(data, []byte("\n")) {
			lines[string(l)] = true
		}
		var out bytes.Buffer
		w := bufio.NewWriter(&out)
		if _, err := writeSpreadLines(bytes.NewReader(data), int64(len(data)), 0, ',', width, w); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		for _, l := range bytes.SplitAfter(out.Bytes(), []byte("\n")) {
			if len(l) > 0 && !lines[string(l)] {
				t.Fatalf("CSV sample line %q is not a line of the input", l)
			}
		}
		out.Reset()
		if _, err := writeSpreadRecords(bytes.NewReader(data), int64(len(data)), w); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		for _, l := range bytes.Split(out.Bytes(), []byte("\n")) {
			if len(l) > 0 && (!json.Valid(l) || l[0] != '{') {
				t.Fatalf("JSON sample line %q is not an object", l)
			}
		}
	})
}
