package warehouse

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	sqlmodels "wardstat/sql"
)

// The scopes of a run of the data tests (DataTestRun.Scope).
const (
	// DataTestsAll is a run over every dossier.
	DataTestsAll = "all"
	// DataTestsChanged is a run over the dossiers changed since the last
	// passing verdict (DataTestRun.Since).
	DataTestsChanged = "changed"
	// DataTestsReused is no run: nothing the tests read changed since the
	// last passing verdict, which stands.
	DataTestsReused = "reused"
)

// DataTestRun is what one run of the data tests covered (DATATESTS.md).
type DataTestRun struct {
	Results []DataTestResult
	// Scope is DataTestsAll, DataTestsChanged or DataTestsReused.
	Scope string
	// Why says why the run was over every dossier ("" otherwise).
	Why string
	// Since is the last load of the verdict the run built on (changed or
	// reused scope): the rows tested are those a later load wrote.
	Since int64
	// Through is the last load this run's verdict covers.
	Through int64
	// Rows is how many current dossier states the row tests read: every
	// dossier (all), the changed ones (changed), none (reused).
	Rows int64
}

// How a data test runs over the changed dossiers (DATATESTS.md says why
// each is the full run's verdict). A test not named here runs over every
// dossier whenever the tests run.
const (
	scopeRows = "rows" // the changed states alone: a rule on each row
	scopeKeys = "keys" // the keys of every state sharing a key with a changed one
)

var changedScopes = map[string]string{
	"accepted_values":              scopeRows,
	"keys_not_null":                scopeRows,
	"no_completion_before_receipt": scopeRows,
	"wards_in_registry":            scopeRows, // the registry is in the fingerprint
	"form_identity":                scopeRows, // holds for any set of dossiers: DATATESTS.md
	"unique_dossier_per_ward":      scopeKeys,
	"key_hash_matches":             scopeRows,
}

// allScoped says whether every data test has its changedScopes: one that
// has not reads every dossier in a changed run, and runs even when no
// dossier changed (it may read what the verdict's inputs do not cover).
func allScoped() bool {
	for _, f := range sqlmodels.Tests() {
		if changedScopes[strings.TrimSuffix(f.Name, ".sql")] == "" {
			return false
		}
	}
	return true
}

// dataVerdict is a passing run's verdict with what it covered.
type dataVerdict struct {
	// Through is the highest load_id in loads when the tests ran.
	Through int64 `json:"through"`
	// Inputs fingerprints everything else the tests read (dataTestInputs).
	Inputs string `json:"inputs"`
	// Kept counts the states of loads up to Through (keptStates).
	Kept int64 `json:"kept"`
}

// verdictName is the verdict's row in meta.
const verdictName = "data_tests_verdict"

// RunChangedDataTests runs the data tests over what changed since the last
// passing verdict, with the verdict a run over every dossier would give,
// and keeps the new verdict when they pass (in meta; in memory for a
// read-only warehouse). It runs them over every dossier when there is no
// verdict, the last run failed, or anything but new loads changed what
// the tests read (the unit registry, the status catalogue, the calendar,
// an earlier load replaced or removed, the models or the tests), and runs
// none when no dossier changed. A *DataTestError says which failed, as
// RunDataTests does.
func (w *Warehouse) RunChangedDataTests(ctx context.Context) (DataTestRun, error) {
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return DataTestRun{}, fmt.Errorf("data tests: %w", err)
	}
	defer conn.Close()
	// One transaction, so that the loads the verdict covers are the loads
	// the tests read; it only reads, and rolling it back drops the temp
	// objects that stand in for dossiers on this connection.
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return DataTestRun{}, fmt.Errorf("data tests: %w", err)
	}
	began := time.Now()
	run, next, err := w.changedRun(ctx, tx)
	tx.Rollback()
	w.log.Debug("data tests: ran", "seconds", time.Since(began).Seconds())
	// The pool keeps the connection: nothing of this run may shadow
	// main.dossiers for its next user.
	if _, derr := conn.ExecContext(context.Background(), `DROP VIEW IF EXISTS temp.dossiers; DROP TABLE IF EXISTS temp.data_test_changed; DROP TABLE IF EXISTS temp.data_test_keyed`); derr != nil {
		w.log.Warn("data tests: dropping their temp objects", "err", derr)
		conn.Raw(func(any) error { return driver.ErrBadConn }) // the pool closes the connection
	}
	var failed *DataTestError
	switch {
	case errors.As(err, &failed):
		w.keepVerdict(ctx, nil) // a failed verdict is never reused
	case err == nil && next != nil:
		w.keepVerdict(ctx, next)
	}
	w.log.Debug("data tests: verdict kept", "seconds", time.Since(began).Seconds())
	return run, err
}

