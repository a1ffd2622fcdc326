package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"wardstat/internal/msg"
	"wardstat/transform"
)

// jsonReader reads records from JSON in the shapes ward APIs return: an
// array of objects, newline-delimited objects (NDJSON), or an object that
// wraps the array under any key at any depth ({"data": {"items": [...]}}).
// Nested objects are flattened to dotted keys ("applicant.name"); arrays
// inside a record are kept as their JSON text.
type jsonReader struct {
	f       *os.File
	size    int64 // bytes in the file
	dec     *json.Decoder
	queue   []map[string]any // records decoded but not yet sent
	keys    []string
	keyIdx  map[string]int
	sent    int  // header keys already sent
	n       int  // records sent
	stream  bool // records come one after another (NDJSON), not inside an array
	inArr   bool // the decoder is inside the records array
	wrapped bool // the records came out of a wrapper object
	enc     Encoding
	// nulls: a null stood among the records; it is no record to us, but
	// DuckDB's reader would count it as a row.
	nulls bool
	// oddKeys: some record holds a key with a dot, a quote or a
	// backslash, which the flattened names cannot tell from nesting.
	oddKeys bool
	// valued are the keys seen holding a value other than null.
	valued map[string]bool
	// flat is queue[0] flattened, when Next has learnt its keys.
	flat map[string]*string
	done bool
}

var _ Reader = (*jsonReader)(nil)

// JSONHeaderProbe is how many records are read ahead to learn the keys.
const JSONHeaderProbe = 1000

// jsonProbeBytes bounds the read-ahead by size: 1,000 records of 500 KB
// held 500 MB. Keys first seen past the probe grow the header as they
// come, as past 1,000 records.
var jsonProbeBytes int64 = 8 << 20

// OpenJSON opens a JSON or NDJSON file.
func OpenJSON(path string) (Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	text, enc := DecodeText(bufio.NewReaderSize(f, 256*1024))
	j := &jsonReader{f: f, enc: enc, keyIdx: map[string]int{}, valued: map[string]bool{}}
	if st, err := f.Stat(); err == nil {
		j.size = st.Size()
	}
	if err := j.start(bufio.NewReaderSize(text, 64*1024)); err != nil {
		f.Close()
		return nil, err
	}
	for len(j.queue) < JSONHeaderProbe && !j.done && j.dec.InputOffset() < jsonProbeBytes {
		if err := j.fill(); err != nil {
			f.Close()
			return nil, err
		}
	}
	for _, rec := range j.queue {
		j.learnKeys(rec)
	}
	j.dropNullParents()
	if len(j.keys) == 0 && j.done {
		f.Close()
		return nil, msg.Errorf("không có hồ sơ: tệp JSON không có mảng đối tượng nào: %w", "no records: the JSON holds no array of objects: %w", ErrEmpty)
	}
	return j, nil
}

// start positions the decoder at the first record. An array is streamed
// record by record. An object followed by more objects is NDJSON; a lone
// object is a wrapper around the records array (read whole) or, holding no
// array of objects, a single record.
func (j *jsonReader) start(text *bufio.Reader) error {
	j.dec = json.NewDecoder(&valueGuard{r: text, j: j})
	j.dec.UseNumber()
	for {
		b, err := text.Peek(1)
		if err != nil {
			return ErrEmpty
		}
		if b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n' {
			_, _ = text.Discard(1)
			continue
		}
		if b[0] == '[' {
			if _, err := j.dec.Token(); err != nil {
				return err
			}
			j.inArr = true
			return nil
		}
		break
	}
	if j.size > streamWrapperBytes && !looksNDJSON(text) {
		// A large wrapper is walked, not read whole: its records stream.
		return j.seekRecords()
	}
	var first json.RawMessage
	if err := j.dec.Decode(&first); err != nil {
		if errors.Is(err, errValueTooLarge) {
			return jsonTooLarge("giá trị đầu tiên", "the first value")
		}
		return msg.Errorf("JSON không hợp lệ gần byte %d (tệp hỏng hay bị cắt ngắn? hãy xuất lại tệp); lỗi gốc: %v", "not valid JSON near offset %d (a damaged or truncated file? export it again); the cause: %w", j.dec.InputOffset(), err)
	}
	return j.classify(first)
}

// streamWrapperBytes is the size above which a wrapper object is walked
// token by token to the first array of objects, rather than read whole
// (which would hold every record in memory at once). Smaller wrappers are
// read whole, which lets the conventional keys (data, items…) win over an
// earlier array of objects such as a list of errors.
var streamWrapperBytes int64 = 32 << 20

// looksNDJSON reports whether the first line is a whole JSON object with
// another object after it.
func looksNDJSON(text *bufio.Reader) bool {
	head, _ := text.Peek(1 << 20)
	i := bytes.IndexByte(head, '\n')
	if i < 0 || !json.Valid(head[:i]) {
		return false
	}
	rest := bytes.TrimLeft(head[i:], " \t\r\n")
	return len(rest) > 0 && rest[0] == '{'
}

