package schedules

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"wardstat/internal/msg"
	"wardstat/pipeline"
	"wardstat/warehouse"
)

// PullResult is what one pull did.
type PullResult struct {
	Files    []pipeline.FileResult
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
		return nil, msg.Errorf("không kéo lại được nguồn %s theo khoảng ngày: url của nó không có chỗ {from}", "source %s cannot be backfilled: its url has no {from} placeholder", name)
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
		for _, one := range append([]pipeline.FileResult{fr}, fr.More...) {
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
			if err := settleFile(src, path, unwrapFile(err), r.cfg.Lang); err != nil {
				r.log.Warn("moving a dropped file", "file", path, "err", err)
			}
		}
	}
	return nil
}

// nothingLoaded is the error of a file read with every row rejected (of
// a workbook, any of its sheets), nil otherwise.
func nothingLoaded(src *Source, fr pipeline.FileResult) error {
	for _, one := range append([]pipeline.FileResult{fr}, fr.More...) {
		if !pipeline.NothingLoaded(one.Result) {
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
	var fe *pipeline.FileError
	if errors.As(err, &fe) {
		return fe.Err
	}
	return err
}

func (r *Runner) loadFile(ctx context.Context, src *Source, path string) (pipeline.FileResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.writing()()
	return pipeline.File(ctx, r.wh, path, pipeline.FileOptions{
		Ward: src.Ward, Source: src.Name, Format: src.Format, Sheet: src.Sheet, Map: src.Map, Hasher: r.hasher,
	})
}
