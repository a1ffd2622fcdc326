package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"wardstat/flight"
	"wardstat/warehouse"
)

// A Flight SQL worker runs one statement for the endpoint in a process
// of its own: K workers at most at once, each with workerDataLimit of
// data memory, so that K × the limit and the server stay under 1 GiB
// whatever a statement asks for (DuckDB's memory_limit does not count
// every value). The limit is `wardstat sql`'s RLIMIT_DATA
// (limitDataMemoryReserving) with a smaller share for Go's heap, since a
// worker only passes DuckDB's batches on.
const (
	flightWorkers     = 2
	workerDataLimit   = 448 << 20
	workerGoReserve   = 32 << 20
	workerMemoryLimit = "160MB"
	workerThreads     = 2
)

// flightQueueTimeout is how long a statement waits for a worker (0: the
// flight package's default; tests shorten it).
var flightQueueTimeout time.Duration

// workerEnv is added to a worker's environment (tests: the test binary
// acts as wardstat).
var workerEnv []string

// flightWorkers is the endpoint's workers: this binary in its hidden
// flight-worker mode.
func (a *app) flightWorkers(set flightSettings) *flight.Workers {
	exe, err := os.Executable()
	if err != nil {
		a.log.Warn("flight sql: statements run in the server (no worker)", "err", err)
		return nil
	}
	// The worker's own timeout is a backstop: the server kills it first.
	timeout := set.timeout + 30*time.Second
	return &flight.Workers{
		Max:          flightWorkers,
		DataLimit:    workerDataLimit,
		QueueTimeout: flightQueueTimeout,
		Command: func() *exec.Cmd {
			c := exec.Command(exe, "--lang", a.lang, "flight-worker", "--timeout", timeout.String(), "--max-temp", set.maxTemp)
			// Two malloc arenas: each thread's own arena keeps its pages
			// mapped, counted by the data limit.
			c.Env = append(append(workerEnviron(), "MALLOC_ARENA_MAX=2"), workerEnv...)
			return c
		},
	}
}

// newFlightWorkerCommand is the hidden flight-worker mode: it runs one
// statement read from standard input (flight.RunWorker) and writes its
// result to standard output as an Arrow IPC stream; a failure is one
// line on standard error and exit status 1.
func newFlightWorkerCommand(a *app) *cobra.Command {
	lim := sqlLimits{timeout: defaultStatementTimeout, maxTemp: warehouse.DefaultMaxTempSize}
	cmd := &cobra.Command{
		Use:    "flight-worker",
		Short:  "Run one Flight SQL statement (used by wardstat flight)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.sandbox = true
			a.maxTemp = lim.maxTemp
			hold := func() func() { return func() {} }
			if sqlDataLimit > 0 {
				smallStacks()
				dieWithServer()
				runtime.GOMAXPROCS(min(runtime.GOMAXPROCS(0), 2))
				if err := limitDataMemoryReserving(workerDataLimit, workerGoReserve); err != nil {
					a.log.Debug("no data memory limit", "err", err)
				}
				hold = holdFetchReserve
			}
			// A spare worker waits here for its statement: the timeout
			// begins with the request.
			req, err := io.ReadAll(os.Stdin)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), lim.timeout)
			defer cancel()
			opt := a.sandboxOptions()
			opt.MemoryLimit = workerMemoryLimit
			opt.Threads = min(workerThreads, runtime.NumCPU())
			opt.Checked = true // the server holds the file open, checked
			err = flight.RunWorker(ctx, bytes.NewReader(req), os.Stdout, func(ctx context.Context, path string) (*warehouse.Warehouse, error) {
				return warehouse.Open(ctx, path, opt)
			}, hold)
			fmt.Fprintln(a.stderr, flight.WorkerPeakLine())
			if err == nil {
				return nil
			}
			fmt.Fprintln(a.stderr, a.workerFailure(cmd.Context(), ctx, err, lim))
			os.Exit(1)
			return nil
		},
	}
	cmd.Flags().DurationVar(&lim.timeout, "timeout", lim.timeout, "stop the statement after this")
	cmd.Flags().StringVar(&lim.maxTemp, "max-temp", lim.maxTemp, "temporary disk at most")
	return cmd
}

// workerFailure is a worker's failure line (flight.WorkerFailure): its
// kind and `wardstat sql`'s words for it.
func (a *app) workerFailure(ctx, stmtCtx context.Context, err error, lim sqlLimits) string {
	if flight.ErrBigRow(err) {
		return flight.WorkerFailure(flight.WorkerBigRow, err.Error())
	}
	text := err.Error()
	if flight.OutOfMemory(text) {
		return flight.WorkerFailure(flight.WorkerMemory, text)
	}
	e := a.statementError(ctx, stmtCtx, err, lim)
	var cut cutShortError
	if errors.As(e, &cut) {
		return flight.WorkerFailure(flight.WorkerMemory, text)
	}
	var refused refusedError
	if errors.As(e, &refused) {
		return flight.WorkerFailure(flight.WorkerRefused, flightWords(errorLine(e, a.lang)))
	}
	return flight.WorkerFailure(flight.WorkerError, flightWords(errorLine(e, a.lang)))
}

// workerEnviron is the server's environment without its token: a worker
// runs an analyst's statement and has no use for it.
func workerEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, flight.TokenEnv+"=") {
			env = append(env, kv)
		}
	}
	return env
}
