package schedules

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"wardstat/internal/msg"
	"wardstat/transform"
	"wardstat/warehouse"
)

// Jobs a configuration can schedule besides pulls.
const (
	JobPull   = "pull"
	JobBuild  = "build"
	JobExport = "export"
	JobReport = "report"
)

// Runner runs pulls and jobs against one open warehouse, one writer at a
// time, and records every run in the ledger.
type Runner struct {
	cfg     *Config
	wh      *warehouse.Warehouse
	hasher  *transform.Hasher
	log     *slog.Logger
	metrics *Metrics
	puller  *httpPuller
	ledger  ledger
	mu      sync.Mutex // one load, build or publish at a time
	// writes is the warehouse's writer gate (writer.go): every write
	// holds it shared, a CHECKPOINT (publish) holds it alone.
	writes *sync.RWMutex
	// Now is the clock (tests move it).
	Now func() time.Time
}

// RunnerOptions tune a Runner.
type RunnerOptions struct {
	Logger  *slog.Logger
	Metrics *Metrics
	// HTTPClient pulls sources; nil: a client with TLS verification on.
	HTTPClient *http.Client
	// BackoffBase is the first retry's wait (doubling each try); 0: one second.
	BackoffBase time.Duration
}

// NewRunner prepares a runner over an open warehouse.
func NewRunner(cfg *Config, wh *warehouse.Warehouse, hasher *transform.Hasher, o RunnerOptions) *Runner {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	client := o.HTTPClient
	if client == nil {
		client = &http.Client{}
	}
	base := o.BackoffBase
	if base == 0 {
		base = time.Second
	}
	writes := new(sync.RWMutex)
	return &Runner{
		cfg: cfg, wh: wh, hasher: hasher, log: log, metrics: o.Metrics,
		puller: &httpPuller{client: client, backoffBase: base, workDir: cfg.WorkDir},
		ledger: ledger{db: wh.DB(), loc: cfg.Location(), gate: writes},
		writes: writes,
		Now:    time.Now,
	}
}

func (r *Runner) now() time.Time { return r.Now().In(r.cfg.Location()) }

// ClearWork removes the downloads a stopped process left in the work
// folder (whole exports, applicants in clear, or parts of them) and makes
// the folder its owner's only. Call it, as MarkInterrupted, holding the
// warehouse for writing: no other runner is downloading then.
func (r *Runner) ClearWork() error {
	return clearWork(r.cfg.WorkDir, r.cfg.Sources)
}

// MarkInterrupted closes the ledger rows a stopped process left running.
func (r *Runner) MarkInterrupted(ctx context.Context) (int64, error) {
	return r.ledger.markInterrupted(ctx, r.now())
}

// Health returns every source's freshness now.
func (r *Runner) Health(ctx context.Context) ([]SourceHealth, error) {
	return r.ledger.health(ctx, r.cfg, r.now())
}

// Runs returns the newest runs of the ledger.
func (r *Runner) Runs(ctx context.Context, limit int) ([]Run, error) {
	return r.ledger.recent(ctx, limit)
}

func (r *Runner) refreshFreshness(ctx context.Context) {
	if r.metrics == nil {
		return
	}
	h, err := r.Health(ctx)
	if err != nil {
		return
	}
	r.metrics.setHealth(h)
}

// RunAll runs a whole night by hand: every source, then build, export and
// report where configured. A failing source does not stop the others.
func (r *Runner) RunAll(ctx context.Context) error {
	var failed []string
	for _, s := range r.cfg.Sources {
		if _, err := r.Pull(ctx, s.Name, TriggerManual, time.Time{}); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed = append(failed, s.Name+": "+msg.Render(err, r.cfg.Lang))
		}
	}
	for _, j := range r.configuredJobs() {
		if err := r.RunJob(ctx, j, TriggerManual, time.Time{}); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed = append(failed, j+": "+msg.Render(err, r.cfg.Lang))
		}
	}
	if len(failed) > 0 {
		return msg.Errorf("%d lần chạy của đêm bị lỗi (các lần khác đã xong):\n  %s", "%d of the night's runs failed (the others completed):\n  %s", len(failed), strings.Join(failed, "\n  "))
	}
	return nil
}

func (r *Runner) configuredJobs() []string {
	var out []string
	if r.cfg.Jobs.Build != nil {
		out = append(out, JobBuild)
	}
	if r.cfg.Jobs.Export != nil {
		out = append(out, JobExport)
	}
	if r.cfg.Jobs.Report != nil {
		out = append(out, JobReport)
	}
	return out
}

func (r *Runner) jobSchedule(job string) string {
	switch job {
	case JobBuild:
		return r.cfg.Jobs.Build.Schedule
	case JobExport:
		return r.cfg.Jobs.Export.Schedule
	case JobReport:
		return r.cfg.Jobs.Report.Schedule
	}
	return ""
}
