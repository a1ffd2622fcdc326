package pipeline

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"

	"wardstat/ingest"
	"wardstat/warehouse"
)

// maxRowFixes is how many places a CSV's record numbers may part from its
// line numbers before the file is read by our reader instead (which counts
// lines itself). The load maps one to the other by a lookup of fixed cost
// per row (warehouse: RowOf), so this only bounds the scan's memory (16
// bytes a place): a notes column with a line break in one row of 100
// makes 10,000 places in a million rows, in three rows of ten 300,000,
// and our reader read such files at half the speed.
var maxRowFixes = 1 << 20

// csvRowFixes finds where DuckDB's record numbers part from the file's
// line numbers: a blank line (which DuckDB skips) or a quoted cell that
// spans lines moves every later record further down. skip lines are the
// titles and header, width the columns. refusal, when not "", says why
// DuckDB's reading cannot stand for the file, which our reader must read:
// more than max such places, a CR alone (see bareCR), or a record our
// reader rejects on its line (a quote that does not close within
// maxRecordLines lines and maxRecordBytes, or makes more than width
// cells; a stray quote in a quoted cell; a line over maxRecordBytes),
// where DuckDB would read on, and take the next lines into its cell.
// Quotes are '"', doubled inside a quoted cell, as DuckDB is told; a quote
// opens a quoted cell only at the start of a cell (after delim or a
// line's start, spaces between allowed), as DuckDB reads it: inside an
// unquoted cell ("màn hình 5\" cũ") it is text.
func csvRowFixes(path string, skip, max int, delim byte, width, cells int) (fixes []warehouse.RowFix, refusal string, err error) {
	return csvRowFixesAtLeast(path, skip, max, delim, width, cells, 0)
}

// csvRowFixesAtLeast is csvRowFixes that also refuses a record with fewer
// than least cells (0: any), not blank: our reader's rows reject it
// (ingest.FaultMissingCells), where DuckDB's pads it with NULLs.
func csvRowFixesAtLeast(path string, skip, max int, delim byte, width, cells, least int) (fixes []warehouse.RowFix, refusal string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	// Lines are counted in the text, whatever its encoding (UTF-16 too).
	text, _ := ingest.DecodeText(bufio.NewReaderSize(f, 64*1024))
	sc := newRowFixScanner(skip, max, delim, width, cells)
	sc.least = least
	return sc.scan(text, rowFixBlock)
}

// rowFixBlock is how much of a file rowFixesOf looks at at once.
const rowFixBlock = 4 << 20

// rowFixesOf is csvRowFixes over a reader, a block of whole lines at a
// time. Most blocks of most files hold no line with an odd number of
// quotes, no blank line and no CR but those of CRLF endings: such a block
// only moves both counts on, and is passed over at the speed of counting
// its LFs (measured: BENCHMARKS.md, "Why the code is as it is"). The
// others are read line by line.
func rowFixesOf(r io.Reader, skip, max, block int, delim byte, width, cells int) (fixes []warehouse.RowFix, refusal string, err error) {
	return newRowFixScanner(skip, max, delim, width, cells).scan(r, block)
}

// scan is rowFixesOf with this scanner.
func (sc *rowFixScanner) scan(r io.Reader, block int) (fixes []warehouse.RowFix, refusal string, err error) {
	buf := make([]byte, block)
	have, eof := 0, false
	for !eof || have > 0 {
		if !eof && have < len(buf) {
			n, rerr := io.ReadFull(r, buf[have:])
			have += n
			switch rerr {
			case nil:
			case io.EOF, io.ErrUnexpectedEOF:
				eof = true
			default:
				return nil, "", fmt.Errorf("reading: %w", rerr)
			}
		}
		data := buf[:have]
		end := bytes.LastIndexByte(data, '\n') + 1
		if end == 0 {
			if !eof {
				if have > sc.maxBytes {
					return nil, fmt.Sprintf("line %d is over %d bytes", sc.line+1, sc.maxBytes), nil
				}
				// A line longer than the buffer: read on into a larger one.
				buf = append(buf, make([]byte, len(buf))...)
				continue
			}
			end = have // the file's last line, without its LF
		}
		if !sc.skimmed(data[:end]) {
			for rest := data[:end]; len(rest) > 0; {
				i := bytes.IndexByte(rest, '\n') + 1
				if i == 0 {
					i = len(rest)
				}
				if !sc.oneLine(rest[:i]) {
					return nil, sc.refusal, nil
				}
				rest = rest[i:]
			}
		}
		have = copy(buf, data[end:])
	}
	if !sc.end() {
		return nil, sc.refusal, nil
	}
	return sc.fixes, "", nil
}

