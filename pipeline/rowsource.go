package pipeline

import (
	"fmt"
	"io"
	"sort"

	"wardstat/ingest"
	"wardstat/internal/msg"
	"wardstat/transform"
)

// delimited is our CSV reader: its encoding and delimiter, and the width
// it is told once the header is found.
type delimited interface {
	ingest.Reader
	Dialect() (ingest.Encoding, rune)
	SetWidth(columns, cells int)
}

// rowSource finds the header, then maps each data row.
type rowSource struct {
	r       ingest.Reader
	opt     FileOptions
	mapper  *transform.Mapper
	pending []ingest.Record // rows read while looking for the header
	skipped int
	rows    int
	values  []string
	// read-ahead (see next)
	batches chan recordBatch
	stop    chan struct{}
	current []ingest.Record
	lastErr error
	// blank: of skipped, the rows of empty cells; duplicates: the fields
	// several columns name (duplicateColumns).
	blank      int
	duplicates []DuplicateColumn
	// cells is a CSV's cellWidth, once its header is found.
	cells int
	// least is the fewest cells a row of a positional format (CSV, an
	// HTML table) may have (leastCells); 0: any.
	least int
}

// positional is a reader whose rows place their cells by order (CSV, an
// HTML table), not by a cell's address (XLSX, .xls) or key (JSON).
type positional interface{ Positional() bool }

func newRowSource(r ingest.Reader, opt FileOptions) (*rowSource, error) {
	s := &rowSource{r: r, opt: opt}
	var top [][]string
	for len(s.pending) < transform.HeaderScanRows {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if rec.Header {
			if err := s.setHeader(rec.Cells); err != nil {
				return nil, err
			}
			return s, nil
		}
		s.pending = append(s.pending, rec)
		top = append(top, rec.Cells)
	}
	if len(s.pending) == 0 {
		return nil, ingest.ErrEmpty
	}
	headers, consumed, ok := transform.FindHeader(top)
	if !ok {
		if len(opt.Map) > 0 {
			// The user named the columns: take the first non-blank row as the header.
			for i, row := range top {
				if nonBlank(row) {
					headers, consumed, ok = row, i+1, true
					break
				}
			}
		}
		if !ok {
			read := ""
			if cr, isCSV := r.(delimited); isCSV {
				if enc, _ := cr.Dialect(); enc == ingest.Windows1258 {
					// Its first bytes did not read as UTF-8: the header may be there, garbled.
					read = "1258"
				}
			}
			return nil, noHeader(read != "", transform.HeaderScanRows, ingest.QuoteCells(opt.Hasher.MaskHeaderCells(firstNonBlank(top), false)))
		}
	}
	s.skipped = countNonBlank(top[:consumed-1])
	s.pending = s.pending[consumed:]
	if err := s.setHeader(headers); err != nil {
		return nil, err
	}
	if cr, ok := r.(delimited); ok {
		s.cells = s.cellWidth()
		cr.SetWidth(s.width(), s.cells)
	}
	if p, ok := r.(positional); ok && p.Positional() {
		s.least = s.leastCells()
	}
	return s, nil
}

// leastCells is how many cells a row must have: the header's (empty
// names at its end not counted), or fewer when most of the first rows
// have fewer (an export that leaves out the empty cells at a row's end,
// the way a row with more is allowed when most have more: cellWidth). A
// row with fewer had a cell left out, and the cells after it slid one
// column back (a name into the sector's, a phone into the procedure's):
// it is rejected (ingest.FaultMissingCells). One among the first rows is
// marked here, so that the CSV plan sees it and our reader reads the file.
func (s *rowSource) leastCells() int {
	least := ingest.CellsBeforeEmpty(s.mapper.Mapping().Headers)
	shorter, rows, narrowest := 0, 0, least
	for _, p := range s.pending {
		if p.Fault != "" || p.Header || transform.IsBlank(p.Cells) {
			continue
		}
		rows++
		if n := len(p.Cells); n < least {
			shorter++
			narrowest = min(narrowest, n)
		}
	}
	if shorter*2 > rows {
		least = narrowest
	}
	for i, p := range s.pending {
		if missingCells(p, least) {
			s.pending[i].Fault = ingest.FaultMissingCells
		}
	}
	return least
}

