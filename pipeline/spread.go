package pipeline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
)

// The typing pass decides each date column's style and each category
// column's texts from a sample, and a row the sample did not foresee is
// read again afterwards. The file's first rows alone are a poor sample of
// an export in date order, the commonest kind: its old dossiers are all
// resolved, and the pending ones, with statuses of their own, come last
// (the file would be typed twice). So the sample also takes a few lines
// from spread places of a large file.
const (
	spreadPlaces = 16
	spreadLines  = 64 // at each place
)

// spreadMinBytes is the size below which a file's first rows are sample
// enough.
var spreadMinBytes int64 = 16 << 20

// spreadTake writes to w, from spreadPlaces places of the file past its
// first skip bytes, up to spreadLines whole lines each that keep passes
// (it gives what to write: the line, or nil to leave it out), reading
// chunk bytes at each place, and says how many it wrote. A place falls
// inside a line: its lines start at the next.
func spreadTake(f io.ReaderAt, size, skip int64, chunk int, keep func(line []byte) []byte, w *bufio.Writer) (int, error) {
	n := 0
	buf := make([]byte, chunk)
	for i := 1; i <= spreadPlaces; i++ {
		got, err := f.ReadAt(buf, skip+(size-skip)*int64(i)/int64(spreadPlaces+1))
		if err != nil && err != io.EOF {
			return n, err
		}
		rest := buf[:got]
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			continue
		}
		rest = rest[nl+1:]
		for taken := 0; taken < spreadLines; {
			end := bytes.IndexByte(rest, '\n')
			if end < 0 {
				break // the rest is not a whole line
			}
			line := keep(rest[:end+1])
			rest = rest[end+1:]
			if line == nil {
				continue
			}
			if _, err := w.Write(line); err != nil {
				return n, err
			}
			taken++
			n++
		}
	}
	return n, nil
}

// writeSpreadLines writes to w the spread lines (spreadTake) of a CSV
// (UTF-8, its first skip bytes not looked at) that look like records of
// width columns: a line holding a quote only when it holds an even number
// of them, or else exactly width-1 delimiters, so that the lines of a cell
// broken over several are left out (mostly: the sample only guides the
// typing, every row is still read in full).
func writeSpreadLines(f io.ReaderAt, size, skip int64, delim byte, width int, w *bufio.Writer) (int, error) {
	return spreadTake(f, size, skip, 64<<10, func(line []byte) []byte {
		quotes := bytes.Count(line, []byte{'"'})
		if quotes%2 == 1 || (quotes == 0 && bytes.Count(line, []byte{delim}) != width-1) ||
			len(bytes.TrimRight(line, "\r\n")) == 0 {
			return nil
		}
		return line
	}, w)
}

// writeSpreadRecords writes to w the spread lines (spreadTake) of a JSON
// file that are a whole JSON object (NDJSON, or an array written a record
// a line, with its commas), a line each. A file written on one line, or a
// record over several lines, gives none: the typing pass then samples its
// first records only.
func writeSpreadRecords(f io.ReaderAt, size int64, w *bufio.Writer) (int, error) {
	return spreadTake(f, size, 0, 256<<10, func(line []byte) []byte {
		line = bytes.TrimSuffix(bytes.TrimPrefix(bytes.TrimSpace(line), []byte(",")), []byte(","))
		if len(line) < 2 || line[0] != '{' || line[len(line)-1] != '}' || !json.Valid(line) {
			return nil
		}
		return append(line[:len(line):len(line)], '\n')
	}, w)
}

// spreadSample writes the spread lines of a large UTF-8 CSV to a file of
// their own, for the typing pass's sample; done removes it. ok is false
// for a small file, or when no line was found.
func spreadSample(path string, skip int, delim rune, width int) (name string, done func(), ok bool) {
	if delim > 0x7f {
		return "", nil, false
	}
	return spreadFile(path, "wardstat-sample-*.csv", func(f *os.File, size int64, w *bufio.Writer) (int, error) {
		// The first skip lines (titles and header) are not looked at.
		skipBytes := skipLines(bufio.NewReader(io.NewSectionReader(f, 0, size)), skip)
		return writeSpreadLines(f, size, skipBytes, byte(delim), width, w)
	})
}

// spreadJSONSample is spreadSample for a file of JSON records (UTF-8).
func spreadJSONSample(path string) (name string, done func(), ok bool) {
	return spreadFile(path, "wardstat-sample-*.ndjson", func(f *os.File, size int64, w *bufio.Writer) (int, error) {
		return writeSpreadRecords(f, size, w)
	})
}

// spreadFile writes what write samples of the file at path, when it is
// spreadMinBytes or larger, to a temporary file, and names it. It holds
// applicants in clear, so it is made as the copies are (tempFile); done
// removes it. ok is false for a small file, or when write found nothing.
func spreadFile(path, pattern string, write func(f *os.File, size int64, w *bufio.Writer) (int, error)) (name string, done func(), ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() < spreadMinBytes {
		return "", nil, false
	}
	var n int
	name, done, err = tempFile("", pattern, func(w *bufio.Writer) error {
		n, err = write(f, st.Size(), w)
		return err
	})
	if err != nil {
		return "", nil, false
	}
	if n == 0 {
		done()
		return "", nil, false
	}
	return name, done, true
}

// skipLines reads past n lines of r, however long, and says how many
// bytes they held.
func skipLines(r *bufio.Reader, n int) int64 {
	var skipped int64
	for range n {
		for {
			line, err := r.ReadSlice('\n')
			skipped += int64(len(line))
			if err != bufio.ErrBufferFull {
				if err != nil {
					return skipped
				}
				break
			}
		}
	}
	return skipped
}
