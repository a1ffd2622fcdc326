package schedules

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Run is one row of the job_runs ledger.
type Run struct {
	ID           int64      `json:"run_id"`
	Job          string     `json:"job"`
	Source       string     `json:"source,omitempty"`
	Trigger      string     `json:"trigger"`
	ScheduledFor *time.Time `json:"scheduled_for,omitempty"`
	StartedAt    time.Time  `json:"started_at"`
	FinishedAt   *time.Time `json:"finished_at,omitempty"`
	Status       string     `json:"status"`
	Files        int64      `json:"files"`
	RowsLoaded   int64      `json:"rows_loaded"`
	RowsRejected int64      `json:"rows_rejected"`
	Error        string     `json:"error,omitempty"`
}

// Run statuses.
const (
	StatusRunning     = "running"
	StatusOK          = "ok"
	StatusUnchanged   = "unchanged"
	StatusFailed      = "failed"
	StatusInterrupted = "interrupted"
)

// Triggers.
const (
	TriggerSchedule = "schedule"
	TriggerCatchUp  = "catch-up"
	TriggerManual   = "manual"
	TriggerBackfill = "backfill"
)

type ledger struct {
	db   *sql.DB
	loc  *time.Location
	gate *sync.RWMutex // the runner's writer gate: every write holds it shared (writer.go)
}

// wall reads a stored wall-clock time as a time in the schedules' zone.
func (l ledger) wall(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), l.loc)
}

// local is a time's wall clock in the schedules' zone, as the ledger
// stores it (TIMESTAMP, no zone, like every wardstat timestamp). It is bound
// as text: the driver would bind a time.Time as an instant and let the
// session's zone shift it.
func local(t time.Time) string { return t.Format("2006-01-02 15:04:05.000000") }

func (l ledger) start(ctx context.Context, job, source, trigger string, scheduledFor time.Time, now time.Time) (int64, error) {
	defer l.writing()()
	var id int64
	if err := l.db.QueryRowContext(ctx, `SELECT nextval('run_id_seq')`).Scan(&id); err != nil {
		return 0, fmt.Errorf("ledger: %w", err)
	}
	sched := ""
	if !scheduledFor.IsZero() {
		sched = local(scheduledFor)
	}
	_, err := l.db.ExecContext(ctx, `INSERT INTO job_runs (run_id, job, source, trigger, scheduled_for, started_at, status)
		VALUES (?, ?, nullif(?, ''), ?, nullif(?, '')::TIMESTAMP, ?::TIMESTAMP, 'running')`, id, job, source, trigger, sched, local(now))
	if err != nil {
		return 0, fmt.Errorf("ledger: %w", err)
	}
	return id, nil
}

func (l ledger) finish(id int64, r Run, now time.Time) error {
	defer l.writing()()
	_, err := l.db.ExecContext(context.Background(), `UPDATE job_runs SET finished_at = ?::TIMESTAMP, status = ?, files = ?, rows_loaded = ?,
		rows_rejected = ?, error = nullif(?, '') WHERE run_id = ?`, local(now), r.Status, r.Files, r.RowsLoaded, r.RowsRejected, r.Error, id)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	return nil
}