// rowFixScanner counts a CSV's physical lines and DuckDB's records.
type rowFixScanner struct {
	skip         int64
	max          int
	delim        byte
	width        int   // the file's columns (0: not known)
	cells        int   // the most cells a line may have, empty ones at its end not counted (0: any)
	least        int   // the fewest cells a record may have, unless blank (0: any)
	maxBytes     int   // ingest.RecordLimits
	maxLines     int   // ingest.RecordLimits
	line, record int64 // physical lines read, records started after skip
	delta        int64
	inQuote      bool // at the start of the next line
	fixes        []warehouse.RowFix
	// The record over several lines being read (inQuote): its first line,
	// how many lines, bytes and cells it has so far.
	recLine            int64
	recLines, recBytes int
	recCells           int
	refusal            string
}

func newRowFixScanner(skip, max int, delim byte, width, cells int) *rowFixScanner {
	maxLines, maxBytes := ingest.RecordLimits()
	return &rowFixScanner{skip: int64(skip), max: max, delim: delim, width: width, cells: cells, maxBytes: maxBytes, maxLines: maxLines}
}

// skimmed moves the counts over whole lines that cannot part them (no
// line with an odd number of quotes, no blank line, no CR but a CRLF's)
// nor hold a record our reader rejects, and says whether it did.
func (sc *rowFixScanner) skimmed(lines []byte) bool {
	if sc.inQuote || sc.line < sc.skip || len(lines) == 0 || lines[len(lines)-1] != '\n' || !cellsOnOneLine(lines, sc.delim) ||
		!linesShorterThan(lines, sc.maxBytes) {
		return false
	}
	if lines[0] == '\n' || bytes.Contains(lines, []byte("\n\n")) {
		return false
	}
	if bytes.IndexByte(lines, '\r') >= 0 {
		if bytes.HasPrefix(lines, []byte("\r\n")) || bytes.Contains(lines, []byte("\n\r\n")) ||
			bytes.Count(lines, []byte{'\r'}) != bytes.Count(lines, []byte("\r\n")) {
			return false
		}
	}
	if sc.cells > 0 && !cellsAtMost(lines, sc.delim, sc.cells) {
		return false
	}
	if sc.least > 0 && !cellsAtLeast(lines, sc.delim, sc.least) {
		return false
	}
	// Every line is a record: where the first lands, all land.
	if d := sc.line + 1 - (sc.record + sc.skip + 1); d != sc.delta {
		if len(sc.fixes) >= sc.max {
			return false // one too many: oneLine, reading the lines, says so
		}
		sc.delta = d
		sc.fixes = append(sc.fixes, warehouse.RowFix{Record: sc.record, Delta: d})
	}
	n := int64(bytes.Count(lines, []byte{'\n'}))
	sc.line += n
	sc.record += n
	return true
}

// cellsAtMost reports whether no line of lines (whole lines, each ending
// at its LF, no quoted cell over two) has more than width cells, empty
// ones at its end not counted, or may not have: our reader rejects such a
// line (FaultExtraCells), where DuckDB's drops its last cells. A line's
// delimiters are counted at the speed of bytes.Count; only a line with
// too many, and a quote, is read for its quoted cells.
func cellsAtMost(lines []byte, delim byte, width int) bool {
	d := []byte{delim}
	for len(lines) > 0 {
		i := bytes.IndexByte(lines, '\n')
		line := lines[:i+1]
		lines = lines[i+1:]
		if bytes.Count(line, d) < width {
			continue
		}
		cells := 0
		if bytes.IndexByte(line, '"') < 0 {
			cells = bytes.Count(line, d) + 1
		} else {
			_, cells, _ = scanQuotes(line, delim, false)
		}
		if cells-trailingDelims(line, delim) > width {
			return false
		}
	}
	return true
}

