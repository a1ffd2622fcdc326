package warehouse

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// lakeFile is one Parquet file's fingerprint in _manifest.json ("files",
// by its path under the lake, with /): its size and the SHA-256 of its
// bytes (sha256sum gives the same), and its modification time on the node
// that wrote it, which tells the next export which files it wrote
// (readers ignore it: a copy has its own times).
type lakeFile struct {
	Size    int64  `json:"size"`
	SHA256  string `json:"sha256"`
	ModTime int64  `json:"mtime_ns"`
}

// lakeFiles are a lake's files' fingerprints, by path under the lake.
type lakeFiles map[string]lakeFile

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// lakeFileFingerprints fingerprints every file under the folders of the
// tables the manifest lists, for _manifest.json (ExportLake calls it
// before writing the manifest). A file with the size and time old
// recorded is the one the last export wrote and keeps its hash; only
// those written since (this export's) are read, so the cost follows the
// partitions written.
func lakeFileFingerprints(dir string, tables lakeManifest, old lakeFiles) (lakeFiles, error) {
	out := lakeFiles{}
	names := make([]string, 0, len(tables))
	for t := range tables {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, t := range names {
		root := filepath.Join(dir, t)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) && path == root {
					return filepath.SkipDir
				}
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			st, err := d.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, path)
			rel = filepath.ToSlash(rel)
			fp := lakeFile{Size: st.Size(), ModTime: st.ModTime().UnixNano()}
			if o, ok := old[rel]; ok && o.Size == fp.Size && o.ModTime == fp.ModTime && o.SHA256 != "" {
				fp.SHA256 = o.SHA256
			} else if fp.SHA256, err = hashFile(path); err != nil {
				return err
			}
			out[rel] = fp
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// dropDamagedLakeFiles removes, before an export, the partitions whose
// file is gone or no longer matches the fingerprint the last export
// recorded (its size, or its time and then its bytes, changed: replaced or
// damaged on this node), so that the export, finding the partition missing, writes
// it again rather than keep it and record the damage as sound. It
// returns the files it found damaged; a file touched but unchanged (a
// copy) gets its new time in old.Files.
func dropDamagedLakeFiles(dir string, old lakeManifestFile) ([]string, error) {
	var damaged []string
	for rel, fp := range old.Files {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		st, err := os.Stat(path)
		switch {
		case err != nil:
			// Gone: its partition's other files (a fact partition has one
			// or more per chunk) would pass for the whole partition.
		case st.Size() == fp.Size && st.ModTime().UnixNano() == fp.ModTime:
			continue
		case st.Size() == fp.Size:
			if h, err := hashFile(path); err == nil && h == fp.SHA256 {
				// Touched, not changed (a copy): its new time is recorded,
				// so that lakeFileFingerprints keeps the hash, not reads again.
				fp.ModTime = st.ModTime().UnixNano()
				old.Files[rel] = fp
				continue
			}
		}
		damaged = append(damaged, rel)
		part := filepath.Dir(path)
		if strings.Count(rel, "/") < 2 { // table/data.parquet: the file alone
			part = path
		}
		if err := os.RemoveAll(part); err != nil {
			return damaged, err
		}
	}
	sort.Strings(damaged)
	return damaged, nil
}
