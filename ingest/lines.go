package ingest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"

	"wardstat/warehouse"
)

// maxRowFixes is how many places a CSV's record numbers may part from its
// line numbers before the file is read by our reader instead (which counts
// lines itself): beyond that, the SQL mapping one to the other would cost
// more than it saves.
const maxRowFixes = 256

// csvRowFixes finds where DuckDB's record numbers part from the file's
// line numbers: a blank line (which DuckDB skips) or a quoted cell that
// spans lines moves every later record further down. skip lines are the
// titles and header. ok is false when there are more than max such places.
// Quotes are '"', doubled inside a quoted cell, as DuckDB is told.
func csvRowFixes(path string, skip, max int) (fixes []warehouse.RowFix, ok bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var (
		line     int64 // physical lines read
		record   int64 // records started after the skipped lines
		delta    int64
		inQuote  bool // at the start of the current line
		quotes   int  // in the current line so far
		nonBlank bool // the current line has more than its line ending
	)
	for {
		chunk, rerr := br.ReadSlice('\n')
		if bareCR(chunk) {
			// DuckDB's reader ends a record at a CR alone (old Mac line
			// endings, or one stray in a cell), where ours keeps it in
			// the cell: ours reads such a file.
			return nil, false, nil
		}
		quotes += bytes.Count(chunk, []byte{'"'})
		if len(bytes.TrimRight(chunk, "\r\n")) > 0 {
			nonBlank = true
		}
		if rerr == bufio.ErrBufferFull {
			continue // a line longer than the buffer: read on
		}
		if rerr != nil && rerr != io.EOF {
			return nil, false, fmt.Errorf("reading: %w", rerr)
		}
		if len(chunk) > 0 || nonBlank {
			line++
			if line > int64(skip) && !inQuote && nonBlank {
				if d := line - (record + int64(skip) + 1); d != delta {
					delta = d
					if fixes = append(fixes, warehouse.RowFix{Record: record, Delta: d}); len(fixes) > max {
						return nil, false, nil
					}
				}
				record++
			}
			if quotes%2 == 1 {
				inQuote = !inQuote
			}
		}
		quotes, nonBlank = 0, false
		if rerr == io.EOF {
			return fixes, true, nil
		}
	}
}

// bareCR reports whether a line (a chunk ending at its LF, or the file's
// last) holds a CR that is not the CR of its CRLF. (ReadSlice stops at the
// first LF, so a CR followed by LF is the chunk's end.)
func bareCR(line []byte) bool {
	i := bytes.IndexByte(line, '\r')
	return i >= 0 && !(i+2 == len(line) && line[i+1] == '\n')
}
