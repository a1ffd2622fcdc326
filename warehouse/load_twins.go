package warehouse

import (
	"context"
	"database/sql"
)

// otherWardTwins counts the codes this load added (its new dossiers) that
// dossiers holds under another ward too, with one such ward as the
// example. A dossier code is the country's: the same code stored under
// another ward is one dossier counted twice (a file loaded again with
// another --ward after it was saved again, so not the same bytes). Only
// the dossiers a load adds can be new twins: a nightly re-export, whose
// dossiers are mostly stored already, checks its few new ones.
//
// The stored side comes from the merge's own match (temp.stage_hashed:
// every stored row whose key_hash is one of the file's, with its row id),
// so the load reads the stored key hashes once: key_hash is the code's
// hash (keyhash.go), so a stored twin of an added code is among those
// pairs whatever its ward. The rows the load itself wrote (load_id) are
// the other side: a same-code dossier of another ward added or changed
// tonight. A pair's texts are compared after, by row id, as two codes may
// share a hash; a stored row the merge replaced or the load withdrew is
// gone from dossiers and drops out there.
//
// fullScan (an earlier load of the file replaced: states it had replaced
// were put back, rows neither side holds) matches the added codes with
// every stored key_hash instead.
func otherWardTwins(ctx context.Context, tx *sql.Tx, loadID int64, fullScan bool) (int64, string, error) {
	// The load's rows go to a temp table first, so that DuckDB knows how
	// few they are and builds its hash tables on them, never on the
	// warehouse (out of memory at 100 M).
	if _, err := tx.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE stage_added AS
		SELECT rowid AS srow, key_hash, first_load_id = ? AS added FROM dossiers WHERE load_id = ?`, loadID, loadID); err != nil {
		return 0, "", err
	}
	pairs := `SELECT n.srow, o.srow AS drow FROM stage_added n JOIN stage_added o ON o.key_hash = n.key_hash
		WHERE n.added AND o.srow <> n.srow
		UNION ALL
		SELECT n.srow, h.drow FROM stage_added n JOIN (SELECT DISTINCT key_hash, drow FROM stage_hashed) h ON h.key_hash = n.key_hash
		WHERE n.added`
	if fullScan {
		pairs = `SELECT n.srow, d.rowid AS drow FROM stage_added n JOIN dossiers d ON d.key_hash = n.key_hash
			WHERE n.added AND d.rowid <> n.srow`
	}
	if _, err := tx.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE stage_twins AS `+pairs); err != nil {
		return 0, "", err
	}
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM stage_twins`).Scan(&n); err != nil || n == 0 {
		return 0, "", err
	}
	// The texts of the pairs found (mostly none), each side fetched by row
	// id on its own: in one three-way join DuckDB joins the warehouse with
	// itself on the codes first.
	if _, err := tx.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE stage_twins AS
		SELECT f.drow, s.ward_code, s.dossier_code FROM stage_twins f JOIN dossiers s ON s.rowid = f.srow`); err != nil {
		return 0, "", err
	}
	var ward sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT count(DISTINCT f.dossier_code), any_value(d.ward_code)
		FROM stage_twins f JOIN dossiers d ON d.rowid = f.drow
		WHERE d.dossier_code = f.dossier_code AND d.ward_code <> f.ward_code`).Scan(&n, &ward); err != nil {
		return 0, "", err
	}
	return n, ward.String, nil
}
