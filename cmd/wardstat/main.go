// Command wardstat loads ward one-stop dossier exports into a DuckDB
// warehouse and computes the official periodic report form.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		// Keep the Go heap small beside DuckDB's own capped memory (see BENCHMARKS.md).
		debug.SetMemoryLimit(256 << 20)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCommand(os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "wardstat:", err)
		os.Exit(exitCode(err))
	}
}
