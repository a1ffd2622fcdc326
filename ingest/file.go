package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"wardstat/internal/msg"
	"wardstat/transform"
	"wardstat/warehouse"
)

// Loader is what ingesting needs of the warehouse.
type Loader interface {
	Load(ctx context.Context, req warehouse.LoadRequest, src warehouse.RowSource) (warehouse.LoadResult, error)
	LoadCSV(ctx context.Context, req warehouse.LoadRequest, plan warehouse.CSVPlan, h *transform.Hasher) (warehouse.LoadResult, error)
	LoadJSON(ctx context.Context, req warehouse.LoadRequest, plan warehouse.JSONPlan, h *transform.Hasher) (warehouse.LoadResult, error)
}

// FileOptions say how to read and attribute one file.
type FileOptions struct {
	Ward   string            // --ward: the unit of rows that name none
	Source string            // a name for where the file came from
	Format string            // "", "auto" or one of Formats
	Sheet  string            // an XLSX sheet
	Map    map[string]string // field -> the file's header, over the vocabulary
	Hasher *transform.Hasher
	// Progress, when set, is told the number of data rows read so far,
	// every few thousand rows and at the end.
	Progress func(rows int)
	// Phase, when set, is told each step of the load as it starts (see
	// warehouse.LoadRequest).
	Phase func(phase string)
	// GoReader makes a UTF-8 CSV go through wardstat's own reader rather
	// than DuckDB's (which is faster; see DESIGN.md).
	GoReader bool
	// Reload loads the file even when it was loaded before with the same
	// options, replacing that load (ingest --reload): after the unit
	// registry, the procedure catalogue or wardstat itself changed.
	Reload bool
	// oneOfSheets marks the load of one sheet of a workbook with several
	// sheets of dossiers: the sheet is part of the load's identity.
	oneOfSheets bool
}

// FileResult is what became of one file.
type FileResult struct {
	Path   string
	Format Format
	// Sheet is the workbook's sheet loaded, when the workbook holds
	// dossiers in several; More is what became of the other sheets, each
	// its own load.
	Sheet   string
	More    []FileResult
	Mapping transform.Mapping
	Result  warehouse.LoadResult
	// DuckDBRead is true when DuckDB's own reader read the file (a UTF-8
	// CSV, or JSON records), false when ours did.
	DuckDBRead bool
	// DuplicateColumns are the headers several columns carry, each with
	// its column numbers: the first is read, the others are not.
	DuplicateColumns []DuplicateColumn
	// Blank is how many of the rows skipped (Result.Skipped) were rows of
	// empty cells below the header, as our reader counts them: a sheet
	// formatted down to its millionth row has that many, which are not
	// titles or totals.
	Blank int
}

// FileError is a file that could not be loaded at all; nothing of it was.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return fmt.Sprintf("%s: %v", e.Path, e.Err) }
func (e *FileError) Unwrap() error { return e.Err }

