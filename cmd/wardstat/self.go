package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// self is how a hint names this program so that the command it prints
// works when pasted: "wardstat" when that is this program on the PATH (or
// when not run as a built wardstat: go run, tests), else the path it was
// run by ("./bin/wardstat" after make build, before make install).
func (a *app) self() string {
	exe, err := os.Executable()
	if err != nil || filepath.Base(exe) != "wardstat" {
		return "wardstat"
	}
	if onPath, err := exec.LookPath("wardstat"); err == nil && sameFile(onPath, exe) {
		return "wardstat"
	}
	if arg := os.Args[0]; strings.ContainsRune(arg, filepath.Separator) {
		return shellQuote(arg)
	}
	return shellQuote(exe)
}

func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}

// defaultDBPath is the warehouse a command uses without --db.
func defaultDBPath() string {
	if db := os.Getenv("WARDSTAT_DB"); db != "" {
		return db
	}
	return "wardstat.duckdb"
}
