// Package atomicfile replaces a file so that a reader sees either its old
// content or the whole new one, never a part: the bytes go to a hidden
// temporary file beside it (".<name>.<digits>", in the same folder so the
// rename stays on one file system), renamed over it once written and
// closed. On any error the temporary file is removed and the old file is
// left as it was.
//
// It does not fsync: a caller whose file must survive a power cut calls
// f.Sync in WriteWith.
package atomicfile

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// Write replaces path with data. perm is the mode of a new file before the
// umask, as for os.WriteFile.
func Write(path string, data []byte, perm fs.FileMode) error {
	return WriteWith(path, perm, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// WriteWith replaces path with what write writes to f, the temporary file
// (created with perm before the umask). write may also Sync, Chmod or Chown
// f; its error is returned as it is.
func WriteWith(path string, perm fs.FileMode, write func(f *os.File) error) error {
	f, err := create(path, perm)
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after the rename, there is nothing there
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// create makes the temporary file, named as os.CreateTemp names it for the
// pattern ".<name>.*", but with perm (os.CreateTemp always uses 0600).
func create(path string, perm fs.FileMode) (*os.File, error) {
	prefix := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".")
	for try := 0; ; try++ {
		f, err := os.OpenFile(prefix+strconv.FormatUint(uint64(rand.Uint32()), 10), os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) && try < 10000 {
			continue
		}
		return f, err
	}
}
