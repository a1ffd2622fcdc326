package warehouse

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"wardstat/internal/atomicfile"
)

// checkpointWait bounds how long a publish retries a CHECKPOINT that
// another write transaction holds off.
var checkpointWait = 30 * time.Second

// Publish writes a consistent copy of the warehouse to dest for readers:
// it checkpoints (so the file holds every committed load and the WAL is
// empty), copies the file beside dest and renames it over dest. Readers
// that have the old copy open keep reading it; new readers get the new one.
// The caller must not write to the warehouse meanwhile.
//
// The live file is never opened (and so never closed) by this process:
// closing any descriptor of a file drops every POSIX lock the process
// holds on it, DuckDB's among them (DESIGN.md, "Publishing keeps the
// lock"). The copy reads through DuckDB's own descriptor, or is made by a
// child process.
//
// The snapshot holds what the warehouse holds, so it is readable by its
// owner and group only (mode 0640, its folder 0750): gid names the group
// of analysts who may read it; -1 keeps the process's own.
func (w *Warehouse) Publish(ctx context.Context, dest string, gid int) error {
	if err := w.checkpoint(ctx); err != nil {
		return fmt.Errorf("publishing: checkpoint: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o750); err != nil {
		return fmt.Errorf("publishing: %w", err)
	}
	err := atomicfile.WriteWith(dest, 0o600, func(tmp *os.File) error {
		if err := copyLive(ctx, w.path, tmp); err != nil {
			return fmt.Errorf("copying: %w", err)
		}
		if err := tmp.Sync(); err != nil {
			return err
		}
		if gid >= 0 {
			if err := tmp.Chown(-1, gid); err != nil {
				return fmt.Errorf("giving the snapshot to group %d: %w", gid, err)
			}
		}
		return tmp.Chmod(0o640) // whatever the umask
	})
	if err != nil {
		return fmt.Errorf("publishing: %w", err)
	}
	return nil
}

// checkpoint runs CHECKPOINT, retrying for up to checkpointWait while
// DuckDB says another write transaction is active: the daemon's writes go
// through its writer gate and have ended by now, but a short write
// outside it (or DuckDB's own automatic checkpoint) would otherwise fail
// the build. A plain CHECKPOINT, not FORCE: before DuckDB 1.4 FORCE
// aborted the other transactions, and since it waits without bound.
func (w *Warehouse) checkpoint(ctx context.Context) error {
	deadline := time.Now().Add(checkpointWait)
	for tries := 1; ; tries++ {
		_, err := w.db.ExecContext(ctx, "CHECKPOINT")
		if err == nil || !strings.Contains(err.Error(), "other write transactions active") || time.Now().After(deadline) {
			if err == nil && tries > 1 {
				w.log.Info("checkpoint waited for another write", "tries", tries)
			}
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// copyInChild copies the live file at src into dst with cp, in a child
// process: the child's descriptor of src is its own, and closing it drops
// no lock of ours (POSIX locks are per process and not inherited).
func copyInChild(ctx context.Context, src string, dst *os.File) error {
	out, err := exec.CommandContext(ctx, "cp", src, dst.Name()).CombinedOutput()
	if err != nil {
		return fmt.Errorf("cp: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
