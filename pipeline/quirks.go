package pipeline

import (
	"bufio"
	"bytes"
	"io"
	"os"

	"wardstat/ingest"
)

// DuckDB's readers part from ours on a few points. Each is handled where
// the plan is made, here, so that a file DuckDB reads gives the rows ours
// would:
//
//   - read_csv's skip counts records, not lines: a header whose cells
//     break their lines (Alt+Enter in Excel) is one record over several
//     lines. Told the header's lines, DuckDB skipped the first data rows
//     too. The plan tells it the records (recordsBefore, CSVPlan.SkipRecords)
//     and keeps the lines for the row numbers (CSVPlan.SkipLines).
//   - read_csv's lenient parallel reader refuses a file with a quote inside
//     an unquoted cell (="000123", 5" ), but only once it has read it. Such
//     a file is read in strict_mode, else by the sequential reader
//     (strayQuote, CSVPlan.Sequential; the options are written in
//     warehouse/load_csv.go).
//   - read_csv ends a record at a CR alone, where ours keeps it in the
//     cell: the line scan sends such a file to our reader (bareCR).
//   - read_csv skips blank lines and reads a quoted cell over several
//     lines as one record, so its record numbers part from the line
//     numbers: the line scan finds where (lines.go, CSVPlan.RowFixes).
//   - read_csv drops the text after a closing quote ("f"g reads as f) and
//     the cells past the columns it was told, without a word: the line scan
//     stops the load at the first such line, and our reader rejects it.
//   - read_json counts a null among the records as a row, numbering the
//     records after it one more, and reads a wrapper object as one value:
//     our reader says which files it can read (the JSON reader's
//     DuckDBLayout), and a large wrapper's records are copied out first
//     (unwrap.go).
//   - read_json reads only the keys it is told: a key first seen past the
//     records our reader looked at is found by the key scan beside the load
//     (jsonkeys.go, JSONPlan.Check).

// recordsBefore counts the records DuckDB's reader sees in a CSV's first lines
// (whole lines of its text): a line each, blank ones too, but a quoted
// cell that spans lines makes one record of them.
func recordsBefore(path string, lines int, delim byte) (int, error) {
	if lines == 0 {
		return 0, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	text, _ := ingest.DecodeText(bufio.NewReaderSize(f, 64*1024))
	r := bufio.NewReaderSize(text, 64*1024)
	records, in := 0, false
	for range lines {
		line, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A line longer than the buffer: its quotes are read in parts.
			for err == bufio.ErrBufferFull {
				in = endsInQuote(line, delim, in)
				line, err = r.ReadSlice('\n')
			}
		}
		if err != nil && err != io.EOF {
			return 0, err
		}
		if in = endsInQuote(line, delim, in); !in {
			records++
		}
		if err == io.EOF {
			break
		}
	}
	return records, nil
}

// bareCR reports whether a line (a chunk ending at its LF, or the file's
// last) holds a CR that is not the CR of its CRLF. (ReadSlice stops at the
// first LF, so a CR followed by LF is the chunk's end.)
func bareCR(line []byte) bool {
	i := bytes.IndexByte(line, '\r')
	return i >= 0 && !(i+2 == len(line) && line[i+1] == '\n')
}

// strayQuote reports whether text (whole lines of a CSV) holds a quote
// that is not part of a quoted cell: inside an unquoted cell, as an
// export written for Excel puts its codes (="000123"), or after a quoted
// cell closed. Both readers take it as text, but DuckDB's parallel reader
// then refuses the whole file, once it has read it (BENCHMARKS.md).
func strayQuote(text []byte, delim byte) bool {
	in := false
	for at := 0; ; {
		i := bytes.IndexByte(text[at:], '"')
		if i < 0 {
			return false
		}
		i += at
		switch {
		case in && i+1 < len(text) && text[i+1] == '"':
			at = i + 2
			continue
		case in:
			in = false
			if j := i + 1; j < len(text) && text[j] != delim && text[j] != '\n' && text[j] != '\r' {
				return true // text after a closing quote
			}
		case cellStart(text, i, delim):
			if bytes.HasPrefix(text[i:], []byte(`"=""`)) {
				return true // ="0123" quoted as RFC 4180 says: refused too
			}
			in = true
		default:
			return true
		}
		at = i + 1
	}
}

// strayQuoteNear reports whether the first lines of a CSV's records (its
// first 1 MiB past skip lines) hold a stray quote (strayQuote).
func strayQuoteNear(path string, skip int, delim byte) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	r := bufio.NewReader(f)
	skipLines(r, skip)
	buf := make([]byte, 1<<20)
	n, _ := io.ReadFull(r, buf)
	text := buf[:n]
	if end := bytes.LastIndexByte(text, '\n'); end >= 0 && n == len(buf) {
		text = text[:end+1]
	}
	return strayQuote(text, delim)
}
