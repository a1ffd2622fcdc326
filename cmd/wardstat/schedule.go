package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"wardstat/internal/msg"
	"wardstat/render"
	"wardstat/schedules"
	"wardstat/transform"
	"wardstat/warehouse"
)

// loadConfig reads --config for a command that pulls (its secrets'
// variables must be set) and points the warehouse flags at it.
func (a *app) loadConfig(path string) (*schedules.Config, error) {
	return a.readConfig(path, schedules.LoadConfig)
}

// loadConfigOffline reads --config for a command that pulls nothing
// (check, status): the secrets' variables need not be set.
func (a *app) loadConfigOffline(path string) (*schedules.Config, error) {
	return a.readConfig(path, schedules.LoadConfigOffline)
}

func (a *app) readConfig(path string, load func(string) (*schedules.Config, error)) (*schedules.Config, error) {
	if path == "" {
		return nil, usageError{msg.Errorf("hãy chỉ tệp cấu hình bằng --config TỆP (xem wardstat check --help)", "name the configuration with --config FILE (see wardstat check --help)")}
	}
	cfg, err := load(path)
	if err != nil {
		return nil, err
	}
	a.dbPath, a.publish = cfg.Warehouse, cfg.Publish
	if cfg.Lang != "" && !a.langSet {
		a.lang = cfg.Lang
	}
	return cfg, nil
}

// configRunner reads a configuration and opens its runner.
func (a *app) configRunner(ctx context.Context, path string, log *slog.Logger, m *schedules.Metrics) (*schedules.Runner, func(), error) {
	cfg, err := a.loadConfig(path)
	if err != nil {
		return nil, nil, err
	}
	return a.runner(ctx, cfg, log, m)
}

// runner opens the warehouse for writing and prepares a runner.
func (a *app) runner(ctx context.Context, cfg *schedules.Config, log *slog.Logger, m *schedules.Metrics) (*schedules.Runner, func(), error) {
	w, err := warehouse.Open(ctx, cfg.Warehouse, warehouse.Options{Logger: log})
	if err != nil {
		return nil, nil, a.heldByDaemon(err)
	}
	if cfg.PIIKeyEnv != "" && os.Getenv(transform.KeyEnv) == "" {
		os.Setenv(transform.KeyEnv, os.Getenv(cfg.PIIKeyEnv))
	}
	h, err := a.hasher(ctx, w)
	if err != nil {
		w.Close()
		return nil, nil, err
	}
	r := schedules.NewRunner(cfg, w, h, schedules.RunnerOptions{Logger: log, Metrics: m})
	if _, err := r.MarkInterrupted(ctx); err != nil {
		w.Close()
		return nil, nil, err
	}
	if err := r.ClearWork(); err != nil {
		w.Close()
		return nil, nil, err
	}
	return r, func() { w.Close() }, nil
}

func newCheckCommand(a *app) *cobra.Command {
	var config string
	cmd := &cobra.Command{
		Use:   "check --config FILE",
		Short: "Validate a configuration file offline",
		Long: `Validate a configuration file without touching the network or the
warehouse, and print every problem with its line. The secrets' variables
(token_env, pii_key_env) need not be set where check or status run: check
notes those that are not; serve and run refuse to start without them (run
--source and backfill need only that source's token, run --job no token).

A configuration (YAML; unknown keys are errors; paths are relative to the file):

  warehouse: wardstat.duckdb          # the DuckDB file
  publish: published/wardstat.duckdb  # the read-only copy analysts query (this default)
  # publish_group: analysts           # who may read it (mode 0640); default: the daemon's group
  units: units.csv                    # unit registry, imported by the build job
  listen: 127.0.0.1:9464              # /healthz, /metrics, /runs
  timezone: Asia/Ho_Chi_Minh          # of the schedules
  pii_key_env: WARDSTAT_PII_KEY       # where the applicant-hash key comes from
  sources:
    - name: an-binh
      ward: 000.31.09.H26
      url: https://igate.example.vn/export?from={from}&to={to}
      token_env: ANBINH_TOKEN         # a bearer token, from the environment only
      window_days: 90                 # {from} = today - 90 days, {to} = today
      pagination: {type: page, param: page}   # or {type: next, next_field: links.next}
      timeout: 60s
      retries: 3                      # after a failed request; 0: none
      max_bytes: 1073741824
      schedule: "0 1 * * *"           # cron; "CRON_TZ=… " or a seconds field allowed
      freshness: {warn: 2d, error: 7d}
    - name: phu-my
      path: drop/phu-my/              # a drop folder: loaded files move to done/ or failed/
      format: auto                    # auto | csv | xlsx | xls | json | html
      map: {received_at: "Ngày nhận HS"}
      settle: 5s                      # a dropped file must stop growing this long
      schedule: "*/15 * * * *"
  jobs:
    build:  {schedule: "30 2 * * *"}                  # unit registry + publish the snapshot
    export: {schedule: "0 3 * * *", out: parquet}     # Parquet marts
    report: {schedule: "0 6 * * *", out: reports}     # the form as XLSX, source freshness`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfigOffline(config)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, a.t("%s hợp lệ: %d nguồn, kho %s\n", "%s is valid: %d sources, warehouse %s\n"), config, len(cfg.Sources), cfg.Warehouse)
			for _, m := range cfg.MissingSecrets() {
				fmt.Fprintf(a.stderr, a.t("lưu ý: %s dòng %d (%s): biến môi trường %s chưa được đặt ở đây; serve, run và backfill cần nó\n",
					"note: %s line %d (%s): the environment variable %s is not set here; serve, run and backfill need it\n"),
					config, m.Line, strings.TrimPrefix(m.Path, "$."), m.Variable)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "the configuration file")
	return cmd
}

