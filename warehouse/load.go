package warehouse

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	sqlmodels "wardstat/sql"
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
	// gives were used (see ingest.FileOptions.identity). A load of the same identity made before is not made
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
	Unchanged int64 // dossiers the warehouse already holds in the same state
	Skipped   int64 // blank, title, subtotal and footer rows, and NotAccepted
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

// Load stages a file's rows and loads them in one transaction: after a
// crash or kill the warehouse holds either all of this file or none of it.
// Loading the same bytes twice is a no-op that says so.
func (w *Warehouse) Load(ctx context.Context, req LoadRequest, src RowSource) (LoadResult, error) {
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
		DROP TABLE IF EXISTS temp.stage_typed; DROP TABLE IF EXISTS temp.stage_twice; DROP TABLE IF EXISTS temp.stage_repeats; DROP TABLE IF EXISTS temp.stage_found; DROP TABLE IF EXISTS temp.stage_existing; DROP TABLE IF EXISTS temp.stage_row_fixes`)

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
	w.log.Debug("typed", "path", req.Path, "seconds", time.Since(began).Seconds())
	if <-besideDone; besideErr != nil {
		return identified(besideErr)
	}
	data.rowFixes = fixes
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
	var staged, repeated, unchanged int64
	if err := tx.QueryRowContext(ctx, `
		SELECT (SELECT count(*) FROM stage_typed),
		       (SELECT count(*) FROM stage_checked),
		       (SELECT count(*) FROM reject_rows WHERE load_id = ?),
		       (SELECT coalesce(sum(n - 1), 0) FROM stage_repeats),
		       (SELECT count(*) FROM stage_existing),
		       (SELECT count(*) FILTER (new_hash = state_hash) FROM stage_found),
		       (SELECT count(*) FROM dossiers WHERE load_id = ?),
		       (SELECT count(*) FROM stage_all WHERE non_data AND status IN (SELECT status FROM statuses WHERE NOT counted) AND received_at IS NULL)`, res.LoadID, res.LoadID).
		Scan(&staged, &res.Read, &res.Rejected, &repeated, &res.Changed, &unchanged, &res.Loaded, &res.NotAccepted); err != nil {
		return res, fmt.Errorf("counting the load: %w", err)
	}
	w.log.Debug("counted", "seconds", time.Since(began).Seconds())
	res.New = res.Loaded - res.Changed
	res.Duplicate = repeated + unchanged
	res.Repeated, res.Unchanged = repeated, unchanged
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

type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

// runModel runs a load model's statements one by one, timing each.
func (w *Warehouse) runModel(ctx context.Context, x execer, name string, data loadTemplate) error {
	q, err := render(name, data)
	if err != nil {
		return err
	}
	for i, stmt := range splitStatements(q) {
		if err := profile(ctx, x, fmt.Sprintf("%s-%d", strings.TrimSuffix(filepath.Base(name), ".sql"), i+1)); err != nil {
			return err
		}
		step := time.Now()
		if _, err := x.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := profile(ctx, x, ""); err != nil {
			return err
		}
		w.log.Debug("ran", "step", name, "statement", i+1, "seconds", time.Since(step).Seconds())
	}
	return nil
}

// profile has DuckDB write the profile of the next statement as JSON into
// $WARDSTAT_PROFILE/name.json, for developers; name "" stops profiling.
func profile(ctx context.Context, x execer, name string) error {
	dir := os.Getenv("WARDSTAT_PROFILE")
	if dir == "" {
		return nil
	}
	if name == "" {
		_, err := x.ExecContext(ctx, "PRAGMA disable_profiling")
		return err
	}
	out := filepath.Join(dir, name+".json")
	_, err := x.ExecContext(ctx, fmt.Sprintf("PRAGMA enable_profiling = 'json'; PRAGMA profiling_output = '%s'", out))
	return err
}

// splitStatements splits a model file at the semicolons that end a line.
// (The load models hold no semicolon inside a string at a line's end.)
func splitStatements(q string) []string {
	var out []string
	for _, part := range strings.Split(q, ";\n") {
		if strings.TrimSpace(stripComments(part)) != "" {
			out = append(out, part)
		}
	}
	return out
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func nullable(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// stage appends the rows, as text, to a temp table on the load's connection.
// Temp tables live in memory (spilling to DuckDB's temp folder), never in
// the warehouse file. Only the fields the file has are columns: each cell
// appended is a call into DuckDB (~175 ns), and most files map fewer than
// half the staged fields. A field that only a later header maps (JSON
// records whose keys grow) becomes a column when its first value comes.
// It returns the SQL giving every staged field, NULL where not staged.
func stage(ctx context.Context, conn *sql.Conn, src RowSource) (string, error) {
	m := src.Mapping()
	staged := make([]bool, len(transform.StagedFields))
	var fields []int // the staged fields' positions, in column order
	cols := []string{"source_row BIGINT"}
	for i, f := range transform.StagedFields {
		if _, ok := m.Columns[f]; ok || f == transform.ApplicantKey || f == transform.FirstCell {
			staged[i] = true
			fields = append(fields, i)
			cols = append(cols, f+" VARCHAR")
		}
	}
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE stage_raw (`+strings.Join(cols, ", ")+`)`); err != nil {
		return "", fmt.Errorf("staging: %w", err)
	}
	err := conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppender(dc.(driver.Conn), "temp", "main", "stage_raw")
		if err != nil {
			return fmt.Errorf("staging: %w", err)
		}
		// widen makes the fields at positions more into columns.
		widen := func(more []int) error {
			if err := app.Close(); err != nil {
				return fmt.Errorf("staging: %w", err)
			}
			for _, i := range more {
				if _, err := dc.(driver.ExecerContext).ExecContext(ctx, `ALTER TABLE stage_raw ADD COLUMN `+transform.StagedFields[i]+` VARCHAR`, nil); err != nil {
					return fmt.Errorf("staging: %w", err)
				}
				staged[i] = true
				fields = append(fields, i)
			}
			app, err = duckdb.NewAppender(dc.(driver.Conn), "temp", "main", "stage_raw")
			if err != nil {
				return fmt.Errorf("staging: %w", err)
			}
			return nil
		}
		args := make([]driver.Value, 0, len(transform.StagedFields)+1)
		var readErr error
		var more []int
		for n := 0; ; n++ {
			if n%4096 == 0 && ctx.Err() != nil {
				readErr = ctx.Err()
				break
			}
			row, err := src.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				readErr = err
				break
			}
			more = more[:0]
			for i, v := range row.Values {
				if v != "" && !staged[i] {
					more = append(more, i)
				}
			}
			if len(more) > 0 {
				if readErr = widen(more); readErr != nil {
					return readErr
				}
			}
			args = append(args[:0], int64(row.Line))
			for _, i := range fields {
				if v := row.Values[i]; v == "" {
					args = append(args, nil)
				} else {
					args = append(args, v)
				}
			}
			if err := app.AppendRow(args...); err != nil {
				readErr = fmt.Errorf("staging row %d: %w", row.Line, err)
				break
			}
		}
		if err := app.Close(); err != nil && readErr == nil {
			readErr = fmt.Errorf("staging: %w", err)
		}
		return readErr
	})
	if err != nil {
		return "", err
	}
	sel := []string{"source_row"}
	for i, f := range transform.StagedFields {
		if staged[i] {
			sel = append(sel, f)
		} else {
			sel = append(sel, "NULL::VARCHAR AS "+f)
		}
	}
	return "(SELECT " + strings.Join(sel, ", ") + " FROM stage_raw)", nil
}

