package ingest

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

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

// LaterKeys are the keys of a file of records (each with whether it ever
// held a value other than null) that its first records did not show
// (known), sorted; a key null wherever it is not an object is none (see
// jsonReader.dropNullParents).
func LaterKeys(keys, known map[string]bool) []string {
	var later []string
	for k, valued := range keys {
		if known[k] {
			continue
		}
		if !valued {
			parent := false
			for other := range keys {
				if fieldOf(other, k) {
					parent = true
					break
				}
			}
			if parent {
				continue
			}
		}
		later = append(later, k)
	}
	sort.Strings(later)
	return later
}
