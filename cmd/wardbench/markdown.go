package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

// notesMarker starts the part of BENCHMARKS.md written by hand, which a new
// run keeps.
const notesMarker = "<!-- notes: written by hand, kept by wardbench -->"

func writeMarkdown(path, table string, scale float64) error {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		mem = strings.Fields(strings.SplitN(string(b), "\n", 2)[0])[1] + " kB"
	}
	body := fmt.Sprintf(`# Benchmarks

Measured by `+"`make bench`"+` (`+"`go run ./cmd/wardbench -out BENCHMARKS.md`"+`), which generates its inputs
deterministically, runs every case in its own process (for its peak RSS) and
compares each with its floor **in the same run**.

Machine: %s, %d cores, %s memory, %s/%s, Go %s. Scale %.2g (1 = the issue's sizes).
Date: %s.

%s
Floors: DuckDB's `+"`read_csv`"+` into a typed table with the same columns, excelize's
streaming row iterator reading every row, DuckDB's `+"`read_json`"+`, the same night's
file loaded into an empty warehouse, and the form written by hand over a flat
table of the same 10 M rows. The wardstat cases are end to end: format and
header detection, normalisation, personal-data hashing, rejects, history,
lineage, one transaction.
`, cpu, runtime.NumCPU(), mem, runtime.GOOS, runtime.GOARCH, runtime.Version(), scale, time.Now().Format("2006-01-02"), table)
	// What people wrote under the marker stays.
	if old, err := os.ReadFile(path); err == nil {
		if i := strings.Index(string(old), notesMarker); i >= 0 {
			body += "\n" + string(old[i:])
		}
	}
	return os.WriteFile(path, []byte(body), 0o644)
}
