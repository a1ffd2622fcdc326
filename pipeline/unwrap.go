package pipeline

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// unwrapJSON copies the records of a large JSON file that holds them
// inside a wrapper object ({"status": …, "data": [{…}, …]}, as ward APIs
// answer) to a new NDJSON file, one record a line, which DuckDB's reader
// reads in parallel: a wrapper is one value to DuckDB, and our reader
// is slower (BENCHMARKS.md). The records are the ones our reader
// finds (seekRecords): the first array, at any depth, whose first element
// is an object; nulls in it are skipped.
//
// The copy holds the applicants' identities in clear: see tempCopy.
func unwrapJSON(path, dir string) (records string, done func(), err error) {
	return tempCopy(path, dir, "wardstat-records-*.ndjson", func(r *bufio.Reader, w *bufio.Writer) error {
		_, err := unwrapRecords(r, w)
		return err
	})
}

// tempCopy writes copy's rewriting of the export at path to a new file,
// to be read by DuckDB by the name it returns (see tempFile).
func tempCopy(path, dir, pattern string, copy func(r *bufio.Reader, w *bufio.Writer) error) (name string, done func(), err error) {
	in, err := os.Open(path)
	if err != nil {
		return "", nil, err
	}
	defer in.Close()
	return tempFile(dir, pattern, func(w *bufio.Writer) error {
		return copy(bufio.NewReaderSize(in, 1<<20), w)
	})
}

// tempFile writes a new file with write, to be read by DuckDB by the name
// it returns. The file holds the applicants' identities in clear (a copy
// or a sample of an export), so it must not outlive the load, even a
// crash: on Linux it is unlinked at once and read through /proc/self/fd,
// and the kernel frees it when done closes it or the process ends;
// elsewhere done removes it. It is made in dir ("": the system's temporary
// directory), readable by its owner only.
func tempFile(dir, pattern string, write func(w *bufio.Writer) error) (name string, done func(), err error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", nil, err
	}
	tmp := f.Name()
	name, done = tmp, func() { f.Close(); os.Remove(tmp) }
	viaFD := fmt.Sprintf("/proc/self/fd/%d", f.Fd())
	if _, serr := os.Stat(viaFD); serr == nil && os.Remove(tmp) == nil {
		name, done = viaFD, func() { f.Close() }
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err = write(w); err == nil {
		err = w.Flush()
	}
	if err != nil {
		done()
		return "", nil, err
	}
	return name, done, nil
}

// errNoRecords is a wrapper that holds no array of objects.
var errNoRecords = errors.New("no array of objects in the wrapper")

// unwrapRecords writes the records of the wrapper object r holds (UTF-8,
// with or without a BOM) to w, a line each, and says how many. It checks
// only what it must to find where each record ends; a record DuckDB then
// finds invalid fails the load, which our reader reads instead.
func unwrapRecords(r *bufio.Reader, w *bufio.Writer) (int, error) {
	if b, _ := r.Peek(3); len(b) == 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		_, _ = r.Discard(3)
	}
	s := &jsonScan{r: r}
	c, err := s.next()
	if err != nil {
		return 0, err
	}
	if c != '{' {
		return 0, fmt.Errorf("offset %d: not a wrapper object", s.off)
	}
	if err := s.seek(); err != nil {
		return 0, err
	}
	n := 0
	for {
		c, err := s.next()
		if err != nil {
			return n, err
		}
		switch c {
		case ',':
		case ']':
			return n, nil
		case '{':
			if err := w.WriteByte('{'); err != nil {
				return n, err
			}
			if err := s.copyRest(w); err != nil {
				return n, err
			}
			if err := w.WriteByte('\n'); err != nil {
				return n, err
			}
			n++
		case 'n':
			if err := s.literal("ull"); err != nil {
				return n, err
			}
		default:
			return n, fmt.Errorf("record %d (offset %d): expected an object, found %q", n+1, s.off, c)
		}
	}
}

// jsonScan reads JSON text through a buffer, keeping its offset: records
// are copied a run of plain bytes at a time, not a byte at a time
// (measured: BENCHMARKS.md, "Why the code is as it is").
type jsonScan struct {
	r   *bufio.Reader
	buf []byte // read, from pos on not yet scanned
	pos int
	off int64 // the input's offset of buf[pos]
}

