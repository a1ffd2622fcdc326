package warehouse

import (
	"context"
	"database/sql"
	"fmt"
)

// Partitioned COPY keeps a Parquet writer, with a row group being
// buffered, open for each partition it has rows for, up to
// partitioned_write_max_open_files (100) and flushing only every
// partitioned_write_flush_threshold (524,288) rows: a first export of
// 10 M dossiers over ten years (120 month partitions of ~30 columns) ran
// out of DuckDB's 512 MB ("failed to pin block", make bench-scale at
// 10 M). Fewer open files and earlier flushes bound it whatever the
// history's length (a partition's chunk met again gets another file).
// The rows' order within a partition is no promise of the lake's (its
// fingerprints are sums), so the write does not keep the query's order:
// DuckDB then writes partitions from every thread without reordering,
// about half the time of an ordered partitioned write (BENCHMARKS.md,
// "Scale"). The caller puts the setting back (restorePartitionedWrite).
const (
	lakeMaxOpenFiles    = 16
	lakeFlushThresholdN = 65_536
)

func boundPartitionedWrite(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`SET partitioned_write_max_open_files = %d; SET partitioned_write_flush_threshold = %d; SET preserve_insertion_order = false`,
		lakeMaxOpenFiles, lakeFlushThresholdN)); err != nil {
		return fmt.Errorf("bounding the lake's partitioned write: %w", err)
	}
	return nil
}

// restorePartitionedWrite puts back the connection's insertion order for
// what it runs after the partitioned write.
func restorePartitionedWrite(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, `RESET preserve_insertion_order`)
	return err
}
