package ingest

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"unicode/utf8"
)

// Limits on one CSV record. A quoted cell may run over a few lines (an
// address, a note typed with Alt+Enter); one that runs on past them, or a
// line or record over the size limit, is not read whole: its first line is
// rejected with the fault, and reading goes on at the next line. Both
// readers keep to them: ours here, DuckDB's through the line scan
// (pipeline/lines.go), which sends a file DuckDB would read otherwise to ours.
var (
	// maxRecordBytes bounds a line, and a record over several lines.
	maxRecordBytes = MaxRecordBytes
	// maxRecordLines bounds how many lines one record may take.
	maxRecordLines = 16
	// maxCellBytes bounds one cell of any reader's row (CapCells).
	maxCellBytes = MaxCellBytes
)

// MaxRecordBytes is the size limit of a CSV line, or of a record over
// several lines, and of any one cell of any format (MaxCellBytes). No
// dossier export has a line near it; it bounds memory: DuckDB reads and
// types 2,048 rows at a time on each thread, so 700 lines of 900 KB (under
// the old 1 MiB limit) took 1.9 GB of RSS and failed with DuckDB's
// out-of-memory error.
const MaxRecordBytes = 64 << 10

// MaxCellBytes is the size limit of one cell of a row of any format (a
// sheet's cell, a JSON value, an HTML table's cell): a row holding a
// longer one is rejected with FaultTooLong, its long cells cut to their
// first bytes, since every row is staged and typed 2,048 at a time.
const MaxCellBytes = MaxRecordBytes

// faultPrefix is how much of a line over maxRecordBytes is kept, for the
// reject's cells (a dossier code, a date) to say which row it was.
const faultPrefix = 4 << 10

// Faults of a record that cannot be read as a row (Record.Fault): the load
// rejects its row with that code.
const (
	// FaultUnclosedQuote is a line where a quoted cell opens and does not
	// close within the limits, or holds a stray quote and runs past the
	// line's end.
	FaultUnclosedQuote = "unclosed_quote"
	// FaultTooLong is a line over maxRecordBytes, or a row holding a cell
	// over maxCellBytes.
	FaultTooLong = "too_long"
	// FaultEncoding is a record holding bytes that are not UTF-8, in a
	// file that is.
	FaultEncoding = "bad_encoding"
	// FaultExtraCells is a record on one line with more cells than the
	// header's (empty cells at its end not counted): a cell holds the
	// delimiter unquoted (a name "Nguyễn Văn A, phường 3"), and every
	// cell after it slid one column on, a name into the sector's.
	FaultExtraCells = "extra_cells"
	// FaultMissingCells is a row of a format whose cells are placed by
	// their order (CSV, an HTML table) with fewer cells than the header:
	// a cell left out, and every cell after it slid one column back, a
	// name into the sector's. The pipeline finds it (it knows the header).
	FaultMissingCells = "missing_cells"
)

// csvLine is one physical line of a CSV's text.
type csvLine struct {
	text []byte // with its LF (the file's last may have none); a prefix of a long one
	num  int
	long bool // over maxRecordBytes: text is its first faultPrefix bytes
}

// recordReader splits a CSV's text into records: a record is a line,
// unless a quoted cell runs on over the next lines; quotes are '"',
// doubled inside a quoted cell. A quote inside an unquoted cell is text,
// and so is one inside a quoted cell that neither doubles nor closes it,
// as long as that cell ends on its line (`"Khai sinh" mới"`). Blank lines
// are no records.
type recordReader struct {
	r     *bufio.Reader
	delim byte
	// checkUTF8 is set when the text is the file's own bytes, said to be
	// UTF-8: a record with other bytes is a FaultEncoding.
	checkUTF8 bool
	// width, once known (the header's), is the most cells a record over
	// several lines may have: more, and its lines were never one record.
	width int
	// cells, once known, is the most cells a record on one line may
	// have, empty ones at its end not counted (FaultExtraCells).
	cells    int
	maxBytes int
	maxLines int
	lines    int       // physical lines read from r
	queue    []csvLine // lines read ahead for a record that was not one, to read again
	eof      bool
	sp       splitter
}

func newRecordReader(r io.Reader, delim byte, checkUTF8 bool) *recordReader {
	return &recordReader{r: bufio.NewReaderSize(r, 64<<10), delim: delim, checkUTF8: checkUTF8,
		maxBytes: maxRecordBytes, maxLines: maxRecordLines, sp: splitter{delim: delim}}
}

