package ingest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/net/html"

	"wardstat/internal/msg"
)

// htmlReader reads the largest <table> of an HTML page: what many one-stop
// systems save as ".xls" when asked for Excel. A cell spanning columns or
// rows leaves the other cells it covers empty, as merged cells do in a
// workbook, so the same header detection applies.
type htmlReader struct {
	rows [][]string
	next int
}

var _ Reader = (*htmlReader)(nil)

// The page is parsed whole into memory (a tree of ~110 bytes a tag, and
// its text several times over), so its size is bounded: past these, a
// page is refused (it was cut at 512 MB without a word, and its tree
// could take several GB).
var (
	maxHTMLBytes int64 = 64 << 20
	maxHTMLTags        = 2_000_000
)

// OpenHTML reads an HTML table file.
func OpenHTML(path string) (Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	text, _ := DecodeText(bufio.NewReaderSize(f, 256*1024))
	page, err := io.ReadAll(io.LimitReader(text, maxHTMLBytes+1))
	if err != nil {
		return nil, msg.Errorf("đọc HTML: %w", "reading the HTML: %w", err)
	}
	if int64(len(page)) > maxHTMLBytes || bytes.Count(page, []byte("<")) > maxHTMLTags {
		return nil, tooLarge(
			fmt.Sprintf("trang HTML lớn hơn %s hoặc hơn %d thẻ, quá giới hạn của wardstat; hãy mở bằng Excel và lưu thành .xlsx hoặc .csv", BytesText(uint64(maxHTMLBytes)), maxHTMLTags),
			fmt.Sprintf("the HTML page is over %s or %d tags, past wardstat's limit; open it in Excel and save it as .xlsx or .csv", BytesText(uint64(maxHTMLBytes)), maxHTMLTags))
	}
	doc, err := html.Parse(bytes.NewReader(page))
	page = nil
	if err != nil {
		return nil, msg.Errorf("đọc HTML: %w", "reading the HTML: %w", err)
	}
	var best [][]string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "table" {
			if rows := tableRows(n); len(rows) > len(best) {
				best = rows
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if len(best) == 0 {
		return nil, msg.Errorf("trang HTML không có bảng nào: %w", "the HTML page holds no table: %w", ErrEmpty)
	}
	return &htmlReader{rows: best}, nil
}

// tableRows lays a table out as a grid, honouring colspan and rowspan.
func tableRows(table *html.Node) [][]string {
	var out [][]string
	pending := map[int]int{} // column -> rows it is still covered by a rowspan from above
	var rowsOf func(n *html.Node)
	rowsOf = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			switch c.Data {
			case "table":
				continue // a nested table is a table of its own
			case "tr":
				var row []string
				col := 0
				skipCovered := func() {
					for pending[col] > 0 {
						pending[col]--
						row = append(row, "")
						col++
					}
				}
				for cell := c.FirstChild; cell != nil; cell = cell.NextSibling {
					if cell.Type != html.ElementNode || (cell.Data != "td" && cell.Data != "th") {
						continue
					}
					skipCovered()
					span, down := attrInt(cell, "colspan"), attrInt(cell, "rowspan")
					row = append(row, cellText(cell))
					for k := 0; k < span; k++ {
						if k > 0 {
							row = append(row, "")
						}
						if down > 1 {
							pending[col] = down - 1
						}
						col++
					}
				}
				skipCovered()
				out = append(out, row)
			default:
				rowsOf(c) // thead, tbody, tfoot
			}
		}
	}
	rowsOf(table)
	return out
}

func attrInt(n *html.Node, name string) int {
	for _, a := range n.Attr {
		if a.Key == name {
			var v int
			if _, err := fmt.Sscanf(strings.TrimSpace(a.Val), "%d", &v); err == nil && v > 0 && v < 1000 {
				return v
			}
		}
	}
	return 1
}

func cellText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			b.WriteString(n.Data)
		case n.Type == html.ElementNode && n.Data == "br":
			b.WriteString("\n")
		case n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style" || n.Data == "template"):
			return // code, not the cell's text: it was glued into the dossier code
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(strings.ReplaceAll(b.String(), "\u00a0", " ")), " ")
}

func (h *htmlReader) Next() (Record, error) {
	if h.next >= len(h.rows) {
		return Record{}, io.EOF
	}
	h.next++
	return Record{Line: h.next, Cells: h.rows[h.next-1]}, nil
}

func (h *htmlReader) Close() error { return nil }

// Positional says that a row's cells are placed by their order, as <td>s
// are: a row with fewer than the header's had one left out, and the
// cells after it slid (FaultMissingCells).
func (h *htmlReader) Positional() bool { return true }
