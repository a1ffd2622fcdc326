package warehouse

import (
	"context"
	"fmt"
	"time"
)

// keyHashSQL is a dossier's key_hash over the table alias a ("" for
// none): the hash of its key. Every statement that writes a row of
// dossiers spells it this way (sql/load/20_merge.sql and the bench's
// generators in SQL), and the data test key_hash_matches checks the
// stored column against it.
func keyHashSQL(a string) string {
	if a != "" {
		a += "."
	}
	return fmt.Sprintf("hash(%[1]sward_code, %[1]sdossier_code)", a)
}

// keyHashProbe is the value meta keeps as key_hash_probe: the hash of a
// fixed pair as this DuckDB computes it. DuckDB does not promise hash()
// stable across versions; a warehouse whose stored probe differs holds
// key hashes of another version, which match nothing this one computes.
const keyHashProbe = `hash('000.00.00.H00', '000.00.00.H00-000000-0000000')::VARCHAR`

// checkKeyHashes makes every dossier's key_hash this DuckDB's hash of its
// key when the stored probe says they were computed otherwise (a
// warehouse from before the column, or from a DuckDB whose hash differs):
// one pass over the two key columns, in one transaction with the probe.
// The column is written anew (ALTER … USING) rather than updated in
// place: an UPDATE of every row takes longer and more memory (10 M
// dossiers under a 128 MB limit: 2 s against 15 s; at 512 MB, 6 s and
// 370 MB of RSS against 7 s and 510 MB).
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
	if _, err := tx.ExecContext(ctx, `ALTER TABLE dossiers ALTER key_hash TYPE UBIGINT USING `+keyHashSQL("")); err != nil {
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