// missingCells reports whether a record, read as a row, has fewer cells
// than least (a row of empty cells is no row: it is skipped).
func missingCells(rec ingest.Record, least int) bool {
	return rec.Fault == "" && !rec.Header && len(rec.Cells) < least && !transform.IsBlank(rec.Cells)
}

// width is how many columns the rows have: the header's, or more if the
// first rows have more cells.
func (s *rowSource) width() int {
	width := len(s.mapper.Mapping().Headers)
	for _, p := range s.pending {
		width = max(width, len(p.Cells))
	}
	return width
}

// cellWidth is how many cells a row may have, empty ones at its end not
// counted: the header's, or more when most of the first rows have more (a
// header that leaves its last columns unnamed). A row of more holds the
// delimiter in a cell unquoted, and its cells slid: one among the first
// rows, which were read before the width was known, is marked here
// (ingest.FaultExtraCells), or a name slid into the sector column was stored.
func (s *rowSource) cellWidth() int {
	width := len(s.mapper.Mapping().Headers)
	wider, rows, widest := 0, 0, width
	for _, p := range s.pending {
		if p.Fault != "" || p.Header || transform.IsBlank(p.Cells) {
			continue
		}
		rows++
		if n := ingest.CellsBeforeEmpty(p.Cells); n > width {
			wider++
			widest = max(widest, n)
		}
	}
	if wider*2 > rows {
		return widest
	}
	for i, p := range s.pending {
		if p.Fault == "" && !p.Header && ingest.CellsBeforeEmpty(p.Cells) > width {
			s.pending[i].Fault = ingest.FaultExtraCells
		}
	}
	return width
}

func (s *rowSource) setHeader(headers []string) error {
	m, err := transform.Resolve(headers, s.opt.Map)
	if err != nil {
		return err
	}
	s.mapper = transform.NewMapper(m, s.opt.Hasher)
	s.duplicates = duplicateColumns(m)
	return nil
}

// DuplicateColumn is a header that several columns carry.
type DuplicateColumn struct {
	Header  string // shortened as a message quotes it (ingest.Shorten)
	Columns []int  // 1-based; the first is read
}

// duplicateColumns finds the fields read from one of several columns that
// name them equally well (a column copied twice, "Ngày tiếp nhận" and
// "Ngày tiếp nhận"): the first is read, and the others were ignored
// without a word.
func duplicateColumns(m transform.Mapping) []DuplicateColumn {
	var out []DuplicateColumn
	for field, i := range m.Columns {
		f, rank := transform.MatchHeader(m.Headers[i])
		if f != field {
			continue // named with --map
		}
		d := DuplicateColumn{Header: ingest.Shorten(m.Headers[i]), Columns: []int{i + 1}}
		for j, h := range m.Headers {
			if g, r := transform.MatchHeader(h); j != i && g == field && r == rank {
				d.Columns = append(d.Columns, j+1)
			}
		}
		if len(d.Columns) > 1 {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Columns[0] < out[b].Columns[0] })
	return out
}

func (s *rowSource) Next() (transform.Row, error) {
	for {
		var rec ingest.Record
		if len(s.pending) > 0 {
			rec, s.pending = s.pending[0], s.pending[1:]
		} else {
			var err error
			rec, err = s.next()
			if err != nil {
				if err == io.EOF && s.opt.Progress != nil {
					s.opt.Progress(s.rows)
				}
				return transform.Row{}, err
			}
		}
		if rec.Header {
			if err := s.setHeader(rec.Cells); err != nil {
				return transform.Row{}, err
			}
			continue
		}
		if rec.Fault == "" && transform.IsBlank(rec.Cells) {
			s.skipped++ // a row of empty cells (",,,,"), as DuckDB's reader counts it
			s.blank++
			continue
		}
		if rec.Fault == "" && ingest.CapCells(rec.Cells) {
			rec.Fault = ingest.FaultTooLong
		}
		if missingCells(rec, s.least) {
			rec.Fault = ingest.FaultMissingCells
		}
		row := s.mapper.Map(rec.Line, rec.Cells, s.values)
		if rec.Fault != "" {
			// Rejected on its line, whatever its cells hold.
			fault := rec.Fault
			if fault == ingest.FaultExtraCells {
				// The reject says how many cells against the columns.
				fault = fmt.Sprintf("%s:%d:%d", fault, ingest.CellsBeforeEmpty(rec.Cells), s.cells)
			}
			if fault == ingest.FaultMissingCells {
				fault = fmt.Sprintf("%s:%d:%d", fault, len(rec.Cells), s.least)
			}
			row.SetFault(fault)
		}
		s.values = row.Values
		s.rows++
		if s.opt.Progress != nil && s.rows%5000 == 0 {
			s.opt.Progress(s.rows)
		}
		return row, nil
	}
}

