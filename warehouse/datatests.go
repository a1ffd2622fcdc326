package warehouse

import (
	"context"
	"fmt"
	"strings"

	sqlmodels "wardstat/sql"
)

// DataTestResult is one data test's verdict.
type DataTestResult struct {
	Name     string
	Failures int64
	Examples []string // the first few problems, in words
}

// DataTestError says which data tests failed; outputs must not be published.
type DataTestError struct{ Failed []DataTestResult }

func (e *DataTestError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d data tests failed; nothing was published:", len(e.Failed))
	for _, f := range e.Failed {
		fmt.Fprintf(&b, "\n  %s: %d rows, e.g. %s", f.Name, f.Failures, strings.Join(f.Examples, "; "))
	}
	return b.String()
}

// RunDataTests runs every test in sql/tests and returns their results, and
// a *DataTestError when any found rows.
func (w *Warehouse) RunDataTests(ctx context.Context) ([]DataTestResult, error) {
	var results []DataTestResult
	var failed []DataTestResult
	for _, f := range sqlmodels.Tests() {
		name := strings.TrimSuffix(f.Name, ".sql")
		r := DataTestResult{Name: name}
		if err := w.db.QueryRowContext(ctx, `SELECT count(*) FROM (`+f.Text+`)`).Scan(&r.Failures); err != nil {
			return results, fmt.Errorf("data test %s: %w", name, err)
		}
		if r.Failures > 0 {
			rows, err := w.db.QueryContext(ctx, `SELECT problem FROM (`+f.Text+`) LIMIT 3`)
			if err != nil {
				return results, fmt.Errorf("data test %s: %w", name, err)
			}
			for rows.Next() {
				var p string
				rows.Scan(&p)
				r.Examples = append(r.Examples, p)
			}
			rows.Close()
			failed = append(failed, r)
		}
		results = append(results, r)
	}
	if len(failed) > 0 {
		return results, &DataTestError{Failed: failed}
	}
	return results, nil
}
