package warehouse

import (
	"context"
	"fmt"
	"time"
)

// keyHashSQL is a dossier's key_hash over the table alias a ("" for
// none): the hash of its code. The code alone, not (ward, code): a code is
// the country's, so the same number serves the load's match (then the
// ward's and the code's texts compared) and its check for the code stored
// under another ward, neither reading a stored text of every dossier. Every statement that writes a row of
// dossiers spells it this way (sql/load/20_merge.sql and the bench's
// generators in SQL), and the data test key_hash_matches checks the
// stored column against it.
func keyHashSQL(a string) string {
	if a != "" {
		a += "."
	}
	return fmt.Sprintf("hash(%sdossier_code)", a)
}

// keyHashProbe is the value meta keeps as key_hash_probe: the hash of a
// fixed code as this DuckDB computes it. DuckDB does not promise hash()
// stable across versions; a warehouse whose stored probe differs holds
// key hashes of another version, which match nothing this one computes.
const keyHashProbe = `hash('000.00.00.H00-000000-0000000')::VARCHAR`

// checkKeyHashes makes every dossier's key_hash this DuckDB's hash of its
// key when the stored probe says they were computed otherwise (a
// warehouse from before the column, or from a DuckDB whose hash differs):
// one pass over the two key columns, in one transaction with the probe.
// An UPDATE, not ALTER … USING (faster): DuckDB 1.5 cannot replay an
// ALTER with an expression from its write-ahead log ("GetDefaultDatabase
// with no default database set"), so a kill before the next checkpoint
// would leave a file that does not open.
func (w *Warehouse) checkKeyHashes(ctx context.Context) error {
	stale, err := keyHashesStale(ctx, w.db)
	if err != nil || !stale {
		return err
	}
	began := time.Now()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE dossiers SET key_hash = `+keyHashSQL("")); err != nil {
		return fmt.Errorf("computing the dossiers' key hashes: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO meta VALUES ('key_hash_probe', `+keyHashProbe+`)`); err != nil {
		return fmt.Errorf("recording the key hashes' probe: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("computing the dossiers' key hashes: %w", err)
	}
	w.log.Info("computed the dossiers' key hashes", "seconds", time.Since(began).Seconds())
	return nil
}

// keyHashesStale says whether the stored key hashes are not this DuckDB's
// (the probe in meta is missing or differs).
func keyHashesStale(ctx context.Context, q dbQuerier) (bool, error) {
	var stale bool
	err := q.QueryRowContext(ctx, `SELECT coalesce(max(value) FILTER (name = 'key_hash_probe'), '') <> `+keyHashProbe+` FROM meta`).Scan(&stale)
	if err != nil {
		return false, fmt.Errorf("reading the key hashes' probe: %w", err)
	}
	return stale, nil
}
