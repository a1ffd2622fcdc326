package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"time"

	"wardstat/transform"
)

// staged is what a stager hands the load: how the file's columns map, how
// many title rows it skipped, and where its cells can be read as text.
type staged struct {
	mapping transform.Mapping
	skipped int
	// sources are SQL relations giving every staged field as a text column,
	// tried in order until DuckDB reads one through.
	sources []string
	// rowOffset makes a row's number from its position: rowid + rowOffset.
	// Negative: the relation has its own source_row column.
	rowOffset int64
	// beside, if set, reads the whole file beside the typing pass (the
	// load calls it in a goroutine, and stops if it fails): in a CSV it
	// finds what adds to rowOffset from some positions on (blank lines and
	// cells that span lines); in JSON it checks that no key the plan does
	// not know changes the mapping.
	beside func() ([]RowFix, error)
	// readerErr is returned, wrapped, when no source reads.
	readerErr error
	// sample, if set, gives rows from across the file (as sources do) to
	// add to the sample of its first rows.
	sample string
	// faults is set when the source may hold rows its reader could not
	// read as written (transform.RowFault: our reader's).
	faults bool
	// decomposed is set when the sample's text holds letters written as a
	// base and its marks (Unicode NFD, as macOS and some web forms write
	// Vietnamese): the text fields are then composed (NFC) as they are
	// typed.
	decomposed bool
	// uncounted is the SQL list of the statuses the figures leave out
	// (uncountedStatuses), read by the typing pass.
	uncounted string
}

// sampleRows is how many rows of a file decide its date styles and the
// category texts parsed up front. The rest of the file is parsed against
// them; a text they miss is parsed afterwards, once per distinct text.
const sampleRows = 4000

// typeStage turns the staged text into temp.stage_typed in one pass over the
// source: each date column through the strptime format its sample reads
// best, each category column through the texts its sample holds. A cell
// those miss is left NULL and its row keeps its text (raw_row), for the full
// parsers to read afterwards (fixUp), once per distinct text.
func (w *Warehouse) typeStage(ctx context.Context, conn *sql.Conn, st staged, wardFlag string) (*typedStage, error) {
	var lastErr error
	for _, src := range st.sources {
		ts, err := w.typeStageFrom(ctx, conn, src, st, wardFlag)
		if err == nil {
			return ts, nil
		}
		lastErr = err
		w.log.Debug("DuckDB could not read the source", "err", quotedMasked(firstLine(err.Error())))
		if st.readerErr == nil || ctx.Err() != nil {
			return nil, err
		}
	}
	if st.readerErr != nil {
		return nil, fmt.Errorf("%w: %v", st.readerErr, quotedMasked(firstLine(lastErr.Error())))
	}
	return nil, lastErr
}

// typedStage is what the typing pass made: the columns of stage_typed
// (stored or not).
type typedStage struct {
	cols []stageColumn
	// orders are the order of day and month of each date column
	// (dateOrders), in which the full parser reads what the pass left.
	orders map[string]string
	// typing is what the sample decided, for LoadResult.
	typing Typing
}

// stored reports whether stage_typed stores a column.
func (ts *typedStage) stored(name string) bool {
	for _, c := range ts.cols {
		if c.name == name {
			return !c.absent
		}
	}
	return false
}

