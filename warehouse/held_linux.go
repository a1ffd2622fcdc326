package warehouse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// heldFD returns a descriptor this process already has open on the file
// at path (DuckDB's, while the warehouse is open), found by device and
// inode under /proc/self/fd; -1 when there is none. The caller must
// never close it: it is DuckDB's, and closing it would also drop the
// process's locks on the file. Finding it opens nothing of the file.
func heldFD(path string) int {
	var want unix.Stat_t
	if unix.Stat(path, &want) != nil {
		return -1
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		var st unix.Stat_t
		if unix.Fstat(fd, &st) == nil && st.Dev == want.Dev && st.Ino == want.Ino && st.Mode&unix.S_IFMT == unix.S_IFREG {
			return fd
		}
	}
	return -1
}

// copyLive copies the live warehouse file at src into dst without opening
// it: through DuckDB's own descriptor, at explicit offsets (its file
// position is never moved), with copy_file_range, which lets the kernel
// copy without passing the bytes through this process and share the
// blocks on filesystems that can (Btrfs, XFS). Without such a descriptor
// (the warehouse is not open here), a child process copies.
func copyLive(ctx context.Context, src string, dst *os.File) error {
	fd := heldFD(src)
	if fd < 0 {
		return copyInChild(ctx, src, dst)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	size := st.Size
	out := int(dst.Fd())
	var off int64
	for off < size {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := unix.CopyFileRange(fd, &off, out, nil, int(min(size-off, 1<<30)), 0)
		if err != nil {
			if off == 0 && (errors.Is(err, unix.EXDEV) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP)) {
				return preadCopy(ctx, fd, dst, size)
			}
			return err
		}
		if n == 0 {
			return fmt.Errorf("%s ended at %d of %d bytes", src, off, size)
		}
	}
	return nil
}

// preadCopy copies size bytes of fd into dst with pread: at explicit
// offsets, never moving fd's position, never closing it.
func preadCopy(ctx context.Context, fd int, dst *os.File, size int64) error {
	buf := make([]byte, 1<<20)
	for off := int64(0); off < size; {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := unix.Pread(fd, buf[:min(int64(len(buf)), size-off)], off)
		if err != nil {
			return err
		}
		if n == 0 {
			return io.ErrUnexpectedEOF
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return err
		}
		off += int64(n)
	}
	return nil
}
