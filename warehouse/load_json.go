package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"wardstat/transform"
)

// JSONPlan says how DuckDB's own JSON reader can stage a file of flat
// records (an array, or one object per line) whose keys the Go reader has
// already mapped from its first records.
type JSONPlan struct {
	Path string
	// NewlineDelimited is true for NDJSON, false for one top-level array.
	NewlineDelimited bool
	Mapping          transform.Mapping // headers are the records' keys
}

// LoadJSON loads a JSON file with DuckDB's reader doing the reading; every
// mapped key is read as text, as the Go reader would hand it over. A file
// DuckDB refuses returns ErrJSONReader: the caller reads it the slow way.
func (w *Warehouse) LoadJSON(ctx context.Context, req LoadRequest, plan JSONPlan, h *transform.Hasher) (LoadResult, error) {
	return w.load(ctx, req, func(ctx context.Context, conn *sql.Conn) (staged, error) {
		hash, err := prepareHashing(conn, plan.Mapping, h)
		if err != nil {
			return staged{}, err
		}
		return staged{mapping: plan.Mapping, sources: []string{jsonSource(plan, hash)}, rowOffset: 1, readerErr: ErrJSONReader}, nil
	})
}

// ErrJSONReader is a file DuckDB's JSON reader could not read as planned.
var ErrJSONReader = fmt.Errorf("DuckDB's JSON reader refused the file")

// jsonSource is DuckDB's JSON reader giving the staged fields as text.
func jsonSource(plan JSONPlan, hashApplicants bool) string {
	m := plan.Mapping
	var cols []string
	keyOf := func(field string) (string, bool) {
		i, ok := m.Columns[field]
		if !ok {
			return "", false
		}
		return fmt.Sprintf("k%03d", i), true
	}
	for i, key := range m.Headers {
		used := false
		for _, c := range m.Columns {
			if c == i {
				used = true
			}
		}
		if used {
			cols = append(cols, fmt.Sprintf("%s: 'VARCHAR'", sqlString(key)))
		}
	}
	first := "NULL::VARCHAR"
	if k, ok := keyOf(transform.DossierCode); ok {
		first = k
	}
	sel := sourceColumns(keyOf, first, hashApplicants)
	// read_json names columns by their keys; rename them to k### so that any
	// key is a safe identifier.
	var renames []string
	for i, key := range m.Headers {
		for _, c := range m.Columns {
			if c == i {
				renames = append(renames, fmt.Sprintf(`"%s" AS k%03d`, strings.ReplaceAll(key, `"`, `""`), i))
				break
			}
		}
	}
	format := "array"
	if plan.NewlineDelimited {
		format = "newline_delimited"
	}
	return fmt.Sprintf(`(SELECT %s FROM (
		SELECT %s FROM read_json(%s, format = '%s', records = true, columns = {%s}, maximum_object_size = 16777216)))`,
		strings.Join(sel, ",\n\t\t"), strings.Join(renames, ", "), sqlString(plan.Path), format, strings.Join(cols, ", "))
}