// prefetchBatch is how many records the reading goroutine hands over at
// once, or fewer that hold prefetchBytes of text: rows of a MiB each (the
// most a CSV line may hold) would otherwise hold GiBs in the batches
// read ahead.
const (
	prefetchBatch = 512
	prefetchBytes = 4 << 20
)

type recordBatch struct {
	recs []ingest.Record
	err  error
}

// next returns the reader's next record. The first call starts a goroutine
// that reads ahead, so that parsing the file (excelize's XML, JSON decoding)
// runs on one core while mapping and staging run on another.
func (s *rowSource) next() (ingest.Record, error) {
	if s.batches == nil {
		s.batches = make(chan recordBatch, 8)
		s.stop = make(chan struct{})
		go func() {
			defer close(s.batches)
			batch := make([]ingest.Record, 0, prefetchBatch)
			size := 0
			for {
				rec, err := s.r.Next()
				if err == nil {
					batch = append(batch, rec)
					for _, c := range rec.Cells {
						size += len(c)
					}
					if len(batch) < prefetchBatch && size < prefetchBytes {
						continue
					}
				}
				select {
				case s.batches <- recordBatch{recs: batch, err: err}:
				case <-s.stop:
					return
				}
				if err != nil {
					return
				}
				batch, size = make([]ingest.Record, 0, prefetchBatch), 0
			}
		}()
	}
	for len(s.current) == 0 {
		if s.lastErr != nil {
			return ingest.Record{}, s.lastErr
		}
		b, ok := <-s.batches
		if !ok {
			return ingest.Record{}, io.EOF
		}
		s.current, s.lastErr = b.recs, b.err
	}
	rec := s.current[0]
	s.current = s.current[1:]
	return rec, nil
}

// close stops the reading goroutine, if any, before the reader is closed.
func (s *rowSource) close() {
	if s.stop != nil {
		close(s.stop)
		for range s.batches {
		}
		s.stop = nil
	}
}

func (s *rowSource) Mapping() transform.Mapping { return s.mapper.Mapping() }
func (s *rowSource) Skipped() int               { return s.skipped }

func nonBlank(row []string) bool {
	for _, c := range row {
		if c != "" {
			return true
		}
	}
	return false
}

func countNonBlank(rows [][]string) int {
	n := 0
	for _, r := range rows {
		if nonBlank(r) {
			n++
		}
	}
	return n
}

func firstNonBlank(rows [][]string) []string {
	for _, r := range rows {
		if nonBlank(r) {
			if len(r) > 8 {
				return r[:8]
			}
			return r
		}
	}
	return nil
}

// noHeader is a file whose first rows name no known column; garbled says
// it was read as Windows-1258 (its first bytes are not UTF-8).
func noHeader(garbled bool, rows int, first []string) error {
	vi, en := "", ""
	if garbled {
		vi, en = " (đọc theo mã Windows-1258: các byte đầu không phải UTF-8)", " (read in the Windows-1258 encoding: its first bytes are not UTF-8)"
	}
	return msg.Errorf("%w trong %d dòng đầu"+vi+": không dòng nào có mã hồ sơ, ngày tiếp nhận hay cột nào khác wardstat biết (dòng đầu: %q); hãy chỉ các cột bằng --map, ví dụ --map dossier_code=\"<cột>\" --map received_at=\"<cột>\"",
		"%w in the first %d rows"+en+": no row names a dossier code, a receipt date or other known columns (first row: %q); name the columns with --map, e.g. --map dossier_code=\"<column>\" --map received_at=\"<column>\"",
		ingest.ErrNoHeader, rows, first)
}
