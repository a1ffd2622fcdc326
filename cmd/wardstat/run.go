package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"wardstat/internal/msg"
	"wardstat/render"
	"wardstat/schedules"
)

func newRunCommand(a *app) *cobra.Command {
	var config, job, source string
	cmd := &cobra.Command{
		Use:   "run --config FILE [--job build|export|report | --source NAME]",
		Short: "Run one pull or job now (or the whole night), for system cron or systemd timers",
		Long: `Run now what the daemon would run on schedule: one source's pull
(--source), one job (--job), or with neither the whole night: every source,
then build, export and report. A failing source does not stop the others;
the exit code is 1 when anything failed. Every run is recorded in job_runs.`,
		Example: `  wardstat run --config wardstat.yml
  wardstat run --config wardstat.yml --source an-binh
  wardstat run --config wardstat.yml --job build`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if job != "" && source != "" {
				return usageError{msg.Errorf("hãy ghi --job hoặc --source, không ghi cả hai", "give --job or --source, not both")}
			}
			r, closeFn, err := a.configRunnerPulling(cmd.Context(), config, source == "" && job == "", []string{source}, a.log, nil)
			if err != nil {
				return err
			}
			defer closeFn()
			switch {
			case source != "":
				res, err := r.Pull(cmd.Context(), source, schedules.TriggerManual, time.Time{})
				a.printPull(res)
				return err
			case job != "":
				if err := r.RunJob(cmd.Context(), job, schedules.TriggerManual, time.Time{}); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, a.t("%s: xong\n", "%s: done\n"), job)
				return nil
			}
			// The runs this night makes: those after the ledger's newest now.
			var since int64
			if before, lerr := r.Runs(cmd.Context(), 1); lerr == nil && len(before) > 0 {
				since = before[0].ID
			}
			err = r.RunAll(cmd.Context())
			a.printRuns(cmd.Context(), r, since)
			return err
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "the configuration file")
	cmd.Flags().StringVar(&job, "job", "", "build, export or report")
	cmd.Flags().StringVar(&source, "source", "", "a source's name")
	return cmd
}

func (a *app) printPull(res schedules.PullResult) {
	for _, f := range res.Files {
		printLoad(a, a.stdout, f)
	}
	fmt.Fprintf(a.stdout, a.t("%s: %s · %d tệp · nạp %d · loại %d\n", "%s: %s · %d files · loaded %d · rejected %d\n"),
		res.Run.Source, a.runStatus(res.Run.Status, false), res.Run.Files, res.Run.RowsLoaded, res.Run.RowsRejected)
}

// printRuns prints the runs after the run numbered since: the ones this
// command made, not the ledger's older ones.
func (a *app) printRuns(ctx context.Context, r *schedules.Runner, since int64) {
	runs, err := r.Runs(ctx, 1000)
	if err != nil {
		return
	}
	res := render.Result{Columns: []string{"run_id", "job", "source", "status", "files", "rows_loaded", "rows_rejected", "error"}}
	for i := len(runs) - 1; i >= 0; i-- {
		x := runs[i]
		if x.ID <= since || x.Trigger != schedules.TriggerManual {
			continue
		}
		res.Rows = append(res.Rows, []any{x.ID, x.Job, x.Source, a.runStatus(x.Status, false), x.Files, x.RowsLoaded, x.RowsRejected, x.Error})
	}
	render.Table(a.stdout, res, "")
}
