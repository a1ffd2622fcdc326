package warehouse

import (
	"context"
	"fmt"
	"strings"
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

// RunDataTests runs every test in sql/tests over every dossier and returns
// their results, and a *DataTestError when any found rows.
// RunChangedDataTests gives the same verdict over what changed.
func (w *Warehouse) RunDataTests(ctx context.Context) ([]DataTestResult, error) {
	return w.runTests(ctx, w.db, false)
}

// runTest runs one data test: how many rows break its rule, and the first
// few in words.
func runTest(ctx context.Context, q dbQuerier, name, text string) (DataTestResult, error) {
	r := DataTestResult{Name: name}
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM (`+text+`)`).Scan(&r.Failures); err != nil {
		return r, fmt.Errorf("data test %s: %w", name, err)
	}
	if r.Failures == 0 {
		return r, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT problem, problem_en FROM (`+text+`) LIMIT 3`)
	if err != nil {
		return r, fmt.Errorf("data test %s: %w", name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var p, en string
		if err := rows.Scan(&p, &en); err != nil {
			return r, fmt.Errorf("data test %s: %w", name, err)
		}
		r.Examples = append(r.Examples, p)
		r.ExamplesEN = append(r.ExamplesEN, en)
	}
	return r, rows.Err()
}
