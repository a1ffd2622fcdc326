package ingest

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// CapCells says whether a cell of a row is over MaxCellBytes, and then
// cuts every cell over faultPrefix bytes to that (on a character's
// boundary): such a row is rejected (FaultTooLong), and never staged whole.
func CapCells(cells []string) bool {
	if !slices.ContainsFunc(cells, func(c string) bool { return len(c) > maxCellBytes }) {
		return false
	}
	for i, c := range cells {
		if n := min(faultPrefix, maxCellBytes); len(c) > n {
			for n > 0 && !utf8.RuneStart(c[n]) {
				n--
			}
			cells[i] = strings.Clone(c[:n])
		}
	}
	return true
}

// RecordLimits are how many lines and bytes one CSV record may take: our
// reader rejects a record past them, and the line scan beside DuckDB's
// reader keeps to the same.
func RecordLimits() (lines, bytes int) { return maxRecordLines, maxRecordBytes }

// SetRecordLimits lowers the limits of a CSV record, for tests to reach
// them with small inputs; the func it returns puts them back.
func SetRecordLimits(lines, bytes int) func() {
	oldLines, oldBytes := maxRecordLines, maxRecordBytes
	maxRecordLines, maxRecordBytes = lines, bytes
	return func() { maxRecordLines, maxRecordBytes = oldLines, oldBytes }
}

// SetStreamWrapperBytes sets the size past which a JSON wrapper's records
// are streamed rather than read whole, for tests to stream small ones;
// the func it returns puts it back.
func SetStreamWrapperBytes(n int64) func() {
	old := streamWrapperBytes
	streamWrapperBytes = n
	return func() { streamWrapperBytes = old }
}
