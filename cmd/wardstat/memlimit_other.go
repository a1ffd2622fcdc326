//go:build !linux

package main

// limitDataMemory is a no-op where RLIMIT_DATA does not count mappings
// (only Linux since 4.7 does): the sandbox then relies on DuckDB's
// memory_limit, the Go heap's soft limit and its own caps.
func limitDataMemory(uint64) error { return nil }

func limitDataMemoryReserving(uint64, uint64) error { return nil }

func holdFetchReserve() (release func()) { return func() {} }