type loadTemplate struct {
	LoadID    int64
	WardFlag  string
	Columns   string
	headers   map[string]string
	rowOffset int64
	rowFixes  []RowFix
	rawFields []string
}

// Vocabulary is the ENUM type a state column of that name is stored as.
func (loadTemplate) Vocabulary(column string) string {
	switch column {
	case "channel":
		return channelType
	case "online_level":
		return onlineLevelType
	case "due_source":
		return dueSourceType
	}
	panic("no vocabulary column " + column)
}

// RowOf is the SQL for a stage_typed row's number in its file.
func (t loadTemplate) RowOf(alias string) string {
	rid := alias + ".rid"
	switch {
	case t.rowOffset < 0:
		return alias + ".row_in"
	case len(t.rowFixes) == 0:
		return fmt.Sprintf("(%s + %d)", rid, t.rowOffset)
	case len(t.rowFixes) <= fewRowFixes:
		// The Delta of the last fix at or before the row.
		var b strings.Builder
		fmt.Fprintf(&b, "(%s + %d + CASE", rid, t.rowOffset)
		for i := len(t.rowFixes) - 1; i >= 0; i-- {
			f := t.rowFixes[i]
			fmt.Fprintf(&b, " WHEN %s >= %d THEN %d", rid, f.Record, f.Delta)
		}
		b.WriteString(" ELSE 0 END)")
		return b.String()
	}
	// Many fixes (cells full of line breaks): a CASE per fix would cost
	// every row as many tests, and planning it every statement over the
	// stage seconds. temp.stage_row_fixes (rowFixLists) holds, per block
	// of 64 rows, the number of fixes before it and a bit per row that
	// starts one: a row's fixes are those before its block and the bits
	// up to its own (all of them less those past it), and its Delta is the
	// last of them.
	const lists = "temp.stage_row_fixes"
	return fmt.Sprintf(`(%[1]s + %[2]d + coalesce((SELECT delta FROM %[3]s)[
		coalesce((SELECT before FROM %[3]s)[%[1]s // 64 + 1], %[4]d)
		+ coalesce(bit_count((SELECT bits FROM %[3]s)[%[1]s // 64 + 1]) - bit_count((SELECT bits FROM %[3]s)[%[1]s // 64 + 1] >> (%[1]s %% 64)::UBIGINT >> 1), 0)], 0))`,
		rid, t.rowOffset, lists, len(t.rowFixes))
}

