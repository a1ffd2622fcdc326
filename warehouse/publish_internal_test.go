//go:build linux

package warehouse

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// publishFixture is a live warehouse with a table of random figures, big
// enough to span many blocks.
func publishFixture(t *testing.T) (*Warehouse, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "live.duckdb")
	w, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	if _, err := w.db.Exec(`CREATE TABLE t AS SELECT i, random() AS v FROM range(1000000) r(i)`); err != nil {
		t.Fatal(err)
	}
	return w, filepath.Join(dir, "snap", "snapshot.duckdb")
}

// change is a night's load: a few rows added, a few recent ones changed.
func change(t *testing.T, w *Warehouse, night int) {
	t.Helper()
	if _, err := w.db.Exec(fmt.Sprintf(`INSERT INTO t SELECT 2000000 + %[1]d * 1000 + i, random() FROM range(1000) r(i);
		UPDATE t SET v = -v WHERE i BETWEEN 990000 + %[1]d * 100 AND 990000 + %[1]d * 100 + 50`, night)); err != nil {
		t.Fatal(err)
	}
}

// liveBytes reads the live file through DuckDB's descriptor (never
// closing it: that would drop the warehouse's lock).
func liveBytes(t *testing.T, path string) []byte {
	t.Helper()
	fd := heldFD(path)
	if fd < 0 {
		t.Fatal("no descriptor of the live file")
	}
	return fdBytes(t, fd)
}

func fdBytes(t *testing.T, fd int) []byte {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, st.Size)
	if err := preadFull(fd, buf, 0); err != nil {
		t.Fatal(err)
	}
	return buf
}

// TestPublishSendsOnlyWhatChanged: a clone is tried first at each publish
// and, on a filesystem without one (ext4, tmpfs), the spare is updated in
// place from the third publish on, writing a small part of the file; after
// each, the snapshot is byte for byte the live file, mode 0640, of the
// group asked for.
func TestPublishSendsOnlyWhatChanged(t *testing.T) {
	w, dest := publishFixture(t)
	var clones int
	var cloneErr error
	real := cloneFile
	cloneFile = func(dst, src int) error { clones++; cloneErr = real(dst, src); return cloneErr }
	t.Cleanup(func() { cloneFile = real })
	ctx := context.Background()
	for night := 1; night <= 5; night++ {
		p, err := w.PublishReport(ctx, dest, os.Getgid())
		if err != nil {
			t.Fatal(err)
		}
		if clones != night {
			t.Fatalf("publish %d: FICLONE tried %d times", night, clones)
		}
		got, err := os.ReadFile(dest)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, liveBytes(t, w.path)) {
			t.Fatalf("publish %d (%s): the snapshot differs from the live file", night, p.How)
		}
		want := "delta"
		switch {
		case cloneErr == nil:
			want = "clone"
		case night <= 2:
			want = "copy" // no spare yet: the second publish keeps the first as one
		}
		if p.How != want || p.Size != int64(len(got)) {
			t.Fatalf("publish %d: %+v (clone: %v), want %s of %d bytes", night, p, cloneErr, want, len(got))
		}
		if want == "delta" && p.Written > p.Size/4 {
			t.Errorf("publish %d wrote %d of %d bytes after a small change", night, p.Written, p.Size)
		}
		var st unix.Stat_t
		if err := unix.Stat(dest, &st); err != nil {
			t.Fatal(err)
		}
		if st.Mode&0o777 != 0o640 || int(st.Gid) != os.Getgid() {
			t.Fatalf("publish %d: mode %o gid %d, want 0640 and %d", night, st.Mode&0o777, st.Gid, os.Getgid())
		}
		t.Logf("publish %d: %s, %d of %d bytes written (FICLONE: %v)", night, p.How, p.Written, p.Size, cloneErr)
		change(t, w, night)
	}
	if cloneErr != nil && !errors.Is(cloneErr, unix.EOPNOTSUPP) && !errors.Is(cloneErr, unix.EXDEV) {
		t.Errorf("FICLONE failed with %v", cloneErr)
	}
}

// readerEnv makes the test binary, run again as a child, a reader of the
// snapshot named in it: it opens it read-only and, at each line on its
// input, prints its figures and the sum of its file's bytes.
const readerEnv = "WARDSTAT_SNAPSHOT_READER"

