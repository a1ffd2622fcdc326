// Package testkit holds the helpers that tests of several packages share:
// the quick tier's skip, generated exports, file copies, a log sink safe
// to write from a process's copier, and files built once per test binary
// and copied into each test (templates). It imports no wardstat package,
// so that any package's tests, internal or external, may import it.
package testkit

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// SkipIfShort skips a slow scenario (a kill, a daemon night, memory
// measured over a large input, a stress run, benchmark-sized inputs) under
// -short: `make test-short` is the quick tier, `make test` runs everything.
func SkipIfShort(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		t.Skip("slow: " + why)
	}
}

// WriteNightCSV writes a nightly export of dossiers first..first+n-1 at
// path: those below changedBelow are finished in it (a pending dossier's
// changed state), and every 500th row has an unreadable receipt date (a
// reject).
func WriteNightCSV(t testing.TB, path string, first, n, changedBelow int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := bufio.NewWriter(f)
	fmt.Fprintln(b, "Mã hồ sơ;Hình thức nộp;Ngày tiếp nhận;Ngày hẹn trả;Ngày có kết quả;Trạng thái;Họ tên")
	base := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
	for i := first; i < first+n; i++ {
		r := base.Add(time.Duration(i) * 3 * time.Minute)
		received := r.Format("02/01/2006 15:04:05")
		if i%500 == 499 {
			received = "ngày " + fmt.Sprint(i)
		}
		done, status := "", "Đang xử lý"
		if i < changedBelow {
			done, status = r.AddDate(0, 0, 3).Format("02/01/2006 15:04"), "Đã trả kết quả"
		}
		fmt.Fprintf(b, "K01-%s-%07d;Trực tuyến;%s;%s;%s;%s;Người %d\n", r.Format("060102"), i,
			received, r.AddDate(0, 0, 5).Format("02/01/2006"), done, status, i)
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// CopyFile copies from to to, which gets from's permission bits.
func CopyFile(t testing.TB, from, to string) {
	t.Helper()
	if err := copyFile(from, to); err != nil {
		t.Fatal(err)
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// LockedBuffer is a log sink that a process's output copier or a daemon's
// goroutines write to while the test reads it.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Lines is everything written so far, a line each, without empty ones.
func (l *LockedBuffer) Lines() []string {
	var out []string
	for _, line := range strings.Split(l.String(), "\n") {
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}
