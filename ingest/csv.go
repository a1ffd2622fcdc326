package ingest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
)

// csvReader reads delimited text: the delimiter is sniffed among , ; tab
// and |, the encoding detected (see DecodeText), quoted fields may hold
// delimiters and newlines.
type csvReader struct {
	f         *os.File
	r         *recordReader
	Delimiter rune
	Encoding  Encoding
}

var _ Reader = (*csvReader)(nil)

// OpenCSV opens a delimited text file.
func OpenCSV(path string) (Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	text, enc := DecodeText(bufio.NewReaderSize(f, 256*1024))
	sample := make([]byte, 64*1024)
	n, err := io.ReadFull(text, sample)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		f.Close()
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	sample = sample[:n]
	if len(bytes.TrimSpace(sample)) == 0 {
		f.Close()
		return nil, ErrEmpty
	}
	if bytes.IndexByte(sample, '\n') < 0 && bytes.IndexByte(sample, '\r') >= 0 {
		// Old Mac line endings (a CR alone ends each line), as Excel for
		// Mac's "CSV (Macintosh)" writes: read them as line feeds.
		crToLF(sample)
		text = crAsLF{text}
	}
	delim := SniffDelimiter(sample)
	r := newRecordReader(io.MultiReader(bytes.NewReader(sample), text), byte(delim), enc == UTF8 || enc == UTF8BOM)
	return &csvReader{f: f, r: r, Delimiter: delim, Encoding: enc}, nil
}

// SniffDelimiter picks the delimiter that splits the sample's first records
// into the most rows of one same width above one.
func SniffDelimiter(sample []byte) rune {
	best, bestScore := ',', -1
	for _, d := range []rune{',', ';', '\t', '|'} {
		r := newRecordReader(bytes.NewReader(sample), byte(d), false)
		counts := map[int]int{}
		for i := 0; i < 50; i++ {
			rec, err := r.next()
			if err != nil {
				break
			}
			if rec.Fault == "" {
				counts[len(rec.Cells)]++
			}
		}
		score := 0
		for width, rows := range counts {
			if width > 1 && rows*width > score {
				score = rows * width
			}
		}
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}

func (c *csvReader) Next() (Record, error) { return c.r.next() }

// SetWidth tells the reader how many cells a record has (the header's):
// a quoted cell over several lines that makes more was never one; and
// how many a record on one line may have, empty ones at its end not
// counted: one with more holds the delimiter unquoted (FaultExtraCells).
func (c *csvReader) SetWidth(n, cells int) { c.r.width, c.r.cells = n, cells }

// Dialect is the text's encoding and delimiter, as the reader found them.
func (c *csvReader) Dialect() (Encoding, rune) { return c.Encoding, c.Delimiter }

// NewDelimitedReader reads UTF-8 delimited text with a known delimiter,
// as OpenCSV's reader does once it has found it; cells is SetWidth's
// second (0: any).
func NewDelimitedReader(text io.Reader, delim byte, cells int) Reader {
	r := newRecordReader(text, delim, true)
	r.cells = cells
	return &csvReader{f: nil, r: r, Delimiter: rune(delim), Encoding: UTF8}
}

// Positional says that a record's cells are placed by their order: one
// with fewer than the header's had a cell left out (FaultMissingCells).
func (c *csvReader) Positional() bool { return true }

func (c *csvReader) Close() error {
	if c.f == nil {
		return nil
	}
	return c.f.Close()
}

// crAsLF reads a text whose lines end with a CR alone as if they ended
// with a line feed.
type crAsLF struct{ r io.Reader }

func (c crAsLF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	crToLF(p[:n])
	return n, err
}

func crToLF(b []byte) {
	for i, c := range b {
		if c == '\r' {
			b[i] = '\n'
		}
	}
}