// cellsAtLeast reports whether every line of lines (whole lines, each
// ending at its LF, no quoted cell over two) has least cells or more, or
// is blank: our reader rejects a shorter one (FaultMissingCells), where
// DuckDB's pads it with NULLs. Delimiters only count up: a quoted cell
// holding one is read for its quotes.
func cellsAtLeast(lines []byte, delim byte, least int) bool {
	d := []byte{delim}
	for len(lines) > 0 {
		i := bytes.IndexByte(lines, '\n')
		line := lines[:i+1]
		lines = lines[i+1:]
		if bytes.Count(line, d)+1 >= least {
			if bytes.IndexByte(line, '"') < 0 {
				continue
			}
			if _, cells, _ := scanQuotes(line, delim, false); cells >= least {
				continue
			}
		}
		if !blankCells(line, delim) {
			return false
		}
	}
	return true
}

// blankCells reports whether a line holds only delimiters and spaces: a
// row of empty cells, which both readers skip. A line it calls not blank
// may still be (other spaces, quoted empty cells): the scan then refuses
// it, and our reader, which reads the file, skips it.
func blankCells(line []byte, delim byte) bool {
	for _, c := range line {
		if c != delim && c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// trailingDelims counts the delimiters that end a line (before its CRLF
// or LF): the empty cells at its end.
func trailingDelims(line []byte, delim byte) int {
	body := bytes.TrimRight(line, "\r\n")
	n := len(body)
	for n > 0 && body[n-1] == delim {
		n--
	}
	return len(body) - n
}

// linesShorterThan reports whether every line of lines (whole lines) is
// shorter than max bytes, or may not be: it looks for a LF in every
// stretch of max/2 bytes, which a longer line would hold without one.
func linesShorterThan(lines []byte, max int) bool {
	half := max / 2
	for at := 0; at < len(lines) && half > 0; at += half {
		if bytes.IndexByte(lines[at:min(at+half, len(lines))], '\n') < 0 {
			return false
		}
	}
	return half > 0 || len(lines) <= max
}

// cellsOnOneLine reports whether no quoted cell of lines (whole lines,
// each ending at its LF) spans lines.
func cellsOnOneLine(lines []byte, delim byte) bool {
	in, open := false, 0
	for at := 0; ; {
		i := bytes.IndexByte(lines[at:], '"')
		if i < 0 {
			return !in
		}
		i += at
		switch {
		case in && i+1 < len(lines) && lines[i+1] == '"':
			at = i + 2 // a doubled quote: a quote in the cell
			continue
		case in:
			if bytes.IndexByte(lines[open:i], '\n') >= 0 {
				return false // a line ended inside quotes
			}
			if !closes(lines, i+1, delim) {
				return false // text after the closing quote
			}
			in = false
		case cellStart(lines, i, delim):
			in, open = true, i
		}
		at = i + 1
	}
}

// cellStart reports whether the quote at b[i] opens a quoted cell: it
// starts a line or follows the delimiter, spaces between allowed (DuckDB
// reads `a, "x` as a quoted cell too).
func cellStart(b []byte, i int, delim byte) bool {
	for i > 0 && b[i-1] == ' ' && delim != ' ' {
		i--
	}
	return i == 0 || b[i-1] == delim || b[i-1] == '\n'
}

// endsInQuote reports whether a line (ending at its LF, or the file's
// last) ends inside a quoted cell, given whether it began inside one.
func endsInQuote(line []byte, delim byte, in bool) bool {
	for at := 0; ; {
		i := bytes.IndexByte(line[at:], '"')
		if i < 0 {
			return in
		}
		i += at
		switch {
		case in && i+1 < len(line) && line[i+1] == '"':
			at = i + 2
			continue
		case in:
			in = false
		case cellStart(line, i, delim):
			in = true
		}
		at = i + 1
	}
}

// closes reports whether a quote before b[i] can close a quoted cell:
// the delimiter, or the line's end, follows it (spaces between allowed).
func closes(b []byte, i int, delim byte) bool {
	for i < len(b) && b[i] == ' ' && delim != ' ' {
		i++ // spaces after a closing quote are dropped (closingAt)
	}
	return i == len(b) || b[i] == delim || b[i] == '\n' || (b[i] == '\r' && (i+1 == len(b) || b[i+1] == '\n'))
}

// scanQuotes reads one line (ending at its LF, or the file's last), given
// whether it began inside a quoted cell: whether it ends inside one, how
// many cells it starts or goes on with (delimiters outside quotes, plus
// one), and whether a quoted cell's closing quote is followed by text
// (stray: the readers part there).
func scanQuotes(line []byte, delim byte, in bool) (out bool, cells int, stray bool) {
	cells = 1
	for i := 0; i < len(line); {
		if in {
			j := bytes.IndexByte(line[i:], '"')
			if j < 0 {
				return true, cells, false
			}
			j += i
			if j+1 < len(line) && line[j+1] == '"' {
				i = j + 2
				continue
			}
			if !closes(line, j+1, delim) {
				return false, cells, true
			}
			in, i = false, j+1
			continue
		}
		j := bytes.IndexByte(line[i:], '"')
		if j < 0 {
			return false, cells + bytes.Count(line[i:], []byte{delim}), false
		}
		j += i
		cells += bytes.Count(line[i:j], []byte{delim})
		in = cellStart(line, j, delim)
		i = j + 1
	}
	return in, cells, false
}

// oneLine counts one line (ending at its LF, or the file's last), and says
// whether DuckDB's reading of the file can still stand (if not, refusal
// says why).
func (sc *rowFixScanner) oneLine(chunk []byte) bool {
	if bareCR(chunk) {
		// DuckDB's reader ends a record at a CR alone (old Mac line
		// endings, or one stray in a cell), where ours keeps it in the
		// cell: ours reads such a file.
		sc.refusal = fmt.Sprintf("a CR alone on line %d", sc.line+1)
		return false
	}
	nonBlank := len(bytes.TrimRight(chunk, "\r\n")) > 0
	sc.line++
	if sc.line > sc.skip && !sc.inQuote && nonBlank {
		if d := sc.line - (sc.record + sc.skip + 1); d != sc.delta {
			sc.delta = d
			if sc.fixes = append(sc.fixes, warehouse.RowFix{Record: sc.record, Delta: d}); len(sc.fixes) > sc.max {
				sc.refusal = fmt.Sprintf("cells over several lines in more than %d places", sc.max)
				return false
			}
		}
		sc.record++
	}
	was := sc.inQuote
	out, cells, stray := scanQuotes(chunk, sc.delim, was)
	sc.inQuote = out
	if sc.line <= sc.skip {
		return true // titles and header: our reader has read them
	}
	switch {
	case len(chunk) > sc.maxBytes:
		sc.refusal = fmt.Sprintf("line %d is over %d bytes", sc.line, sc.maxBytes)
		return false
	case stray:
		sc.refusal = fmt.Sprintf("text after a quoted cell's closing quote on line %d", sc.line)
		return false
	case !was && !out && sc.cells > 0 && cells > sc.cells && cells-trailingDelims(chunk, sc.delim) > sc.cells:
		sc.refusal = fmt.Sprintf("line %d has %d cells, more than the %d columns", sc.line, cells-trailingDelims(chunk, sc.delim), sc.cells)
		return false
	case !was && !out && sc.least > 0 && cells < sc.least && !blankCells(chunk, sc.delim):
		sc.refusal = fmt.Sprintf("line %d has %d cells, fewer than the %d columns", sc.line, cells, sc.least)
		return false
	case !was && out: // a record over several lines starts
		sc.recLine, sc.recLines, sc.recBytes, sc.recCells = sc.line, 1, len(chunk), cells
	case was:
		sc.recLines++
		sc.recBytes += len(chunk)
		sc.recCells += cells - 1 // its first cell goes on with the open one
		if sc.recLines > sc.maxLines || sc.recBytes > sc.maxBytes || (out && sc.recLines == sc.maxLines) {
			sc.refusal = fmt.Sprintf("a quote opened on line %d does not close within %d lines and %d bytes", sc.recLine, sc.maxLines, sc.maxBytes)
			return false
		}
		if !out && sc.width > 0 && sc.recCells > sc.width {
			sc.refusal = fmt.Sprintf("the record over lines %d-%d has %d cells, more than the %d columns", sc.recLine, sc.line, sc.recCells, sc.width)
			return false
		}
		if !out && sc.least > 0 && sc.recCells < sc.least {
			sc.refusal = fmt.Sprintf("the record over lines %d-%d has %d cells, fewer than the %d columns", sc.recLine, sc.line, sc.recCells, sc.least)
			return false
		}
	}
	return true
}

// end says whether DuckDB's reading can stand once every line is counted:
// not when the text ends inside a quoted cell.
func (sc *rowFixScanner) end() bool {
	if sc.inQuote && sc.line > sc.skip {
		sc.refusal = fmt.Sprintf("a quote opened on line %d does not close before the end of the file", sc.recLine)
		return false
	}
	return true
}