// changedRun decides the scope in tx and runs the tests; next is the
// verdict to keep when they pass (nil: keep the one there is).
func (w *Warehouse) changedRun(ctx context.Context, tx *sql.Tx) (DataTestRun, *dataVerdict, error) {
	run := DataTestRun{Scope: DataTestsAll}
	began := time.Now()
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(load_id), 0) FROM main.loads`).Scan(&run.Through); err != nil {
		return run, nil, fmt.Errorf("data tests: the last load: %w", err)
	}
	next := &dataVerdict{Through: run.Through}
	var err error
	if next.Inputs, err = dataTestInputs(ctx, tx, run.Through); err != nil {
		return run, nil, err
	}
	if next.Kept, err = keptStates(ctx, tx, run.Through); err != nil {
		return run, nil, err
	}
	prev, err := w.verdict(ctx, tx)
	if err != nil {
		return run, nil, err
	}
	run.Why, err = verdictStale(ctx, tx, prev)
	if err != nil {
		return run, nil, err
	}
	w.log.Debug("data tests: scope decided", "why", run.Why, "seconds", time.Since(began).Seconds())
	if run.Why != "" {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM main.dossiers`).Scan(&run.Rows); err != nil {
			return run, nil, fmt.Errorf("data tests: %w", err)
		}
		run.Results, err = w.runTests(ctx, tx, false)
		return run, next, err
	}
	run.Since = prev.Through
	// The states loads after the verdict wrote, once, for every test to read.
	if _, err := tx.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE data_test_changed AS
		SELECT * FROM main.dossiers WHERE load_id > ?`, prev.Through); err != nil {
		return run, nil, fmt.Errorf("data tests: the changed dossiers: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM temp.data_test_changed`).Scan(&run.Rows); err != nil {
		return run, nil, fmt.Errorf("data tests: the changed dossiers: %w", err)
	}
	w.log.Debug("data tests: changed states", "rows", run.Rows, "seconds", time.Since(began).Seconds())
	if run.Rows == 0 && allScoped() {
		// Loads that changed no dossier (refused, or every row unchanged
		// or rejected) leave the verdict standing.
		run.Scope = DataTestsReused
		for _, f := range sqlmodels.Tests() {
			run.Results = append(run.Results, DataTestResult{Name: strings.TrimSuffix(f.Name, ".sql")})
		}
		return run, next, nil
	}
	// The key of every state sharing a key with a changed one
	// (scopeKeys): the keys alone, as reading whole rows to find them
	// would read every column of every dossier. Made before any temp view
	// dossiers: "main" names the temp catalog's schema too, so
	// main.dossiers would then read the view.
	// The states are found by key_hash (a number: every dossier's texts
	// would cost three times as much), then their keys read by row id.
	if _, err := tx.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE data_test_keyed AS
		SELECT d.ward_code, d.dossier_code, d.key_hash FROM main.dossiers d
		JOIN (SELECT x.rowid AS drow FROM main.dossiers x
		      SEMI JOIN temp.data_test_changed c ON c.key_hash = x.key_hash) k ON d.rowid = k.drow`); err != nil {
		return run, nil, fmt.Errorf("data tests: the changed dossiers: %w", err)
	}
	w.log.Debug("data tests: keyed states", "seconds", time.Since(began).Seconds())
	run.Scope = DataTestsChanged
	run.Results, err = w.runTests(ctx, tx, true)
	return run, next, err
}

// verdictStale says why prev does not hold for the data as they are, ""
// when it does: every state a load up to prev.Through wrote that is in
// dossiers now was there when prev's tests ran, and nothing else those
// tests read has changed.
func verdictStale(ctx context.Context, q dbQuerier, prev *dataVerdict) (string, error) {
	if prev == nil {
		return "no passing verdict", nil
	}
	inputs, err := dataTestInputs(ctx, q, prev.Through)
	if err != nil {
		return "", err
	}
	if inputs != prev.Inputs {
		return "the registry, catalogues, models, tests or earlier loads changed", nil
	}
	kept, err := keptStates(ctx, q, prev.Through)
	if err != nil {
		return "", err
	}
	if kept != prev.Kept {
		return fmt.Sprintf("states of loads up to %d were put back or removed", prev.Through), nil
	}
	return "", nil
}

// runTests runs every data test, over every dossier, or when changed over
// the states in temp.data_test_changed, each test in its changedScopes:
// the test's own SQL reads dossiers, and on this connection a temp view
// of that name stands in for main.dossiers (temp objects come first in
// DuckDB's search path).
func (w *Warehouse) runTests(ctx context.Context, q dbQuerier, changed bool) ([]DataTestResult, error) {
	var results []DataTestResult
	var failed []DataTestResult
	view := ""
	for _, f := range sqlmodels.Tests() {
		name := strings.TrimSuffix(f.Name, ".sql")
		if changed {
			want := changedScopes[name]
			if want != view {
				var stmt string
				switch want {
				case scopeRows:
					stmt = `CREATE OR REPLACE TEMP VIEW dossiers AS SELECT * FROM temp.data_test_changed`
				case scopeKeys:
					stmt = `CREATE OR REPLACE TEMP VIEW dossiers AS SELECT * FROM temp.data_test_keyed`
				default:
					stmt = `DROP VIEW IF EXISTS temp.dossiers`
				}
				if _, err := q.ExecContext(ctx, stmt); err != nil {
					return results, fmt.Errorf("data test %s: %w", name, err)
				}
				view = want
			}
		}
		began := time.Now()
		r, err := runTest(ctx, q, name, f.Text)
		if err != nil {
			return results, err
		}
		w.log.Debug("data test ran", "test", name, "changed", changed, "seconds", time.Since(began).Seconds())
		if r.Failures > 0 {
			failed = append(failed, r)
		}
		results = append(results, r)
	}
	if len(failed) > 0 {
		return results, &DataTestError{Failed: failed}
	}
	return results, nil
}

// dataTestInputs fingerprints what the data tests read besides the
// dossiers: the models and the tests' SQL (with the schema version), the
// unit registry, the status catalogue, the calendar's years (a changed
// year counts catalogue due dates again, in place) and the loads up to
// through, with their status (a reload marks the load it replaces), and
// the key hashes' probe (a DuckDB whose hash differs computes every
// key_hash again, in place: keyhash.go).
func dataTestInputs(ctx context.Context, q dbQuerier, through int64) (string, error) {
	var units, statuses, calendar, loads, probe string
	err := q.QueryRowContext(ctx, `SELECT
		(SELECT count(*)::VARCHAR || ':' || coalesce(sum(hash(code, name, district, province, valid_from, valid_to)), 0)::VARCHAR FROM main.units),
		(SELECT count(*)::VARCHAR || ':' || coalesce(sum(hash(status, label_vi, label_en, counted)), 0)::VARCHAR FROM main.statuses),
		(SELECT count(*)::VARCHAR || ':' || coalesce(sum(hash(year, source, fingerprint)), 0)::VARCHAR FROM main.calendar_years),
		(SELECT count(*)::VARCHAR || ':' || coalesce(sum(hash(load_id, sha256, coalesce(status, 'loaded'))), 0)::VARCHAR
		 FROM main.loads WHERE load_id <= ?),
		(SELECT coalesce(max(value), '') FROM main.meta WHERE name = 'key_hash_probe')`, through).Scan(&units, &statuses, &calendar, &loads, &probe)
	if err != nil {
		return "", fmt.Errorf("data tests: fingerprinting what they read: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "models %s\n", modelsFingerprint())
	for _, f := range sqlmodels.Tests() {
		fmt.Fprintf(h, "%s\n%d\n%s\n", f.Name, len(f.Text), f.Text)
	}
	fmt.Fprintf(h, "units %s\nstatuses %s\ncalendar %s\nloads %s\nkeys %s\n", units, statuses, calendar, loads, probe)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// keptStates counts the states loads up to through wrote that are in
// dossiers, or left it for history replaced by a later load. A load after
// through moves such a state from the first count to the second; any
// other change to them (a state put back from before through, a row
// removed or added under an old load_id) changes the sum.
func keptStates(ctx context.Context, q dbQuerier, through int64) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM main.dossiers WHERE load_id <= $1)
		+ (SELECT count(*) FROM main.dossier_history WHERE load_id <= $1 AND replaced_by > $1)`, through).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("data tests: counting the tested states: %w", err)
	}
	return n, nil
}

