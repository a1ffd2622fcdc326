package bench

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
)

// inlineCell is a text cell as WriteXLSX's stream writer stores it.
var inlineCell = regexp.MustCompile(`<c r="([A-Z]+[0-9]+)"( s="[0-9]+")? t="inlineStr"><is><t>([^<]*)</t></is></c>`)

// WriteSharedStringsXLSX rewrites a workbook WriteXLSX made into the form
// Excel, LibreOffice and most export libraries save: every text cell an
// index into one shared-strings table (excelize reads such a table whole,
// or from a temporary file when large, where an inline cell is read in
// passing). The sheet is rewritten a cell at a time; only the distinct
// texts are held.
func WriteSharedStringsXLSX(src, dst string) (int64, error) {
	zr, err := zip.OpenReader(src)
	if err != nil {
		return 0, err
	}
	defer zr.Close()
	tmp := dst + ".building"
	out, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp)
	defer out.Close()
	zw := zip.NewWriter(out)
	index := map[string]int{}
	var texts []string
	cells := 0
	for _, e := range zr.File {
		r, err := e.Open()
		if err != nil {
			return 0, err
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.Name, Method: zip.Deflate})
		if err != nil {
			return 0, err
		}
		switch e.Name {
		case "xl/worksheets/sheet1.xml":
			err = shareCells(r, w, func(text string) int {
				cells++
				i, ok := index[text]
				if !ok {
					i = len(texts)
					index[text] = i
					texts = append(texts, text)
				}
				return i
			})
		case "[Content_Types].xml", "xl/_rels/workbook.xml.rels":
			var b []byte
			if b, err = io.ReadAll(r); err == nil {
				b = bytes.Replace(b, []byte(`</Types>`), []byte(`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"></Override></Types>`), 1)
				b = bytes.Replace(b, []byte(`</Relationships>`), []byte(`<Relationship Id="rIdShared" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"></Relationship></Relationships>`), 1)
				_, err = w.Write(b)
			}
		default:
			_, err = io.Copy(w, r)
		}
		r.Close()
		if err != nil {
			return 0, fmt.Errorf("%s: %w", e.Name, err)
		}
	}
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "xl/sharedStrings.xml", Method: zip.Deflate})
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, cells, len(texts))
	for _, t := range texts {
		bw.WriteString(`<si><t xml:space="preserve">` + t + `</t></si>`)
	}
	bw.WriteString(`</sst>`)
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	if err := out.Close(); err != nil {
		return 0, err
	}
	st, err := os.Stat(tmp)
	if err != nil {
		return 0, err
	}
	return st.Size(), os.Rename(tmp, dst)
}

// shareCells copies a sheet's XML from r to w, a cell at a time, each
// inline text cell replaced by its index in the shared strings.
func shareCells(r io.Reader, w io.Writer, share func(text string) int) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	end := []byte("</c>")
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.Index(data, end); i >= 0 {
			return i + len(end), data[:i+len(end)], nil
		}
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	})
	bw := bufio.NewWriterSize(w, 1<<20)
	for sc.Scan() {
		piece := sc.Bytes()
		if m := inlineCell.FindSubmatchIndex(piece); m != nil {
			var style []byte // s="N", when the cell has a style
			if m[4] >= 0 {
				style = piece[m[4]:m[5]]
			}
			bw.Write(piece[:m[0]])
			fmt.Fprintf(bw, `<c r="%s"%s t="s"><v>%s</v></c>`, piece[m[2]:m[3]], style, strconv.Itoa(share(string(piece[m[6]:m[7]]))))
			bw.Write(piece[m[1]:])
			continue
		}
		bw.Write(piece)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return bw.Flush()
}
