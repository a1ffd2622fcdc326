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
//
// The snapshot holds what the warehouse holds, so it is readable by its
// owner and group only (mode 0640, its folder 0750): gid names the group
// of analysts who may read it; -1 keeps the process's own.
func (w *Warehouse) Publish(ctx context.Context, dest string, gid int) error {
	if _, err := w.db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return fmt.Errorf("publishing: checkpoint: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o750); err != nil {
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
	if gid >= 0 {
		if err := os.Chown(tmp.Name(), -1, gid); err != nil {
			return fmt.Errorf("publishing: giving the snapshot to group %d: %w", gid, err)
		}
	}
	if err := os.Chmod(tmp.Name(), 0o640); err != nil {
		return fmt.Errorf("publishing: %w", err)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return fmt.Errorf("publishing: %w", err)
	}
	return nil
}
