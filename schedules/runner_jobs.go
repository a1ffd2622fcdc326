package schedules

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"wardstat/internal/atomicfile"
	"wardstat/internal/msg"
	"wardstat/report"
	"wardstat/warehouse"
)

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
	if err := r.dataTests(ctx, JobBuild); err != nil {
		return err
	}
	return r.publish(ctx)
}

// dataTests runs the data tests over what changed since their last
// passing verdict (warehouse.RunChangedDataTests: every dossier when
// anything else changed), so that the export after a build in the same
// night reuses the build's verdict. It keeps the new verdict, a write:
// it holds the writer gate.
func (r *Runner) dataTests(ctx context.Context, job string) error {
	done := r.writing()
	run, err := r.wh.RunChangedDataTests(ctx)
	done()
	r.log.Info("data tests", "job", job, "scope", run.Scope, "why", run.Why, "since_load", run.Since, "through_load", run.Through, "rows", run.Rows, "ok", err == nil)
	return err
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
	if err := r.dataTests(ctx, JobExport); err != nil {
		return err
	}
	// The lake first: the dashboards' ward_month is then read from it.
	if _, err := r.wh.ExportLake(ctx, r.cfg.Jobs.Export.Out); err != nil {
		return err
	}
	_, err := r.wh.ExportMarts(ctx, r.cfg.Jobs.Export.Out, lastMonth, yearStart, today)
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
