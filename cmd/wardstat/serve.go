package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"wardstat/schedules"
)

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
With a flight: section, it also serves that snapshot over Arrow Flight SQL
(see wardstat flight --help), each new one picked up as it is published.
Logs are JSON lines on standard error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := slog.New(slog.NewJSONHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
			cfg, err := a.loadConfig(config)
			if err != nil {
				return err
			}
			stale := cfg.Flight != nil && snapshotStale(cfg.Warehouse, cfg.Publish)
			r, closeFn, err := a.runner(cmd.Context(), cfg, log, schedules.NewMetrics())
			if err != nil {
				return err
			}
			defer closeFn()
			if stale {
				// The endpoint reads only the snapshot: publish one before it answers.
				if err := r.Publish(cmd.Context()); err != nil {
					return err
				}
				log.Info("snapshot published at start", "path", cfg.Publish)
			}
			daemon := func(ctx context.Context) error {
				return schedules.Serve(ctx, r, schedules.DaemonOptions{Grace: grace})
			}
			if cfg.Flight != nil {
				return a.serveWithFlight(cmd.Context(), cfg, grace, log, daemon)
			}
			return daemon(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "the configuration file")
	cmd.Flags().DurationVar(&grace, "grace", 20*time.Second, "how long running jobs may finish after SIGTERM before they are rolled back")
	return cmd
}
