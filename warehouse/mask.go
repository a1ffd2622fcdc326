package warehouse

import (
	"context"
	"database/sql"
	"regexp"
	"strings"
	"sync"

	"github.com/duckdb/duckdb-go/v2"

	"wardstat/transform"
)

// registerMask makes ws_mask(field, text) callable on a load's connection:
// the text as it is when shaped like the field's values, else its mask
// (transform.Hasher.MaskCell). Every cell a reject keeps (its value, its
// raw row) and every example a note quotes goes through it, so that a name
// or an ID number that slid into another column is never written in
// clear. h gives the masks' keyed hash; nil leaves it out.
func registerMask(conn *sql.Conn, h *transform.Hasher) error {
	pool := &sync.Pool{New: func() any {
		if h == nil {
			return (*transform.Hasher)(nil)
		}
		return h.Clone()
	}}
	return duckdb.RegisterScalarUDF(conn, "ws_mask", &maskUDF{pool: pool})
}

type maskUDF struct{ pool *sync.Pool }

func (u *maskUDF) Config() duckdb.ScalarFuncConfig {
	v, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{v, v}, ResultTypeInfo: v}
}

func (u *maskUDF) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{ChunkContextExecutor: func(_ context.Context, st *duckdb.ChunkIteratorState) error {
		in := st.GetInputChunk()
		views, out, err := stringVectors(st, 2)
		if err != nil {
			return err
		}
		h := u.pool.Get().(*transform.Hasher)
		defer u.pool.Put(h)
		for r := range in.GetSize() {
			field, okF, err := views[0].GetValueBorrowed(r)
			if err != nil {
				return err
			}
			text, okT, err := views[1].GetValueBorrowed(r)
			if err != nil {
				return err
			}
			if !okF || !okT {
				if err := out.SetNull(r); err != nil {
					return err
				}
				continue
			}
			if err := out.Set(r, h.MaskCell(field, text)); err != nil {
				return err
			}
		}
		return nil
	}}
}

// quotedMasked is a DuckDB error's text fit for a log or a message: the
// line DuckDB quotes from the file ("Original Line: …", "Input: …") is cut
// off, and each quoted text that is not a file's name is masked.
func quotedMasked(msg string) string {
	for _, cut := range []string{"Original Line", "Input:", "input:"} {
		if i := strings.Index(msg, cut); i >= 0 {
			msg = strings.TrimSpace(msg[:i]) + " …"
		}
	}
	return quoted.ReplaceAllStringFunc(msg, func(q string) string {
		inner := q[1 : len(q)-1]
		if inner == "" || strings.ContainsAny(inner, `/\`) && !strings.ContainsRune(inner, ' ') {
			return q
		}
		return q[:1] + (*transform.Hasher)(nil).MaskHeaderCell(inner, false) + q[:1]
	})
}

var quoted = regexp.MustCompile(`"[^"]*"|'[^']*'`)