// File loads one export into the warehouse. A workbook with dossiers in
// several sheets, and no sheet named, is loaded a sheet at a time, each
// sheet its own load (FileResult.More): a sheet that fails does not stop
// the others, and the error names it.
func File(ctx context.Context, l Loader, path string, opt FileOptions) (FileResult, error) {
	res := FileResult{Path: opt.ofSheet(path), Sheet: opt.Sheet}
	var identity func() (string, error)
	fail := func(err error) (FileResult, error) {
		if ctx.Err() == nil {
			recordRefused(ctx, l, path, opt, res.Format, identity, err)
		}
		return res, &FileError{Path: path, Err: err}
	}
	// Only a regular file is read: a named pipe would wait for a writer
	// forever, a device (a link to /dev/zero) never end.
	if err := checkRegular(path); err != nil {
		return fail(err)
	}
	// The file's sha256 (its identity) is computed beside the reading: the
	// load asks for it before it writes, and stops if the file is known.
	var (
		sum    string
		sumErr error
		summed = make(chan struct{})
	)
	go func() {
		defer close(summed)
		sum, sumErr = fileSHA256(path)
	}()
	identity = func() (string, error) {
		<-summed
		return opt.identity(sum), sumErr
	}
	// Whatever becomes of the file, the hashing is done before File returns.
	defer func() { <-summed }()
	// A compressed export (.csv.gz) is read from its unpacked copy; the
	// load keeps the file's own name and identity.
	readPath := path
	if gz, err := isGzip(path); err != nil {
		return fail(err)
	} else if gz {
		st, err := os.Stat(path)
		if err != nil {
			return fail(err)
		}
		unpacked, done, err := gunzipCopy(path, st.Size())
		if err != nil {
			return fail(err)
		}
		defer done()
		readPath = unpacked
	}
	r, format, err := Open(readPath, Options{Format: opt.Format, Sheet: opt.Sheet, HeaderScore: transform.ScoreHeader})
	res.Format = format
	if err != nil {
		return fail(err)
	}
	if opt.Sheet == "" && (format == XLSX || format == XLS) {
		sheets, err := dossierSheets(r, readPath)
		if err != nil {
			r.Close()
			return fail(err)
		}
		if len(sheets) > 1 {
			r.Close()
			return fileSheets(ctx, l, path, opt, sheets)
		}
	}
	defer r.Close()
	res.Format = format
	src, err := newRowSource(r, opt)
	if err != nil {
		return fail(err)
	}
	res.DuplicateColumns = src.duplicates
	abs, _ := filepath.Abs(path)
	readAbs, _ := filepath.Abs(readPath)
	req := warehouse.LoadRequest{Path: opt.ofSheet(abs), SHA256: identity, Reload: opt.Reload, Source: opt.Source, Format: string(format), Ward: opt.Ward, Phase: opt.Phase, Hasher: opt.Hasher}
	if fast, refused := fastPath(ctx, l, src, readAbs, req, opt); fast != nil {
		lr, mapping, err := fast()
		if err == nil || !errors.Is(err, refused) {
			res.Mapping, res.Result, res.DuckDBRead = mapping, lr, err == nil
			if err != nil {
				return fail(err)
			}
			if opt.Progress != nil {
				opt.Progress(int(lr.Read))
			}
			return res, nil
		}
		// DuckDB's reader refused an odd file: read it with ours.
		r.Close()
		if r, _, err = Open(readPath, Options{Format: opt.Format}); err != nil {
			return fail(err)
		}
		defer r.Close()
		if src, err = newRowSource(r, opt); err != nil {
			return fail(err)
		}
	}
	lr, err := l.Load(ctx, req, src)
	src.close()
	res.Mapping = src.Mapping()
	res.Result = lr
	res.Blank = src.blank
	if err != nil {
		return fail(err)
	}
	return res, nil
}

// refusalRecorder is a Loader that records a file refused whole.
type refusalRecorder interface {
	RecordRefused(ctx context.Context, req warehouse.LoadRequest, sha, reason string) (int64, error)
}

// recordRefused records a file refused whole in the loads, where the
// loader can: the reason is the kind of refusal, a fixed text, since the
// message may quote the file's cells. A load that failed in the warehouse
// (its transaction rolled back) is recorded the same way. Best effort: the
// refusal itself is what the caller reports.
func recordRefused(ctx context.Context, l Loader, path string, opt FileOptions, format Format, identity func() (string, error), err error) {
	rec, ok := l.(refusalRecorder)
	if !ok || errors.Is(err, fs.ErrNotExist) {
		return // a path that names nothing is a typing mistake, not a file refused
	}
	sha := ""
	if identity != nil {
		if s, err := identity(); err == nil {
			sha = s
		}
	}
	abs, _ := filepath.Abs(path)
	req := warehouse.LoadRequest{Path: opt.ofSheet(abs), Source: opt.Source, Format: string(format), Ward: opt.Ward}
	_, _ = rec.RecordRefused(ctx, req, sha, refusalKind(err))
}

