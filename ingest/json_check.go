package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
)

// What our JSON reader makes of records, for the scans that read a file
// of records beside it (the key scan, the copy of a wrapper's records) to
// be held to it: their fuzz tests compare with these.

// DecodeRecord decodes one JSON object as our reader decodes a record
// (numbers kept as written).
func DecodeRecord(b []byte) (map[string]any, error) { return decodeObject(b) }

// FlattenRecord flattens a record as our reader does: a nested object's
// fields under dotted keys ("procedure.code"), each value as its text, nil
// for null.
func FlattenRecord(rec map[string]any) map[string]*string { return flatten(rec) }

// StreamedRecords are the records our reader streams out of a UTF-8
// wrapper object; ok is false where it does not stream them (not a
// wrapper, not UTF-8, a file it refuses).
func StreamedRecords(data []byte) (recs []map[string]any, ok bool) {
	j := &jsonReader{keyIdx: map[string]int{}, valued: map[string]bool{}}
	text, enc := DecodeText(bufio.NewReader(bytes.NewReader(data)))
	if enc != UTF8 && enc != UTF8BOM {
		return nil, false
	}
	j.dec = json.NewDecoder(text)
	j.dec.UseNumber()
	if err := j.seekRecords(); err != nil || !j.wrapped {
		return nil, false
	}
	for !j.done {
		if err := j.fill(); err != nil {
			return nil, false
		}
	}
	return j.queue, true
}
