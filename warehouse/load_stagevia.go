package warehouse

import (
	"context"
	"database/sql"
	"sync/atomic"
)

// stageArrow stages a Go reader's rows as Arrow record batches
// (load_arrow.go); nil in builds without the duckdb_arrow tag, which
// stage through the appender.
var stageArrow func(ctx context.Context, conn *sql.Conn, src RowSource) (string, error)

// stageByArrow says whether stage uses stageArrow when the build has it.
var stageByArrow atomic.Bool

// StageByArrow makes the loads that follow stage a Go reader's rows as
// Arrow record batches (true) or through DuckDB's appender (false), and
// returns the previous setting. For the benchmark that compares them in
// one process; the default is the faster (ingest/DESIGN.md).
func StageByArrow(on bool) (was bool) { return stageByArrow.Swap(on) }

// StagesByArrow says whether loads stage by Arrow: set, and built with
// the duckdb_arrow tag.
func StagesByArrow() bool { return stageArrow != nil && stageByArrow.Load() }
