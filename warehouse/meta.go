package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"wardstat/internal/msg"
)

// ErrKeyMismatch is an applicant-hash key other than the one the
// warehouse's loads used.
var ErrKeyMismatch = msg.Errorf("khóa băm người nộp không phải khóa kho này đã dùng khi nạp", "the applicant-hash key is not the one this warehouse was loaded with")

// CheckApplicantKey makes sure loads keep hashing applicants with one key.
// The first call records the key's fingerprint; a later call with another
// fingerprint returns ErrKeyMismatch, before anything is loaded: with a new
// key every applicant would get a new applicant_key, and every dossier of
// the next export would look changed.
func (w *Warehouse) CheckApplicantKey(ctx context.Context, fingerprint string) error {
	var stored string
	err := w.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = 'applicant_key_fingerprint'`).Scan(&stored)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = w.db.ExecContext(ctx, `INSERT INTO meta VALUES ('applicant_key_fingerprint', ?) ON CONFLICT DO NOTHING`, fingerprint)
		if err != nil {
			return fmt.Errorf("recording the applicant-hash key's fingerprint: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("reading the applicant-hash key's fingerprint: %w", err)
	case stored != fingerprint:
		return msg.Errorf("%w (dấu vân tay %s, của khóa này %s)", "%w (fingerprint %s, this key's %s)", ErrKeyMismatch, stored, fingerprint)
	}
	return nil
}
