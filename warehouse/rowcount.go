package warehouse

/*
#include <stdint.h>
// DuckDB's C API (duckdb.h), linked in by the driver; the driver does not
// expose it. The result is passed as the address of its duckdb_result.
extern uint64_t duckdb_row_count(void *result);
*/
import "C"

import (
	"database/sql"
	"reflect"
	"unsafe"

	"github.com/duckdb/duckdb-go/v2/mapping"
)

// ResultRows is how many rows DuckDB holds for rows, read before any is
// fetched, and false when it cannot tell.
//
// duckdb-go materialises a result whole, then copies it out a chunk at a
// time, and takes a chunk DuckDB failed to copy (out of memory) for the
// end of the rows: the result comes out cut short without an error.
// Comparing the rows read with this count catches it. The driver keeps
// the result in an unexported field, reached here by reflection: a driver
// whose rows change shape gives false (TestResultRows says so).
func ResultRows(rows *sql.Rows) (int64, bool) {
	if rows == nil {
		return 0, false
	}
	rowsi := reflect.ValueOf(rows).Elem().FieldByName("rowsi")
	if !rowsi.IsValid() || rowsi.Kind() != reflect.Interface || rowsi.IsNil() {
		return 0, false
	}
	dr := rowsi.Elem()
	if dr.Kind() != reflect.Pointer || dr.IsNil() || dr.Elem().Kind() != reflect.Struct {
		return 0, false
	}
	res := dr.Elem().FieldByName("res")
	if !res.IsValid() || res.Type() != reflect.TypeOf(mapping.Result{}) || !res.CanAddr() {
		return 0, false
	}
	// A copy of the duckdb_result (C pointers only) is passed: the cgo
	// check refuses the address of a field of a struct holding Go pointers.
	r := *(*mapping.Result)(unsafe.Pointer(res.UnsafeAddr()))
	return int64(C.duckdb_row_count(unsafe.Pointer(&r))), true
}
