package warehouse_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wardstat/internal/testkit/whtest"
	"wardstat/pipeline"
	"wardstat/transform"
	"wardstat/warehouse"
)

// mustOpen opens a fresh warehouse in a temp dir (a copy of one migrated
// once per test binary: whtest).
func mustOpen(t testing.TB) *warehouse.Warehouse {
	t.Helper()
	return whtest.Open(t)
}

var testHasher = transform.NewHasher([]byte("test-key"))

// mustIngest loads a file and fails the test on a file-level error.
func mustIngest(t testing.TB, w *warehouse.Warehouse, path string, opt pipeline.FileOptions) warehouse.LoadResult {
	t.Helper()
	if opt.Hasher == nil {
		opt.Hasher = testHasher
	}
	res, err := pipeline.File(context.Background(), w, path, opt)
	if err != nil {
		t.Fatalf("ingest %s: %v", path, err)
	}
	r := res.Result
	if r.AlreadyLoaded == nil && r.Read != r.Loaded+r.Rejected+r.Duplicate {
		t.Fatalf("%s: read %d != loaded %d + rejected %d + duplicate %d", path, r.Read, r.Loaded, r.Rejected, r.Duplicate)
	}
	return r
}

func mustUnits(t testing.TB, w *warehouse.Warehouse, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	units, err := warehouse.ReadUnits(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.ReplaceUnits(context.Background(), units); err != nil {
		t.Fatal(err)
	}
}

// queryList runs a one-column query.
func queryList[T any](t testing.TB, db *sql.DB, q string, args ...any) []T {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

// queryInt runs a one-number query.
func queryInt(t testing.TB, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	return queryOne[int64](t, db, q, args...)
}

// queryOne runs a one-value query.
func queryOne[T any](t testing.TB, db *sql.DB, q string, args ...any) T {
	t.Helper()
	var v T
	if err := db.QueryRow(q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// writeFile writes a test input file and returns its path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// rowsText reads rows whole and closes them: a line a row, fields joined
// by "|", NULL for a NULL.
func rowsText(t testing.TB, rows *sql.Rows) string {
	t.Helper()
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if v == nil {
				parts[i] = "NULL"
			} else {
				parts[i] = fmt.Sprint(v)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, "\n")
}
