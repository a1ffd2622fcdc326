package schedules

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/robfig/cron/v3"
)

// DaemonOptions tune Serve.
type DaemonOptions struct {
	// Grace is how long running jobs may finish after a stop signal before
	// they are cancelled (their load then rolls back). Default 20s.
	Grace time.Duration
	// Ready, when set, receives the HTTP address once the daemon listens.
	Ready chan<- string
}

// Serve runs the configured schedules until ctx ends: pulls and jobs on
// their cron times (a run missed while the daemon was down runs once at
// start), and an HTTP endpoint with /healthz, /metrics and /runs.
func Serve(ctx context.Context, r *Runner, o DaemonOptions) error {
	if o.Grace == 0 {
		o.Grace = 20 * time.Second
	}
	if n, err := r.MarkInterrupted(ctx); err != nil {
		return err
	} else if n > 0 {
		r.log.Warn("runs left open by a stopped process marked interrupted", "runs", n)
	}
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()

	logger := cronLogger{r.log}
	c := cron.New(cron.WithLocation(r.cfg.Location()), cron.WithParser(CronParser),
		cron.WithChain(cron.Recover(logger)), cron.WithLogger(logger))
	type task struct {
		job, source, spec string
		run               func(trigger string, scheduledFor time.Time)
	}
	var tasks []task
	for i := range r.cfg.Sources {
		name := r.cfg.Sources[i].Name
		tasks = append(tasks, task{JobPull, name, r.cfg.Sources[i].Schedule, func(trigger string, at time.Time) {
			r.Pull(jobCtx, name, trigger, at) //nolint:errcheck // recorded in the ledger and logged
		}})
	}
	for _, j := range r.configuredJobs() {
		job := j
		tasks = append(tasks, task{job, "", r.jobSchedule(job), func(trigger string, at time.Time) {
			r.RunJob(jobCtx, job, trigger, at) //nolint:errcheck // recorded in the ledger and logged
		}})
	}
	for _, t := range tasks {
		t := t
		sched, err := CronParser.Parse(t.spec)
		if err != nil {
			return fmt.Errorf("%s %s: schedule %q: %w", t.job, t.source, t.spec, err)
		}
		// Each task skips a tick that comes while its previous run (or its
		// catch-up) still runs.
		run := r.skipIfStillRunning(t.job, t.source, t.run)
		c.Schedule(sched, cron.FuncJob(func() {
			run(TriggerSchedule, scheduledTime(sched, r.now()))
		}))
		if missed, ok := r.missedRun(ctx, t.job, t.source, sched); ok {
			r.log.Info("catching up a run missed while the daemon was down", "job", t.job, "source", t.source, "scheduled_for", missed)
			go run(TriggerCatchUp, missed)
		}
	}

	ln, err := net.Listen("tcp", r.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w (set listen: in the configuration)", r.cfg.Listen, err)
	}
	// Say beside the warehouse that the daemon holds it, for another
	// command refused it to tell (HeldByDaemon).
	unmark, err := markDaemon(r.cfg.Warehouse, ln.Addr().String())
	if err != nil {
		r.log.Warn("cannot mark the warehouse as held by the daemon", "err", err)
	}
	defer unmark()
	srv := &http.Server{Handler: r.handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Shutdown
	if o.Ready != nil {
		o.Ready <- ln.Addr().String()
	}
	r.log.Info("serving", "listen", ln.Addr().String(), "tasks", len(tasks))
	r.refreshFreshness(ctx)
	c.Start()

	<-ctx.Done()
	r.log.Info("stopping: no new runs; waiting for the running ones", "grace", o.Grace)
	stopped := c.Stop()
	select {
	case <-stopped.Done():
	case <-time.After(o.Grace):
		r.log.Warn("grace period over: cancelling the running jobs (their loads roll back)")
		cancelJobs()
		<-stopped.Done()
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// scheduledTime is the cron time a tick stands for: the latest scheduled
// time at or before now.
func scheduledTime(s cron.Schedule, now time.Time) time.Time {
	t := s.Next(now.Add(-24 * time.Hour))
	prev := t
	for i := 0; i < 100000 && !t.After(now); i++ {
		prev = t
		t = s.Next(t)
	}
	if prev.After(now) {
		return now.Truncate(time.Second)
	}
	return prev
}

// missedRun returns the latest scheduled time a task should have run since
// its last recorded scheduled run, if there is one before now. A task that
// never ran has missed nothing (the daemon is new).
func (r *Runner) missedRun(ctx context.Context, job, source string, s cron.Schedule) (time.Time, bool) {
	last, ok, err := r.ledger.lastScheduled(ctx, job, source)
	if err != nil || !ok {
		return time.Time{}, false
	}
	now := r.now()
	next := s.Next(last)
	if next.After(now) {
		return time.Time{}, false
	}
	missed := next
	for i := 0; i < 1_000_000; i++ {
		n := s.Next(missed)
		if n.After(now) {
			break
		}
		missed = n
	}
	return missed, true
}

func (r *Runner) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, req *http.Request) {
		if err := r.wh.DB().PingContext(req.Context()); err != nil {
			http.Error(w, "warehouse: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	if r.metrics != nil {
		mux.Handle("/metrics", promhttp.HandlerFor(r.metrics.Registry, promhttp.HandlerOpts{}))
	}
	mux.HandleFunc("/runs", func(w http.ResponseWriter, req *http.Request) {
		limit := 100
		if v, err := strconv.Atoi(req.URL.Query().Get("limit")); err == nil && v > 0 && v <= 10000 {
			limit = v
		}
		runs, err := r.Runs(req.Context(), limit)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		health, err := r.Health(req.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(map[string]any{"runs": runs, "sources": health}) //nolint:errcheck
	})
	return mux
}

// skipIfStillRunning runs a task's runs one at a time: a tick that comes
// while the task's previous run still runs is skipped and logged at Info,
// with the task's job and source (robfig/cron's own SkipIfStillRunning
// says only "skip", at its Info, which is the daemon's Debug).
func (r *Runner) skipIfStillRunning(job, source string, run func(trigger string, at time.Time)) func(trigger string, at time.Time) {
	var running atomic.Bool
	return func(trigger string, at time.Time) {
		if !running.CompareAndSwap(false, true) {
			r.log.Info("tick skipped: the previous run still runs", "job", job, "source", source, "trigger", trigger, "scheduled_for", at)
			return
		}
		defer running.Store(false)
		run(trigger, at)
	}
}

// cronLogger adapts slog to robfig/cron's logger: its chatter (start,
// schedule, wake, run) is Debug, its errors (a recovered panic) Error.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}
