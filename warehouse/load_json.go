package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"wardstat/transform"
)

// JSONPlan says how DuckDB's own JSON reader can stage a file of records
// (an array, or one object per line) whose keys the Go reader has already
// mapped from its first records.
type JSONPlan struct {
	Path string
	// NewlineDelimited is true for NDJSON, false for one top-level array.
	NewlineDelimited bool
	// Mapping's headers are the records' keys, a nested object's as our
	// reader flattens them: "procedure.code" is the field "code" of the
	// object under the key "procedure".
	Mapping transform.Mapping
	// Check, if set, reads the whole file beside the typing pass: the
	// headers come from the first records, and a key that appears only
	// later and would change the mapping must stop the load (an error
	// wrapping ErrJSONReader: our reader, whose header grows, reads it).
	Check func() error
	// Sample, if set, is a file of records from across the file (NDJSON)
	// that the typing pass adds to its sample of the first records.
	Sample string
}

// loadJSON loads a JSON file with DuckDB's reader doing the reading; every
// mapped key is read as text, as the Go reader would hand it over. A file
// DuckDB refuses returns ErrJSONReader: the caller reads it the slow way.
func (w *Warehouse) loadJSON(ctx context.Context, req LoadRequest, plan JSONPlan, h *transform.Hasher) (LoadResult, error) {
	return w.load(ctx, req, func(ctx context.Context, conn *sql.Conn) (staged, error) {
		hash, err := prepareHashing(conn, plan.Mapping, h)
		if err != nil {
			return staged{}, err
		}
		st := staged{mapping: plan.Mapping, sources: []string{jsonSource(plan, hash)}, rowOffset: 1, readerErr: ErrJSONReader}
		if plan.Check != nil {
			st.beside = func() ([]RowFix, error) { return nil, plan.Check() }
		}
		if plan.Sample != "" {
			spread := plan
			spread.Path, spread.NewlineDelimited = plan.Sample, true
			st.sample = jsonSource(spread, hash)
		}
		return st, nil
	})
}

// ErrJSONReader is a file DuckDB's JSON reader could not read as planned.
var ErrJSONReader = fmt.Errorf("DuckDB's JSON reader refused the file")

// jsonSource is DuckDB's JSON reader giving the staged fields as text.
// A flat key is read as a text column; a nested one ("a.b.c") from its
// top-level key read as a STRUCT of the mapped fields only, which DuckDB
// fills as it parses (a JSON column would be parsed again per field). A
// record whose key holds a value where an object is expected
// makes DuckDB refuse the file, which then goes to our reader.
func jsonSource(plan JSONPlan, hashApplicants bool) string {
	m := plan.Mapping
	keyOf := func(field string) (string, bool) {
		i, ok := m.Columns[field]
		if !ok {
			return "", false
		}
		return fmt.Sprintf("k%03d", i), true
	}
	used := map[int]bool{}
	for _, c := range m.Columns {
		used[c] = true
	}
	// read_json names columns by their keys; each read key is given as
	// k### so that any key is a safe identifier.
	var tops []*jsonKey
	byName := map[string]*jsonKey{}
	var reads []string
	for i, key := range m.Headers {
		if !used[i] {
			continue
		}
		path := strings.Split(key, ".")
		top, ok := byName[path[0]]
		if !ok {
			top = &jsonKey{name: path[0]}
			byName[path[0]] = top
			tops = append(tops, top)
		}
		top.add(path[1:])
		expr := sqlIdent(path[0])
		for _, seg := range path[1:] {
			expr = fmt.Sprintf("struct_extract(%s, %s)", expr, sqlString(seg))
		}
		reads = append(reads, fmt.Sprintf("%s AS k%03d", expr, i))
	}
	cols := make([]string, len(tops))
	for i, top := range tops {
		cols[i] = fmt.Sprintf("%s: %s", sqlString(top.name), sqlString(top.typ()))
	}
	first := "NULL::VARCHAR"
	if k, ok := keyOf(transform.DossierCode); ok {
		first = k
	}
	sel := sourceColumns(keyOf, first, hashApplicants)
	format := "array"
	if plan.NewlineDelimited {
		format = "newline_delimited"
	}
	return fmt.Sprintf(`(SELECT %s FROM (
		SELECT %s FROM read_json(%s, format = '%s', records = true, columns = {%s}, maximum_object_size = %d)))`,
		strings.Join(sel, ",\n\t\t"), strings.Join(reads, ", "), sqlString(plan.Path), format, strings.Join(cols, ", "), MaxJSONObjectBytes)
}

// MaxJSONObjectBytes is the largest record DuckDB's JSON reader is given:
// it reads and types 2,048 records at a time on each thread, so 2,100
// records of 1 MB each took 2.1 GB of RSS. A larger record makes the
// reader fail, and the file goes to ours, which rejects a row holding a
// cell over ingest.MaxCellBytes (64 KiB) and reads the others.
const MaxJSONObjectBytes = 256 << 10

// jsonKey is a key read from the records, with the fields read inside it
// when it holds an object.
type jsonKey struct {
	name   string
	fields []*jsonKey
}

func (k *jsonKey) add(path []string) {
	if len(path) == 0 {
		return
	}
	for _, f := range k.fields {
		if f.name == path[0] {
			f.add(path[1:])
			return
		}
	}
	f := &jsonKey{name: path[0]}
	k.fields = append(k.fields, f)
	f.add(path[1:])
}

// typ is the type DuckDB reads the key as: its text, or a STRUCT of the
// fields read inside it.
func (k *jsonKey) typ() string {
	if len(k.fields) == 0 {
		return "VARCHAR"
	}
	parts := make([]string, len(k.fields))
	for i, f := range k.fields {
		parts[i] = sqlIdent(f.name) + " " + f.typ()
	}
	return "STRUCT(" + strings.Join(parts, ", ") + ")"
}

// sqlIdent quotes an identifier.
func sqlIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
