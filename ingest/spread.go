package ingest

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
// resolved, and the pending ones, with statuses of their own, come last (1 M
// rows took 8.7 s instead of 5 s, typed twice). So the sample also takes a
// few lines from spread places of a large file.
const (
	spreadPlaces = 16
	spreadLines  = 64 // at each place
)

// spreadMinBytes is the size below which a file's first rows are sample
// enough.
var spreadMinBytes int64 = 16 << 20

// writeSpreadLines writes to w, from spreadPlaces places of the file (UTF-8,
// its first skip bytes not looked at), up to spreadLines whole lines each
// that look like records of width columns: a line holding a quote only
// when it holds an even number of them, or else exactly width-1 delimiters,
// so that the lines of a cell broken over several are left out (mostly:
// the sample only guides the typing, every row is still read in full).
func writeSpreadLines(f io.ReaderAt, size, skip int64, delim byte, width int, w *bufio.Writer) (int, error) {
	n := 0
	buf := make([]byte, 64<<10)
	for i := 1; i <= spreadPlaces; i++ {
		at := skip + (size-skip)*int64(i)/int64(spreadPlaces+1)
		got, err := f.ReadAt(buf, at)
		if err != nil && err != io.EOF {
			return n, err
		}
		chunk := buf[:got]
		// The place falls inside a line: start at the next.
		nl := bytes.IndexByte(chunk, '\n')
		if nl < 0 {
			continue
		}
		chunk = chunk[nl+1:]
		for taken := 0; taken < spreadLines; {
			end := bytes.IndexByte(chunk, '\n')
			if end < 0 {
				break // the rest is not a whole line
			}
			line := chunk[:end+1]
			chunk = chunk[end+1:]
			quotes := bytes.Count(line, []byte{'"'})
			if quotes%2 == 1 || (quotes == 0 && bytes.Count(line, []byte{delim}) != width-1) {
				continue
			}
			if len(bytes.TrimRight(line, "\r\n")) == 0 {
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

// spreadSample writes the spread lines of a large UTF-8 CSV to a file of
// their own, for the typing pass's sample; done removes it. It holds
// applicants in clear, so it is made as the copies are (tempCopy). ok is
// false for a small file, or when no line was found.
func spreadSample(path string, skip int, delim rune, width int) (name string, done func(), ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() < spreadMinBytes || delim > 0x7f {
		return "", nil, false
	}
	// The bytes of the first skip lines (titles and header) are not looked at.
	head := bufio.NewReader(io.NewSectionReader(f, 0, st.Size()))
	var skipBytes int64
	for range skip {
		line, err := head.ReadSlice('\n')
		skipBytes += int64(len(line))
		if err != nil {
			break
		}
	}
	var lines int
	name, done, err = tempFile("", "wardstat-sample-*.csv", func(w *bufio.Writer) error {
		lines, err = writeSpreadLines(f, st.Size(), skipBytes, byte(delim), width, w)
		return err
	})
	if err != nil {
		return "", nil, false
	}
	if lines == 0 {
		done()
		return "", nil, false
	}
	return name, done, true
}

// writeSpreadRecords writes to w, from spreadPlaces places of a JSON file,
// up to spreadLines records each, a line each: the lines there that are a
// whole JSON object (NDJSON, or an array written a record a line, with
// its commas). A file written on one line, or a record over several
// lines, gives none: the typing pass then samples its first records only.
func writeSpreadRecords(f io.ReaderAt, size int64, w *bufio.Writer) (int, error) {
	n := 0
	buf := make([]byte, 256<<10)
	for i := 1; i <= spreadPlaces; i++ {
		got, err := f.ReadAt(buf, size*int64(i)/int64(spreadPlaces+1))
		if err != nil && err != io.EOF {
			return n, err
		}
		chunk := buf[:got]
		nl := bytes.IndexByte(chunk, '\n')
		if nl < 0 {
			continue
		}
		chunk = chunk[nl+1:]
		for taken := 0; taken < spreadLines; {
			end := bytes.IndexByte(chunk, '\n')
			if end < 0 {
				break
			}
			line := bytes.TrimSpace(chunk[:end])
			chunk = chunk[end+1:]
			line = bytes.TrimSuffix(bytes.TrimPrefix(line, []byte(",")), []byte(","))
			if len(line) < 2 || line[0] != '{' || line[len(line)-1] != '}' || !json.Valid(line) {
				continue
			}
			w.Write(line)
			if err := w.WriteByte('\n'); err != nil {
				return n, err
			}
			taken++
			n++
		}
	}
	return n, nil
}

// spreadJSONSample is spreadSample for a file of JSON records (UTF-8).
func spreadJSONSample(path string) (name string, done func(), ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() < spreadMinBytes {
		return "", nil, false
	}
	var records int
	name, done, err = tempFile("", "wardstat-sample-*.ndjson", func(w *bufio.Writer) error {
		records, err = writeSpreadRecords(f, st.Size(), w)
		return err
	})
	if err != nil {
		return "", nil, false
	}
	if records == 0 {
		done()
		return "", nil, false
	}
	return name, done, true
}

// strayQuoteNear reports whether the first lines of a CSV's records (its
// first 1 MiB past skip lines) hold a stray quote (strayQuote).
func strayQuoteNear(path string, skip int, delim byte) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for range skip {
		if _, err := r.ReadSlice('\n'); err != nil && err != bufio.ErrBufferFull {
			return false
		}
	}
	buf := make([]byte, 1<<20)
	n, _ := io.ReadFull(r, buf)
	text := buf[:n]
	if end := bytes.LastIndexByte(text, '\n'); end >= 0 && n == len(buf) {
		text = text[:end+1]
	}
	return strayQuote(text, delim)
}
