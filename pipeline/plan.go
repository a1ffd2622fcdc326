package pipeline

import (
	"fmt"
	"slices"
	"strings"

	"wardstat/ingest"
	"wardstat/transform"
	"wardstat/warehouse"
)

// duckDBPlan says how DuckDB's own reader can read the file whose header
// src has found (a UTF-8 or UTF-16 CSV, or JSON records): a CSVPlan or a
// JSONPlan, done to call once the load has read it (it removes the copies
// and samples the plan reads), and the error a load returns when DuckDB
// refuses the file, which our reader then reads. plan is nil when ours
// must read it.
func duckDBPlan(src *rowSource, abs string, opt FileOptions) (plan warehouse.Source, done func(), refused error) {
	if opt.GoReader {
		return nil, nil, nil
	}
	if plan, done, ok := src.jsonPlan(abs); ok {
		return plan, done, warehouse.ErrJSONReader
	}
	if plan, done, ok := src.csvPlan(abs); ok {
		return plan, done, warehouse.ErrCSVReader
	}
	return nil, nil, nil
}

// csvPlan says how DuckDB's own reader can read the rest of a CSV whose
// header this source has found (UTF-8 or UTF-16 as it is; Windows-1258 and
// UTF-16BE from a UTF-8 copy, which done removes once the load has read
// it); ok is false for other files.
func (s *rowSource) csvPlan(abs string) (plan warehouse.CSVPlan, done func(), ok bool) {
	cr, isCSV := s.r.(delimited)
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
	enc, delim := cr.Dialect()
	path, encoding, done := abs, "", func() {}
	switch enc {
	case ingest.UTF8, ingest.UTF8BOM:
	case ingest.UTF16LE:
		encoding = "utf-16"
	case ingest.Windows1258, ingest.UTF16BE:
		copied, remove, err := toUTF8(abs, enc, "")
		if err != nil {
			return warehouse.CSVPlan{}, nil, false // our reader reads it
		}
		path, done = copied, remove
	default:
		return warehouse.CSVPlan{}, nil, false
	}
	width := s.width()
	skip := s.pending[0].Line - 1
	skipRecords, err := recordsBefore(path, skip, byte(delim))
	if err != nil {
		done()
		return warehouse.CSVPlan{}, nil, false // our reader reads it
	}
	sequential := encoding == "" && strayQuoteNear(path, skip, byte(delim))
	// Lines from across a large file join the typing pass's sample.
	var sample string
	if encoding == "" {
		if name, removeSample, ok := spreadSample(path, skip, delim, width); ok {
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
		fixes, refusal, err := csvRowFixesAtLeast(path, skip, maxRowFixes, byte(delim), width, s.cells, s.least)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", warehouse.ErrCSVReader, err)
		}
		if refusal != "" {
			return nil, fmt.Errorf("%w: %s", warehouse.ErrCSVReader, refusal)
		}
		return fixes, nil
	}
	return warehouse.CSVPlan{
		Path: path, Encoding: encoding, Delimiter: delim, SkipLines: skip, SkipRecords: skipRecords, Columns: width,
		Mapping: s.mapper.Mapping(), TitleRows: s.skipped, RowFixes: fixes, Sample: sample, Sequential: sequential,
	}, done, true
}

// jsonPlan says how DuckDB's JSON reader can read a file of records (a
// top-level array, or NDJSON), flat or nested, when our reader says it
// can (DuckDBLayout). Records streamed out of a large wrapper object are
// copied to an NDJSON file first (unwrapJSON), which done removes once the
// load has read it. ok is false for a key mapped both as a value and as an
// object, and for a wrapper that cannot be copied: our reader reads those.
func (s *rowSource) jsonPlan(abs string) (plan warehouse.JSONPlan, done func(), ok bool) {
	j, isJSON := s.r.(jsonRecords)
	if !isJSON {
		return warehouse.JSONPlan{}, nil, false
	}
	layout, ok := j.DuckDBLayout()
	if !ok {
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
	plan = warehouse.JSONPlan{Path: abs, NewlineDelimited: layout.NewlineDelimited, Mapping: m}
	done = func() {}
	if layout.Wrapped {
		records, unwrapped, err := unwrapJSON(abs, "")
		if err != nil {
			return warehouse.JSONPlan{}, nil, false // our reader reads them, and says what is wrong
		}
		plan.Path, plan.NewlineDelimited, done = records, true, unwrapped
	}
	// Records from across a large file join the typing pass's sample.
	if layout.Wrapped || layout.UTF8 {
		if name, removeSample, ok := spreadJSONSample(plan.Path); ok {
			plan.Sample, done = name, func(removeCopy func()) func() {
				return func() { removeSample(); removeCopy() }
			}(done)
		}
	}
	if layout.Complete {
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
		later := ingest.LaterKeys(keys, known)
		if len(later) == 0 {
			return nil
		}
		grown, err := transform.Resolve(append(slices.Clip(m.Headers), later...), s.opt.Map)
		if err != nil || !sameFields(m, grown) {
			return fmt.Errorf("%w: keys first seen past the first %d records (%s) change how the columns map", warehouse.ErrJSONReader, ingest.JSONHeaderProbe, strings.Join(later, ", "))
		}
		return nil // keys no field reads
	}
	return plan, done, true
}

// jsonRecords is our JSON reader, which says whether DuckDB's can read
// its file instead.
type jsonRecords interface {
	ingest.Reader
	DuckDBLayout() (ingest.JSONLayout, bool)
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
