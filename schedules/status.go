package schedules

import (
	"context"
	"database/sql"
	"fmt"
)

// InterruptedError is the error of a run whose process stopped before
// the run ended.
const InterruptedError = "the process stopped during the run; nothing of an unfinished load was kept"

// Status is what `wardstat status` shows: every source's freshness and
// the latest runs of the ledger, newest first.
type Status struct {
	Sources []SourceHealth
	Runs    []Run
}

// StatusOptions tune Runner.Status.
type StatusOptions struct {
	// Runs is how many of the latest runs to read (0: none).
	Runs int
	// NoWriter says that no process holds the warehouse for writing (the
	// caller holds it for reading): a run the ledger still calls running
	// belongs to a process that stopped, and is told as interrupted, as
	// the next scheduler command will mark it.
	NoWriter bool
}

// Status reads every configured source's freshness and the latest runs.
// It only reads: it runs on a warehouse open read-only, or on the
// published snapshot.
func (r *Runner) Status(ctx context.Context, o StatusOptions) (Status, error) {
	var st Status
	var err error
	if st.Sources, err = r.Health(ctx); err != nil {
		return st, err
	}
	if o.Runs > 0 {
		if st.Runs, err = r.Runs(ctx, o.Runs); err != nil {
			return st, err
		}
	}
	if !o.NoWriter {
		return st, nil
	}
	for i := range st.Runs {
		if x := &st.Runs[i]; x.Status == StatusRunning {
			x.Status, x.Error = StatusInterrupted, InterruptedError
		}
	}
	for i := range st.Sources {
		if h := &st.Sources[i]; h.LastStatus == StatusRunning {
			h.LastStatus, h.LastError = StatusInterrupted, InterruptedError
			h.LastFailure, h.LastFailureError = h.LastRun, InterruptedError
		}
	}
	return st, nil
}

// ConfigFromLedger is a configuration of the sources the ledger of db has
// pulled, in name order, with the default freshness and time zone: what
// `wardstat status` knows without the configuration file.
func ConfigFromLedger(ctx context.Context, db *sql.DB) (*Config, error) {
	rows, err := db.QueryContext(ctx, `SELECT DISTINCT source FROM job_runs WHERE job = 'pull' AND source IS NOT NULL ORDER BY source`)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	defer rows.Close()
	c := &Config{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
		c.Sources = append(c.Sources, Source{Name: name})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	c.applyDefaults()
	return c, nil
}