// readLine returns the next physical line, from the queue first; ok is
// false at the end of the text. A line over maxBytes is never held whole.
func (rr *recordReader) readLine() (l csvLine, ok bool, err error) {
	if len(rr.queue) > 0 {
		l, rr.queue = rr.queue[0], rr.queue[1:]
		return l, true, nil
	}
	if rr.eof {
		return csvLine{}, false, nil
	}
	var text []byte
	size := 0
	for {
		chunk, err := rr.r.ReadSlice('\n')
		size += len(chunk)
		switch {
		case size <= rr.maxBytes:
			text = append(text, chunk...)
		case len(text) < faultPrefix:
			text = append(text, chunk[:min(len(chunk), faultPrefix-len(text))]...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			rr.eof = true
			if size == 0 {
				return csvLine{}, false, nil
			}
		} else if err != nil {
			return csvLine{}, false, err
		}
		break
	}
	rr.lines++
	if size > rr.maxBytes && len(text) > faultPrefix {
		// Only a prefix goes with the reject: a line just over the limit
		// kept its first maxBytes, 693 such rows took 1.2 GB to reject.
		text = text[:faultPrefix:faultPrefix]
	}
	return csvLine{text: text, num: rr.lines, long: size > rr.maxBytes}, true, nil
}

// next returns the next record, or io.EOF.
func (rr *recordReader) next() (Record, error) {
	for {
		first, ok, err := rr.readLine()
		if err != nil {
			return Record{}, err
		}
		if !ok {
			return Record{}, io.EOF
		}
		if first.long {
			return rr.fault(first, FaultTooLong), nil
		}
		if t := first.text; len(t) == 0 || t[0] == '\n' || (len(t) == 2 && t[0] == '\r' && t[1] == '\n') {
			continue // a blank line
		}
		rr.sp.reset()
		if rr.sp.feed(first.text) {
			if rr.sp.bad {
				return rr.fault(first, FaultUnclosedQuote), nil
			}
			rec := rr.record(first.num, first.text)
			if rr.cells > 0 && len(rec.Cells) > rr.cells && rec.Fault == "" && CellsBeforeEmpty(rec.Cells) > rr.cells {
				rec.Fault = FaultExtraCells
			}
			return rec, nil
		}
		// A quoted cell runs on: read lines until it closes, within the limits.
		read := []csvLine{first}
		size := len(first.text)
		for {
			if len(read) == rr.maxLines {
				break
			}
			l, ok, err := rr.readLine()
			if err != nil {
				return Record{}, err
			}
			if !ok {
				break
			}
			read = append(read, l)
			if size += len(l.text); l.long || size > rr.maxBytes {
				break
			}
			if !rr.sp.feed(l.text) {
				continue
			}
			if rr.sp.bad || (rr.width > 0 && len(rr.sp.ends) > rr.width) {
				break
			}
			text := make([]byte, 0, size)
			for _, l := range read {
				text = append(text, l.text...)
			}
			return rr.record(first.num, text), nil
		}
		// Not a record: its first line is rejected, the others are read again.
		rr.queue = append(read[1:len(read):len(read)], rr.queue...)
		return rr.fault(first, FaultUnclosedQuote), nil
	}
}

// record is the record the splitter holds, found at line, its text text.
func (rr *recordReader) record(line int, text []byte) Record {
	cells := rr.sp.cells()
	if rr.checkUTF8 && !utf8.Valid(text) {
		for i, c := range cells {
			cells[i] = strings.ToValidUTF8(c, "\uFFFD")
		}
		return Record{Line: line, Cells: cells, Fault: FaultEncoding}
	}
	return Record{Line: line, Cells: cells}
}

// CellsBeforeEmpty is how many cells a record has, empty ones at its end
// not counted (a delimiter at a line's end drops nothing).
func CellsBeforeEmpty(cells []string) int {
	n := len(cells)
	for n > 0 && cells[n-1] == "" {
		n--
	}
	return n
}

// fault is a line that is not read as a row, with its cells split at
// every delimiter (quotes and all), for the reject to show.
func (rr *recordReader) fault(l csvLine, fault string) Record {
	text := strings.ToValidUTF8(string(bytes.TrimRight(l.text, "\r\n")), "\uFFFD")
	return Record{Line: l.num, Cells: strings.Split(text, string(rr.delim)), Fault: fault}
}

// splitter splits a record's lines into cells, a line at a time.
type splitter struct {
	delim byte
	out   []byte // the cells' text, one after the other
	ends  []int  // where each cell ends in out
	// inQuote: the last line fed ended inside a quoted cell.
	inQuote bool
	// stray: the current quoted cell holds a quote that neither doubles
	// nor closes it; crossed: it runs over a line's end. Never both.
	stray, crossed bool
	bad            bool
}

func (s *splitter) reset() {
	s.out, s.ends = s.out[:0], s.ends[:0]
	s.inQuote, s.stray, s.crossed, s.bad = false, false, false, false
}

// quote states of quoted.
const (
	quoteClosed = iota
	quoteOpen
	quoteBad
)

// feed splits one more line (with its LF, or the text's last), and says
// whether the record is complete (or bad: s.bad).
func (s *splitter) feed(line []byte) bool {
	body := line
	if n := len(body); n > 0 && body[n-1] == '\n' {
		body = body[:n-1]
		if n := len(body); n > 0 && body[n-1] == '\r' {
			body = body[:n-1]
		}
	}
	i := 0
	if s.inQuote {
		s.inQuote = false
		var st int
		if i, st = s.quoted(body, 0); st != quoteClosed {
			return st == quoteBad
		}
		s.ends = append(s.ends, len(s.out))
		if i >= len(body) {
			return true
		}
		i++ // the delimiter after the closing quote
	}
	for {
		if q := quoteAt(body, i); q >= 0 {
			s.stray, s.crossed = false, false
			var st int
			if i, st = s.quoted(body, q+1); st != quoteClosed {
				return st == quoteBad
			}
		} else {
			j := bytes.IndexByte(body[i:], s.delim)
			if j < 0 {
				j = len(body) - i
			}
			s.out = append(s.out, body[i:i+j]...)
			i += j
		}
		s.ends = append(s.ends, len(s.out))
		if i >= len(body) {
			return true
		}
		i++ // the delimiter
	}
}

// quoted reads a quoted cell's text from body[i:] to its closing quote
// (returning the position after it), or to the line's end.
func (s *splitter) quoted(body []byte, i int) (int, int) {
	for {
		j := bytes.IndexByte(body[i:], '"')
		if j < 0 {
			s.out = append(s.out, body[i:]...)
			if s.stray {
				s.bad = true
				return len(body), quoteBad
			}
			s.out = append(s.out, '\n')
			s.inQuote, s.crossed = true, true
			return len(body), quoteOpen
		}
		j += i
		s.out = append(s.out, body[i:j]...)
		switch {
		case j+1 < len(body) && body[j+1] == '"':
			s.out = append(s.out, '"')
			i = j + 2
		case closingAt(body, j+1, s.delim) >= 0:
			return closingAt(body, j+1, s.delim), quoteClosed
		case s.crossed:
			s.bad = true
			return len(body), quoteBad
		default:
			s.stray = true
			s.out = append(s.out, '"')
			i = j + 1
		}
	}
}

// quoteAt is where the quote that opens the cell at body[i] is, or -1 if
// the cell is not quoted: a quote at its start, or after spaces (dropped),
// as DuckDB's reader reads it.
func quoteAt(body []byte, i int) int {
	for i < len(body) && body[i] == ' ' {
		i++
	}
	if i < len(body) && body[i] == '"' {
		return i
	}
	return -1
}

// closingAt is where the cell ends (the delimiter after it, or the line's
// end) when the quote before body[i] closes it, or -1: it closes when the
// delimiter or the line's end follows, spaces between allowed (dropped),
// as DuckDB's reader reads it.
func closingAt(body []byte, i int, delim byte) int {
	for i < len(body) && body[i] == ' ' && delim != ' ' {
		i++
	}
	if i == len(body) || body[i] == delim {
		return i
	}
	return -1
}

// cells are the record's cells, in one string.
func (s *splitter) cells() []string {
	all := string(s.out)
	cells := make([]string, len(s.ends))
	start := 0
	for i, end := range s.ends {
		cells[i] = all[start:end]
		start = end
	}
	return cells
}
