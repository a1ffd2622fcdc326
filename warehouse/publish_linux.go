//go:build linux

package warehouse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/zeebo/xxh3"
	"golang.org/x/sys/unix"
	"wardstat/internal/atomicfile"
)

// The pieces a snapshot is compared in, as DuckDB lays out its file: three
// 4 KiB headers, then blocks of 256 KiB (its default block_alloc_size).
// A file laid out otherwise is still copied exactly, in more pieces.
const (
	headerBytes = 3 << 12
	blockBytes  = 256 << 10
	batchBlocks = 32 // read at once
)

// cloneFile is FICLONE; publishStep is called at each step of a publish
// ("copying": the headers are written, not the blocks; "written",
// "described", "swapped"). Both are variables for the tests.
var (
	cloneFile   = unix.IoctlFileClone
	publishStep = func(string) {}
)

// publishFile publishes the live file src at dest, in the first way that
// applies: a clone of its blocks (Btrfs, XFS), else the spare snapshot
// updated in place where it differs, else a new whole copy (DESIGN.md,
// "Publishing keeps the lock").
func publishFile(ctx context.Context, src, dest string, gid int) (Published, error) {
	fd := heldFD(src)
	if fd < 0 {
		return publishCopy(ctx, src, dest, gid)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return Published{}, err
	}
	s := snapshotFiles{dest: dest, dir: filepath.Dir(dest), base: filepath.Base(dest)}
	s.removeLeftovers()
	if p, ok, err := s.clone(fd, st.Size, gid); ok || err != nil {
		return p, err
	}
	return s.delta(ctx, fd, st.Size, gid)
}

// snapshotFiles names the files beside a snapshot: the spare (the
// snapshot before, which the next publish updates), a new file while it is
// written, and each one's block sums (named by its inode).
type snapshotFiles struct{ dest, dir, base string }

func (s snapshotFiles) spare() string { return filepath.Join(s.dir, "."+s.base+".spare") }

func (s snapshotFiles) sums(ino uint64) string {
	return filepath.Join(s.dir, "."+s.base+"."+strconv.FormatUint(ino, 10)+".sums")
}

func (s snapshotFiles) newFile() (*os.File, error) {
	for try := 0; ; try++ {
		f, err := os.OpenFile(filepath.Join(s.dir, "."+s.base+".new-"+strconv.FormatUint(uint64(rand.Uint32()), 10)), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) && try < 100 {
			continue
		}
		return f, err
	}
}

// removeLeftovers removes the new files of publishes that were killed.
func (s snapshotFiles) removeLeftovers() {
	entries, _ := os.ReadDir(s.dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "."+s.base+".new-") {
			os.Remove(filepath.Join(s.dir, e.Name()))
		}
	}
}

// removeStaleSums removes the sums of files that are neither the snapshot
// nor the spare.
func (s snapshotFiles) removeStaleSums() {
	keep := map[string]bool{}
	for _, p := range []string{s.dest, s.spare()} {
		var st unix.Stat_t
		if unix.Stat(p, &st) == nil {
			keep[filepath.Base(s.sums(st.Ino))] = true
		}
	}
	entries, _ := os.ReadDir(s.dir)
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, "."+s.base+".") && strings.HasSuffix(n, ".sums") && !keep[n] {
			os.Remove(filepath.Join(s.dir, n))
		}
	}
}

// clone publishes a FICLONE of the live file: the filesystem shares its
// blocks, so nothing is copied. ok is false where the filesystem cannot
// (ext4, tmpfs, another filesystem): any failure of the clone itself only
// means another way is taken.
func (s snapshotFiles) clone(fd int, size int64, gid int) (p Published, ok bool, err error) {
	f, err := s.newFile()
	if err != nil {
		return Published{}, false, err
	}
	if cloneFile(int(f.Fd()), fd) != nil {
		f.Close()
		os.Remove(f.Name())
		return Published{}, false, nil
	}
	if err := finishSnapshot(f, gid); err != nil {
		f.Close()
		os.Remove(f.Name())
		return Published{}, true, err
	}
	f.Close()
	if err := os.Rename(f.Name(), s.dest); err != nil {
		os.Remove(f.Name())
		return Published{}, true, err
	}
	os.Remove(s.spare()) // never updated where clones are made
	s.removeStaleSums()
	return Published{How: "clone", Size: size}, true, syncDir(s.dir)
}