// more reads the next block into buf; the end of the text is an error, as
// every caller is inside a value.
func (s *jsonScan) more() error {
	if s.buf == nil {
		s.buf = make([]byte, 1<<20)
	}
	n, err := io.ReadFull(s.r, s.buf[:cap(s.buf)])
	s.buf, s.pos = s.buf[:n], 0
	if n > 0 {
		return nil
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("offset %d: the JSON ends inside a value", s.off)
	}
	return err
}

// byte reads the next byte.
func (s *jsonScan) byte() (byte, error) {
	if s.pos == len(s.buf) {
		if err := s.more(); err != nil {
			return 0, err
		}
	}
	c := s.buf[s.pos]
	s.pos++
	s.off++
	return c, nil
}

// unread gives the byte just read back.
func (s *jsonScan) unread() { s.pos--; s.off-- }

// next is the next byte that is not white space.
func (s *jsonScan) next() (byte, error) {
	for {
		c, err := s.byte()
		if err != nil || !isJSONSpace(c) {
			return c, err
		}
	}
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// seek walks the wrapper, past its opening brace, into nested objects, to
// the first array whose first element is an object, and stops after that
// element's opening brace has been given back to the reader (the caller
// reads the records from there). Arrays of anything else are skipped whole.
func (s *jsonScan) seek() error {
	for depth := 1; depth > 0; {
		c, err := s.next()
		if err != nil {
			return err
		}
		switch c {
		case '"':
			if err := s.skipString(); err != nil {
				return err
			}
		case '{':
			depth++
		case '}':
			depth--
		case '[':
			first, err := s.next()
			if err != nil {
				return err
			}
			switch first {
			case ']':
			case '{':
				s.unread()
				return nil
			default:
				s.unread()
				if err := s.copyRest(nil); err != nil {
					return err
				}
			}
		}
	}
	return errNoRecords
}

// copyRest copies the rest of an object or array whose opening bracket
// was just read to w (nil: skips it), on one line: a line break between
// tokens becomes a space. A raw control character in a string is an
// error, as it is to encoding/json. One loop over the buffer, writing
// runs of bytes, not stopping at every quote and brace (BENCHMARKS.md).
func (s *jsonScan) copyRest(w *bufio.Writer) error {
	depth, inString, escaped := 1, false, false
	write := func(b []byte) error {
		if w == nil {
			return nil
		}
		_, err := w.Write(b)
		return err
	}
	for {
		if s.pos == len(s.buf) {
			if err := s.more(); err != nil {
				return err
			}
		}
		b := s.buf[s.pos:]
		from, i := 0, 0 // b[from:i] is scanned and not yet written
		for ; i < len(b); i++ {
			c := b[i]
			if inString {
				switch {
				case escaped:
					escaped = false
					if c < 0x20 {
						return fmt.Errorf("offset %d: a control character inside a string", s.off+int64(i))
					}
				case stringByte[c]:
				case c == '"':
					inString = false
				case c == '\\':
					escaped = true
				default:
					return fmt.Errorf("offset %d: a control character inside a string", s.off+int64(i))
				}
				continue
			}
			if plainByte[c] {
				continue
			}
			switch c {
			case '"':
				inString = true
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					i++
					s.pos += i
					s.off += int64(i)
					return write(b[from:i])
				}
			default: // a line break
				if err := write(b[from:i]); err != nil {
					return err
				}
				if err := write(space); err != nil {
					return err
				}
				from = i + 1
			}
		}
		if err := write(b[from:i]); err != nil {
			return err
		}
		s.pos += i
		s.off += int64(i)
	}
}

var space = []byte{' '}

// plainByte and stringByte are the bytes copyRest copies as they are,
// outside and inside a string.
var plainByte, stringByte [256]bool

func init() {
	for c := range 256 {
		plainByte[c] = !strings.ContainsRune("\"{}[]\n\r", rune(c))
		stringByte[c] = c >= 0x20 && c != '"' && c != '\\'
	}
}

// skipString reads the rest of a string whose opening quote was just read.
func (s *jsonScan) skipString() error {
	for {
		c, err := s.byte()
		if err != nil {
			return err
		}
		switch {
		case c < 0x20:
			return fmt.Errorf("offset %d: a control character inside a string", s.off)
		case c == '"':
			return nil
		case c == '\\':
			if _, err := s.byte(); err != nil {
				return err
			}
		}
	}
}

// literal reads the rest of a literal (null's "ull").
func (s *jsonScan) literal(rest string) error {
	for i := 0; i < len(rest); i++ {
		c, err := s.byte()
		if err != nil {
			return err
		}
		if c != rest[i] {
			return fmt.Errorf("offset %d: invalid literal", s.off)
		}
	}
	return nil
}
