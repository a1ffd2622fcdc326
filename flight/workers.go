package flight

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Workers run each statement in a child process of the server (a
// worker), so that a statement's memory is capped by the worker's own
// data limit (which a long-lived server cannot set on itself) and a
// statement DuckDB cannot interrupt ends with its worker.
type Workers struct {
	// Command is the worker's command line (the wardstat binary in its
	// hidden flight-worker mode); Serve sets its standard streams.
	Command func() *exec.Cmd
	// Max is how many workers run at once; further statements queue.
	Max int
	// DataLimit is each worker's data memory, in bytes (for messages).
	DataLimit uint64
	// QueueTimeout is how long a statement waits for a worker.
	QueueTimeout time.Duration
	// KillGrace is how long a worker has between SIGTERM and SIGKILL.
	KillGrace time.Duration
}

// Worker protocol: the request is an Arrow IPC stream on the worker's
// standard input, its schema's metadata holding the warehouse file and
// the statement, its columns the parameters (one row); the result is an
// Arrow IPC stream on its standard output, in batches the server sends as
// they are (ENUMs as text, at most about maxMessageBytes each). A failure
// is the last line of its standard error, "wardstat-worker: KIND: TEXT",
// and exit status 1.
const (
	reqPath  = "wardstat.path"
	reqQuery = "wardstat.query"

	workerPrefix = "wardstat-worker: "

	// WorkerMemory, WorkerRefused, WorkerBigRow and WorkerError are the
	// kinds of a worker's failure.
	WorkerMemory  = "memory"
	WorkerRefused = "refused"
	WorkerBigRow  = "bigrow"
	WorkerError   = "error"
)

// maxRowBytes caps one row of a result: a batch of one row is sent
// whole, and a gRPC client refuses a message over 4 MiB by default (Go's,
// Python's), failing after the server has sent it; the margin is the
// message's own framing.
const maxRowBytes = 4<<20 - 64<<10

// errBigRow: one row of the result is larger than maxRowBytes.
var errBigRow = errors.New("a row larger than 4 MiB")

// ErrBigRow says whether err is a worker's row over maxRowBytes.
func ErrBigRow(err error) bool { return errors.Is(err, errBigRow) }

// WorkerPeakLine is the line a worker writes on standard error as it
// ends: its own peak resident memory since its exec, which the server
// logs (peakOf) rather than the rusage, which counts the server's memory
// shared before the exec.
func WorkerPeakLine() string {
	return fmt.Sprintf("%s%d", workerPeakPrefix, selfPeakRSSMB())
}

const workerPeakPrefix = "wardstat-worker-peak-rss-mb: "

// peakOf is a worker's own peak from its standard error's tail, else
// the rusage's.
func peakOf(stderr string, ps *os.ProcessState) int64 {
	if i := strings.LastIndex(stderr, workerPeakPrefix); i >= 0 {
		line := stderr[i+len(workerPeakPrefix):]
		if j := strings.IndexByte(line, '\n'); j >= 0 {
			line = line[:j]
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64); err == nil && n > 0 {
			return n
		}
	}
	return peakRSSMB(ps)
}

// WorkerFailure is the line a worker writes last on its standard error
// when it fails.
func WorkerFailure(kind, text string) string {
	return workerPrefix + kind + ": " + strings.ReplaceAll(text, "\n", " ")
}

// OutOfMemory: an error text says a statement ran out of memory
// (DuckDB's memory_limit, the data limit, C++'s or Go's allocation).
func OutOfMemory(text string) bool {
	text = strings.ToLower(text)
	for _, oom := range []string{"out of memory", "cannot allocate memory", "bad_alloc", "failed to allocate", "could not allocate"} {
		if strings.Contains(text, oom) {
			return true
		}
	}
	return false
}
