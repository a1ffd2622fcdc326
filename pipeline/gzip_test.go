package pipeline

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wardstat/ingest"
)

func gzipped(t testing.TB, data []byte) []byte {
	var b bytes.Buffer
	z, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	z.Write(data)
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestGzipBombIsRefused: a gzip file that unpacks past the ratio limit
// (a bomb: 40 MiB of one byte) is refused, naming the limit, and its
// copy stops at the limit (the limits are lowered). A file
// cut short says so.
func TestGzipBombIsRefused(t *testing.T) {
	defer func(a, b, c int64) { maxGunzipped, gzipRatio, gzipRatioFrom = a, b, c }(maxGunzipped, gzipRatio, gzipRatioFrom)
	maxGunzipped, gzipRatio, gzipRatioFrom = 8<<20, 200, 1<<20
	dir := t.TempDir()
	bomb := filepath.Join(dir, "bomb.csv.gz")
	os.WriteFile(bomb, gzipped(t, bytes.Repeat([]byte{','}, 40<<20)), 0o644)
	st, _ := os.Stat(bomb)
	var written int64
	_, _, err := tempCopy(bomb, dir, "probe-*", func(r *bufio.Reader, w *bufio.Writer) error {
		cw := &countingWriter{w: w}
		err := gunzip(r, cw, st.Size())
		written = cw.n
		return err
	})
	if !errors.Is(err, ingest.ErrTooLarge) || written > 200*st.Size()+1 {
		t.Fatalf("a 40 MiB bomb packed into %d bytes: err %v after %d bytes, want refused at 200 times its size", st.Size(), err, written)
	}
	if _, _, err := gunzipCopy(bomb, st.Size()); !errors.Is(err, ingest.ErrTooLarge) || !strings.Contains(err.Error(), "unpacks past wardstat's limit (8.0 MiB, or 200 times its packed size past 1.0 MiB)") {
		t.Errorf("err = %v, want the limits named", err)
	}
	cut := filepath.Join(dir, "cut.csv.gz")
	whole := gzipped(t, []byte(strings.Repeat("Mã hồ sơ,Ngày tiếp nhận\n", 1000)))
	os.WriteFile(cut, whole[:len(whole)/2], 0o644)
	if _, _, err := gunzipCopy(cut, int64(len(whole)/2)); err == nil || !strings.Contains(err.Error(), "cut short or broken") {
		t.Errorf("a cut gzip file: err = %v", err)
	}
}

type countingWriter struct {
	w *bufio.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.w.Write(p)
}

// FuzzGzip: whatever is packed unpacks to itself, and no input, packed
// or not, makes the reader panic or run past its limit.
func FuzzGzip(f *testing.F) {
	f.Add([]byte("Mã hồ sơ,Ngày tiếp nhận\nH08.01-240301-0001,01/03/2024\n"), false)
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}, true)
	f.Fuzz(func(t *testing.T, data []byte, raw bool) {
		in := data
		if !raw {
			in = gzipped(t, data)
		}
		var out bytes.Buffer
		err := gunzip(bytes.NewReader(in), &out, int64(len(in)))
		if !raw && (err != nil || !bytes.Equal(out.Bytes(), data)) {
			t.Fatalf("packed %q, unpacked %q (%v)", data, out.Bytes(), err)
		}
		if int64(out.Len()) > max(gzipRatio*int64(len(in)), gzipRatioFrom)+1 {
			t.Fatalf("unpacked %d bytes from %d", out.Len(), len(in))
		}
	})
}
