package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"wardstat/render"
	"wardstat/schedules"
	"wardstat/warehouse"
)

// defaultStatusRuns is how many of the latest runs status lists.
const defaultStatusRuns = 20

func newStatusCommand(a *app) *cobra.Command {
	var config string
	var runs int
	cmd := &cobra.Command{
		Use:   "status [--config FILE] [--runs N]",
		Short: "Show each source's last run and freshness, and the latest runs",
		Long: `Show each source's freshness and latest run, then the latest runs of the
ledger (job_runs), newest first: job, source, trigger, start, duration,
status, files, rows loaded and rejected, error.

A source's last status and last error are its latest run's (an error is
empty when that run succeeded or found nothing new); an older failure shows
as last_failure, with its time. Its level is the age of its newest data:
ok, warn past freshness.warn, error past freshness.error or when no pull
ever brought data.

status only reads: it never takes the warehouse for writing, needs none of
the sources' tokens, and while the daemon (or a run) holds the warehouse it
reads the snapshot published at the configuration's publish: path, and
says so: runs since that snapshot are not in it. A run the ledger still
calls running while no process holds the warehouse was stopped, and shows
as interrupted.

Without --config it reads --db, and lists the sources the ledger has
pulled, judged by the default freshness (warn 2d, error 7d).`,
		Example: `  wardstat status --config wardstat.yml
  wardstat status --config wardstat.yml --runs 100
  wardstat status --db wardstat.duckdb`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runs < 0 {
				return usageError{fmt.Errorf("--runs %d: give 0 or more", runs)}
			}
			ctx := cmd.Context()
			var cfg *schedules.Config
			if config != "" {
				var err error
				if cfg, err = a.loadConfigOffline(config); err != nil {
					return err
				}
			}
			a.quietSnapshot = true // its first line says it reads the snapshot
			w, err := a.open(ctx, true)
			if err != nil && cfg != nil && errors.Is(err, warehouse.ErrNoWarehouse) {
				return fmt.Errorf(a.t("chưa có kho %s: chưa lần chạy nào của %s; hãy chạy wardstat run --config %[2]s hoặc wardstat serve --config %[2]s",
					"there is no warehouse at %s yet: nothing of %s has run; start with wardstat run --config %[2]s or wardstat serve --config %[2]s"), a.dbPath, config)
			}
			if err != nil && cfg != nil && errors.Is(err, warehouse.ErrLocked) {
				if _, serr := os.Stat(cfg.Publish); serr != nil {
					return fmt.Errorf(a.t("kho %s đang do tiến trình khác giữ (daemon hoặc một lần chạy) và chưa có bản công bố tại %s (publish:, việc build ghi nó); sổ chạy trực tiếp của daemon: http://%s/runs",
						"warehouse %s is held by another process (the daemon or a run) and no snapshot is published at %s yet (publish:, written by the build job); the daemon's live ledger: http://%s/runs"),
						a.dbPath, cfg.Publish, cfg.Listen)
				}
			}
			if err != nil {
				return err
			}
			defer w.Close()
			snapshot := w.Path() != a.dbPath
			fromFile := cfg != nil
			if cfg == nil {
				if cfg, err = schedules.ConfigFromLedger(ctx, w.DB()); err != nil {
					return err
				}
			}
			r := schedules.NewRunner(cfg, w, nil, schedules.RunnerOptions{})
			st, err := r.Status(ctx, schedules.StatusOptions{Runs: runs, NoWriter: !snapshot})
			if err != nil {
				return err
			}
			if snapshot {
				a.printSnapshotNote(w.Path(), cfg, fromFile)
			}
			a.printSources(st.Sources, fromFile, snapshot)
			if runs > 0 {
				a.printLatestRuns(st.Runs, snapshot)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "the configuration file (default: --db, and the sources in its ledger)")
	cmd.Flags().IntVar(&runs, "runs", defaultStatusRuns, "how many of the latest runs to list (0: none)")
	return cmd
}

// printSnapshotNote says that status reads a snapshot, of when, and what
// it lacks.
func (a *app) printSnapshotNote(snap string, cfg *schedules.Config, fromFile bool) {
	when := ""
	if st, err := os.Stat(snap); err == nil {
		when = st.ModTime().In(cfg.Location()).Format("2006-01-02 15:04:05")
	}
	holder := ""
	if pid, _, _ := warehouse.LockHolder(a.dbPath); pid != 0 {
		holder = fmt.Sprintf(" (PID %d)", pid)
	}
	fmt.Fprintf(a.stdout, a.t("Kho %s đang do tiến trình khác giữ%s; đây là bản công bố %s lúc %s: các lần chạy sau lúc đó chưa có ở đây.\n",
		"Warehouse %s is held by another process%s; this is the snapshot %s published at %s: runs since then are not in it.\n"),
		a.dbPath, holder, snap, when)
	if fromFile && !strings.HasSuffix(cfg.Listen, ":0") {
		fmt.Fprintf(a.stdout, a.t("Sổ chạy trực tiếp của daemon: http://%s/runs\n", "The daemon's live ledger: http://%s/runs\n"), cfg.Listen)
	}
	fmt.Fprintln(a.stdout)
}

// printSources writes every source's freshness and latest run, then what
// needs a look: stale sources, failing ones, never run ones.
func (a *app) printSources(sources []schedules.SourceHealth, fromFile, snapshot bool) {
	if !fromFile {
		fmt.Fprintf(a.stdout, a.t("(không có --config: các nguồn có trong sổ chạy của %s, độ mới theo ngưỡng mặc định: cảnh báo sau %s, lỗi sau %s)\n",
			"(no --config: the sources in the ledger of %s, freshness by the default thresholds: warn past %s, error past %s)\n"),
			a.dbPath, days(schedules.DefaultWarn), days(schedules.DefaultError))
	}
	if len(sources) == 0 {
		fmt.Fprintln(a.stdout, a.t("Chưa có nguồn nào được lấy dữ liệu.", "No source has been pulled yet."))
		return
	}
	res := render.Result{Columns: []string{
		a.t("nguồn", "source"), a.t("độ mới", "level"), a.t("chạy gần nhất", "last_run"), a.t("kết quả", "last_status"),
		a.t("lỗi", "last_error"), a.t("dữ liệu mới gần nhất", "last_new_data"), a.t("lỗi gần nhất", "last_failure"),
	}}
	var stale, failing, never []string
	var recovered []schedules.SourceHealth
	for _, h := range sources {
		status := a.runStatus(h.LastStatus, snapshot)
		if h.LastRun == nil {
			status = a.t("chưa chạy lần nào", "never run")
			never = append(never, h.Source)
		}
		res.Rows = append(res.Rows, []any{h.Source, a.level(h.Level), clock(h.LastRun), status, a.runError(h.LastError), clock(h.LastNewData), clock(h.LastFailure)})
		if h.Level != "ok" {
			stale = append(stale, h.Source)
		}
		if h.LastStatus == schedules.StatusFailed || h.LastStatus == schedules.StatusInterrupted {
			failing = append(failing, h.Source)
		}
		if h.LastFailure != nil && h.LastRun != nil && h.LastFailure.Before(*h.LastRun) {
			recovered = append(recovered, h)
		}
	}
	render.Table(a.stdout, res, "")
	for _, h := range recovered {
		fmt.Fprintf(a.stdout, a.t("  %s: lỗi gần nhất lúc %s, trước lần chạy gần nhất: %s\n", "  %s: last failure at %s, before the latest run: %s\n"),
			h.Source, clock(h.LastFailure), a.runError(h.LastFailureError))
	}
	if len(stale) > 0 || len(failing) > 0 || len(never) > 0 {
		fmt.Fprintln(a.stdout)
	}
	n := len(sources)
	if len(stale) > 0 {
		fmt.Fprintf(a.stdout, a.t("%d/%d nguồn chưa có dữ liệu mới trong hạn (cảnh báo/lỗi): %s\n", "%d of %d sources have no recent new data (warn/error): %s\n"),
			len(stale), n, strings.Join(stale, ", "))
	}
	if len(failing) > 0 {
		fmt.Fprintf(a.stdout, a.t("%d/%d nguồn lỗi hoặc bị ngắt ở lần chạy gần nhất: %s\n", "%d of %d sources failed or were interrupted in their latest run: %s\n"),
			len(failing), n, strings.Join(failing, ", "))
	}
	if len(never) > 0 {
		fmt.Fprintf(a.stdout, a.t("%d/%d nguồn chưa chạy lần nào: %s\n", "%d of %d sources have never run: %s\n"), len(never), n, strings.Join(never, ", "))
	}
}

// printLatestRuns writes the ledger's latest runs, newest first.
func (a *app) printLatestRuns(runs []schedules.Run, snapshot bool) {
	fmt.Fprintln(a.stdout)
	if len(runs) == 0 {
		fmt.Fprintln(a.stdout, a.t("Sổ chạy chưa có lần chạy nào.", "The ledger has no run yet."))
		return
	}
	fmt.Fprintf(a.stdout, a.t("%d lần chạy gần nhất (mới nhất trước):\n", "The latest %d runs (newest first):\n"), len(runs))
	res := render.Result{Columns: []string{
		a.t("lần", "run_id"), a.t("việc", "job"), a.t("nguồn", "source"), a.t("kích hoạt", "trigger"),
		a.t("bắt đầu", "started_at"), a.t("thời lượng", "duration"), a.t("kết quả", "status"), a.t("tệp", "files"),
		a.t("dòng nạp", "rows_loaded"), a.t("dòng loại", "rows_rejected"), a.t("lỗi", "error"),
	}}
	for _, x := range runs {
		duration := "" // unknown for a run whose process stopped: its end is when that was noticed
		if x.FinishedAt != nil && x.Status != schedules.StatusInterrupted {
			duration = roundDuration(x.FinishedAt.Sub(x.StartedAt))
		}
		res.Rows = append(res.Rows, []any{x.ID, x.Job, x.Source, a.trigger(x.Trigger), clock(&x.StartedAt), duration,
			a.runStatus(x.Status, snapshot), x.Files, x.RowsLoaded, x.RowsRejected, a.runError(x.Error)})
	}
	render.Table(a.stdout, res, "")
}

// clock is a ledger time as its wall clock, "" when there is none.
func clock(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format("2006-01-02 15:04:05")
}

// roundDuration is a run's duration to the second (to the millisecond
// under a second).
func roundDuration(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func days(d time.Duration) string { return fmt.Sprintf("%dd", int(d.Hours()/24)) }

// level is a freshness level for people.
func (a *app) level(l string) string {
	switch l {
	case "ok":
		return a.t("ổn", "ok")
	case "warn":
		return a.t("cảnh báo", "warn")
	case "error":
		return a.t("lỗi", "error")
	}
	return l
}

// runStatus is a run's status for people; in a snapshot a running run was
// running when the snapshot was published.
func (a *app) runStatus(s string, snapshot bool) string {
	switch s {
	case schedules.StatusOK:
		return a.t("xong", "ok")
	case schedules.StatusUnchanged:
		return a.t("không đổi", "unchanged")
	case schedules.StatusFailed:
		return a.t("lỗi", "failed")
	case schedules.StatusInterrupted:
		return a.t("bị ngắt", "interrupted")
	case schedules.StatusRunning:
		if snapshot {
			return a.t("đang chạy lúc công bố", "running when published")
		}
		return a.t("đang chạy", "running")
	}
	return s
}

// runError is a run's error for people: the ledger keeps the errors in
// English; the one status itself gives is told in the app's language.
func (a *app) runError(e string) string {
	if e == schedules.InterruptedError {
		return a.t("tiến trình đã dừng giữa lần chạy; phần nạp dở không được giữ lại", e)
	}
	return e
}

// trigger is what started a run, for people.
func (a *app) trigger(t string) string {
	switch t {
	case schedules.TriggerSchedule:
		return a.t("theo lịch", "schedule")
	case schedules.TriggerCatchUp:
		return a.t("chạy bù", "catch-up")
	case schedules.TriggerManual:
		return a.t("thủ công", "manual")
	case schedules.TriggerBackfill:
		return a.t("lấy lại", "backfill")
	}
	return t
}
