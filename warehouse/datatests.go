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
	Examples []string // the first few problems, in words (Vietnamese)
	// ExamplesEN are Examples in English.
	ExamplesEN []string
}

// DataTestError says which data tests failed; outputs must not be published.
type DataTestError struct{ Failed []DataTestResult }

func (e *DataTestError) Error() string { return e.Text("en") }

// Text is the error in lang ("en", else Vietnamese), for msg.Render.
func (e *DataTestError) Text(lang string) string {
	var b strings.Builder
	if lang == "en" {
		fmt.Fprintf(&b, "%d data tests failed; nothing was published:", len(e.Failed))
	} else {
		fmt.Fprintf(&b, "%d kiểm tra dữ liệu không đạt; không công bố gì:", len(e.Failed))
	}
	for _, f := range e.Failed {
		if lang == "en" {
			fmt.Fprintf(&b, "\n  %s: %d rows, e.g. %s", f.Name, f.Failures, strings.Join(f.ExamplesEN, "; "))
		} else {
			fmt.Fprintf(&b, "\n  %s: %d dòng, ví dụ %s", f.Name, f.Failures, strings.Join(f.Examples, "; "))
		}
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
			rows, err := w.db.QueryContext(ctx, `SELECT problem, problem_en FROM (`+f.Text+`) LIMIT 3`)
			if err != nil {
				return results, fmt.Errorf("data test %s: %w", name, err)
			}
			for rows.Next() {
				var p, en string
				rows.Scan(&p, &en)
				r.Examples = append(r.Examples, p)
				r.ExamplesEN = append(r.ExamplesEN, en)
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
