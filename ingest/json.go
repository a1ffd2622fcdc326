package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

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

// jsonHeaderProbe is how many records are read ahead to learn the keys.
const jsonHeaderProbe = 1000

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
	text, enc := decodeText(bufio.NewReaderSize(f, 256*1024))
	j := &jsonReader{f: f, enc: enc, keyIdx: map[string]int{}, valued: map[string]bool{}}
	if st, err := f.Stat(); err == nil {
		j.size = st.Size()
	}
	if err := j.start(bufio.NewReaderSize(text, 64*1024)); err != nil {
		f.Close()
		return nil, err
	}
	for len(j.queue) < jsonHeaderProbe && !j.done && j.dec.InputOffset() < jsonProbeBytes {
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
		return msg.Errorf("JSON không hợp lệ gần byte %d: %v", "not valid JSON near offset %d: %w", j.dec.InputOffset(), err)
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
	limit := bytesText(uint64(maxJSONValue))
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

func decodeObject(b []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var rec map[string]any
	if err := d.Decode(&rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// findRecords finds the first non-empty array of objects in a JSON value.
func findRecords(raw json.RawMessage) ([]map[string]any, bool) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || (t[0] != '[' && t[0] != '{') {
		return nil, false
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(t))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil, false
	}
	return recordsIn(v)
}

// RecordsIn finds the records in a decoded JSON value: the value itself
// when it is an array of objects, else the first non-empty array of objects
// inside it (conventional wrapper keys such as data, items, records first).
func RecordsIn(v any) ([]map[string]any, bool) { return recordsIn(v) }

func recordsIn(v any) ([]map[string]any, bool) {
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			return nil, false
		}
		out := make([]map[string]any, 0, len(x))
		for _, e := range x {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, false
			}
			out = append(out, m)
		}
		return out, true
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		// Prefer the conventional wrapper keys, then any other.
		sort.SliceStable(keys, func(a, b int) bool { return wrapperRank(keys[a]) < wrapperRank(keys[b]) })
		for _, k := range keys {
			if recs, ok := recordsIn(x[k]); ok {
				return recs, true
			}
		}
	}
	return nil, false
}

func wrapperRank(k string) int {
	switch strings.ToLower(k) {
	case "data", "items", "records", "results", "result", "rows", "content", "list", "danhsach", "dossiers", "hoso", "value":
		return 0
	}
	return 1
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
		return msg.Errorf("hồ sơ thứ %d (byte %d): JSON không hợp lệ: %v", "record %d (offset %d): %w", j.n+len(j.queue)+1, j.dec.InputOffset(), err)
	}
	if rec != nil {
		j.queue = append(j.queue, rec)
	} else {
		j.nulls = true
	}
	return nil
}

// learnKeys adds a record's new keys to the header, and returns the
// record flattened.
func (j *jsonReader) learnKeys(rec map[string]any) map[string]*string {
	if !j.oddKeys && hasOddKey(rec) {
		j.oddKeys = true
	}
	flat := flatten(rec)
	names := make([]string, 0, len(flat))
	for k, v := range flat {
		if v != nil {
			j.valued[k] = true
		}
		if _, ok := j.keyIdx[k]; !ok && (v != nil || !j.isParent(k)) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		j.keyIdx[k] = len(j.keys)
		j.keys = append(j.keys, k)
	}
	return flat
}

// dropNullParents forgets the keys that were null wherever they were not
// an object ("applyMethod": null beside "applyMethod": {"name": …}): the
// object's fields are the columns, and the bare key, empty in every
// record, would only draw a field's mapping away from them.
func (j *jsonReader) dropNullParents() {
	kept := j.keys[:0]
	for _, k := range j.keys {
		if j.valued[k] || !j.isParent(k) {
			kept = append(kept, k)
		}
	}
	j.keys = kept
	clear(j.keyIdx)
	for i, k := range j.keys {
		j.keyIdx[k] = i
	}
}

// isParent reports whether a known key is a field of an object under k.
func (j *jsonReader) isParent(k string) bool {
	for _, key := range j.keys {
		if fieldOf(key, k) {
			return true
		}
	}
	return false
}

// fieldOf reports whether the flattened key names a field of the object
// under parent ("procedure.code" of "procedure").
func fieldOf(key, parent string) bool {
	return len(key) > len(parent) && key[len(parent)] == '.' && strings.HasPrefix(key, parent)
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

// hasOddKey reports whether a record holds, at any depth, a key that its
// flattened name would not give back (see jsonReader.oddKeys).
func hasOddKey(rec map[string]any) bool {
	for k, v := range rec {
		if strings.ContainsAny(k, `."\`) {
			return true
		}
		if m, ok := v.(map[string]any); ok && hasOddKey(m) {
			return true
		}
	}
	return false
}

// flatten turns a record into dotted keys and text values; a null is nil.
func flatten(rec map[string]any) map[string]*string {
	out := make(map[string]*string, len(rec))
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(prefix+"."+k, e)
			}
		case nil:
			out[prefix] = nil
		default:
			t := jsonText(x)
			out[prefix] = &t
		}
	}
	for k, v := range rec {
		walk(k, v)
	}
	return out
}

func jsonText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func (j *jsonReader) Close() error { return j.f.Close() }
