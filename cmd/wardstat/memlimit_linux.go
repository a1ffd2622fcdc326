//go:build linux

package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"sync"

	"golang.org/x/sys/unix"
)

// goHeapReserve is mapped for Go's heap before the limit is set: Go never
// unmaps its heap, so it keeps this much to grow into when DuckDB has
// taken the rest, where a new mapping would fail and Go would die
// ("fatal error: runtime: out of memory") instead of DuckDB failing the
// statement with its own error. Its pages go back to the system at once.
// The Go heap's soft limit is set below it.
const goHeapReserve = 128 << 20

// limitDataMemory caps the process's data memory (RLIMIT_DATA: heap and
// private writable mappings, DuckDB's and Go's alike) at n bytes, so that
// an allocation past it fails: DuckDB then ends the statement with its
// own out-of-memory error. DuckDB's memory_limit alone does not count
// every value (a 1 GB repeat(), a list of 200 million numbers).
func limitDataMemory(n uint64) error {
	return limitDataMemoryReserving(n, goHeapReserve)
}

// limitDataMemoryReserving is limitDataMemory with goReserve bytes mapped
// for Go's heap (a Flight SQL worker needs less than goHeapReserve).
func limitDataMemoryReserving(n, goReserve uint64) error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_DATA, &lim); err != nil {
		return err
	}
	if lim.Cur != unix.RLIM_INFINITY && lim.Cur <= n {
		return nil
	}
	warmThreads(runtime.GOMAXPROCS(0) + spareThreads)
	reserve := make([]byte, goReserve)
	runtime.KeepAlive(reserve)
	runtime.GC()
	debug.FreeOSMemory()
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(goReserve) * 3 / 4)
	}
	lim.Cur = n
	if lim.Max != unix.RLIM_INFINITY && lim.Max < n {
		lim.Cur = lim.Max
	}
	return unix.Setrlimit(unix.RLIMIT_DATA, &lim)
}

// fetchReserve is data memory held while DuckDB runs a statement and
// given back before its rows are read. duckdb-go materialises a result
// whole, then copies it out a chunk (2,048 rows) at a time, and takes a
// chunk that DuckDB failed to allocate for the end of the rows: a result
// that filled the limit would come out cut short, silently. With this
// reserve the limit stops the statement while it runs, with DuckDB's own
// error, and the copying has room for a chunk of rows up to 32 KB each.
const fetchReserve = 64 << 20

// holdFetchReserve maps fetchReserve bytes (counted by RLIMIT_DATA, never
// touched) and returns what unmaps them.
func holdFetchReserve() (release func()) {
	b, err := unix.Mmap(-1, 0, fetchReserve, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return func() {}
	}
	return func() { unix.Munmap(b) }
}

// spareThreads is how many threads beyond GOMAXPROCS warmThreads starts:
// one per goroutine that may sit in a cgo call or a system call at once
// (the statement, its watchdog, the terminal, signals), with room to spare.
const spareThreads = 8

// warmThreads makes the Go runtime start n threads now and keep them idle.
// A thread's stack is a private writable mapping, counted by RLIMIT_DATA:
// a thread the runtime starts later, when DuckDB has filled the limit (the
// collector starting its workers while rows are copied out), fails to
// start, and Go aborts the process with "pthread_create failed" and a
// stack dump instead of the statement failing with one line. Go never
// ends an idle thread, so these are the threads it takes later.
func warmThreads(n int) {
	var ready, done sync.WaitGroup
	release := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for range n {
		go func() {
			defer done.Done()
			runtime.LockOSThread() // each one holds a thread of its own
			ready.Done()
			<-release
			runtime.UnlockOSThread()
		}()
	}
	ready.Wait()
	close(release)
	done.Wait()
}
