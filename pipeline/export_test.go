package pipeline

// SetMaxRowFixes lets tests reach the row-fix limit with small files.
func SetMaxRowFixes(n int) func() {
	old := maxRowFixes
	maxRowFixes = n
	return func() { maxRowFixes = old }
}

// SetSpreadMinBytes lets tests sample small files across.
func SetSpreadMinBytes(n int64) func() {
	old := spreadMinBytes
	spreadMinBytes = n
	return func() { spreadMinBytes = old }
}