func TestSnapshotReaderChild(t *testing.T) {
	path := os.Getenv(readerEnv)
	if path == "" {
		t.Skip("run by TestPublishNeverWritesUnderAReader")
	}
	r, err := Open(context.Background(), path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fd := heldFD(path)
	in := bufio.NewScanner(os.Stdin)
	fmt.Println("reader: " + readerLine(t, r, fd))
	for in.Scan() {
		fmt.Println("reader: " + readerLine(t, r, fd))
	}
}

// readerLine is a reader's figures and the sum of its file's bytes.
func readerLine(t *testing.T, r *Warehouse, fd int) string {
	var n int64
	var s float64
	if err := r.db.QueryRow(`SELECT count(*), sum(v) FROM t`).Scan(&n, &s); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d %.6f %x", n, s, sha256.Sum256(fdBytes(t, fd)))
}

// TestPublishNeverWritesUnderAReader: a snapshot held by a DuckDB of this
// process, by one of another process (its shared lock), or by a hard link
// (the Flight server's) keeps its figures and its bytes while the next two
// publishes run, the second of which finds it as the spare: it writes a new
// file instead, and the publish after (the reader gone) is a delta again.
func TestPublishNeverWritesUnderAReader(t *testing.T) {
	for _, holder := range []string{"this process", "another process", "hard link"} {
		t.Run(holder, func(t *testing.T) {
			w, dest := publishFixture(t)
			ctx := context.Background()
			publish := func(want string) {
				t.Helper()
				p, err := w.PublishReport(ctx, dest, -1)
				if err != nil {
					t.Fatal(err)
				}
				if p.How != want && p.How != "clone" {
					t.Fatalf("publish: %s, want %s", p.How, want)
				}
			}
			publish("copy")
			change(t, w, 1)
			publish("copy")
			var check func() string
			switch holder {
			case "this process":
				r, err := Open(ctx, dest, Options{ReadOnly: true})
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				fd := heldFD(dest)
				check = func() string { return readerLine(t, r, fd) }
			case "another process":
				cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
				defer cancel()
				c := exec.CommandContext(cctx, os.Args[0], "-test.run=^TestSnapshotReaderChild$", "-test.count=1", "-test.v")
				c.Env = append(os.Environ(), readerEnv+"="+dest)
				stdin, _ := c.StdinPipe()
				stdout, _ := c.StdoutPipe()
				c.Stderr = os.Stderr
				if err := c.Start(); err != nil {
					t.Fatal(err)
				}
				defer func() { stdin.Close(); c.Wait() }()
				out := bufio.NewScanner(stdout)
				next := func() string {
					for out.Scan() {
						if l, ok := strings.CutPrefix(out.Text(), "reader: "); ok {
							return l
						}
					}
					t.Fatalf("the reader said nothing: %v", out.Err())
					return ""
				}
				first := true
				check = func() string {
					if !first {
						io.WriteString(stdin, "check\n")
					}
					first = false
					return next()
				}
			case "hard link":
				link := filepath.Join(t.TempDir(), "held.duckdb")
				if err := os.Link(dest, link); err != nil {
					t.Fatal(err)
				}
				check = func() string {
					b, err := os.ReadFile(link)
					if err != nil {
						t.Fatal(err)
					}
					return fmt.Sprintf("%x", sha256.Sum256(b))
				}
			}
			before := check()
			for i, want := range []string{"delta", "copy"} {
				change(t, w, 2+i)
				publish(want)
				if got := check(); got != before {
					t.Fatalf("after publish %d the reader sees %s, it saw %s", i+1, got, before)
				}
			}
			change(t, w, 4)
			publish("delta")
		})
	}
}

// killEnv makes the test binary, run again as a child, open the live
// warehouse named in it, change it and publish, stopping at the step named
// in killStepEnv until it is killed.
const (
	killEnv     = "WARDSTAT_PUBLISH_KILLED"
	killStepEnv = "WARDSTAT_PUBLISH_KILL_AT"
)

func TestPublishKilledChild(t *testing.T) {
	path := os.Getenv(killEnv)
	if path == "" {
		t.Skip("run by TestPublishKilledLeavesASnapshot")
	}
	w, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	change(t, w, 9)
	publishStep = func(step string) {
		if step == os.Getenv(killStepEnv) {
			fmt.Println("publish: at " + step)
			time.Sleep(time.Minute)
		}
	}
	_, err = w.PublishReport(context.Background(), filepath.Join(filepath.Dir(path), "snap", "snapshot.duckdb"), -1)
	fmt.Println("publish: ended", err)
}

// TestPublishKilledLeavesASnapshot: a publish killed at each of its steps
// leaves the snapshot the one before (the new one once they are swapped),
// readable, and the next publish is the live file byte for byte.
func TestPublishKilledLeavesASnapshot(t *testing.T) {
	for _, step := range []string{"copying", "written", "described", "swapped"} {
		t.Run(step, func(t *testing.T) {
			w, dest := publishFixture(t)
			ctx := context.Background()
			for night := 1; night <= 2; night++ {
				if _, err := w.PublishReport(ctx, dest, -1); err != nil {
					t.Fatal(err)
				}
				change(t, w, night)
			}
			if _, err := w.PublishReport(ctx, dest, -1); err != nil {
				t.Fatal(err)
			}
			if step == "swapped" {
				// A new file is written only when the spare is held.
				if err := os.Link(filepath.Join(filepath.Dir(dest), ".snapshot.duckdb.spare"), filepath.Join(t.TempDir(), "held")); err != nil {
					t.Fatal(err)
				}
			}
			old := figures(t, dest)
			live := w.path
			w.Close()

			cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			defer cancel()
			c := exec.CommandContext(cctx, os.Args[0], "-test.run=^TestPublishKilledChild$", "-test.count=1", "-test.v")
			c.Env = append(os.Environ(), killEnv+"="+live, killStepEnv+"="+step)
			stdout, _ := c.StdoutPipe()
			c.Stderr = os.Stderr
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			out := bufio.NewScanner(stdout)
			reached := false
			for out.Scan() {
				if out.Text() == "publish: at "+step {
					reached = true
					break
				}
			}
			c.Process.Kill()
			c.Wait()
			if !reached {
				t.Fatalf("the publish never reached %s", step)
			}
			want := old
			if step == "swapped" {
				want = "1003000" // the child's change is published
			}
			if got := figures(t, dest); !strings.HasPrefix(got, want) {
				t.Fatalf("killed at %s, the snapshot holds %s, want %s", step, got, want)
			}

			w2, err := Open(ctx, live, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer w2.Close()
			if _, err := w2.PublishReport(ctx, dest, -1); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(dest)
			if !bytes.Equal(got, liveBytes(t, live)) {
				t.Fatalf("after a publish killed at %s, the next one differs from the live file", step)
			}
		})
	}
}

// figures opens a snapshot read-only and gives its row count and sum.
func figures(t *testing.T, path string) string {
	t.Helper()
	r, err := Open(context.Background(), path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var n int64
	var s float64
	if err := r.db.QueryRow(`SELECT count(*), sum(v) FROM t`).Scan(&n, &s); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d %.6f", n, s)
}

// TestPublishByClone: where FICLONE works (here a stand-in that copies,
// as ext4 has none), the snapshot is the clone, 0640, and the spare of
// earlier publishes is removed.
func TestPublishByClone(t *testing.T) {
	w, dest := publishFixture(t)
	ctx := context.Background()
	for night := 1; night <= 2; night++ {
		if _, err := w.PublishReport(ctx, dest, -1); err != nil {
			t.Fatal(err)
		}
		change(t, w, night)
	}
	real := cloneFile
	t.Cleanup(func() { cloneFile = real })
	cloneFile = func(dst, src int) error {
		b := fdBytes(t, src)
		_, err := unix.Pwrite(dst, b, 0)
		return err
	}
	p, err := w.PublishReport(ctx, dest, -1)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dest)
	if p.How != "clone" || p.Written != 0 || !bytes.Equal(got, liveBytes(t, w.path)) {
		t.Fatalf("%+v: want a clone, byte for byte the live file", p)
	}
	if st, _ := os.Stat(dest); st.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(dest))
	if len(entries) != 1 {
		t.Fatalf("beside a clone: %v", entries)
	}
}
