package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The --out paths are checked before anything is written, because a
// file is written as PATH.tmp renamed over PATH: a rename replaces
// whatever PATH is, so /dev/stdout (a link to the terminal), a FIFO or a
// link to a file would be replaced by a regular file.

// outFile checks a --out FILE and returns the path to write: the path
// itself when it is missing or a regular file, the file a symbolic link
// points to (the link is kept and its target rewritten, as an editor
// saving through a link does), or an error, one line, for anything else
// — a device or terminal (/dev/stdout), a FIFO, a socket, a folder, a
// link to none of them or to nothing — and for a folder that does not
// exist. The error names the path as the user gave it.
func (a *app) outFile(given string) (string, error) {
	path := given
	if fi, err := os.Lstat(given); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		target, err := filepath.EvalSymlinks(given)
		if err != nil {
			return "", usageError{fmt.Errorf(a.t("--out %s là liên kết tới một chỗ không phải tệp (hoặc tới chỗ không tồn tại): hãy ghi ra một tệp thường, hoặc bỏ --out để ghi ra đầu ra chuẩn",
				"--out %s is a link to something that is not a file (or to nothing): write to a regular file, or leave out --out to write to standard output"), given)}
		}
		path = target
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		dir := filepath.Dir(path)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return "", usageError{fmt.Errorf(a.t("--out %s: thư mục %s không tồn tại; hãy tạo nó trước (mkdir -p %s) hoặc chọn đường dẫn khác",
				"--out %s: the folder %s does not exist; create it first (mkdir -p %s) or choose another path"), given, dir, dir)}
		}
		return path, nil
	case err != nil:
		return "", fmt.Errorf("--out %s: %w", given, err)
	case fi.Mode().IsRegular():
		return path, nil
	}
	return "", usageError{fmt.Errorf(a.t("--out %s là %s, không phải tệp thường; wardstat không ghi đè lên nó: hãy ghi ra một tệp (ví dụ --out bieu06.xlsx), hoặc bỏ --out để ghi ra đầu ra chuẩn",
		"--out %s is %s, not a regular file; wardstat does not replace it: write to a file (e.g. --out bieu06.xlsx), or leave out --out to write to standard output"), given, a.fileKind(path, fi.Mode()))}
}

// outDir checks a --out DIR (report --nightly, export, demo): missing is
// fine (it is created), a folder or a link to one is used, anything else
// is refused in one line.
func (a *app) outDir(given string) error {
	fi, err := os.Stat(given)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if lfi, lerr := os.Lstat(given); lerr == nil && lfi.Mode()&fs.ModeSymlink != 0 {
			return usageError{fmt.Errorf(a.t("--out %s là liên kết tới một chỗ không tồn tại: hãy chỉ một thư mục", "--out %s is a link to nothing: name a folder"), given)}
		}
		return nil
	case err != nil:
		return fmt.Errorf("--out %s: %w", given, err)
	case fi.IsDir():
		return nil
	}
	return usageError{fmt.Errorf(a.t("--out %s là %s, không phải thư mục: hãy chỉ một thư mục (có sẵn hoặc chưa có, wardstat sẽ tạo)",
		"--out %s is %s, not a folder: name a folder (existing or not, wardstat creates it)"), given, a.fileKind(given, fi.Mode()))}
}

// fileKind names what a path is, for the messages above.
func (a *app) fileKind(path string, m fs.FileMode) string {
	switch {
	case m&fs.ModeCharDevice != 0:
		if f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0); err == nil {
			tty := isTerminal(f)
			f.Close()
			if tty {
				return a.t("một màn hình (terminal)", "a terminal")
			}
		}
		return a.t("một thiết bị", "a device")
	case m&fs.ModeDevice != 0:
		return a.t("một thiết bị", "a device")
	case m&fs.ModeNamedPipe != 0:
		return a.t("một đường ống (FIFO)", "a pipe (FIFO)")
	case m&fs.ModeSocket != 0:
		return a.t("một socket", "a socket")
	case m.IsDir():
		return a.t("một thư mục", "a folder")
	case m.IsRegular():
		return a.t("một tệp", "a file")
	}
	return a.t("một loại tệp đặc biệt", "a special file")
}
