// Package gotune sets the Go runtime for wardstat's work: a small heap
// beside DuckDB's own capped memory, collected seldom.
package gotune

import (
	"os"
	"runtime/debug"
)

// MemoryLimit caps the Go heap (soft): DuckDB has its own memory_limit
// (warehouse.DefaultMemoryLimit), and the two stay under 1 GiB together.
const MemoryLimit = 256 << 20

// GCPercent is how much the heap may grow between collections. wardstat's
// readers stream: little of the heap lives long, and most of what the
// XLSX and JSON readers allocate is garbage by the next row. Collecting at
// 5x the live heap rather than 2x loads a workbook faster with the same
// peak RSS (measured: BENCHMARKS.md, "Why the code is as it is");
// MemoryLimit still bounds the heap.
const GCPercent = 400

// Apply sets both, unless the environment sets them (GOMEMLIMIT, GOGC).
func Apply() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(MemoryLimit)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
}
