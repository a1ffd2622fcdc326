//go:build !duckdb_arrow

package flight

import (
	"context"
	"io"

	"wardstat/warehouse"
)

// BuiltIn says whether this wardstat can serve Flight SQL: not without
// the duckdb_arrow build tag.
const BuiltIn = false

// Serve says that this wardstat cannot serve Flight SQL (ErrNotBuiltIn).
func Serve(context.Context, Source, Options) error { return ErrNotBuiltIn }

// RunWorker says that this wardstat cannot serve Flight SQL.
func RunWorker(context.Context, io.Reader, io.Writer, func(context.Context, string) (*warehouse.Warehouse, error), func() func()) error {
	return ErrNotBuiltIn
}