// delta publishes by updating the spare in place where it differs from
// the live file, when no one can be reading the spare (reusableSpare);
// else it writes a new file whole. The file written is synced and
// described (its sums) before it is exchanged with the snapshot, which
// then becomes the spare.
func (s snapshotFiles) delta(ctx context.Context, fd int, size int64, gid int) (Published, error) {
	f, known, inPlace := s.reusableSpare()
	p := Published{How: "delta", Size: size}
	if !inPlace {
		var err error
		if f, err = s.newFile(); err != nil {
			return Published{}, err
		}
		p.How = "copy"
	}
	keep := false
	defer func() {
		f.Close()
		if !keep && !inPlace {
			os.Remove(f.Name())
		}
	}()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return Published{}, err
	}
	// Once a byte is written the spare's sums no longer say what it holds.
	if err := os.Remove(s.sums(st.Ino)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return Published{}, err
	}
	if err := syncDir(s.dir); err != nil {
		return Published{}, err
	}
	written, sums, err := copyChanged(ctx, fd, size, f, known)
	p.Written = written
	if err != nil {
		return p, fmt.Errorf("copying: %w", err)
	}
	if err := f.Truncate(size); err != nil {
		return p, err
	}
	if err := finishSnapshot(f, gid); err != nil {
		return p, err
	}
	publishStep("written")
	if err := writeSums(s.sums(st.Ino), f, sums); err != nil {
		return p, err
	}
	publishStep("described")
	keep = true
	// Closing drops our lock on the spare: it is named the snapshot next.
	f.Close()
	err = unix.Renameat2(unix.AT_FDCWD, f.Name(), unix.AT_FDCWD, s.dest, unix.RENAME_EXCHANGE)
	switch {
	case err == nil && !inPlace:
		// The new file's name holds the snapshot before: the next spare.
		publishStep("swapped")
		err = os.Rename(f.Name(), s.spare())
	case err != nil:
		// No snapshot yet, or a filesystem that cannot exchange names:
		// the snapshot before is not kept.
		err = os.Rename(f.Name(), s.dest)
	}
	if err != nil {
		return p, err
	}
	s.removeStaleSums()
	return p, syncDir(s.dir)
}

// reusableSpare opens the spare for writing in place, with its sums, when
// it is certain that no one reads it: it is a plain file of ours with one
// name (the Flight server reads each snapshot through a hard link of its
// own), no descriptor of this process has it (closing ours would drop
// the locks of a DuckDB here that reads it), and no process holds a lock
// on it (a DuckDB read-only open holds a shared one while it is open): the
// open file description write lock taken here conflicts with those, and
// until it is dropped a DuckDB that opens the file fails to lock it rather
// than read it changing. Otherwise ok is false and f nil.
func (s snapshotFiles) reusableSpare() (f *os.File, known []sum, ok bool) {
	if heldFD(s.spare()) >= 0 {
		return nil, nil, false
	}
	f, err := os.OpenFile(s.spare(), os.O_RDWR|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, false
	}
	lk := unix.Flock_t{Type: unix.F_WRLCK}
	var st unix.Stat_t
	if unix.FcntlFlock(f.Fd(), unix.F_OFD_SETLK, &lk) != nil || unix.Fstat(int(f.Fd()), &st) != nil ||
		st.Mode&unix.S_IFMT != unix.S_IFREG || st.Nlink != 1 || st.Uid != uint32(os.Geteuid()) {
		f.Close()
		return nil, nil, false
	}
	return f, readSums(s.sums(st.Ino), &st), true
}

// A piece's sum is its XXH3-128: a piece is left as it is only when its
// sum equals the one recorded for what the spare holds there, which two
// different contents give by chance once in 2^128. SHA-256 sums at a
// thirtieth of its speed here (130 MB/s: more than the copy it saves).
type sum = [16]byte

const sumSize = 16

// sumsMagic begins a sums file; the rest of its first line says which
// file (device, inode, size, modification time) and layout it describes.
const sumsMagic = "wardstat block sums xxh3-128"

func sumsHeader(st *unix.Stat_t) string {
	return fmt.Sprintf("%s %d %d %d %d.%09d %d %d\n", sumsMagic, st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec, headerBytes, blockBytes)
}

