package schedules

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"wardstat/ingest"
	"wardstat/internal/atomicfile"
	"wardstat/internal/msg"
	"wardstat/report"
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

// PullResult is what one pull did.
type PullResult struct {
	Files    []ingest.FileResult
	Failures []error
	Run      Run
}

// Pull pulls one source and loads what it brought. scheduledFor is the
// cron time the run stands for (zero for a run by hand).
func (r *Runner) Pull(ctx context.Context, name, trigger string, scheduledFor time.Time) (PullResult, error) {
	src, err := r.cfg.Source(name)
	if err != nil {
		return PullResult{}, err
	}
	to := r.now()
	return r.pullWindow(ctx, src, trigger, scheduledFor, to.AddDate(0, 0, -src.WindowDays), to)
}

// Backfill re-pulls a date range from a source whose URL takes {from}/{to},
// one window of stepDays at a time.
func (r *Runner) Backfill(ctx context.Context, name string, from, to time.Time, stepDays int) ([]PullResult, error) {
	src, err := r.cfg.Source(name)
	if err != nil {
		return nil, err
	}
	if src.URL == "" || !strings.Contains(src.URL, "{from}") {
		return nil, fmt.Errorf("source %s cannot be backfilled: its url has no {from} placeholder", name)
	}
	if stepDays <= 0 {
		stepDays = 31
	}
	var out []PullResult
	for start := from; !start.After(to); start = start.AddDate(0, 0, stepDays) {
		end := start.AddDate(0, 0, stepDays-1)
		if end.After(to) {
			end = to
		}
		res, err := r.pullWindow(ctx, src, TriggerBackfill, time.Time{}, start, end)
		out = append(out, res)
		if err != nil {
			return out, fmt.Errorf("%s..%s: %w", start.Format(time.DateOnly), end.Format(time.DateOnly), err)
		}
	}
	return out, nil
}

func (r *Runner) pullWindow(ctx context.Context, src *Source, trigger string, scheduledFor, from, to time.Time) (PullResult, error) {
	started := r.now()
	var res PullResult
	id, err := r.ledger.start(ctx, JobPull, src.Name, trigger, scheduledFor, started)
	if err != nil {
		return res, err
	}
	res.Run = Run{ID: id, Job: JobPull, Source: src.Name, Trigger: trigger, StartedAt: started}
	runErr := r.pullAndLoad(ctx, src, from, to, &res)
	res.Run.Status = StatusOK
	switch {
	case runErr != nil:
		res.Run.Status, res.Run.Error = StatusFailed, msg.Render(runErr, r.cfg.Lang)
	case len(res.Failures) > 0:
		msgs := make([]string, len(res.Failures))
		for i, f := range res.Failures {
			msgs[i] = msg.Render(f, r.cfg.Lang)
		}
		res.Run.Status = StatusFailed
		// Run.Files counts the files tried: a file that loaded nothing, or
		// a workbook with a sheet that failed, is in Files and Failures.
		// Stored in the configuration's language (job_runs.error).
		runErr = msg.Errorf("%d/%d tệp không nạp được: %s", "%d of %d files could not be loaded: %s", len(res.Failures), max(res.Run.Files, int64(len(res.Failures))), strings.Join(msgs, "; "))
		res.Run.Error = msg.Render(runErr, r.cfg.Lang)
	case res.Run.RowsLoaded == 0 && res.Run.RowsRejected == 0:
		res.Run.Status = StatusUnchanged
	}
	finished := r.now()
	if err := r.ledger.finish(id, res.Run, finished); err != nil {
		r.log.Error("ledger", "err", err)
	}
	r.metrics.observeRun(JobPull, src.Name, res.Run, finished.Sub(started))
	level := slog.LevelInfo
	if runErr != nil {
		level = slog.LevelWarn
	}
	r.log.Log(ctx, level, "pull", "source", src.Name, "trigger", trigger, "status", res.Run.Status,
		"files", res.Run.Files, "rows_loaded", res.Run.RowsLoaded, "rows_rejected", res.Run.RowsRejected, "error", res.Run.Error)
	r.refreshFreshness(ctx)
	return res, runErr
}

