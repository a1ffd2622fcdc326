// Package flight serves the warehouse to analysts and dashboards over
// Arrow Flight SQL: DBeaver (the Arrow Flight SQL JDBC driver), Python
// and R (ADBC), Grafana and Superset query the published snapshot (or the
// warehouse opened read-only) from their own machines, with a named
// token, in the same sandbox as `wardstat sql`, and get DuckDB's results
// as Arrow record batches. See DESIGN.md.
package flight

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"wardstat/internal/msg"
	"wardstat/warehouse"
)

// Defaults.
const (
	DefaultStatementTimeout = 5 * time.Minute
	DefaultMaxRows          = 10_000_000
	DefaultGrace            = 30 * time.Second
	DefaultWorkers          = 3
	DefaultQueueTimeout     = 30 * time.Second
	DefaultKillGrace        = 2 * time.Second
)

// TokenEnv is the variable that may hold one token (named "env").
const TokenEnv = "WARDSTAT_FLIGHT_TOKEN"

// ErrNotBuiltIn is returned by Serve in a wardstat built without the
// duckdb_arrow tag (duckdb-go's Arrow interface).
var ErrNotBuiltIn = msg.Errorf("wardstat này được dựng không có giao diện Arrow của DuckDB nên không phục vụ Flight SQL; hãy dựng bằng make build (GOFLAGS=-tags=duckdb_arrow)",
	"this wardstat was built without DuckDB's Arrow interface and cannot serve Flight SQL; build it with make build (GOFLAGS=-tags=duckdb_arrow)")

// Options configure the endpoint.
type Options struct {
	// Addr is HOST:PORT to listen on (ignored when Listener is set).
	Addr string
	// Listener, when set, is used instead of listening on Addr.
	Listener net.Listener
	// Tokens are the accepted bearer tokens; with none, nothing is served.
	Tokens *Tokens
	// TLSCert and TLSKey are PEM files; both or neither.
	TLSCert, TLSKey string
	// StatementTimeout bounds each query from its start to its last batch.
	StatementTimeout time.Duration
	// MaxRows ends a result past this many rows with an error.
	MaxRows int64
	// Grace is how long running queries may finish after ctx ends.
	Grace time.Duration
	// Lang of the messages clients read: "vi" (default) or "en".
	Lang string
	// Logger; nil logs nothing.
	Logger *slog.Logger
	// Explain turns a statement's error into the one line `wardstat sql`
	// gives for it (the refusals of the sandbox, memory, temporary disk);
	// nil keeps DuckDB's text.
	Explain func(err error) error
	// Workers, when set, run each statement in a child process (see
	// Workers); nil runs statements in the server.
	Workers *Workers
	// Ready, when set, is called with the address once it listens.
	Ready func(net.Addr)
	// Flags: the settings are the flight command's flags, so messages
	// name them (--tokens-file) rather than the flight: section's keys.
	Flags bool
}

// setting is how messages name a setting: its flight: key, or the flight
// command's flag.
func (o *Options) setting(key string) string {
	if !o.Flags {
		return key
	}
	if key == "statement_timeout" {
		return "--timeout"
	}
	return "--" + strings.ReplaceAll(key, "_", "-")
}

func (o *Options) defaults() {
	if o.StatementTimeout <= 0 {
		o.StatementTimeout = DefaultStatementTimeout
	}
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.Lang != "en" {
		o.Lang = "vi"
	}
	if w := o.Workers; w != nil {
		if w.Max <= 0 {
			w.Max = DefaultWorkers
		}
		if w.QueueTimeout <= 0 {
			w.QueueTimeout = DefaultQueueTimeout
		}
		if w.KillGrace <= 0 {
			w.KillGrace = DefaultKillGrace
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// A Source gives the warehouse a query reads, opened read-only in the
// sandbox, and takes it back with release. A query keeps the warehouse
// it was given to its end, whatever is published meanwhile.
type Source interface {
	Acquire(ctx context.Context) (w *warehouse.Warehouse, release func(), err error)
}

// SourceFunc is a Source from a function.
type SourceFunc func(ctx context.Context) (*warehouse.Warehouse, func(), error)

// Acquire calls f.
func (f SourceFunc) Acquire(ctx context.Context) (*warehouse.Warehouse, func(), error) {
	return f(ctx)
}

// isLoopback says whether addr's host only reaches this machine.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// errNoSnapshot: the daemon has not published yet.
var errNoSnapshot = errors.New("no snapshot")

// waitGroup waits for wg, at most d.
func waitGroup(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}
