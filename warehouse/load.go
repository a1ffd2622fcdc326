package warehouse

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"wardstat/transform"
)

// errIdentified stops a load whose file was loaded before (or could not
// be identified).
var errIdentified = errors.New("file identified")

// errBeside stops a load whose reading beside the typing (CSV row fixes,
// JSON keys) failed: the file is for the slow reader after all.
var errBeside = errors.New("the reading beside the typing failed")

// LoadRequest describes one file to load.
type LoadRequest struct {
	Path string
	// SHA256 gives the load's identity: the file's sha256, then
	// "#sheet" for a sheet read by name or as one of a workbook's
	// several, then "?options" when options that change what the load
	// gives were used (see pipeline.FileOptions.identity). A load of the same identity made before is not made
	// again. The load calls it beside its first steps, so that hashing a
	// large file costs no time of its own; if the identity is known, the
	// load stops and says so. An earlier load of the same file (the
	// identity before "?") with other options is replaced (Replaced).
	SHA256 func() (string, error)
	// Reload makes the load even when the same identity was loaded
	// before, replacing that load (the user asked: ingest --reload).
	Reload bool
	Source string
	Format string
	// Ward is the --ward code: used for rows whose file names no unit.
	Ward string
	// Phase, when set, is told each step of the load as it starts:
	// PhaseTyping, PhaseChecking, PhaseWriting.
	Phase func(phase string)
	// Hasher keys the masks of the cells a reject or a note keeps only
	// masked (see ws_mask); nil masks without the hash.
	Hasher *transform.Hasher
}

// The steps of a load, as LoadRequest.Phase is told them.
const (
	PhaseTyping   = "typing"   // reading the file and typing its cells
	PhaseChecking = "checking" // reading odd cells, checking rows
	PhaseWriting  = "writing"  // the transaction
)

func (r LoadRequest) phase(p string) {
	if r.Phase != nil {
		r.Phase(p)
	}
}

// RowSource yields a file's staged rows; Next returns io.EOF after the last.
// Mapping and Skipped are read after the last row.
type RowSource interface {
	Next() (transform.Row, error)
	Mapping() transform.Mapping
	Skipped() int
}

// LoadResult is what a load did. Read = Loaded + Rejected + Duplicate.
type LoadResult struct {
	LoadID    int64
	Read      int64
	Loaded    int64 // New + Changed
	New       int64
	Changed   int64
	Rejected  int64
	Duplicate int64 // repeated in the file, or a state already stored: Repeated + Unchanged
	Repeated  int64 // rows of a dossier the file holds again (its last row counts)
	Unchanged int64 // dossiers the warehouse already holds in the same state, or a later one (Older)
	// Older is the dossiers whose state here would reopen a dossier the
	// warehouse holds closed (completed or withdrawn): an older export's
	// state, which does not replace the stored one (counted in Unchanged).
	Older   int64
	Skipped int64 // blank, title, subtotal and footer rows, and NotAccepted
	// NotAccepted is the dossiers not accepted yet or refused at intake
	// (status 1 or 3) without a receipt date: the form counts them nowhere.
	NotAccepted int64
	Wards       []string
	Rejects     []Reject  // the first few, for the terminal
	Warnings    []Warning // values wardstat could not read but did not need to reject for
	// AlreadyLoaded is set when the same bytes were loaded before with the
	// same options: nothing changed.
	AlreadyLoaded *PriorLoad
	// Replaced are the earlier loads of the same file (with other options,
	// or any with Reload) that this load replaced: their dossiers this
	// load does not hold again (Withdrawn) left the warehouse, and their
	// rejects are this load's now.
	Replaced  []int64
	Withdrawn int64
	// RowFixes is how many places a CSV read by DuckDB's reader has its
	// record numbers part from its line numbers (blank lines, cells over
	// several lines): the load moves its row numbers there.
	RowFixes int
	// Typing is what the sample decided (load_typing.go).
	Typing Typing
}

// PriorLoad identifies an earlier load of the same file.
type PriorLoad struct {
	LoadID   int64
	Path     string
	LoadedAt time.Time
}

// Reject is one row that could not be trusted.
type Reject struct {
	Row    int64
	Code   string // missing_code, bad_date:received_at, bad_channel, ...
	Column string // the file's own header
	Value  string
	Reason string // in Vietnamese (the view rejects)
	// ReasonEN is the reason in English.
	ReasonEN string
}