func (w *Warehouse) typeStageFrom(ctx context.Context, conn *sql.Conn, src string, st staged, wardFlag string) (*typedStage, error) {
	// The sample is the file's first rows, and stage_typed's row ids are
	// its positions: both need DuckDB to keep the source's order.
	if _, err := conn.ExecContext(ctx, "SET preserve_insertion_order = true"); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE stage_sample AS SELECT * FROM %s LIMIT %d`, src, sampleRows)); err != nil {
		return nil, fmt.Errorf("sampling: %w", err)
	}
	if st.sample != "" {
		// Only a guide: a sample DuckDB cannot read is left out.
		if _, err := conn.ExecContext(ctx, `INSERT INTO stage_sample SELECT * FROM `+st.sample); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("sampling: %w", err)
			}
			w.log.Debug("the lines sampled across the file could not be read", "err", quotedMasked(firstLine(err.Error())))
		}
	}
	began := time.Now()
	styles, evidence, err := dateStyles(ctx, conn)
	if err != nil {
		return nil, err
	}
	orders := dateOrders(evidence)
	w.log.Debug("sampled dates", "seconds", time.Since(began).Seconds(), "styles", styles, "orders", orders)
	cats := map[string][]literal{}
	for _, c := range categories {
		if _, ok := st.mapping.Columns[c.field]; !ok && c.field != transform.Channel {
			continue
		}
		if cats[c.field], err = sampleLiterals(ctx, conn, c); err != nil {
			return nil, err
		}
	}
	if _, ok := st.mapping.Columns[transform.Fee]; ok {
		if cats[transform.Fee], err = sampleFeeLiterals(ctx, conn); err != nil {
			return nil, err
		}
	}
	var feeTexts []string
	for _, l := range cats[transform.Fee] {
		feeTexts = append(feeTexts, (*transform.Hasher)(nil).MaskCell(transform.Fee, l.raw))
	}
	w.log.Debug("sampled categories", "seconds", time.Since(began).Seconds(), "fee_texts", feeTexts)
	if st.decomposed, err = decomposedText(ctx, conn, st.mapping); err != nil {
		return nil, err
	}
	if st.uncounted, err = uncountedStatuses(ctx, conn); err != nil {
		return nil, err
	}
	q, cols := typedStageQuery(src, st, styles, cats, wardFlag)
	if err := profile(ctx, conn, "05_type"); err != nil {
		return nil, err
	}
	if os.Getenv("WARDSTAT_PROFILE") != "" {
		w.log.Debug("typing", "query", q)
	}
	if err := w.typeInOrder(ctx, conn, q); err != nil {
		return nil, fmt.Errorf("typing the staged rows: %w", err)
	}
	if err := profile(ctx, conn, ""); err != nil {
		return nil, err
	}
	// A file whose first rows did not show its categories or dates (sorted
	// by channel or status) leaves every later row's to the fix-up, which
	// reads them row by row, far slower. When many rows kept
	// their text, those rows are sampled, and all typed again, once.
	ts := &typedStage{cols: cols, orders: orders}
	again, err := resample(ctx, conn, ts, st.mapping, styles, evidence, cats)
	if err != nil {
		return nil, err
	}
	if again {
		w.log.Debug("typing again: categories or date styles past the sample", "orders", ts.orders)
		q, cols = typedStageQuery(src, st, styles, cats, wardFlag)
		if err := w.typeInOrder(ctx, conn, q); err != nil {
			return nil, fmt.Errorf("typing the staged rows: %w", err)
		}
		ts.cols = cols
	}
	ts.typing = Typing{DateStyles: styles, FeeTexts: feeTexts, TypedAgain: again}
	return ts, nil
}

// typeInOrder runs the typing pass (q, a CREATE TABLE AS), keeping the
// source's order: stage_typed's row ids are the rows' positions, from which
// every dossier's and reject's line is told. DuckDB keeps the order of a
// parallel CREATE TABLE AS only when every operator of its plan carries the
// source's batches (BATCH_CREATE_TABLE_AS); one that does not, such as the
// join DuckDB makes of an IN of five constants, let the threads write in
// any order, and a 127 k-row file's rows were numbered 43,788 lines off
// with no error. So the plan is looked at first (a few milliseconds), and
// a plan that would lose the order runs on one thread, which keeps it.
func (w *Warehouse) typeInOrder(ctx context.Context, conn *sql.Conn, q string) error {
	ordered, err := keepsOrder(ctx, conn, q)
	if err != nil {
		return err
	}
	if !ordered {
		w.log.Warn("the typing pass runs on one thread: its plan would not keep the rows' order")
		if _, err := conn.ExecContext(ctx, "SET threads = 1"); err != nil {
			return err
		}
		defer conn.ExecContext(context.Background(), "RESET threads")
	}
	_, err = conn.ExecContext(ctx, q)
	return err
}

// keepsOrder says whether DuckDB's plan for a CREATE TABLE AS q writes the
// rows in the source's order in parallel (BATCH_CREATE_TABLE_AS).
func keepsOrder(ctx context.Context, conn *sql.Conn, q string) (bool, error) {
	rows, err := conn.QueryContext(ctx, "EXPLAIN "+q)
	if err != nil {
		return false, fmt.Errorf("planning: %w", err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var key, value string
		if err := rows.Scan(&key, &value); err != nil {
			return false, fmt.Errorf("planning: %w", err)
		}
		plan.WriteString(value)
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("planning: %w", err)
	}
	return strings.Contains(plan.String(), "BATCH_CREATE_TABLE_AS"), nil
}
