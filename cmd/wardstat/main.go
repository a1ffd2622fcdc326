// Command wardstat loads ward one-stop dossier exports into a DuckDB
// warehouse and computes the official periodic report form.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"wardstat/internal/gotune"
)

func main() {
	gotune.Apply()
	sqlDataLimit = sandboxDataLimit // the sql command's hard memory cap (sql.go)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	root := newRootCommand(os.Stdout, os.Stderr)
	err := root.ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "wardstat:", errorLine(err, langOf(root, os.Args[1:])))
		os.Exit(exitCode(err))
	}
}
