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

// Published says how a Publish made the snapshot.
type Published struct {
	// How: "clone" (the filesystem shares the live file's blocks),
	// "delta" (the spare snapshot updated where it differed), "copy" (a
	// new file, every byte written).
	How string
	// Size is the snapshot's size, Written the bytes written to make it.
	Size, Written int64
}

// Publish writes a consistent copy of the warehouse to dest for readers:
// it checkpoints (so the file holds every committed load and the WAL is
// empty), makes the copy beside dest and renames it over dest. Readers
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
	_, err := w.PublishReport(ctx, dest, gid)
	return err
}

// PublishReport is Publish, saying how the snapshot was made.
func (w *Warehouse) PublishReport(ctx context.Context, dest string, gid int) (Published, error) {
	if err := w.checkpoint(ctx); err != nil {
		return Published{}, fmt.Errorf("publishing: checkpoint: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o750); err != nil {
		return Published{}, fmt.Errorf("publishing: %w", err)
	}
	p, err := publishFile(ctx, w.path, dest, gid)
	if err != nil {
		return p, fmt.Errorf("publishing: %w", err)
	}
	w.log.Info("published the snapshot", "how", p.How, "bytes", p.Size, "written", p.Written)
	return p, nil
}

// publishCopy publishes a whole copy made by copyLive: the way where the
// live file's descriptor is not at hand.
func publishCopy(ctx context.Context, src, dest string, gid int) (Published, error) {
	var size int64
	err := atomicfile.WriteWith(dest, 0o600, func(tmp *os.File) error {
		if err := copyLive(ctx, src, tmp); err != nil {
			return fmt.Errorf("copying: %w", err)
		}
		if err := finishSnapshot(tmp, gid); err != nil {
			return err
		}
		st, err := tmp.Stat()
		if err == nil {
			size = st.Size()
		}
		return err
	})
	return Published{How: "copy", Size: size, Written: size}, err
}

// finishSnapshot gives a written snapshot its group and mode and syncs it.
func finishSnapshot(f *os.File, gid int) error {
	if gid >= 0 {
		if err := f.Chown(-1, gid); err != nil {
			return fmt.Errorf("giving the snapshot to group %d: %w", gid, err)
		}
	}
	if err := f.Chmod(0o640); err != nil { // whatever the umask
		return err
	}
	return f.Sync()
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
