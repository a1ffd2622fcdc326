package schedules

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the daemon's Prometheus series. A nil *Metrics records nothing.
type Metrics struct {
	Registry    *prometheus.Registry
	lastSuccess *prometheus.GaugeVec
	lastRun     *prometheus.GaugeVec
	runs        *prometheus.CounterVec
	rowsLoaded  *prometheus.CounterVec
	rowsReject  *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	age         *prometheus.GaugeVec
	stale       *prometheus.GaugeVec
}

// NewMetrics registers the series on a fresh registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "wardstat_last_success_timestamp_seconds",
			Help: "When a job (or a source's pull) last succeeded, Unix time."}, []string{"job", "source"}),
		lastRun: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "wardstat_last_run_timestamp_seconds",
			Help: "When a job (or a source's pull) last finished, Unix time."}, []string{"job", "source"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wardstat_runs_total",
			Help: "Runs by job, source and status."}, []string{"job", "source", "status"}),
		rowsLoaded: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wardstat_rows_loaded_total",
			Help: "Dossier rows loaded (new or changed), by source."}, []string{"source"}),
		rowsReject: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wardstat_rows_rejected_total",
			Help: "Rows rejected, by source."}, []string{"source"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "wardstat_run_duration_seconds",
			Help: "Run durations by job.", Buckets: prometheus.ExponentialBuckets(0.1, 3, 10)}, []string{"job"}),
		age: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "wardstat_source_data_age_seconds",
			Help: "Time since a source last brought new or changed dossiers."}, []string{"source"}),
		stale: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "wardstat_source_stale",
			Help: "Freshness of a source: 0 fresh, 1 past its warn age, 2 past its error age or never loaded."}, []string{"source"}),
	}
	m.Registry.MustRegister(m.lastSuccess, m.lastRun, m.runs, m.rowsLoaded, m.rowsReject, m.duration, m.age, m.stale)
	return m
}

func (m *Metrics) observeRun(job, source string, r Run, took time.Duration) {
	if m == nil {
		return
	}
	now := float64(time.Now().Unix())
	m.lastRun.WithLabelValues(job, source).Set(now)
	if r.Status == StatusOK || r.Status == StatusUnchanged {
		m.lastSuccess.WithLabelValues(job, source).Set(now)
	}
	m.runs.WithLabelValues(job, source, r.Status).Inc()
	m.duration.WithLabelValues(job).Observe(took.Seconds())
	if source != "" {
		m.rowsLoaded.WithLabelValues(source).Add(float64(r.RowsLoaded))
		m.rowsReject.WithLabelValues(source).Add(float64(r.RowsRejected))
	}
}

func (m *Metrics) setHealth(h []SourceHealth) {
	if m == nil {
		return
	}
	for _, s := range h {
		m.age.WithLabelValues(s.Source).Set(s.AgeSeconds)
		level := map[string]float64{"ok": 0, "warn": 1, "error": 2}[s.Level]
		m.stale.WithLabelValues(s.Source).Set(level)
	}
}
