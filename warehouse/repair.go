package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"wardstat/internal/msg"
)

// ErrUnfinishedLoad is a warehouse holding rows of a load that never
// committed, opened read-only so that they cannot be removed.
var ErrUnfinishedLoad = msg.Errorf("kho còn một phần của lần nạp chưa hoàn tất", "the warehouse holds part of a load that never finished")

// Repair is what opening the warehouse removed of loads that never
// committed (see DESIGN.md, "A load that never committed").
type Repair struct {
	LoadIDs  []int64 // the unfinished loads
	Dossiers int64   // states they wrote, removed
	Restored int64   // stored states they deleted, put back from history
	History  int64   // states they moved to history, removed from it
	Rejects  int64   // rejects and ward reports they wrote, removed
}

// loadColumns are the columns naming the load that wrote a row.
var loadColumns = []struct{ table, column string }{
	{"dossiers", "load_id"},
	{"dossier_history", "replaced_by"},
	{"reject_rows", "load_id"},
	{"ward_reports", "load_id"},
}

// unfinishedLoads returns the ids of loads whose rows are in the warehouse
// without their row in `loads`. Each column is read alone: a few ms for
// millions of rows. A file older than a column (opened read-only, so not
// migrated) is checked on the columns it has.
func (w *Warehouse) unfinishedLoads(ctx context.Context) ([]int64, error) {
	have := map[string]bool{}
	rows, err := w.db.QueryContext(ctx, `SELECT table_name || '.' || column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main'`)
	if err != nil {
		return nil, fmt.Errorf("checking for unfinished loads: %w", err)
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return nil, fmt.Errorf("checking for unfinished loads: %w", err)
		}
		have[c] = true
	}
	rows.Close()
	var parts []string
	for _, c := range loadColumns {
		if have[c.table+"."+c.column] {
			parts = append(parts, fmt.Sprintf("SELECT DISTINCT %s AS id FROM %s", c.column, c.table))
		}
	}
	if len(parts) == 0 || !have["loads.load_id"] {
		return nil, nil
	}
	rows, err = w.db.QueryContext(ctx, `SELECT id FROM (`+strings.Join(parts, " UNION ")+`)
		WHERE id IS NOT NULL AND id NOT IN (SELECT load_id FROM loads) ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("checking for unfinished loads: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("checking for unfinished loads: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// repairUnfinishedLoads removes, in one transaction, every row written by
// a load that has no row in `loads`, and puts back the stored states such
// a load deleted: the warehouse is then as it was before that load began.
func (w *Warehouse) repairUnfinishedLoads(ctx context.Context) (*Repair, error) {
	began := time.Now()
	ids, err := w.unfinishedLoads(ctx)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	list := make([]string, len(ids))
	for i, id := range ids {
		list[i] = strconv.FormatInt(id, 10)
	}
	in := "(" + strings.Join(list, ", ") + ")"
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	r := &Repair{LoadIDs: ids}
	steps := []struct {
		n    *int64
		stmt string
	}{
		// The states the load wrote (new dossiers and new states).
		{&r.Dossiers, `DELETE FROM dossiers WHERE load_id IN ` + in},
		// A stored state the load replaced is in history, naming the
		// load; if its deletion from dossiers survived, it goes back,
		// with its first load (the oldest of its versions).
		{&r.Restored, `INSERT INTO dossiers BY NAME
			SELECT h.* EXCLUDE (replaced_by),
			       (SELECT min(x.load_id) FROM dossier_history x WHERE x.ward_code = h.ward_code AND x.dossier_code = h.dossier_code) AS first_load_id,
			       ` + keyHashSQL("h") + ` AS key_hash
			FROM dossier_history h
			WHERE h.replaced_by IN ` + in + `
			  AND NOT EXISTS (SELECT 1 FROM dossiers d WHERE d.ward_code = h.ward_code AND d.dossier_code = h.dossier_code)`},
		{&r.History, `DELETE FROM dossier_history WHERE replaced_by IN ` + in},
		{&r.Rejects, `DELETE FROM reject_rows WHERE load_id IN ` + in},
		{nil, `DELETE FROM ward_reports WHERE load_id IN ` + in},
	}
	for _, s := range steps {
		res, err := tx.ExecContext(ctx, s.stmt)
		if err != nil {
			return nil, fmt.Errorf("removing the unfinished load %s: %w", in, err)
		}
		n, _ := res.RowsAffected()
		if s.n != nil {
			*s.n += n
		} else {
			r.Rejects += n
		}
	}
	if left, err := unfinishedIn(ctx, tx, in); err != nil || left > 0 {
		return nil, fmt.Errorf("removing the unfinished load %s: %d rows left (%v)", in, left, err)
	}
	// The sequence too: DuckDB's WAL replay kept the number the unfinished
	// load drew, so without this the next load would be numbered as if it
	// had committed. Rewound only when no committed load holds a higher
	// number, so a number is never given twice.
	if err := rewindLoadIDs(ctx, tx, ids[0]); err != nil {
		return nil, fmt.Errorf("removing the unfinished load %s: %w", in, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("removing the unfinished load %s: %w", in, err)
	}
	w.log.Info("removed a load that never committed", "load_ids", list, "dossiers", r.Dossiers,
		"restored", r.Restored, "history", r.History, "rejects", r.Rejects, "seconds", time.Since(began).Seconds())
	return r, nil
}

func unfinishedIn(ctx context.Context, q querier, in string) (int64, error) {
	var n int64
	err := singleRow(ctx, q, `SELECT (SELECT count(*) FROM dossiers WHERE load_id IN `+in+`)
		+ (SELECT count(*) FROM dossier_history WHERE replaced_by IN `+in+`)
		+ (SELECT count(*) FROM reject_rows WHERE load_id IN `+in+`)
		+ (SELECT count(*) FROM ward_reports WHERE load_id IN `+in+`)`, &n)
	return n, err
}

// rewindLoadIDs makes first the next load number when every committed
// load has a lower one.
func rewindLoadIDs(ctx context.Context, tx *sql.Tx, first int64) error {
	var highest int64
	if err := singleRow(ctx, tx, `SELECT coalesce(max(load_id), 0) FROM loads`, &highest); err != nil {
		return err
	}
	if highest >= first {
		return nil
	}
	_, err := tx.ExecContext(ctx, fmt.Sprintf(`CREATE OR REPLACE SEQUENCE load_id_seq START %d`, first))
	return err
}
