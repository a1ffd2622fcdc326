package pipeline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"wardstat/ingest"
)

// jsonKeys reads a whole file of JSON records (an array of objects, or
// one object after another) and returns every key its records hold,
// flattened as our reader flattens them ("procedure.code" for the field
// "code" of the object under "procedure"), each with whether it ever held
// a value other than null. A record's arrays are values, not walked.
//
// DuckDB's JSON reader reads only the keys it is told, and those come from
// the first records our reader read. A key that first appears later (an
// API that leaves out the keys whose value is null, and a date that only
// finished dossiers have) would be silently ignored. This pass, which
// only looks for quotes, brackets and keys, lets the plan know them all.
func jsonKeys(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	text, _ := ingest.DecodeText(bufio.NewReaderSize(f, 1<<20))
	k := &keyScanner{r: bufio.NewReaderSize(text, 1<<20), keys: map[string]bool{}}
	if err := k.records(); err != nil {
		return nil, err
	}
	return k.keys, nil
}

type keyScanner struct {
	r    *bufio.Reader
	keys map[string]bool
	buf  []byte
	// valued holds, for each depth, the path at each position of the last
	// object there whose key is known to hold a value: records repeat
	// their keys in the same order, and a key found where the last record
	// had it needs no lookup.
	valued [][][]byte
}

var errNotRecords = errors.New("not a file of JSON records")

// errKeyTooLarge is a key over ingest.MaxJSONValue.
var errKeyTooLarge = errors.New("a JSON key over the size limit")

// errLongValue is a string over maxCellBytes as written (escapes count):
// DuckDB's reader would stage it with 2,047 others on each thread, so our
// reader reads the file, and rejects its row (FaultTooLong).
var errLongValue = errors.New("a value over the cell size limit")

// next returns the next byte that is not white space.
func (k *keyScanner) next() (byte, error) {
	for {
		b, err := k.r.ReadByte()
		if err != nil {
			return 0, err
		}
		if b != ' ' && b != '\n' && b != '\r' && b != '\t' {
			return b, nil
		}
	}
}

// records reads the top level: an array of records or records in a row.
func (k *keyScanner) records() error {
	b, err := k.next()
	if err == io.EOF {
		return nil // no records
	}
	if err != nil {
		return err
	}
	if b == '[' {
		for {
			b, err := k.next()
			if err != nil {
				return err
			}
			switch b {
			case ']':
				return nil
			case ',':
				continue
			case '{':
				if err := k.object(make([]byte, 0, 64), 0); err != nil {
					return err
				}
			default:
				return errNotRecords
			}
		}
	}
	for {
		if b != '{' {
			return errNotRecords
		}
		if err := k.object(make([]byte, 0, 64), 0); err != nil {
			return err
		}
		if b, err = k.next(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// object reads an object's members after its '{', noting each key under
// prefix (a nested object's path and a dot, or nothing for a record).
func (k *keyScanner) object(prefix []byte, depth int) error {
	if len(k.valued) <= depth {
		k.valued = append(k.valued, nil)
	}
	for pos := 0; ; pos++ {
		b, err := k.next()
		if err != nil {
			return err
		}
		switch b {
		case '}':
			return nil
		case ',':
			pos--
			continue
		case '"':
		default:
			return fmt.Errorf("%w: expected a key, found %q", errNotRecords, b)
		}
		key, err := k.key()
		if err != nil {
			return err
		}
		path := append(prefix, key...) // in prefix's spare room: prefix is not kept
		if b, err = k.next(); err != nil {
			return err
		} else if b != ':' {
			return fmt.Errorf("%w: expected ':' after key %q", errNotRecords, path)
		}
		if b, err = k.next(); err != nil {
			return err
		}
		switch b {
		case '{':
			// A copy for the nested keys to be appended to.
			nested := append(append(make([]byte, 0, len(path)+32), path...), '.')
			if err := k.object(nested, depth+1); err != nil {
				return err
			}
			continue
		}
		if last := k.valued[depth]; pos < len(last) && bytes.Equal(last[pos], path) {
			// As in the last object here: known, with a value.
		} else if b == 'n' {
			if _, seen := k.keys[string(path)]; !seen {
				k.keys[string(path)] = false
			}
		} else {
			if valued, seen := k.keys[string(path)]; !seen || !valued {
				k.keys[string(path)] = true
			}
			for len(k.valued[depth]) <= pos {
				k.valued[depth] = append(k.valued[depth], nil)
			}
			k.valued[depth][pos] = append(k.valued[depth][pos][:0], path...)
		}
		if err := k.skipValue(b); err != nil {
			return err
		}
	}
}

// key reads a key after its opening quote. The bytes are valid until the
// next read.
func (k *keyScanner) key() ([]byte, error) {
	chunk, err := k.r.ReadSlice('"')
	if err == nil && bytes.IndexByte(chunk, '\\') < 0 {
		return chunk[:len(chunk)-1], nil
	}
	// Long or escaped: gathered whole, and unescaped.
	k.buf = append(k.buf[:0], '"')
	k.buf = append(k.buf, chunk...)
	for err == bufio.ErrBufferFull || (err == nil && oddBackslashes(k.buf[:len(k.buf)-1])) {
		if int64(len(k.buf)) > ingest.MaxJSONValue() {
			return nil, errKeyTooLarge // a key no record has: our reader says so
		}
		chunk, err = k.r.ReadSlice('"')
		k.buf = append(k.buf, chunk...)
	}
	if err != nil {
		return nil, err
	}
	var s string
	if err := json.Unmarshal(k.buf, &s); err != nil {
		return nil, err
	}
	return []byte(s), nil
}

// oddBackslashes reports whether b ends in an odd run of backslashes (so
// that the quote after it is escaped).
func oddBackslashes(b []byte) bool {
	n := 0
	for i := len(b) - 1; i >= 0 && b[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// skipString reads past a string after its opening quote.
func (k *keyScanner) skipString() error {
	run := 0  // backslashes ending what was read so far
	size := 0 // the string's bytes as written
	for {
		chunk, err := k.r.ReadSlice('"')
		if size += len(chunk); size > ingest.MaxCellBytes+1 {
			return errLongValue
		}
		if err != nil && err != bufio.ErrBufferFull {
			return err
		}
		body := chunk
		if err == nil {
			body = chunk[:len(chunk)-1]
		}
		n := 0
		for i := len(body) - 1; i >= 0 && body[i] == '\\'; i-- {
			n++
		}
		if n == len(body) {
			n += run
		}
		if err == bufio.ErrBufferFull {
			run = n
			continue
		}
		if n%2 == 0 {
			return nil // an unescaped quote
		}
		run = 0 // an escaped quote ends the run
	}
}

// skipValue reads past a value whose first byte is b: a string, a
// number, true, false, null, or an array (whatever it holds).
func (k *keyScanner) skipValue(b byte) error {
	switch b {
	case '"':
		return k.skipString()
	case '[', '{':
		depth := 1
		for depth > 0 {
			c, err := k.r.ReadByte()
			if err != nil {
				return err
			}
			switch c {
			case '"':
				if err := k.skipString(); err != nil {
					return err
				}
			case '[', '{':
				depth++
			case ']', '}':
				depth--
			}
		}
		return nil
	}
	// A number or a literal: read up to the byte that ends it.
	for {
		c, err := k.r.ReadByte()
		if err != nil {
			return err
		}
		if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t' {
			return k.r.UnreadByte()
		}
	}
}
