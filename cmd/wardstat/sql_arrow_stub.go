//go:build !duckdb_arrow

package main

import (
	"context"
	"io"

	"wardstat/warehouse"
)

const arrowBuiltIn = false

// writeArrow is never reached without the duckdb_arrow tag
// (arrowFormatRefused says so first).
func (a *app) writeArrow(context.Context, *warehouse.Warehouse, io.Writer, string) (int, error) {
	return 0, a.arrowFormatRefused("arrow")
}