// markInterrupted closes the runs a killed process left open.
func (l ledger) markInterrupted(ctx context.Context, now time.Time) (int64, error) {
	defer l.writing()()
	res, err := l.db.ExecContext(ctx, `UPDATE job_runs SET status = 'interrupted', finished_at = ?::TIMESTAMP,
		error = ? WHERE status = 'running'`, local(now), InterruptedError)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// lastScheduled is the latest cron time a job (or a source's pull) ran for.
func (l ledger) lastScheduled(ctx context.Context, job, source string) (time.Time, bool, error) {
	var t sql.NullTime
	err := l.db.QueryRowContext(ctx, `SELECT max(scheduled_for) FROM job_runs
		WHERE job = ? AND coalesce(source, '') = ? AND trigger IN ('schedule', 'catch-up')`, job, source).Scan(&t)
	if err != nil {
		return time.Time{}, false, err
	}
	return l.wall(t.Time), t.Valid, nil
}

// recent returns the newest runs first.
func (l ledger) recent(ctx context.Context, limit int) ([]Run, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT run_id, job, coalesce(source, ''), trigger, scheduled_for, started_at, finished_at,
		status, coalesce(files, 0), coalesce(rows_loaded, 0), coalesce(rows_rejected, 0), coalesce(error, '')
		FROM job_runs ORDER BY run_id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var sched, fin sql.NullTime
		if err := rows.Scan(&r.ID, &r.Job, &r.Source, &r.Trigger, &sched, &r.StartedAt, &fin, &r.Status, &r.Files, &r.RowsLoaded, &r.RowsRejected, &r.Error); err != nil {
			return nil, err
		}
		r.StartedAt = l.wall(r.StartedAt)
		if sched.Valid {
			t := l.wall(sched.Time)
			r.ScheduledFor = &t
		}
		if fin.Valid {
			t := l.wall(fin.Time)
			r.FinishedAt = &t
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// sourceState is what the last pull of an HTTP source whose load
// committed saw: the validators to send next time, and the fingerprint of
// the configuration they were loaded under (see validatorFingerprint).
type sourceState struct {
	ETag, LastModified string
	Fingerprint        string
}

func (l ledger) state(ctx context.Context, source string) (*sourceState, error) {
	var s sourceState
	var etag, lm, fp sql.NullString
	err := l.db.QueryRowContext(ctx, `SELECT etag, last_modified, fingerprint FROM source_state WHERE source = ?`, source).Scan(&etag, &lm, &fp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s.ETag, s.LastModified, s.Fingerprint = etag.String, lm.String, fp.String
	return &s, nil
}

// saveState keeps a download's validators, once its load committed, with
// the fingerprint of the configuration it was loaded under.
func (l ledger) saveState(ctx context.Context, source string, f Fetched, fingerprint string, now time.Time) error {
	defer l.writing()()
	_, err := l.db.ExecContext(ctx, `INSERT OR REPLACE INTO source_state (source, etag, last_modified, checked_at, fingerprint)
		VALUES (?, nullif(?, ''), nullif(?, ''), ?::TIMESTAMP, ?)`,
		source, f.ETag, f.LastModified, local(now), fingerprint)
	return err
}

// voidState forgets a source's validators: its next pull downloads the
// whole export.
func (l ledger) voidState(ctx context.Context, source string) error {
	defer l.writing()()
	_, err := l.db.ExecContext(ctx, `DELETE FROM source_state WHERE source = ?`, source)
	return err
}

// SourceHealth is one source's freshness: when it last ran, succeeded and brought new data.
type SourceHealth struct {
	Source      string     `json:"source"`
	LastRun     *time.Time `json:"last_run,omitempty"`
	LastStatus  string     `json:"last_status,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	LastSuccess *time.Time `json:"last_success,omitempty"`
	LastNewData *time.Time `json:"last_new_data,omitempty"`
	// LastFailure is when the latest failed or interrupted run started,
	// and LastFailureError its error: older than LastRun when the source
	// has recovered since.
	LastFailure      *time.Time `json:"last_failure,omitempty"`
	LastFailureError string     `json:"last_failure_error,omitempty"`
	Level            string     `json:"level"` // ok | warn | error
	AgeSeconds       float64    `json:"age_seconds"`
}

// freshness computes every configured source's freshness at now.
func (l ledger) health(ctx context.Context, cfg *Config, now time.Time) ([]SourceHealth, error) {
	var out []SourceHealth
	for i := range cfg.Sources {
		s := &cfg.Sources[i]
		f := SourceHealth{Source: s.Name}
		// The latest run's start, status and error come from one row, the
		// latest by run_id: arg_max(error, run_id) would skip the runs
		// with no error and give an old failure's error beside a newer
		// success.
		var lastRun, lastOK, lastNew, lastFail sql.NullTime
		var status, errText, failText sql.NullString
		err := l.db.QueryRowContext(ctx, `WITH pulls AS (SELECT * FROM job_runs WHERE job = 'pull' AND source = $1),
			latest AS (SELECT started_at, status, error FROM pulls ORDER BY run_id DESC LIMIT 1),
			failure AS (SELECT started_at, error FROM pulls WHERE status IN ('failed', 'interrupted') ORDER BY run_id DESC LIMIT 1)
			SELECT
			(SELECT started_at FROM latest), (SELECT status FROM latest), (SELECT error FROM latest),
			(SELECT max(finished_at) FROM pulls WHERE status IN ('ok', 'unchanged')),
			(SELECT max(finished_at) FROM pulls WHERE rows_loaded > 0),
			(SELECT started_at FROM failure), (SELECT error FROM failure)`,
			s.Name).Scan(&lastRun, &status, &errText, &lastOK, &lastNew, &lastFail, &failText)
		if err != nil {
			return nil, err
		}
		if lastRun.Valid {
			t := l.wall(lastRun.Time)
			f.LastRun = &t
		}
		f.LastStatus, f.LastError = status.String, errText.String
		if lastFail.Valid {
			t := l.wall(lastFail.Time)
			f.LastFailure, f.LastFailureError = &t, failText.String
		}
		if lastOK.Valid {
			t := l.wall(lastOK.Time)
			f.LastSuccess = &t
		}
		f.Level = "error"
		if lastNew.Valid {
			t := l.wall(lastNew.Time)
			f.LastNewData = &t
			wall := time.Date(now.Year(), now.Month(), now.Day(), now.Hour(), now.Minute(), now.Second(), now.Nanosecond(), time.UTC)
			age := wall.Sub(lastNew.Time)
			f.AgeSeconds = age.Seconds()
			switch {
			case age >= s.Freshness.Error.Std():
				f.Level = "error"
			case age >= s.Freshness.Warn.Std():
				f.Level = "warn"
			default:
				f.Level = "ok"
			}
		}
		out = append(out, f)
	}
	return out, nil
}
