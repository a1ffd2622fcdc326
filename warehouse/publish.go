package warehouse

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Publish writes a consistent copy of the warehouse to dest for readers:
// it checkpoints (so the file holds every committed load and the WAL is
// empty), copies the file beside dest and renames it over dest. Readers
// that have the old copy open keep reading it; new readers get the new one.
// The caller must not write to the warehouse meanwhile.
func (w *Warehouse) Publish(ctx context.Context, dest string) error {
	if _, err := w.db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return fmt.Errorf("publishing: checkpoint: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return fmt.Errorf("publishing: %w", err)
	}
	src, err := os.Open(w.path)
	if err != nil {
		return fmt.Errorf("publishing: %w", err)
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*")
	if err != nil {
		return fmt.Errorf("publishing: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, src); err != nil {
		tmp.Close()
		return fmt.Errorf("publishing: copying: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("publishing: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("publishing: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o444); err != nil {
		return fmt.Errorf("publishing: %w", err)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return fmt.Errorf("publishing: %w", err)
	}
	return nil
}
