package ingest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
)

// readRecords reads every record of text with small limits (4 lines, 64
// bytes), as "line:cell|cell" or "line!fault".
func readRecords(t *testing.T, text string, width int) []string {
	t.Helper()
	rr := newRecordReader(strings.NewReader(text), ',', true)
	rr.maxLines, rr.maxBytes, rr.width, rr.cells = 4, 64, width, width
	var out []string
	for {
		rec, err := rr.next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.Fault != "" {
			out = append(out, fmt.Sprintf("%d!%s", rec.Line, rec.Fault))
			continue
		}
		out = append(out, fmt.Sprintf("%d:%s", rec.Line, strings.Join(rec.Cells, "|")))
	}
}

func TestRecordReader(t *testing.T) {
	for _, c := range []struct {
		name, text string
		width      int
		want       string
	}{
		{"lines", "a,b\nc,d\n", 0, "1:a|b 2:c|d"},
		{"no final newline, crlf, blank lines", "a,b\r\n\r\n\nc,d", 0, "1:a|b 4:c|d"},
		{"a quoted cell over two lines", "a,\"x\r\ny\",b\nc\n", 0, "1:a|x\ny|b 3:c"},
		{"over four lines: the most", "a,\"1\n2\n3\n4\",b\nc\n", 0, "1:a|1\n2\n3\n4|b 5:c"},
		{"a quote that never closes", "a,\"x,y\nb,c\nd,e\n", 0, "1!unclosed_quote 2:b|c 3:d|e"},
		{"one that closes past four lines", "a,\"1\n2\n3\n4\n5\",b\nc\n", 0, "1!unclosed_quote 2:2 3:3 4:4 5:5\"|b 6:c"},
		{"one that closes into more cells than the header's", "a,\"x\nb,c\",d\ne\n", 2, "1!unclosed_quote 2!extra_cells 3:e"},
		{"the same, as many as the header's", "a,\"x\nb,c\",d\ne\n", 3, "1:a|x\nb,c|d 3:e"},
		{"a stray quote in a quoted cell on one line is text", "a,\"Khai sinh\" mới\",b\n", 0, "1:a|Khai sinh\" mới|b"},
		{"a stray quote that runs past the line", "a,\"Đăng ký\" khai sinh,Hộ tịch\nb,c\n", 0, "1!unclosed_quote 2:b|c"},
		{"a quote that closes on the next line's quoted cell", "a,\"x,y\nb,\"c\",d\n", 0, "1!unclosed_quote 2:b|c|d"},
		{"a quote inside an unquoted cell is text", "a,5\" x,b\n", 0, "1:a|5\" x|b"},
		{"spaces around a quoted cell", "a, \"x,y\" ,b\n", 0, "1:a|x,y|b"},
		{"doubled quotes", "\"say \"\"hi\"\"\",b\n", 0, "1:say \"hi\"|b"},
		{"a line over the limit", "a,b\n" + strings.Repeat("x", 100) + "\nc\n", 0, "1:a|b 2!too_long 3:c"},
		{"a record over the limit", "a,\"" + strings.Repeat("x", 40) + "\n" + strings.Repeat("y", 40) + "\"\nc\n", 0, "1!unclosed_quote 2:" + strings.Repeat("y", 40) + "\" 3:c"},
		{"more cells than the header's: a delimiter unquoted", "a,b\nc, d,e\nf,g\n", 2, "1:a|b 2!extra_cells 3:f|g"},
		{"empty cells more at its end", "a,b\nc,d,,\r\n", 2, "1:a|b 2:c|d||"},
		{"a delimiter in a quoted cell", "a,\"b,c\"\n", 2, "1:a|b,c"},
		{"a byte that is not UTF-8", "a,b\nH\xf4 t\xecch,c\nd\n", 0, "1:a|b 2!bad_encoding 3:d"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := strings.Join(readRecords(t, c.text, c.width), " "); got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

// The encoding is told from evidence: a UTF-8 export with a stray byte
// stays UTF-8; Windows-1258 text (a letter a byte, its tone another) is
// read as such.
func TestEncodingEvidence(t *testing.T) {
	utf8Text := strings.Repeat("Mã hồ sơ,Ngày tiếp nhận,Đăng ký khai sinh\n", 20)
	cp1258 := func(s string) []byte {
		var out []byte
		for _, r := range s {
			switch r {
			case 'ã':
				out = append(out, 'a', 0xDE) // a, combining tilde
			case 'ồ':
				out = append(out, 0xF4, 0xCC) // ô, combining grave
			case 'ơ':
				out = append(out, 0xF5)
			case 'à':
				out = append(out, 0xE0)
			case 'ế':
				out = append(out, 0xEA, 0xEC) // ê, combining acute
			case 'ậ':
				out = append(out, 0xE2, 0xF2) // â, dot below
			case 'Đ':
				out = append(out, 0xD0)
			case 'ă':
				out = append(out, 0xE3)
			case 'ý':
				out = append(out, 0xFD)
			default:
				out = append(out, byte(r))
			}
		}
		return out
	}
	for _, c := range []struct {
		name string
		text []byte
		want Encoding
	}{
		{"UTF-8", []byte(utf8Text), UTF8},
		{"UTF-8 with a stray byte", append([]byte(utf8Text), "H\xf4 t\xecch\n"...), UTF8},
		{"UTF-8 with a stray byte in its header", append([]byte("M\xe3 h\xf4,"), utf8Text...), UTF8},
		{"Windows-1258", cp1258(utf8Text), Windows1258},
		{"Windows-1258 with a rune that reads as UTF-8", append(cp1258(utf8Text), "\xc3\xa0"...), Windows1258},
	} {
		if _, got := DecodeText(bufio.NewReader(bytes.NewReader(c.text))); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