// Warning counts the cells of one column that could not be read and were
// stored as unknown (NULL), or another condition worth a look.
type Warning struct {
	Code    string // unreadable_value, no_due_date, unknown_ward
	Column  string
	Count   int64
	Example string
	Rows    []int64 `json:",omitempty"` // the first rows (of an unreadable_value), in the file's numbering
}

// warnedRows is how many rows a warning names.
const warnedRows = 5

// stateColumns are the dossier's state: what a version is made of.
var stateColumns = func() []string {
	var out []string
	for _, f := range transform.DossierSchema.Fields() {
		if f.Name != transform.LoadID && f.Name != transform.SourceRow {
			out = append(out, f.Name)
		}
	}
	return out
}()

// FindLoad returns an earlier load of a file with this identity (sha256,
// sheet, options: LoadRequest.SHA256), if any. A load that rejected every
// row it read is none: it loaded nothing, and loading the file again (once
// the cause is fixed, whatever the options) must not answer "already
// loaded".
func (w *Warehouse) FindLoad(ctx context.Context, sha string) (*PriorLoad, error) {
	var p PriorLoad
	err := w.db.QueryRowContext(ctx, `SELECT load_id, path, loaded_at FROM loads WHERE sha256 = ? AND coalesce(status, 'loaded') = 'loaded'
		AND NOT (rows_read > 0 AND rows_rejected = rows_read) ORDER BY load_id LIMIT 1`, sha).
		Scan(&p.LoadID, &p.Path, &p.LoadedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("looking up earlier loads: %w", err)
	}
	return &p, nil
}

// Source is what a load reads a file from: a CSVPlan or a JSONPlan, which
// DuckDB's own reader reads, or Rows, the rows our reader read.
type Source interface{ source() }

// Rows is a source of the rows our reader read, appended to a temp table.
type Rows struct{ RowSource }

func (Rows) source()     {}
func (CSVPlan) source()  {}
func (JSONPlan) source() {}

// Load stages a file's rows from src and loads them in one transaction:
// after a crash or kill the warehouse holds either all of this file or
// none of it. Loading the same bytes twice is a no-op that says so. A file
// DuckDB's reader refuses (a plan) returns an error wrapping ErrCSVReader
// or ErrJSONReader: the caller reads it with ours instead.
func (w *Warehouse) Load(ctx context.Context, req LoadRequest, src Source) (LoadResult, error) {
	switch s := src.(type) {
	case CSVPlan:
		return w.loadCSV(ctx, req, s, req.Hasher)
	case JSONPlan:
		return w.loadJSON(ctx, req, s, req.Hasher)
	case Rows:
		return w.loadRows(ctx, req, s.RowSource)
	}
	return LoadResult{}, fmt.Errorf("no load from a %T", src)
}

// loadRows loads the rows our reader read, through the Appender.
func (w *Warehouse) loadRows(ctx context.Context, req LoadRequest, src RowSource) (LoadResult, error) {
	return w.load(ctx, req, func(ctx context.Context, conn *sql.Conn) (staged, error) {
		source, err := stage(ctx, conn, src)
		if err != nil {
			return staged{}, err
		}
		// Rows from across the file join the sample of its first rows (an
		// export in date order shows only resolved dossiers there): the
		// rows are in DuckDB already, a reservoir costs one scan of them.
		sample := fmt.Sprintf("(SELECT * FROM %s USING SAMPLE reservoir(%d ROWS) REPEATABLE (1))", source, sampleRows/4)
		return staged{mapping: src.Mapping(), skipped: src.Skipped(), sources: []string{source}, rowOffset: -1, sample: sample, faults: true}, nil
	})
}

// stager says where a file's cells can be read as text (filling
// temp.stage_raw on the load's connection when it reads them itself), how
// its columns were mapped and how many title rows it skipped.
type stager func(ctx context.Context, conn *sql.Conn) (staged, error)

