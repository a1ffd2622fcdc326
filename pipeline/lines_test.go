package pipeline

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"wardstat/warehouse"
)

func TestCSVRowFixes(t *testing.T) {
	for _, c := range []struct {
		name, text string
		skip       int
		want       []warehouse.RowFix
	}{
		{"one line each", "h\na\nb\nc\n", 1, nil},
		{"no final newline", "h\na\nb", 1, nil},
		{"blank line", "h\na\n\nb\nc\n", 1, []warehouse.RowFix{{Record: 1, Delta: 1}}},
		{"crlf blank lines", "h\r\na\r\n\r\n\r\nb\r\n", 1, []warehouse.RowFix{{Record: 1, Delta: 2}}},
		{"cell over two lines", "h\na,\"x\ny\"\nb\nc\n", 1, []warehouse.RowFix{{Record: 1, Delta: 1}}},
		{"doubled quotes stay in the cell", "h\na,\"say \"\"hi\"\"\nthere\"\nb\n", 1, []warehouse.RowFix{{Record: 1, Delta: 1}}},
		{"titles above the header", "Báo cáo\n\nh\na\n\nb\n", 3, []warehouse.RowFix{{Record: 1, Delta: 1}}},
		{"blank lines at the end", "h\na\nb\n\n\n", 1, nil},
		{"a quote inside an unquoted cell is text", "h\na,5\" x\nb\n\nc\n", 1, []warehouse.RowFix{{Record: 2, Delta: 1}}},
		{"a quoted cell after spaces", "h\na, \"x\ny\"\nb\n", 1, []warehouse.RowFix{{Record: 1, Delta: 1}}},
		{"a quote in an unquoted cell closes nothing", "h\na,\"x\ny\"\nb,5\"\nc,\"p\nq\"\nd\n", 1, []warehouse.RowFix{{Record: 1, Delta: 1}, {Record: 3, Delta: 2}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "f.csv")
			if err := os.WriteFile(p, []byte(c.text), 0o644); err != nil {
				t.Fatal(err)
			}
			got, refusal, err := csvRowFixes(p, c.skip, 10, ',', 0, 0)
			if err != nil || refusal != "" {
				t.Fatalf("refused %q, err %v", refusal, err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
	// Too many places: our reader takes the file.
	p := filepath.Join(t.TempDir(), "many.csv")
	os.WriteFile(p, []byte("h\n"+strings.Repeat("a\n\n", 20)), 0o644)
	if _, refusal, _ := csvRowFixes(p, 1, 10, ',', 0, 0); refusal == "" {
		t.Error("more places than the limit must say so")
	}
	// A CR alone ends a record for DuckDB's reader, not for ours: ours
	// takes the file (old Mac line endings, or a stray CR in a cell).
	for _, text := range []string{"h\ra\rb\r", "h\na,x\r,y\nb\n", "h\na\nb\r"} {
		os.WriteFile(p, []byte(text), 0o644)
		if _, refusal, _ := csvRowFixes(p, 1, 10, ',', 0, 0); refusal == "" {
			t.Errorf("%q: a bare CR must send the file to our reader", text)
		}
	}
	// A line of more cells than the header's (a name with a comma,
	// unquoted) sends the file to our reader, which rejects that line;
	// empty cells more at a line's end, or a delimiter in a quoted cell,
	// do not. Skimmed in blocks or read line by line alike.
	for text, want := range map[string]string{
		"h,i\na,b\nNguyễn Văn A, phường 3,c\nd,e\n": "line 3 has 3 cells, more than the 2 columns",
		"h,i\na,b\nc,d,,\r\n\"e,f\",g\n":            "",
	} {
		os.WriteFile(p, []byte(text), 0o644)
		for _, block := range []int{4, rowFixBlock} {
			f, _ := os.Open(p)
			_, refusal, _ := rowFixesOf(f, 1, 10, block, ',', 2, 2)
			f.Close()
			if refusal != want {
				t.Errorf("%q, blocks of %d: refusal %q, want %q", text, block, refusal, want)
			}
		}
	}
}

// FuzzCSVRowFixes: any bytes give offsets that only grow, at records that
// only grow, and the same whether blocks of lines are skimmed or every line
// is read, whatever the block size.
func FuzzCSVRowFixes(f *testing.F) {
	f.Add([]byte("h\na\n\nb,\"x\ny\"\nc\n"), 1, 8)
	f.Add([]byte("\r\n\r\n\"\"\"\n"), 0, 3)
	f.Add([]byte("h\r\na,\"b\"\r\nc,\"d\r\ne\"\r\n\r\nf\r\n"), 1, 9)
	f.Add([]byte("h\na,\"x\"\"\nb\"\nc\n\"d\ne\"\n"), 1, 6)
	f.Add([]byte("h\na,5\" x\nb,\"y\nz\" w\n\nc\n"), 1, 5)
	f.Add([]byte("h,i\na,b\nc,d,,\r\ne,\"f,g\"\nh,i,j\n"), 1, 10)
	f.Fuzz(func(t *testing.T, data []byte, skip, block int) {
		if skip < 0 || skip > 5 || block < 1 || block > 64 {
			return
		}
		// The most cells a line may have (FaultExtraCells): 0 (any) to 3.
		cells := block % 4
		fixes, refusal, err := rowFixesOf(bytes.NewReader(data), skip, fuzzMaxFixes, block, ',', 0, cells)
		if err != nil {
			t.Fatal(err)
		}
		want, wantRefusal := rowFixesByLine(data, skip, fuzzMaxFixes, cells)
		if refusal != wantRefusal || !reflect.DeepEqual(fixes, want) {
			t.Fatalf("block %d: got %v %q, line by line %v %q", block, fixes, refusal, want, wantRefusal)
		}
		if refusal != "" {
			return
		}
		for i := 1; i < len(fixes); i++ {
			if fixes[i].Record <= fixes[i-1].Record || fixes[i].Delta <= fixes[i-1].Delta {
				t.Fatalf("fixes must grow: %v", fixes)
			}
		}
	})
}

// fuzzMaxFixes is small, for the fuzzer to reach the limit.
const fuzzMaxFixes = 3

// rowFixesByLine is csvRowFixes reading every line, never skimming.
func rowFixesByLine(data []byte, skip, max, cells int) ([]warehouse.RowFix, string) {
	sc := newRowFixScanner(skip, max, ',', 0, cells)
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n') + 1
		if i == 0 {
			i = len(data)
		}
		if !sc.oneLine(data[:i]) {
			return nil, sc.refusal
		}
		data = data[i:]
	}
	if !sc.end() {
		return nil, sc.refusal
	}
	return sc.fixes, ""
}

func TestStrayQuote(t *testing.T) {
	for text, want := range map[string]bool{
		"a,\"b\",c\n":           false,
		"a,\"b\"\"c\",d\n":      false,
		"a, \"x\ny\"\nb,c\n":    false,
		"a,\"x\ny\",b\n":        false,
		"a,b,c\n":               false,
		"a,=\"0123\",c\n":       true, // Excel's text formula
		"\"=\"\"0123\"\"\",c\n": true, // the same, quoted as RFC 4180 says
		"a,5\" x\n":             true,
		"a,\"b\"x,c\n":          true,
	} {
		if got := strayQuote([]byte(text), ','); got != want {
			t.Errorf("%q: %v, want %v", text, got, want)
		}
	}
}

// recordsBefore counts records as DuckDB's skip does: a line each, blank
// ones too, a quoted cell over several lines one record.
func TestRecordsBefore(t *testing.T) {
	for _, c := range []struct {
		text  string
		lines int
		want  int
	}{
		{"a,b\n1,2\n", 1, 1},
		{"title\n\na,b\n1,2\n", 3, 3},
		{"\"a\nx\",\"b\ny\"\n1,2\n", 3, 1},
		{"title\n\"a \"\"q\"\"\nx\",b\n1,2\n", 3, 2},
		{"a,\"b\n\n c\"\n1,2\n", 3, 1},
		{"a,5\" wide\n1,2\n", 1, 1},
		{"a,b", 1, 1},
		{"", 0, 0},
	} {
		p := filepath.Join(t.TempDir(), "f.csv")
		if err := os.WriteFile(p, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := recordsBefore(p, c.lines, ',')
		if err != nil || got != c.want {
			t.Errorf("recordsBefore(%q, %d) = %d, %v; want %d", c.text, c.lines, got, err, c.want)
		}
	}
}
