package warehouse

import (
	"context"
	"database/sql"
	"fmt"
)

// RecordRefused records a file refused whole as a load of its own, with
// status 'refused', no rows and the kind of refusal as reason (a fixed
// text the caller chooses, never a cell of the file), so that every file
// given to wardstat shows in loads. It is no identity: FindLoad passes it
// over, and the file loads once fixed. sha is "" when the file could not
// be read.
func (w *Warehouse) RecordRefused(ctx context.Context, req LoadRequest, sha, reason string) (int64, error) {
	var id int64
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT nextval('load_id_seq')`).Scan(&id); err != nil {
		return 0, fmt.Errorf("numbering the refused load: %w", err)
	}
	format := req.Format
	if format == "" {
		format = "unknown"
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO loads VALUES (?, ?, ?, NULL, ?, ?, current_localtimestamp(), 0, 0, 0, 0, 0, 0, 0, NULL, NULL, 'refused', ?)`,
		id, req.Path, sha, sql.NullString{String: req.Source, Valid: req.Source != ""}, format, reason); err != nil {
		return 0, fmt.Errorf("recording the refused load: %w", err)
	}
	return id, tx.Commit()
}
