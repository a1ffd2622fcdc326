// Package pipeline loads a ward export into the warehouse: it identifies
// the file, picks the sheets that hold dossiers, finds the header with
// ingest's readers, and has the file read by DuckDB's own reader (a CSV or
// JSON plan, with the scans beside it) or by ours, row by row.
package pipeline

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
	"sort"
	"strings"

	"wardstat/ingest"
	"wardstat/internal/msg"
	"wardstat/transform"
	"wardstat/warehouse"
)

// Loader is what the pipeline needs of the warehouse: one load of one
// file from one source, the rows our reader read (warehouse.Rows) or a
// plan for DuckDB's reader (warehouse.CSVPlan, warehouse.JSONPlan).
type Loader interface {
	Load(ctx context.Context, req warehouse.LoadRequest, src warehouse.Source) (warehouse.LoadResult, error)
}

// FileOptions say how to read and attribute one file.
type FileOptions struct {
	Ward   string            // --ward: the unit of rows that name none
	Source string            // a name for where the file came from
	Format string            // "", "auto" or one of ingest.Formats
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
	Format ingest.Format
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
	if err := ingest.CheckRegular(path); err != nil {
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
	r, format, err := ingest.Open(readPath, ingest.Options{Format: opt.Format, Sheet: opt.Sheet, HeaderScore: transform.ScoreHeader})
	res.Format = format
	if err != nil {
		return fail(err)
	}
	if opt.Sheet == "" && (format == ingest.XLSX || format == ingest.XLS) {
		sheets, err := dossierSheets(r)
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
	if plan, done, refused := duckDBPlan(src, readAbs, opt); plan != nil {
		lr, err := l.Load(ctx, req, plan)
		done()
		if err == nil || !errors.Is(err, refused) {
			res.Mapping, res.Result, res.DuckDBRead = src.Mapping(), lr, err == nil
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
		if r, _, err = ingest.Open(readPath, ingest.Options{Format: opt.Format}); err != nil {
			return fail(err)
		}
		defer r.Close()
		if src, err = newRowSource(r, opt); err != nil {
			return fail(err)
		}
	}
	lr, err := l.Load(ctx, req, warehouse.Rows{RowSource: src})
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
func recordRefused(ctx context.Context, l Loader, path string, opt FileOptions, format ingest.Format, identity func() (string, error), err error) {
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
	case errors.Is(err, ingest.ErrNotAFile):
		return "not a regular file"
	case errors.Is(err, ingest.ErrTooLarge):
		return "over a size limit"
	case errors.Is(err, ingest.ErrWarehouseFile):
		return "a DuckDB database, not an export"
	case errors.Is(err, ingest.ErrEmpty):
		return "empty"
	case errors.Is(err, ingest.ErrUnsupported):
		return "not a format wardstat reads"
	case errors.Is(err, ingest.ErrNoHeader):
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
	f, err := ingest.OpenRegular(path)
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