// fewRowFixes is how many row fixes RowOf tests one by one.
const fewRowFixes = 32

// rowFixLists makes temp.stage_row_fixes, the lists RowOf reads many row
// fixes from (sorted by Record, each Record once).
func rowFixLists(ctx context.Context, x execer, fixes []RowFix) error {
	if len(fixes) <= fewRowFixes {
		return nil
	}
	blocks := fixes[len(fixes)-1].Record/64 + 1
	before := make([]string, blocks)
	bits := make([]uint64, blocks)
	deltas := make([]string, len(fixes))
	n := 0
	for b := range blocks {
		before[b] = strconv.Itoa(n)
		for n < len(fixes) && fixes[n].Record/64 == b {
			bits[b] |= 1 << (fixes[n].Record % 64)
			deltas[n] = strconv.FormatInt(fixes[n].Delta, 10)
			n++
		}
	}
	bitTexts := make([]string, blocks)
	for i, v := range bits {
		bitTexts[i] = strconv.FormatUint(v, 10)
	}
	_, err := x.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE stage_row_fixes AS
		SELECT string_split(?, ',')::BIGINT[] AS before, string_split(?, ',')::UBIGINT[] AS bits, string_split(?, ',')::BIGINT[] AS delta`,
		strings.Join(before, ","), strings.Join(bitTexts, ","), strings.Join(deltas, ","))
	if err != nil {
		return fmt.Errorf("numbering the rows: %w", err)
	}
	return nil
}

// RawCells is the SQL giving a staged row's kept texts as a list (parsed
// once), from which RawRow makes the rejects table's raw row.
func (t loadTemplate) RawCells() string {
	if len(t.rawFields) == 0 {
		return "NULL::VARCHAR[]"
	}
	return keptTexts("raw_row", t.rawFields)
}

// RawRow is the SQL turning a staged row's text, keyed by field (RawCells,
// as raw_cells), into the rejects table's, keyed by the file's own headers:
// each cell as written when shaped like its field, else masked (ws_mask).
func (t loadTemplate) RawRow() string {
	var pairs []string
	for i, f := range t.rawFields {
		cell := fmt.Sprintf("raw_cells[%d]", i+1)
		masked := fmt.Sprintf("ws_mask(%s, %s)", sqlString(f), cell)
		switch f {
		case transform.ProcedureName, transform.Sector, transform.WardName:
			// Free text has no shape a name lacks: a procedure's name or a
			// sector is kept only when a row of the file that kept no text
			// (a dossier it loads) has it too, among its first seenRows (a
			// name slid into the sector column is in no such row); a
			// ward's name also when the registry knows it.
			col := f
			if f == transform.WardName {
				col = "ward_name_raw"
			}
			seen := fmt.Sprintf("ws_c(%s) IN (SELECT %s FROM stage_typed WHERE rowid < %d AND raw_row IS NULL)", cell, col, seenRows)
			if f == transform.WardName {
				seen = "ward_from_name IS NOT NULL OR " + seen
			}
			masked = fmt.Sprintf("CASE WHEN %s THEN %s ELSE ws_mask('', %s) END", seen, masked, cell)
		}
		pairs = append(pairs, sqlString(t.headers[f]), masked)
	}
	if len(pairs) == 0 {
		return "NULL::JSON"
	}
	return "json_object(" + strings.Join(pairs, ", ") + ")"
}

// seenRows bounds the rows whose good texts tell a reject's free text (a
// procedure's name, a sector) from a name slid into its column: the
// file's first rows, read by row id, so that the rejects of a large file
// cost no scan of it (a scan of 1 M rows added 0.15 s to every load).
const seenRows = 50_000

// ColumnsOf lists the state columns qualified by a table alias.
func (t loadTemplate) ColumnsOf(alias string) string {
	out := make([]string, len(stateColumns))
	for i, c := range stateColumns {
		out[i] = alias + "." + c
	}
	return strings.Join(out, ", ")
}

// Header returns a field's source column name as an SQL literal (NULL when unmapped).
func (t loadTemplate) Header(field string) string {
	if h, ok := t.headers[field]; ok {
		return sqlString(h)
	}
	return "NULL"
}

func templateData(req LoadRequest, m transform.Mapping, loadID int64) loadTemplate {
	t := loadTemplate{LoadID: loadID, WardFlag: "NULL", headers: map[string]string{}}
	if req.Ward != "" {
		t.WardFlag = sqlString(req.Ward)
	}
	for _, f := range m.SortedFields() {
		t.headers[f] = m.Column(f)
	}
	t.rawFields = rawFields(m)
	t.Columns = strings.Join(stateColumns, ", ")
	return t
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func render(name string, data any) (string, error) {
	tpl, err := template.New(name).Parse(sqlmodels.Text(name))
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	var b bytes.Buffer
	if err := tpl.Execute(&b, data); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return b.String(), nil
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// stagedWards lists the wards of the load's good rows, and warns of those
// missing from the unit registry and of resolved dossiers with no due date.
func stagedWards(ctx context.Context, q querier, m transform.Mapping) ([]string, []Warning, error) {
	rows, err := q.QueryContext(ctx, `SELECT ward_code, count(*), ward_code IN (SELECT code FROM units),
		count(*) FILTER (due_at IS NULL AND completed_at IS NOT NULL)
		FROM stage_checked WHERE reject_code IS NULL GROUP BY 1 ORDER BY 1`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	// A dossier the file holds twice is one dossier (stage_repeats: the
	// merge's count of each repeated code).
	repeated := map[string]int64{}
	if reps, err := q.QueryContext(ctx, `SELECT ward_code, sum(n - 1) FROM stage_repeats GROUP BY 1`); err == nil {
		for reps.Next() {
			var code string
			var n int64
			if err := reps.Scan(&code, &n); err == nil {
				repeated[code] = n
			}
		}
		reps.Close()
	}
	var wards []string
	var unknown []Warning
	var noDue int64
	for rows.Next() {
		var code string
		var n, nd int64
		var known bool
		if err := rows.Scan(&code, &n, &known, &nd); err != nil {
			return nil, nil, err
		}
		wards = append(wards, code)
		noDue += nd
		if !known {
			unknown = append(unknown, Warning{Code: "unknown_ward", Count: n - repeated[code], Example: code})
		}
	}
	var out []Warning
	if noDue > 0 {
		out = append(out, Warning{Code: "no_due_date", Column: m.Column(transform.DueAt), Count: noDue})
	}
	return wards, append(out, unknown...), rows.Err()
}

func firstRejects(ctx context.Context, q querier, loadID int64, n int) ([]Reject, error) {
	rows, err := q.QueryContext(ctx, `SELECT source_row, reason_code, coalesce(column_name, ''), coalesce(value, ''), reason, reason_en
		FROM rejects WHERE load_id = ? ORDER BY source_row LIMIT ?`, loadID, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Reject
	for rows.Next() {
		var r Reject
		if err := rows.Scan(&r.Row, &r.Code, &r.Column, &r.Value, &r.Reason, &r.ReasonEN); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// warnings finds lenient columns with unreadable cells: only rows that
// kept their text can have one.
func warnings(ctx context.Context, q querier, m transform.Mapping) ([]Warning, error) {
	checks := []struct{ field, parsed string }{
		{transform.Status, "status"}, {transform.OnlineLevel, "online_level_in"},
		{transform.ApologyIssued, "apology_issued"}, {transform.PaidOnline, "paid_online"},
		{transform.Fee, "fee"}, {transform.Digitised, "digitised"},
	}
	var aggs []string
	for _, c := range checks {
		aggs = append(aggs, fmt.Sprintf("count(*) FILTER (%[1]s_raw IS NOT NULL AND %[2]s IS NULL), any_value(ws_mask('%[1]s', %[1]s_raw)) FILTER (%[1]s_raw IS NOT NULL AND %[2]s IS NULL)", c.field, c.parsed))
	}
	n := make([]int64, len(checks))
	ex := make([]sql.NullString, len(checks))
	var dest []any
	for i := range checks {
		dest = append(dest, &n[i], &ex[i])
	}
	// The first rows of each, to name in the note.
	rowLists := make([]any, len(checks))
	for i, c := range checks {
		aggs = append(aggs, fmt.Sprintf("(list(source_row ORDER BY source_row) FILTER (%[1]s_raw IS NOT NULL AND %[2]s IS NULL))[1:%[3]d]", c.field, c.parsed, warnedRows))
		dest = append(dest, &rowLists[i])
	}
	if err := singleRow(ctx, q, `SELECT `+strings.Join(aggs, ", ")+` FROM stage_checked WHERE raw_row IS NOT NULL AND reject_code IS NULL`, dest...); err != nil {
		return nil, fmt.Errorf("checking the load: %w", err)
	}
	var out []Warning
	for i, c := range checks {
		if n[i] > 0 {
			wn := Warning{Code: "unreadable_value", Column: m.Column(c.field), Count: n[i], Example: ex[i].String}
			list, _ := rowLists[i].([]any)
			for _, r := range list {
				if row, ok := r.(int64); ok {
					wn.Rows = append(wn.Rows, row)
				}
			}
			out = append(out, wn)
		}
	}
	return out, nil
}

func singleRow(ctx context.Context, q querier, query string, dest ...any) error {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		return rows.Err()
	}
	return rows.Scan(dest...)
}