// maxJSONValue is the most bytes one value of a JSON file may take (a
// record of an array or a stream, or a wrapper read whole, which is at
// most streamWrapperBytes): json.Decoder reads a value whole into memory,
// so a 2 GiB string would take several times that. Tests lower it.
var maxJSONValue int64 = 64 << 20

// MaxJSONValue is the most bytes one value of a JSON file may take:
// maxJSONValue, which tests lower.
func MaxJSONValue() int64 { return maxJSONValue }

// errValueTooLarge is a JSON value over maxJSONValue.
var errValueTooLarge = errors.New("a JSON value over the size limit")

// valueGuard hands the decoder the file's text, and refuses to hand it
// more than maxJSONValue bytes past the start of the value it decodes.
type valueGuard struct {
	r    io.Reader
	j    *jsonReader
	read int64 // bytes handed to the decoder
}

func (g *valueGuard) Read(p []byte) (int, error) {
	if g.read-g.j.dec.InputOffset() > maxJSONValue {
		return 0, errValueTooLarge
	}
	n, err := g.r.Read(p)
	g.read += int64(n)
	return n, err
}

func jsonTooLarge(vi, en string) error {
	limit := BytesText(uint64(maxJSONValue))
	return tooLarge(
		fmt.Sprintf("%s của tệp JSON dài hơn %s, quá giới hạn của wardstat; hãy xuất lại tệp, hoặc bỏ trường quá dài (tệp đính kèm, ảnh…)", vi, limit),
		fmt.Sprintf("%s of the JSON file is longer than %s, past wardstat's limit; export it again, or leave out the oversized field (an attachment, an image…)", en, limit))
}

// seekRecords walks an object, into nested objects, to the first array
// whose first element is an object, and leaves the decoder inside it with
// that element queued.
func (j *jsonReader) seekRecords() error {
	if _, err := j.dec.Token(); err != nil { // the opening brace
		return fmt.Errorf("offset %d: %w", j.dec.InputOffset(), err)
	}
	for depth := 1; depth > 0; {
		tok, err := j.dec.Token()
		if errors.Is(err, errValueTooLarge) {
			return jsonTooLarge(fmt.Sprintf("một giá trị gần vị trí %d", j.dec.InputOffset()), fmt.Sprintf("a value near offset %d", j.dec.InputOffset()))
		}
		if err != nil {
			return fmt.Errorf("offset %d: %w", j.dec.InputOffset(), err)
		}
		switch tok {
		case json.Delim('{'):
			depth++
		case json.Delim('}'):
			depth--
		case json.Delim('['):
			if !j.dec.More() {
				j.dec.Token() // an empty array
				continue
			}
			var first json.RawMessage
			if err := j.dec.Decode(&first); err != nil {
				if errors.Is(err, errValueTooLarge) {
					return jsonTooLarge("hồ sơ thứ 1", "record 1")
				}
				return fmt.Errorf("offset %d: %w", j.dec.InputOffset(), err)
			}
			if t := bytes.TrimSpace(first); len(t) > 0 && t[0] == '{' {
				rec, err := decodeObject(t)
				if err != nil {
					return err
				}
				j.queue = append(j.queue, rec)
				j.inArr, j.wrapped = true, true
				return nil
			}
			for j.dec.More() { // an array of scalars: skip it
				var skip json.RawMessage
				if err := j.dec.Decode(&skip); err != nil {
					if errors.Is(err, errValueTooLarge) {
						return jsonTooLarge(fmt.Sprintf("một giá trị gần vị trí %d", j.dec.InputOffset()), fmt.Sprintf("a value near offset %d", j.dec.InputOffset()))
					}
					return err
				}
			}
			j.dec.Token()
		}
	}
	j.done = true // no array of objects: no records
	return nil
}

func (j *jsonReader) classify(first json.RawMessage) error {
	t := bytes.TrimSpace(first)
	switch {
	case len(t) > 0 && t[0] == '{':
		if j.dec.More() {
			rec, err := decodeObject(t)
			if err != nil {
				return err
			}
			j.queue = append(j.queue, rec)
			j.stream = true
			return nil
		}
		if recs, ok := findRecords(t); ok {
			j.queue = append(j.queue, recs...)
			j.wrapped = true
		} else {
			rec, err := decodeObject(t)
			if err != nil {
				return err
			}
			j.queue = append(j.queue, rec)
		}
		j.done = true
		return nil
	}
	// The scalar is quoted only when it cannot be an applicant's data.
	quoted := string(t)
	if len(t) > 0 && t[0] == '"' || !transform.ShapedLike(transform.Fee, quoted) {
		quoted = (*transform.Hasher)(nil).Mask(quoted)
	}
	return msg.Errorf("tệp chứa %.40q, không phải mảng hay đối tượng chứa hồ sơ", "the file holds %.40q, not an array or object of records", quoted)
}

