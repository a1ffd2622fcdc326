package ingest

// SetStreamWrapperBytes lets tests stream small wrappers.
func SetStreamWrapperBytes(n int64) func() {
	old := streamWrapperBytes
	streamWrapperBytes = n
	return func() { streamWrapperBytes = old }
}
