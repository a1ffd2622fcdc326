package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"wardstat/transform"
)

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// stagedWards lists the wards of the load's good rows, and warns of those
// missing from the unit registry and of resolved dossiers with no due date.
func stagedWards(ctx context.Context, q querier, m transform.Mapping) ([]string, []Warning, error) {
	rows, err := q.QueryContext(ctx, `SELECT ward_code, count(*), ward_code IN (SELECT code FROM units),
		count(*) FILTER (due_at IS NULL AND completed_at IS NOT NULL)
		FROM stage_checked WHERE reject_code IS NULL GROUP BY 1 ORDER BY 1`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	// A dossier the file holds twice is one dossier (stage_repeats: the
	// merge's count of each repeated code).
	repeated := map[string]int64{}
	if reps, err := q.QueryContext(ctx, `SELECT ward_code, sum(n - 1) FROM stage_repeats GROUP BY 1`); err == nil {
		for reps.Next() {
			var code string
			var n int64
			if err := reps.Scan(&code, &n); err == nil {
				repeated[code] = n
			}
		}
		reps.Close()
	}
	var wards []string
	var unknown []Warning
	var noDue int64
	for rows.Next() {
		var code string
		var n, nd int64
		var known bool
		if err := rows.Scan(&code, &n, &known, &nd); err != nil {
			return nil, nil, err
		}
		wards = append(wards, code)
		noDue += nd
		if !known {
			unknown = append(unknown, Warning{Code: "unknown_ward", Count: n - repeated[code], Example: code})
		}
	}
	var out []Warning
	if noDue > 0 {
		out = append(out, Warning{Code: "no_due_date", Column: m.Column(transform.DueAt), Count: noDue})
	}
	return wards, append(out, unknown...), rows.Err()
}

func firstRejects(ctx context.Context, q querier, loadID int64, n int) ([]Reject, error) {
	rows, err := q.QueryContext(ctx, `SELECT source_row, reason_code, coalesce(column_name, ''), coalesce(value, ''), reason, reason_en
		FROM rejects WHERE load_id = ? ORDER BY source_row LIMIT ?`, loadID, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Reject
	for rows.Next() {
		var r Reject
		if err := rows.Scan(&r.Row, &r.Code, &r.Column, &r.Value, &r.Reason, &r.ReasonEN); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// warnings finds lenient columns with unreadable cells: only rows that
// kept their text can have one.
func warnings(ctx context.Context, q querier, m transform.Mapping) ([]Warning, error) {
	checks := lenientChecks
	var aggs []string
	for _, c := range checks {
		aggs = append(aggs, fmt.Sprintf("count(*) FILTER (%[1]s_raw IS NOT NULL AND %[2]s IS NULL), any_value(ws_mask('%[1]s', %[1]s_raw)) FILTER (%[1]s_raw IS NOT NULL AND %[2]s IS NULL)", c.field, c.parsed))
	}
	n := make([]int64, len(checks))
	ex := make([]sql.NullString, len(checks))
	var dest []any
	for i := range checks {
		dest = append(dest, &n[i], &ex[i])
	}
	// The first rows of each, to name in the note.
	rowLists := make([]any, len(checks))
	for i, c := range checks {
		aggs = append(aggs, fmt.Sprintf("(list(source_row ORDER BY source_row) FILTER (%[1]s_raw IS NOT NULL AND %[2]s IS NULL))[1:%[3]d]", c.field, c.parsed, warnedRows))
		dest = append(dest, &rowLists[i])
	}
	if err := singleRow(ctx, q, `SELECT `+strings.Join(aggs, ", ")+` FROM stage_checked WHERE raw_row IS NOT NULL AND reject_code IS NULL`, dest...); err != nil {
		return nil, fmt.Errorf("checking the load: %w", err)
	}
	var out []Warning
	for i, c := range checks {
		if n[i] > 0 {
			wn := Warning{Code: "unreadable_value", Column: m.Column(c.field), Count: n[i], Example: ex[i].String}
			list, _ := rowLists[i].([]any)
			for _, r := range list {
				if row, ok := r.(int64); ok {
					wn.Rows = append(wn.Rows, row)
				}
			}
			out = append(out, wn)
		}
	}
	return out, nil
}

func singleRow(ctx context.Context, q querier, query string, dest ...any) error {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		return rows.Err()
	}
	return rows.Scan(dest...)
}