// refusalKind names why a file was refused, as a fixed text that holds
// nothing of the file.
func refusalKind(err error) string {
	var missing *transform.MissingColumnError
	switch {
	case errors.Is(err, ErrNotAFile):
		return "not a regular file"
	case errors.Is(err, ErrTooLarge):
		return "over a size limit"
	case errors.Is(err, ErrWarehouseFile):
		return "a DuckDB database, not an export"
	case errors.Is(err, ErrEmpty):
		return "empty"
	case errors.Is(err, ErrUnsupported):
		return "not a format wardstat reads"
	case errors.Is(err, ErrNoHeader):
		return "no header row"
	case errors.As(err, &missing):
		return "no column for " + missing.Field
	}
	return "refused (the command's message says why)"
}

// ofSheet names the sheet loaded after a file's path or identity, when it
// is one of a workbook's several sheets of dossiers: "file.xlsx#Phường 2".
func (o FileOptions) ofSheet(s string) string {
	if o.oneOfSheets {
		return s + "#" + o.Sheet
	}
	return s
}

// identity is a load's identity (warehouse.LoadRequest.SHA256): the
// file's sha256; "#sheet" when a sheet was read by name or as one of a
// workbook's several (each sheet is a file of its own, which a load of
// another sheet does not replace); then "?options", the options that
// change what a load of the same bytes gives: --ward (rows naming no
// unit), --map (which column is which field) and --format (a file read
// as another format). Not --source (a label), the reader (wardstat's and
// DuckDB's agree) or the key (one per warehouse). A load of the same
// file with other options is a new load, which replaces the earlier one.
func (o FileOptions) identity(sum string) string {
	if o.Sheet != "" {
		sum += "#" + o.Sheet
	}
	return sum + o.identityOptions()
}

