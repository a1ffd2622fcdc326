package schedules

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"wardstat/ingest"
	"wardstat/internal/msg"
)

// Subfolders of a drop folder that files move to after loading.
const (
	DoneDir   = "done"
	FailedDir = "failed"
)

// readyFiles lists the files of a drop folder (or the one file a path
// names) that have stopped growing: unchanged in size and time over the
// source's settle time. An entry that is not a regular file once its
// links are followed (a named pipe, a link to a device) is listed at once,
// for the load to refuse it in one line and move it to failed/: waiting
// for it to settle, it stayed there unsaid, night after night.
func readyFiles(ctx context.Context, src *Source) ([]string, error) {
	st, err := os.Stat(src.Path)
	if err != nil {
		return nil, fmt.Errorf("drop path: %w", err)
	}
	var candidates []string
	if !st.IsDir() {
		candidates = []string{src.Path}
	} else {
		entries, err := os.ReadDir(src.Path)
		if err != nil {
			return nil, fmt.Errorf("drop folder: %w", err)
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$") || isPartial(name) {
				continue
			}
			candidates = append(candidates, filepath.Join(src.Path, name))
		}
	}
	if len(candidates) == 0 {
		return nil, nil
	}
	type seen struct {
		size int64
		mod  time.Time
	}
	before := map[string]seen{}
	for _, p := range candidates {
		if st, err := os.Stat(p); err == nil {
			before[p] = seen{st.Size(), st.ModTime()}
		}
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(src.Settle.Std()):
	}
	var ready []string
	for _, p := range candidates {
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		if !st.Mode().IsRegular() {
			ready = append(ready, p)
			continue
		}
		if b, ok := before[p]; ok && b.size == st.Size() && b.mod.Equal(st.ModTime()) && st.Size() > 0 {
			ready = append(ready, p)
		}
	}
	sort.Strings(ready)
	return ready, nil
}

// warehouseFiles says whether a path is one of the warehouse's own files
// (the database, its WAL, the published snapshot and its WAL): a drop
// folder that holds the warehouse must not load it, let alone move it to
// failed/.
func warehouseFiles(cfg *Config) func(string) bool {
	paths := []string{cfg.Warehouse, cfg.Publish}
	if cfg.Warehouse != "" {
		paths = append(paths, cfg.Warehouse+".wal")
	}
	if cfg.Publish != "" {
		paths = append(paths, cfg.Publish+".wal")
	}
	return ingest.SameFileAs(paths...)
}

func isPartial(name string) bool {
	for _, ext := range []string{".part", ".tmp", ".crdownload", ".partial", ".filepart", ".reason"} {
		if strings.HasSuffix(strings.ToLower(name), ext) {
			return true
		}
	}
	return false
}

// settleFile moves a loaded drop-folder file to done/, or a refused one to
// failed/ with a .reason file beside it. A source that names one file
// (not a folder) leaves it in place.
func settleFile(src *Source, path string, loadErr error, lang string) error {
	st, err := os.Stat(src.Path)
	if err != nil || !st.IsDir() {
		return nil
	}
	sub := DoneDir
	if loadErr != nil {
		sub = FailedDir
	}
	dir := filepath.Join(src.Path, sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	dest := filepath.Join(dir, filepath.Base(path))
	if _, err := os.Stat(dest); err == nil {
		ext := filepath.Ext(dest)
		dest = strings.TrimSuffix(dest, ext) + time.Now().Format("-20060102-150405") + ext
	}
	if err := os.Rename(path, dest); err != nil {
		return err
	}
	if loadErr != nil {
		return os.WriteFile(dest+".reason", []byte(msg.Render(loadErr, lang)+"\n"), 0o644)
	}
	// Loaded: a reason an earlier try of the same file left in failed/ (the
	// file fixed and dropped again) no longer holds.
	stale := filepath.Join(src.Path, FailedDir, filepath.Base(path)+".reason")
	if _, err := os.Stat(strings.TrimSuffix(stale, ".reason")); errors.Is(err, fs.ErrNotExist) {
		os.Remove(stale)
	}
	return nil
}