// verdict is the verdict kept, nil when there is none.
func (w *Warehouse) verdict(ctx context.Context, q dbQuerier) (*dataVerdict, error) {
	if w.ronly {
		w.verdictMu.Lock()
		defer w.verdictMu.Unlock()
		if w.memVerdictSet {
			if w.memVerdict == nil {
				return nil, nil
			}
			v := *w.memVerdict
			return &v, nil
		}
	}
	var text string
	err := q.QueryRowContext(ctx, `SELECT value FROM main.meta WHERE name = ?`, verdictName).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("data tests: reading the last verdict: %w", err)
	}
	var v dataVerdict
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		w.log.Warn("data tests: an unreadable verdict, testing every dossier", "err", err)
		return nil, nil
	}
	return &v, nil
}

// keepVerdict keeps v as the verdict (nil: forgets it). A warehouse
// opened for writing keeps it in meta; a read-only one, in memory for as
// long as it is open, over the file's own. Not keeping it costs only the
// next run's time: it logs.
func (w *Warehouse) keepVerdict(ctx context.Context, v *dataVerdict) {
	if w.ronly {
		w.verdictMu.Lock()
		defer w.verdictMu.Unlock()
		w.memVerdict, w.memVerdictSet = v, true
		return
	}
	var err error
	if v == nil {
		_, err = w.db.ExecContext(ctx, `DELETE FROM meta WHERE name = ?`, verdictName)
	} else {
		b, _ := json.Marshal(v)
		_, err = w.db.ExecContext(ctx, `INSERT OR REPLACE INTO meta VALUES (?, ?)`, verdictName, string(b))
	}
	if err != nil {
		w.log.Warn("data tests: keeping the verdict", "err", err)
	}
}

// dbQuerier is a *sql.Tx, *sql.Conn or *sql.DB.
type dbQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}