func newServeCommand(a *app) *cobra.Command {
	var config string
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "serve --config FILE",
		Short: "Run the nightly schedules as a daemon",
		Long: `Run every source's pull and the build, export and report jobs on their
cron schedules, until SIGTERM or Ctrl-C. A run missed while the daemon was
down runs once when it starts. Each run is recorded in the job_runs table.

While it runs the daemon holds the warehouse; analysts query the snapshot
it publishes after each build (wardstat sql falls back to it by itself).
HTTP on the listen address: /healthz, /metrics (Prometheus), /runs (JSON).
Logs are JSON lines on standard error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := slog.New(slog.NewJSONHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
			r, closeFn, err := a.configRunner(cmd.Context(), config, log, schedules.NewMetrics())
			if err != nil {
				return err
			}
			defer closeFn()
			return schedules.Serve(cmd.Context(), r, schedules.DaemonOptions{Grace: grace})
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "the configuration file")
	cmd.Flags().DurationVar(&grace, "grace", 20*time.Second, "how long running jobs may finish after SIGTERM before they are rolled back")
	return cmd
}

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
			err = r.RunAll(cmd.Context())
			a.printRuns(cmd.Context(), r)
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
		res.Run.Source, res.Run.Status, res.Run.Files, res.Run.RowsLoaded, res.Run.RowsRejected)
}

func (a *app) printRuns(ctx context.Context, r *schedules.Runner) {
	runs, err := r.Runs(ctx, 50)
	if err != nil {
		return
	}
	res := render.Result{Columns: []string{"run_id", "job", "source", "status", "files", "rows_loaded", "rows_rejected", "error"}}
	for i := len(runs) - 1; i >= 0; i-- {
		x := runs[i]
		if x.Trigger != schedules.TriggerManual || time.Since(x.StartedAt) > 24*time.Hour+time.Hour*8 {
			continue
		}
		res.Rows = append(res.Rows, []any{x.ID, x.Job, x.Source, x.Status, x.Files, x.RowsLoaded, x.RowsRejected, x.Error})
	}
	render.Table(a.stdout, res, "")
}

func newBackfillCommand(a *app) *cobra.Command {
	var config, source, from, to string
	var step int
	cmd := &cobra.Command{
		Use:   "backfill --config FILE --source NAME --from YYYY-MM-DD --to YYYY-MM-DD",
		Short: "Re-pull a date range from a source whose URL takes {from} and {to}",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := time.Parse(time.DateOnly, from)
			if err != nil {
				return usageError{msg.Errorf("--from %q: hãy ghi ngày dạng YYYY-MM-DD", "--from %q: write the date as YYYY-MM-DD", from)}
			}
			t, err := time.Parse(time.DateOnly, to)
			if err != nil || t.Before(f) {
				return usageError{msg.Errorf("--to %q: hãy ghi ngày dạng YYYY-MM-DD, không trước --from", "--to %q: write the date as YYYY-MM-DD, not before --from", to)}
			}
			r, closeFn, err := a.configRunnerPulling(cmd.Context(), config, false, []string{source}, a.log, nil)
			if err != nil {
				return err
			}
			defer closeFn()
			results, err := r.Backfill(cmd.Context(), source, f, t, step)
			for _, res := range results {
				a.printPull(res)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "the configuration file")
	cmd.Flags().StringVar(&source, "source", "", "the source to re-pull")
	cmd.Flags().StringVar(&from, "from", "", "first day")
	cmd.Flags().StringVar(&to, "to", "", "last day")
	cmd.Flags().IntVar(&step, "step-days", 31, "days per request")
	return cmd
}

// publishedPath is where a warehouse's snapshot is published by default.
func publishedPath(db string) string {
	return filepath.Join(filepath.Dir(db), "published", filepath.Base(db))
}
