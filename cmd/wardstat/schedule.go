package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"

	"wardstat/internal/msg"
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

// publishedPath is where a warehouse's snapshot is published by default.
func publishedPath(db string) string {
	return filepath.Join(filepath.Dir(db), "published", filepath.Base(db))
}