// identityOptions is the "?options" part of identity, "" when none.
func (o FileOptions) identityOptions() string {
	v := url.Values{}
	if w := strings.TrimSpace(o.Ward); w != "" {
		v.Set("ward", w)
	}
	if f := strings.ToLower(strings.TrimSpace(o.Format)); f != "" && f != "auto" {
		v.Set("format", f)
	}
	fields := make([]string, 0, len(o.Map))
	for f := range o.Map {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		v.Add("map", f+"="+o.Map[f])
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// NothingLoaded says whether a load read rows and loaded none of them:
// every row it read was rejected (a file without its unit and no --ward,
// a column mapped wrong). Such a load is a failure to the caller, though
// it is recorded with its rejects: a file whose rows were all there
// already (unchanged) or that holds no dossier row is not one.
func NothingLoaded(r warehouse.LoadResult) bool {
	return r.AlreadyLoaded == nil && r.Read > 0 && r.Rejected == r.Read
}

// fileSheets loads each of a workbook's sheets of dossiers as its own load.
func fileSheets(ctx context.Context, l Loader, path string, opt FileOptions, sheets []string) (FileResult, error) {
	var all []FileResult
	var failed []error
	for _, s := range sheets {
		one := opt
		one.Sheet, one.oneOfSheets = s, true
		res, err := File(ctx, l, path, one)
		if err != nil {
			if ctx.Err() != nil {
				return res, err
			}
			failed = append(failed, msg.Errorf("trang %q: %w", "sheet %q: %w", s, errors.Unwrap(err)))
			continue
		}
		all = append(all, res)
	}
	var err error
	if len(failed) > 0 {
		err = &FileError{Path: path, Err: errors.Join(failed...)}
	}
	if len(all) == 0 {
		return FileResult{Path: path}, err
	}
	all[0].More = all[1:]
	return all[0], err
}

func fileSHA256(path string) (string, error) {
	f, err := openRegular(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// rowSource finds the header, then maps each data row.
type rowSource struct {
	r       Reader
	opt     FileOptions
	mapper  *transform.Mapper
	pending []Record // rows read while looking for the header
	skipped int
	rows    int
	values  []string
	// read-ahead (see next)
	batches chan recordBatch
	stop    chan struct{}
	current []Record
	lastErr error
	// blank: of skipped, the rows of empty cells; duplicates: the fields
	// several columns name (duplicateColumns).
	blank      int
	duplicates []DuplicateColumn
	// cells is a CSV's cellWidth, once its header is found.
	cells int
}

func newRowSource(r Reader, opt FileOptions) (*rowSource, error) {
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
		return nil, ErrEmpty
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
			if cr, isCSV := r.(*csvReader); isCSV && cr.Encoding == Windows1258 {
				// Its first bytes did not read as UTF-8: the header may be there, garbled.
				read = "1258"
			}
			return nil, noHeader(read != "", transform.HeaderScanRows, quoteCells(opt.Hasher.MaskHeaderCells(firstNonBlank(top), false)))
		}
	}
	s.skipped = countNonBlank(top[:consumed-1])
	s.pending = s.pending[consumed:]
	if err := s.setHeader(headers); err != nil {
		return nil, err
	}
	if cr, ok := r.(*csvReader); ok {
		s.cells = s.cellWidth()
		cr.setWidth(s.width(), s.cells)
	}
	return s, nil
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
// (FaultExtraCells), or a name slid into the sector column was stored.
func (s *rowSource) cellWidth() int {
	width := len(s.mapper.Mapping().Headers)
	wider, rows, widest := 0, 0, width
	for _, p := range s.pending {
		if p.Fault != "" || p.Header || transform.IsBlank(p.Cells) {
			continue
		}
		rows++
		if n := CellsBeforeEmpty(p.Cells); n > width {
			wider++
			widest = max(widest, n)
		}
	}
	if wider*2 > rows {
		return widest
	}
	for i, p := range s.pending {
		if p.Fault == "" && !p.Header && CellsBeforeEmpty(p.Cells) > width {
			s.pending[i].Fault = FaultExtraCells
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
	Header  string // shortened to maxQuoted characters
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
		d := DuplicateColumn{Header: shorten(m.Headers[i], maxQuoted), Columns: []int{i + 1}}
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
		var rec Record
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
		if rec.Fault == "" && capCells(rec.Cells) {
			rec.Fault = FaultTooLong
		}
		row := s.mapper.Map(rec.Line, rec.Cells, s.values)
		if rec.Fault != "" {
			// Rejected on its line, whatever its cells hold.
			fault := rec.Fault
			if fault == FaultExtraCells {
				// The reject says how many cells against the columns.
				fault = fmt.Sprintf("%s:%d:%d", fault, CellsBeforeEmpty(rec.Cells), s.cells)
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

// fastPath returns the load by DuckDB's own reader when the file allows it
// (a UTF-8 CSV, or flat JSON records), and the error that says DuckDB
// refused the file; nil when our reader must read it.
func fastPath(ctx context.Context, l Loader, src *rowSource, abs string, req warehouse.LoadRequest, opt FileOptions) (func() (warehouse.LoadResult, transform.Mapping, error), error) {
	if opt.GoReader {
		return nil, nil
	}
	if plan, done, ok := src.jsonPlan(abs); ok {
		return func() (warehouse.LoadResult, transform.Mapping, error) {
			defer done()
			lr, err := l.LoadJSON(ctx, req, plan, opt.Hasher)
			return lr, plan.Mapping, err
		}, warehouse.ErrJSONReader
	}
	if plan, done, ok := src.csvPlan(abs); ok {
		return func() (warehouse.LoadResult, transform.Mapping, error) {
			defer done()
			lr, err := l.LoadCSV(ctx, req, plan, opt.Hasher)
			return lr, plan.Mapping, err
		}, warehouse.ErrCSVReader
	}
	return nil, nil
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
	recs []Record
	err  error
}

// next returns the reader's next record. The first call starts a goroutine
// that reads ahead, so that parsing the file (excelize's XML, JSON decoding)
// runs on one core while mapping and staging run on another.
func (s *rowSource) next() (Record, error) {
	if s.batches == nil {
		s.batches = make(chan recordBatch, 8)
		s.stop = make(chan struct{})
		go func() {
			defer close(s.batches)
			batch := make([]Record, 0, prefetchBatch)
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
				batch, size = make([]Record, 0, prefetchBatch), 0
			}
		}()
	}
	for len(s.current) == 0 {
		if s.lastErr != nil {
			return Record{}, s.lastErr
		}
		b, ok := <-s.batches
		if !ok {
			return Record{}, io.EOF
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

// csvPlan says how DuckDB's own reader can read the rest of a CSV whose
// header this source has found (UTF-8 or UTF-16 as it is; Windows-1258 and
// UTF-16BE from a UTF-8 copy, which done removes once the load has read
// it); ok is false for other files.
func (s *rowSource) csvPlan(abs string) (plan warehouse.CSVPlan, done func(), ok bool) {
	cr, isCSV := s.r.(*csvReader)
	if !isCSV || len(s.pending) == 0 {
		return warehouse.CSVPlan{}, nil, false
	}
	for _, p := range s.pending {
		if p.Fault != "" {
			// A row our reader rejects on its line, where DuckDB's would
			// read on (an unclosed quote) or refuse the file (a byte not
			// UTF-8), already in the first rows: ours reads the file.
			return warehouse.CSVPlan{}, nil, false
		}
	}
	// DuckDB reads UTF-8 and UTF-16 (little-endian) itself; other
	// encodings need its encodings extension, not available offline: they
	// are copied to UTF-8 first (toUTF8), which done removes.
	path, encoding, done := abs, "", func() {}
	switch cr.Encoding {
	case UTF8, UTF8BOM:
	case UTF16LE:
		encoding = "utf-16"
	case Windows1258, UTF16BE:
		copied, remove, err := toUTF8(abs, cr.Encoding, "")
		if err != nil {
			return warehouse.CSVPlan{}, nil, false // our reader reads it
		}
		path, done = copied, remove
	default:
		return warehouse.CSVPlan{}, nil, false
	}
	width := s.width()
	skip := s.pending[0].Line - 1
	skipRecords, err := recordsBefore(path, skip, byte(cr.Delimiter))
	if err != nil {
		done()
		return warehouse.CSVPlan{}, nil, false // our reader reads it
	}
	sequential := encoding == "" && strayQuoteNear(path, skip, byte(cr.Delimiter))
	// Lines from across a large file join the typing pass's sample.
	var sample string
	if encoding == "" {
		if name, removeSample, ok := spreadSample(path, skip, cr.Delimiter, width); ok {
			sample, done = name, func(removeCopy func()) func() {
				return func() { removeSample(); removeCopy() }
			}(done)
		}
	}
	// Rows are numbered by their place in DuckDB's reading; where that
	// parts from the line numbers, say where (the load looks, reading the
	// whole file, beside its typing). A file with very many such places
	// (cells full of line breaks), with a CR alone, or with a line our
	// reader rejects (a quote that does not close, a line over the limit)
	// is read by ours.
	fixes := func() ([]warehouse.RowFix, error) {
		fixes, refusal, err := csvRowFixes(path, skip, maxRowFixes, byte(cr.Delimiter), width, s.cells)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", warehouse.ErrCSVReader, err)
		}
		if refusal != "" {
			return nil, fmt.Errorf("%w: %s", warehouse.ErrCSVReader, refusal)
		}
		return fixes, nil
	}
	return warehouse.CSVPlan{
		Path: path, Encoding: encoding, Delimiter: cr.Delimiter, SkipLines: skip, SkipRecords: skipRecords, Columns: width,
		Mapping: s.mapper.Mapping(), TitleRows: s.skipped, RowFixes: fixes, Sample: sample, Sequential: sequential,
	}, done, true
}

// jsonPlan says how DuckDB's JSON reader can read a file of records (a
// top-level array, or NDJSON), flat or nested. Records streamed out of a
// large wrapper object are copied to an NDJSON file first (unwrapJSON),
// which done removes once the load has read it. ok is false for a small
// wrapper, read whole, for a wrapper in UTF-16 or a legacy encoding, for
// records with a null among them (DuckDB's reader counts it as a row, and
// numbers the records after it one more; a null past the first records
// makes the key check refuse the file), for keys the flattened names
// cannot tell from nesting, and for a key mapped both as a value and as an
// object: our reader handles those.
func (s *rowSource) jsonPlan(abs string) (plan warehouse.JSONPlan, done func(), ok bool) {
	j, isJSON := s.r.(*jsonReader)
	if !isJSON || !(j.inArr || j.stream) || j.oddKeys || (j.nulls && !j.wrapped) || (j.wrapped && (j.done || (j.enc != UTF8 && j.enc != UTF8BOM))) {
		return warehouse.JSONPlan{}, nil, false
	}
	m := s.mapper.Mapping()
	flat, parents := map[string]bool{}, map[string]bool{}
	for _, c := range m.Columns {
		if top, _, nested := strings.Cut(m.Headers[c], "."); nested {
			parents[top] = true
		} else {
			flat[top] = true
		}
	}
	for top := range parents {
		if flat[top] {
			return warehouse.JSONPlan{}, nil, false
		}
	}
	plan = warehouse.JSONPlan{Path: abs, NewlineDelimited: j.stream, Mapping: m}
	done = func() {}
	if j.wrapped {
		records, unwrapped, err := unwrapJSON(abs, "")
		if err != nil {
			return warehouse.JSONPlan{}, nil, false // our reader reads them, and says what is wrong
		}
		plan.Path, plan.NewlineDelimited, done = records, true, unwrapped
	}
	// Records from across a large file join the typing pass's sample.
	if j.wrapped || j.enc == UTF8 || j.enc == UTF8BOM {
		if name, removeSample, ok := spreadJSONSample(plan.Path); ok {
			plan.Sample, done = name, func(removeCopy func()) func() {
				return func() { removeSample(); removeCopy() }
			}(done)
		}
	}
	if j.done {
		return plan, done, true // the first records were all of them
	}
	// The headers are the keys of the first records; the load reads the
	// whole file for the others beside its typing pass.
	known := map[string]bool{}
	for _, h := range m.Headers {
		known[h] = true
	}
	plan.Check = func() error {
		keys, err := jsonKeys(plan.Path)
		if err != nil {
			return fmt.Errorf("%w: %v", warehouse.ErrJSONReader, err)
		}
		later := laterKeys(keys, known)
		if len(later) == 0 {
			return nil
		}
		grown, err := transform.Resolve(append(slices.Clip(m.Headers), later...), s.opt.Map)
		if err != nil || !sameFields(m, grown) {
			return fmt.Errorf("%w: keys first seen past the first %d records (%s) change how the columns map", warehouse.ErrJSONReader, jsonHeaderProbe, strings.Join(later, ", "))
		}
		return nil // keys no field reads
	}
	return plan, done, true
}

// laterKeys are the keys of a file (as jsonKeys gives them) its first
// records did not show, sorted; a key null wherever it is not an object is
// none (see jsonReader.dropNullParents).
func laterKeys(keys, known map[string]bool) []string {
	var later []string
	for k, valued := range keys {
		if known[k] {
			continue
		}
		if !valued {
			parent := false
			for other := range keys {
				if fieldOf(other, k) {
					parent = true
					break
				}
			}
			if parent {
				continue
			}
		}
		later = append(later, k)
	}
	sort.Strings(later)
	return later
}

// sameFields reports whether two mappings read every field from the same
// header.
func sameFields(a, b transform.Mapping) bool {
	if len(a.Columns) != len(b.Columns) {
		return false
	}
	for f, i := range a.Columns {
		j, ok := b.Columns[f]
		if !ok || a.Headers[i] != b.Headers[j] {
			return false
		}
	}
	return true
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

// capCells says whether a cell is over maxCellBytes, and then cuts every
// cell over faultPrefix bytes to that (on a character's boundary): such a
// row is rejected (FaultTooLong), and never staged whole.
func capCells(cells []string) bool {
	if !slices.ContainsFunc(cells, func(c string) bool { return len(c) > maxCellBytes }) {
		return false
	}
	for i, c := range cells {
		if n := min(faultPrefix, maxCellBytes); len(c) > n {
			for n > 0 && !utf8.RuneStart(c[n]) {
				n--
			}
			cells[i] = strings.Clone(c[:n])
		}
	}
	return true
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
		ErrNoHeader, rows, first)
}
