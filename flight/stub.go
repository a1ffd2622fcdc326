//go:build !duckdb_arrow

package flight

import "context"

// BuiltIn says whether this wardstat can serve Flight SQL: not without
// the duckdb_arrow build tag.
const BuiltIn = false

// Serve says that this wardstat cannot serve Flight SQL (ErrNotBuiltIn).
func Serve(context.Context, Source, Options) error { return ErrNotBuiltIn }