// fill decodes the next record into the queue, or sets done.
func (j *jsonReader) fill() error {
	if j.done {
		return nil
	}
	if j.inArr {
		if !j.dec.More() {
			// The records array must close: a download cut short would
			// otherwise lose its last records without a word.
			if _, err := j.dec.Token(); err != nil {
				return msg.Errorf("tệp kết thúc sau hồ sơ thứ %d, trước khi mảng hồ sơ đóng: tệp bị cắt cụt? Hãy xuất hoặc tải lại",
					"the file ends after record %d, before its records array closes: was it cut short? Export or download it again", j.n+len(j.queue))
			}
			j.done = true
			return nil
		}
	}
	var rec map[string]any
	if err := j.dec.Decode(&rec); err != nil {
		if err == io.EOF && j.stream {
			j.done = true
			return nil
		}
		if errors.Is(err, errValueTooLarge) {
			return jsonTooLarge(fmt.Sprintf("hồ sơ thứ %d", j.n+len(j.queue)+1), fmt.Sprintf("record %d", j.n+len(j.queue)+1))
		}
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return msg.Errorf("hồ sơ thứ %d: cần một đối tượng, gặp %s", "record %d: expected an object, found a %s", j.n+len(j.queue)+1, ute.Value)
		}
		return msg.Errorf("hồ sơ thứ %d (byte %d): JSON không hợp lệ (tệp hỏng hay bị cắt ngắn? hãy xuất lại tệp); lỗi gốc: %v", "record %d (offset %d): not valid JSON (a damaged or truncated file? export it again); the cause: %w", j.n+len(j.queue)+1, j.dec.InputOffset(), err)
	}
	if rec != nil {
		j.queue = append(j.queue, rec)
	} else {
		j.nulls = true
	}
	return nil
}

func (j *jsonReader) Next() (Record, error) {
	if len(j.keys) > j.sent {
		j.sent = len(j.keys)
		return Record{Header: true, Cells: append([]string(nil), j.keys...)}, nil
	}
	if len(j.queue) == 0 {
		// A null in the records array is no record: read on past it.
		for len(j.queue) == 0 && !j.done {
			if err := j.fill(); err != nil {
				return Record{}, err
			}
		}
		if len(j.queue) == 0 {
			return Record{}, io.EOF
		}
		// Flattened once, to learn its keys and to give its cells.
		j.flat = j.learnKeys(j.queue[0])
		if len(j.keys) > j.sent {
			return j.Next()
		}
	}
	rec := j.queue[0]
	j.queue = j.queue[1:]
	j.n++
	flat := j.flat
	if flat == nil {
		flat = flatten(rec) // a record read ahead with the first ones
	}
	j.flat = nil
	cells := make([]string, len(j.keys))
	for k, v := range flat {
		if i, ok := j.keyIdx[k]; ok && v != nil {
			cells[i] = *v
		}
	}
	return Record{Line: j.n, Cells: cells}, nil
}

func (j *jsonReader) Close() error { return j.f.Close() }

// JSONLayout is how a JSON file holds its records, for DuckDB's reader to
// read them in place of ours (the JSON reader's DuckDBLayout).
type JSONLayout struct {
	// NewlineDelimited: one record after another (NDJSON); else one
	// top-level array.
	NewlineDelimited bool
	// Wrapped: the records are an array inside a wrapper object, too
	// large to be read whole: they must be copied out a record a line
	// (NDJSON) first, since DuckDB reads a wrapper as one value.
	Wrapped bool
	// Complete: the records read to learn the keys were all of them: no
	// key can appear later.
	Complete bool
	// UTF8: the text is UTF-8 (with or without a BOM), which DuckDB reads
	// as it is.
	UTF8 bool
}

// DuckDBLayout says whether DuckDB's JSON reader can read this file's
// records as ours reads them, and how they are laid out. It cannot read: a
// wrapper small enough to be read whole (ours picks its records by their
// key, data or items first), nor one in UTF-16 or a legacy encoding; a
// file with a null among its records outside a wrapper (no record to us,
// but a row to DuckDB, which numbers the records after it one more); nor
// keys holding a dot, a quote or a backslash, which the flattened names
// cannot tell from nesting. Asked once the header is read.
func (j *jsonReader) DuckDBLayout() (JSONLayout, bool) {
	utf8 := j.enc == UTF8 || j.enc == UTF8BOM
	if !(j.inArr || j.stream) || j.oddKeys || (j.nulls && !j.wrapped) || (j.wrapped && (j.done || !utf8)) {
		return JSONLayout{}, false
	}
	return JSONLayout{NewlineDelimited: j.stream, Wrapped: j.wrapped, Complete: j.done, UTF8: utf8}, true
}