func (r *Runner) pullAndLoad(ctx context.Context, src *Source, from, to time.Time, res *PullResult) error {
	var files []string
	var fetched *Fetched // an HTTP download: its validators are kept once its load commits
	var fingerprint string
	if src.URL != "" {
		saved, err := r.ledger.state(ctx, src.Name)
		if err != nil {
			return err
		}
		fingerprint = validatorFingerprint(src, from, to)
		f, err := r.puller.pull(ctx, src, from, to, conditional(src, saved, fingerprint))
		if err != nil {
			return err
		}
		if f.Unchanged {
			return nil
		}
		defer os.Remove(f.Path)
		if st, err := os.Stat(f.Path); err == nil && st.Size() == 0 {
			return nil // an API page run with no records in the window
		}
		fetched = &f
		files = []string{f.Path}
	} else {
		ready, err := readyFiles(ctx, src)
		if err != nil {
			return err
		}
		files = slices.DeleteFunc(ready, warehouseFiles(r.cfg))
	}
	for _, path := range files {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fr, err := r.loadFile(ctx, src, path)
		if err == nil {
			// A file whose every row was rejected loaded nothing: it goes
			// to failed/ with its reason, as a file refused whole does.
			err = nothingLoaded(src, fr)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err() // stopped: leave the file where it is for the next run
			}
			res.Failures = append(res.Failures, fmt.Errorf("%s: %w", filepath.Base(path), unwrapFile(err)))
		}
		if fetched != nil {
			r.keepValidators(ctx, src, *fetched, fingerprint, err)
		}
		// A workbook's sheets of dossiers are loads of their own: those
		// that loaded count, even when another failed.
		for _, one := range append([]ingest.FileResult{fr}, fr.More...) {
			if one.Result.LoadID == 0 && one.Result.AlreadyLoaded == nil {
				continue
			}
			one.More = nil
			res.Files = append(res.Files, one)
			res.Run.RowsLoaded += one.Result.Loaded
			res.Run.RowsRejected += one.Result.Rejected
		}
		res.Run.Files++
		if src.Path != "" {
			if err := settleFile(src, path, unwrapFile(err)); err != nil {
				r.log.Warn("moving a dropped file", "file", path, "err", err)
			}
		}
	}
	return nil
}

// nothingLoaded is the error of a file read with every row rejected (of
// a workbook, any of its sheets), nil otherwise.
func nothingLoaded(src *Source, fr ingest.FileResult) error {
	for _, one := range append([]ingest.FileResult{fr}, fr.More...) {
		if !ingest.NothingLoaded(one.Result) {
			continue
		}
		if src.Ward == "" && slices.ContainsFunc(one.Result.Rejects, func(r warehouse.Reject) bool { return r.Code == "no_ward" }) {
			again := msg.Errorf("thả tệp vào lại", "drop the file again")
			if src.URL != "" {
				again = msg.Errorf("lần kéo sau sẽ nạp lại", "the next pull loads it again")
			}
			return msg.Errorf("không nạp được gì: cả %d dòng đọc được đều bị loại; tệp không ghi đơn vị: hãy đặt ward: cho nguồn %s trong cấu hình, rồi %w",
				"nothing loaded: all %d rows read were rejected; the file names no unit: set ward: in the source %s of the configuration, then %w",
				one.Result.Read, src.Name, again)
		}
		return msg.Errorf("không nạp được gì: cả %d dòng đọc được đều bị loại; xem các dòng bị loại: SELECT * FROM rejects WHERE load_id = %d",
			"nothing loaded: all %d rows read were rejected; see its rejects: SELECT * FROM rejects WHERE load_id = %d", one.Result.Read, one.Result.LoadID)
	}
	return nil
}

func unwrapFile(err error) error {
	var fe *ingest.FileError
	if errors.As(err, &fe) {
		return fe.Err
	}
	return err
}

func (r *Runner) loadFile(ctx context.Context, src *Source, path string) (ingest.FileResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.writing()()
	return ingest.File(ctx, r.wh, path, ingest.FileOptions{
		Ward: src.Ward, Source: src.Name, Format: src.Format, Sheet: src.Sheet, Map: src.Map, Hasher: r.hasher,
	})
}