func (w *Warehouse) load(ctx context.Context, req LoadRequest, stageRows stager) (LoadResult, error) {
	var res LoadResult
	// The file's identity is found beside the typing; a file loaded before
	// stops the load.
	ctx, cancel := context.WithCancelCause(ctx)
	var (
		sum    string
		prior  *PriorLoad
		idErr  error
		idDone = make(chan struct{})
	)
	// No query of this load outlives it: a load that fails early would
	// otherwise return (and its caller close the warehouse) while the
	// identity's query still runs on another connection.
	defer func() { cancel(nil); <-idDone }()
	go func() {
		defer close(idDone)
		if sum, idErr = req.SHA256(); idErr == nil && !req.Reload {
			prior, idErr = w.FindLoad(ctx, sum)
		}
		if idErr != nil || prior != nil {
			cancel(errIdentified)
		}
	}()
	// Row fixes (CSV) are found, and JSON keys checked, beside the typing
	// too (below); their failure stops the load.
	var (
		fixes      []RowFix
		besideErr  error
		besideDone = make(chan struct{})
	)
	// identified is the load's end when the identity stopped it (a step
	// failed because it was cancelled, or is about to write), or the
	// reading beside the typing did.
	identified := func(err error) (LoadResult, error) {
		if errors.Is(context.Cause(ctx), errBeside) {
			<-besideDone
			return res, besideErr
		}
		if err == nil || errors.Is(context.Cause(ctx), errIdentified) {
			<-idDone
			if idErr != nil {
				return res, fmt.Errorf("identifying the file: %w", idErr)
			}
			if prior != nil {
				return LoadResult{AlreadyLoaded: prior}, nil
			}
		}
		return res, err
	}
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return identified(err)
	}
	defer conn.Close()
	if err := registerMask(conn, req.Hasher); err != nil {
		return identified(err)
	}
	defer conn.ExecContext(context.Background(), `DROP VIEW IF EXISTS temp.stage_checked; DROP VIEW IF EXISTS temp.stage_all; DROP TABLE IF EXISTS temp.stage_raw; DROP TABLE IF EXISTS temp.stage_sample;
		DROP TABLE IF EXISTS temp.stage_typed; DROP TABLE IF EXISTS temp.stage_twice; DROP TABLE IF EXISTS temp.stage_repeats; DROP TABLE IF EXISTS temp.stage_hashed; DROP TABLE IF EXISTS temp.stage_found; DROP TABLE IF EXISTS temp.stage_existing; DROP TABLE IF EXISTS temp.stage_row_fixes;
		DROP TABLE IF EXISTS temp.stage_added; DROP TABLE IF EXISTS temp.stage_twins`)

	began := time.Now()
	st, err := stageRows(ctx, conn)
	if err != nil {
		return identified(err)
	}
	go func(find func() ([]RowFix, error)) {
		defer close(besideDone)
		if find != nil {
			if fixes, besideErr = find(); besideErr != nil {
				cancel(errBeside)
			}
		}
	}(st.beside)
	defer func() { <-besideDone }()
	w.log.Debug("staged", "path", req.Path, "seconds", time.Since(began).Seconds())
	res.Skipped = int64(st.skipped)
	mapping := st.mapping
	data := templateData(req, mapping, 0)
	data.rowOffset = st.rowOffset
	// Typing, reading the odd cells and checking happen on temp tables,
	// before the load's transaction: the warehouse is not touched yet.
	req.phase(PhaseTyping)
	typed, err := w.typeStage(ctx, conn, st, data.WardFlag)
	if err != nil {
		return identified(err)
	}
	res.Typing = typed.typing
	w.log.Debug("typed", "path", req.Path, "seconds", time.Since(began).Seconds())
	if <-besideDone; besideErr != nil {
		return identified(besideErr)
	}
	data.rowFixes = fixes
	res.RowFixes = len(fixes)
	if err := rowFixLists(ctx, conn, fixes); err != nil {
		return identified(err)
	}
	req.phase(PhaseChecking)
	if err := w.fixUp(ctx, conn, typed); err != nil {
		return identified(err)
	}
	if _, err := conn.ExecContext(ctx, stageAllView(typed.cols)); err != nil {
		return identified(err)
	}
	w.log.Debug("read odd cells", "path", req.Path, "seconds", time.Since(began).Seconds())
	// The stage keeps its rows' order; the steps below need not, and use
	// less memory without it.
	if _, err := conn.ExecContext(ctx, "SET preserve_insertion_order = false"); err != nil {
		return identified(err)
	}
	defer conn.ExecContext(context.Background(), "RESET preserve_insertion_order")
	if err := w.catalogueDue(ctx, conn, typed, data); err != nil {
		return identified(err)
	}
	if err := w.runModel(ctx, conn, "load/15_check.sql", data); err != nil {
		return identified(err)
	}

	// Nothing is written before the file's identity is known.
	<-idDone
	if idErr != nil || prior != nil {
		return identified(nil)
	}
	req.phase(PhaseWriting)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return res, err
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT nextval('load_id_seq')`).Scan(&res.LoadID); err != nil {
		return res, fmt.Errorf("numbering the load: %w", err)
	}
	data.LoadID = res.LoadID
	if err := w.runModel(ctx, tx, "load/20_merge.sql", data); err != nil {
		return res, err
	}
	var staged, repeated, unchanged, older int64
	if err := tx.QueryRowContext(ctx, `
		SELECT (SELECT count(*) FROM stage_typed),
		       (SELECT count(*) FROM stage_checked),
		       (SELECT count(*) FROM reject_rows WHERE load_id = ?),
		       (SELECT coalesce(sum(n - 1), 0) FROM stage_repeats),
		       (SELECT count(*) FROM stage_existing),
		       (SELECT count(*) FILTER (new_hash = state_hash) FROM stage_found),
		       (SELECT count(*) FILTER (older AND new_hash <> state_hash) FROM stage_found),
		       (SELECT count(*) FROM dossiers WHERE load_id = ?),
		       (SELECT count(*) FROM stage_all WHERE non_data AND status IN (SELECT status FROM statuses WHERE NOT counted) AND received_at IS NULL)`, res.LoadID, res.LoadID).
		Scan(&staged, &res.Read, &res.Rejected, &repeated, &res.Changed, &unchanged, &older, &res.Loaded, &res.NotAccepted); err != nil {
		return res, fmt.Errorf("counting the load: %w", err)
	}
	w.log.Debug("counted", "seconds", time.Since(began).Seconds())
	res.New = res.Loaded - res.Changed
	// A state that would reopen a closed dossier (an older export's) keeps
	// the stored one: it changes nothing, and a warning says how many.
	unchanged += older
	res.Duplicate = repeated + unchanged
	res.Repeated, res.Unchanged = repeated, unchanged
	res.Older = older
	res.Skipped += staged - res.Read
	if res.Read != res.Loaded+res.Rejected+res.Duplicate {
		return res, fmt.Errorf("rows do not add up (read %d, loaded %d, rejected %d, duplicate %d): nothing was loaded; this is a bug, please report it",
			res.Read, res.Loaded, res.Rejected, res.Duplicate)
	}
	// A load that holds none of the file's rows (every row rejected: no
	// --ward, a wrong --map) replaces nothing: the rows of an earlier load
	// stay until a load that holds them replaces it.
	if res.Loaded+res.Duplicate > 0 {
		if res.Replaced, res.Withdrawn, err = replaceEarlierLoads(ctx, tx, sum, res.LoadID); err != nil {
			return res, err
		}
	}
	var wardWarnings []Warning
	if res.Wards, wardWarnings, err = stagedWards(ctx, tx, mapping); err != nil {
		return res, err
	}
	if res.Warnings, err = warnings(ctx, tx, mapping); err != nil {
		return res, err
	}
	res.Warnings = append(res.Warnings, wardWarnings...)
	if older > 0 {
		res.Warnings = append(res.Warnings, Warning{Code: "older_state", Count: older})
	}
	elsewhere, otherWard, err := otherWardTwins(ctx, tx, res.LoadID, res.Withdrawn > 0)
	if err != nil {
		return res, fmt.Errorf("checking the load's codes against other wards: %w", err)
	}
	if elsewhere > 0 {
		res.Warnings = append(res.Warnings, Warning{Code: "code_in_other_ward", Count: elsewhere, Example: otherWard})
	}
	w.log.Debug("warned", "seconds", time.Since(began).Seconds())
	if res.Rejects, err = firstRejects(ctx, tx, res.LoadID, 20); err != nil {
		return res, err
	}
	headerMap, _ := json.Marshal(mapping.SourceMap())
	warnJSON, _ := json.Marshal(res.Warnings)
	ward := sql.NullString{String: req.Ward, Valid: req.Ward != ""}
	if !ward.Valid && len(res.Wards) == 1 {
		ward = sql.NullString{String: res.Wards[0], Valid: true}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, current_localtimestamp(), ?, ?, ?, ?, ?, ?, ?, ?, ?, 'loaded', NULL)`,
		res.LoadID, req.Path, sum, ward, nullable(req.Source), req.Format,
		res.Read, res.Loaded, res.New, res.Changed, res.Rejected, res.Duplicate, res.Skipped,
		string(headerMap), string(warnJSON)); err != nil {
		return res, fmt.Errorf("recording the load: %w", err)
	}
	w.log.Debug("committing", "seconds", time.Since(began).Seconds())
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("committing the load: %w", err)
	}
	w.log.Debug("loaded", "path", req.Path, "seconds", time.Since(began).Seconds())
	return res, nil
}

func nullable(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
