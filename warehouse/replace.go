package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// IdentityFile is the part of a load's identity that names what was read
// (the file's sha256 and, for one of a workbook's sheets, "#sheet"),
// without the options ("?…") that changed how it was read.
func IdentityFile(identity string) string {
	file, _, _ := strings.Cut(identity, "?")
	return file
}

// replaceEarlierLoads runs in a load's transaction, after its rows are
// merged (stage_checked is still there), when the load holds some rows:
// every earlier load
// of the same file still standing (the same sha256 and sheet, whatever
// its options; the load did not stop on it, so its options differ or the
// user asked for a reload) is replaced by this one, as if it had never
// been made, but for the states this load gives again:
//
//   - a dossier whose current state it wrote and which this load does not
//     hold (the key came from the wrong --ward or --map) leaves the
//     warehouse: its state goes to history, replaced by this load, and
//     the state it had replaced, if any, is put back;
//   - a dossier this load holds again was merged as any load's (unchanged,
//     or changed with the old state in history), so that a reload with the
//     same options changes nothing; an unchanged state keeps the load_id
//     of the load that wrote it, whose row says it was replaced;
//   - its rejects are removed (this load's are the file's now), and its
//     loads row says status 'replaced', naming this load.
//
// The form counts each dossier once, whichever options the file was
// loaded with before. It returns the replaced loads and how many of their
// dossiers left the warehouse.
func replaceEarlierLoads(ctx context.Context, tx *sql.Tx, identity string, loadID int64) ([]int64, int64, error) {
	// Every earlier load of the file, standing or replaced before: a
	// dossier a replacing load found unchanged keeps the load_id of the
	// load that wrote it.
	rows, err := tx.QueryContext(ctx, `SELECT load_id, coalesce(status, 'loaded') = 'loaded' FROM loads
		WHERE coalesce(status, 'loaded') IN ('loaded', 'replaced') AND split_part(sha256, '?', 1) = ? ORDER BY load_id`, IdentityFile(identity))
	if err != nil {
		return nil, 0, fmt.Errorf("looking up earlier loads of the file: %w", err)
	}
	var ids []int64 // the loads standing, which this one replaces
	var all, standing []string
	for rows.Next() {
		var id int64
		var stands bool
		if err := rows.Scan(&id, &stands); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("looking up earlier loads of the file: %w", err)
		}
		all = append(all, strconv.FormatInt(id, 10))
		if stands {
			ids = append(ids, id)
			standing = append(standing, strconv.FormatInt(id, 10))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return nil, 0, err
	}
	in := "(" + strings.Join(all, ", ") + ")"
	replaced := "(" + strings.Join(standing, ", ") + ")"
	this := strconv.FormatInt(loadID, 10)
	var withdrawn int64
	steps := []struct {
		n    *int64
		stmt string
	}{
		// The dossiers whose current state an earlier load of the file
		// wrote and that this load does not hold again.
		{nil, `CREATE OR REPLACE TEMP TABLE stage_withdrawn AS
			SELECT d.rowid AS drow, d.ward_code, d.dossier_code
			FROM dossiers d
			WHERE d.load_id IN ` + in + `
			  AND NOT EXISTS (SELECT 1 FROM stage_checked s
			                  WHERE s.reject_code IS NULL AND s.ward_code = d.ward_code AND s.dossier_code = d.dossier_code)`},
		// The states those loads had replaced, to put back.
		{nil, `CREATE OR REPLACE TEMP TABLE stage_put_back AS
			SELECT h.rowid AS hrow
			FROM dossier_history h
			JOIN stage_withdrawn x ON x.ward_code = h.ward_code AND x.dossier_code = h.dossier_code
			WHERE h.replaced_by IN ` + in + ` AND h.load_id NOT IN ` + in},
		// Their states go to history, replaced by this load: should this
		// transaction not commit and the deletion survive, opening the
		// warehouse puts them back from there (repair.go).
		{nil, `INSERT INTO dossier_history BY NAME
			SELECT d.* EXCLUDE (first_load_id, key_hash), ` + this + ` AS replaced_by
			FROM dossiers d WHERE d.rowid IN (SELECT drow FROM stage_withdrawn)`},
		{&withdrawn, `DELETE FROM dossiers WHERE rowid IN (SELECT drow FROM stage_withdrawn)`},
		{nil, `INSERT INTO dossiers BY NAME
			SELECT h.* EXCLUDE (replaced_by),
			       (SELECT min(x.load_id) FROM dossier_history x WHERE x.ward_code = h.ward_code AND x.dossier_code = h.dossier_code) AS first_load_id,
			       ` + keyHashSQL("h") + ` AS key_hash
			FROM dossier_history h WHERE h.rowid IN (SELECT hrow FROM stage_put_back)`},
		{nil, `DELETE FROM dossier_history WHERE rowid IN (SELECT hrow FROM stage_put_back)`},
		{nil, `DELETE FROM reject_rows WHERE load_id IN ` + replaced},
		{nil, `UPDATE loads SET status = 'replaced', reason = 'replaced by load ` + this + `' WHERE load_id IN ` + replaced},
		{nil, `DROP TABLE IF EXISTS temp.stage_withdrawn; DROP TABLE IF EXISTS temp.stage_put_back`},
	}
	for _, s := range steps {
		r, err := tx.ExecContext(ctx, s.stmt)
		if err != nil {
			return nil, 0, fmt.Errorf("replacing the earlier load %s of the file: %w", replaced, err)
		}
		if s.n != nil {
			*s.n, _ = r.RowsAffected()
		}
	}
	return ids, withdrawn, nil
}