// writeSums records f's block sums, after f is synced.
func writeSums(path string, f *os.File, sums []sum) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString(sumsHeader(&st))
	for _, s := range sums {
		b.Write(s[:])
	}
	return atomicfile.WriteWith(path, 0o600, func(tmp *os.File) error {
		if _, err := tmp.Write(b.Bytes()); err != nil {
			return err
		}
		return tmp.Sync()
	})
}

// readSums reads the sums of the file st, nil unless they describe it as
// it is (same device, inode, size, modification time and layout).
func readSums(path string, st *unix.Stat_t) []sum {
	data, err := os.ReadFile(path)
	head := sumsHeader(st)
	if err != nil || !bytes.HasPrefix(data, []byte(head)) {
		return nil
	}
	data = data[len(head):]
	if int64(len(data)) != chunks(st.Size)*sumSize {
		return nil
	}
	sums := make([]sum, len(data)/sumSize)
	for i := range sums {
		copy(sums[i][:], data[i*sumSize:])
	}
	return sums
}

// chunks is how many pieces a file of size bytes is compared in: the
// headers, then each block.
func chunks(size int64) int64 {
	if size <= headerBytes {
		return 1
	}
	return 1 + (size-headerBytes+blockBytes-1)/blockBytes
}

// chunkAt is where piece i begins.
func chunkAt(i int64) int64 {
	if i == 0 {
		return 0
	}
	return headerBytes + (i-1)*blockBytes
}

// copyChanged reads the live file (fd, at explicit offsets, never closed)
// once, sums each piece, and writes to dst the pieces whose sum is not in
// known (dst's sums as it is). It gives the bytes written and the sums of
// what dst then holds.
func copyChanged(ctx context.Context, fd int, size int64, dst *os.File, known []sum) (int64, []sum, error) {
	n := chunks(size)
	sums := make([]sum, n)
	type batch struct {
		first, count int64 // pieces
		buf          []byte
		err          error
	}
	// One goroutine reads the next batch while this one sums and writes.
	batches := make(chan batch, 1)
	free := make(chan []byte, 2)
	free <- make([]byte, batchBlocks*blockBytes)
	free <- make([]byte, batchBlocks*blockBytes)
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(batches)
		for first := int64(0); first < n; {
			count := min(int64(batchBlocks), n-first)
			if first == 0 {
				count = 1
			}
			var buf []byte
			select {
			case buf = <-free:
			case <-done:
				return
			}
			from, to := chunkAt(first), min(size, chunkAt(first+count))
			b := batch{first: first, count: count, buf: buf[:to-from]}
			if err := ctx.Err(); err != nil {
				b.err = err
			} else {
				b.err = preadFull(fd, b.buf, from)
			}
			select {
			case batches <- b:
			case <-done:
				return
			}
			if b.err != nil {
				return
			}
			first += count
		}
	}()
	var written int64
	for b := range batches {
		if b.err != nil {
			return written, nil, b.err
		}
		base := chunkAt(b.first)
		runFrom := int64(-1) // the first changed byte of a run not yet written
		flush := func(to int64) error {
			if runFrom < 0 {
				return nil
			}
			_, err := dst.WriteAt(b.buf[runFrom-base:to-base], runFrom)
			written += to - runFrom
			runFrom = -1
			return err
		}
		for i := b.first; i < b.first+b.count; i++ {
			from, to := chunkAt(i), min(size, chunkAt(i+1))
			sums[i] = xxh3.Hash128(b.buf[from-base : to-base]).Bytes()
			if i < int64(len(known)) && known[i] == sums[i] {
				if err := flush(from); err != nil {
					return written, nil, err
				}
			} else if runFrom < 0 {
				runFrom = from
			}
		}
		if err := flush(base + int64(len(b.buf))); err != nil {
			return written, nil, err
		}
		if b.first == 0 {
			publishStep("copying")
		}
		free <- b.buf[:cap(b.buf)]
	}
	return written, sums, nil
}

// preadFull fills buf from fd at off.
func preadFull(fd int, buf []byte, off int64) error {
	for len(buf) > 0 {
		n, err := unix.Pread(fd, buf, off)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("the warehouse file ended at %d bytes", off)
		}
		buf, off = buf[n:], off+int64(n)
	}
	return nil
}

// syncDir syncs a folder, so that a rename in it survives a power cut.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