// RunJob runs a whole-warehouse job by name.
func (r *Runner) RunJob(ctx context.Context, job, trigger string, scheduledFor time.Time) error {
	var do func(context.Context) error
	switch job {
	case JobBuild:
		do = r.build
	case JobExport:
		do = r.export
	case JobReport:
		do = r.report
	default:
		return fmt.Errorf("%w %q: the jobs are build, export and report", ErrNoJob, job)
	}
	started := r.now()
	id, err := r.ledger.start(ctx, job, "", trigger, scheduledFor, started)
	if err != nil {
		return err
	}
	run := Run{ID: id, Job: job, Trigger: trigger, StartedAt: started, Status: StatusOK}
	r.mu.Lock()
	jobErr := do(ctx)
	r.mu.Unlock()
	if jobErr != nil {
		run.Status, run.Error = StatusFailed, msg.Render(jobErr, r.cfg.Lang)
	}
	finished := r.now()
	if err := r.ledger.finish(id, run, finished); err != nil {
		r.log.Error("ledger", "err", err)
	}
	r.metrics.observeRun(job, "", run, finished.Sub(started))
	r.log.Info("job", "job", job, "trigger", trigger, "status", run.Status, "error", run.Error, "seconds", finished.Sub(started).Seconds())
	return jobErr
}

// build refreshes the unit registry, runs the data tests and, when they
// pass, publishes the snapshot analysts read.
func (r *Runner) build(ctx context.Context) error {
	if r.cfg.Units != "" {
		f, err := os.Open(r.cfg.Units)
		if err != nil {
			return err
		}
		units, err := warehouse.ReadUnits(f)
		f.Close()
		if err != nil {
			return err
		}
		done := r.writing()
		err = r.wh.ReplaceUnits(ctx, units)
		done()
		if err != nil {
			return err
		}
	}
	if _, err := r.wh.RunDataTests(ctx); err != nil {
		return err
	}
	return r.publish(ctx)
}

// Publish writes the analysts' snapshot now.
func (r *Runner) Publish(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.publish(ctx)
}

func (r *Runner) export(ctx context.Context) error {
	now := r.now()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	lastMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	yearStart := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := r.wh.RunDataTests(ctx); err != nil {
		return err
	}
	if _, err := r.wh.ExportMarts(ctx, r.cfg.Jobs.Export.Out, lastMonth, yearStart, today); err != nil {
		return err
	}
	_, err := r.wh.ExportLake(ctx, r.cfg.Jobs.Export.Out)
	return err
}

// report writes the nightly report of the last full month (HTML with
// charts, the XLSX form), the form of the year to date, and the sources'
// freshness as CSV.
func (r *Runner) report(ctx context.Context) error {
	now := r.now()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	lastMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	yearStart := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	out := r.cfg.Jobs.Report.Out
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	health, err := r.ledger.health(ctx, r.cfg, now)
	if err != nil {
		return err
	}
	var sources []report.SourceStatus
	for _, h := range health {
		sources = append(sources, report.SourceStatus{Source: h.Source, Level: h.Level, LastStatus: h.LastStatus, LastError: h.LastError, LastNewData: h.LastNewData})
	}
	if _, err := report.Nightly(ctx, r.wh.DB(), out, report.Options{Month: lastMonth, Lang: r.cfg.Lang, Sources: sources, Now: now}); err != nil {
		return err
	}
	// The year to date, laid out as the official form (as the nightly
	// workbook's first sheet), not as a flat table.
	rows, err := report.Form(ctx, r.wh.DB(), yearStart, today, "")
	if err != nil {
		return err
	}
	// 0600, the mode these two files have always had (report.Nightly's
	// files beside them are 0644).
	if err := atomicfile.WriteWith(filepath.Join(out, "bieu06-"+yearStart.Format("2006")+"-den-"+today.Format("2006-01-02")+".xlsx"), 0o600, func(w *os.File) error {
		return report.WriteFormXLSX(w, yearStart, today, rows, r.cfg.Lang)
	}); err != nil {
		return err
	}
	return atomicfile.WriteWith(filepath.Join(out, "nguon-du-lieu.csv"), 0o600, func(w *os.File) error {
		fmt.Fprintln(w, "source,level,last_run,last_status,last_new_data,last_error")
		for _, h := range health {
			fmt.Fprintf(w, "%s,%s,%s,%s,%s,%q\n", h.Source, h.Level, fmtTime(h.LastRun), h.LastStatus, fmtTime(h.LastNewData), h.LastError)
		}
		return nil
	})
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format("2006-01-02 15:04")
}

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
			failed = append(failed, s.Name+": "+err.Error())
		}
	}
	for _, j := range r.configuredJobs() {
		if err := r.RunJob(ctx, j, TriggerManual, time.Time{}); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed = append(failed, j+": "+err.Error())
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of the night's runs failed (the others completed):\n  %s", len(failed), strings.Join(failed, "\n  "))
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
