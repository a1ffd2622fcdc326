package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"wardstat/flight"
	"wardstat/internal/msg"
	"wardstat/schedules"
	"wardstat/warehouse"
)

// flightSettings are the endpoint's settings, from the flight command's
// flags or the configuration's flight: section.
type flightSettings struct {
	addr, tokensFile, tlsCert, tlsKey string
	timeout                           time.Duration
	maxRows                           int64
	maxTemp                           string
	grace                             time.Duration
	flags                             bool // the flight command's flags, not a flight: section
}

func newFlightCommand(a *app) *cobra.Command {
	set := flightSettings{addr: "127.0.0.1:31337", timeout: defaultStatementTimeout, maxRows: flight.DefaultMaxRows,
		maxTemp: warehouse.DefaultMaxTempSize, grace: flight.DefaultGrace, flags: true}
	cmd := &cobra.Command{
		Use:   "flight --addr HOST:PORT",
		Short: "Serve the warehouse over Arrow Flight SQL (read-only), for DBeaver, ADBC and Grafana",
		Long: `Serve the warehouse to analysts' and dashboards' own machines over Arrow
Flight SQL (DBeaver and JDBC tools with the Arrow Flight SQL JDBC driver,
Python and R with ADBC, Grafana, Superset), until SIGTERM or Ctrl-C, which
let running queries finish (--grace) and exit 0.

While the daemon (or a load) holds the warehouse, queries read the snapshot
it publishes, each new one picked up without a restart (a running query
ends on the snapshot it began on); otherwise the warehouse opened read-only,
only while queries run. Every statement runs in wardstat sql's sandbox:
reads only, no file access, locked configuration, one statement per
request, --timeout, memory and --max-temp caps; a result stops past
--max-rows rows, with an error.

Every call needs a token: --tokens-file (one name:token a line, readable
by its owner only) or WARDSTAT_FLIGHT_TOKEN (named env); clients send
"authorization: Bearer TOKEN", or log in with any user and the token as
password. Each query is logged with its token's name, duration and rows.
Tokens are read once, at start: restart the endpoint to add or revoke one.
With --tls-cert and --tls-key the endpoint speaks TLS; listening beyond
this machine without it is warned about.

Clients connect to grpc://HOST:PORT, or grpc+tls://HOST:PORT with TLS
(JDBC: jdbc:arrow-flight-sql://HOST:PORT?useEncryption=false, or =true
with TLS).

wardstat serve starts the same endpoint when its configuration has a
flight: section.`,
		Example: `  WARDSTAT_FLIGHT_TOKEN=$(openssl rand -hex 24) wardstat flight --addr 127.0.0.1:31337
  wardstat flight --addr 0.0.0.0:31337 --tokens-file tokens.txt --tls-cert cert.pem --tls-key key.pem`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !flight.BuiltIn {
				return errors.New(a.t("wardstat này được dựng không có giao diện Arrow của DuckDB nên không có Flight SQL; hãy dựng bằng make build",
					"this wardstat was built without DuckDB's Arrow interface, so it has no Flight SQL; build it with make build"))
			}
			if set.timeout <= 0 {
				return usageError{msg.Errorf("--timeout %s: hãy ghi một khoảng thời gian dương, ví dụ 10m", "--timeout %s: give a positive duration, e.g. 10m", set.timeout)}
			}
			if set.maxRows <= 0 {
				return usageError{msg.Errorf("--max-rows %d: hãy ghi một số dương", "--max-rows %d: give a positive number", set.maxRows)}
			}
			// No warehouse nor snapshot: refused at start, not at each query.
			if _, err := os.Stat(a.dbPath); os.IsNotExist(err) && a.federation == nil {
				if _, err := os.Stat(publishedPath(a.dbPath)); os.IsNotExist(err) {
					return msg.Errorf("không có kho dữ liệu ở %s: %w; hãy nạp tệp xuất trước (wardstat ingest TỆP, hoặc wardstat demo), hoặc chỉ --db tới một kho",
						"there is no warehouse at %s: %w; load exports first (wardstat ingest FILE, or wardstat demo), or point --db at one", a.dbPath, warehouse.ErrNoWarehouse)
				}
			}
			log := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
			src := a.flightSource(set, publishedPath(a.dbPath))
			defer src.close()
			return a.serveFlight(cmd.Context(), set, src, log)
		},
	}
	f := cmd.Flags()
	f.StringVar(&set.addr, "addr", set.addr, "HOST:PORT to listen on")
	f.StringVar(&set.tokensFile, "tokens-file", "", "file of name:token lines (mode 0600); WARDSTAT_FLIGHT_TOKEN adds one")
	f.StringVar(&set.tlsCert, "tls-cert", "", "TLS certificate (PEM)")
	f.StringVar(&set.tlsKey, "tls-key", "", "TLS private key (PEM)")
	f.DurationVar(&set.timeout, "timeout", set.timeout, "stop a statement that runs longer than this")
	f.Int64Var(&set.maxRows, "max-rows", set.maxRows, "stop a result past this many rows")
	f.StringVar(&set.maxTemp, "max-temp", set.maxTemp, "stop a statement that needs more temporary disk than this")
	f.DurationVar(&set.grace, "grace", set.grace, "how long running queries may finish after SIGTERM")
	return cmd
}

// flightSources are where the endpoint's queries read.
type flightSources struct {
	flight.Source
	close func()
}

// flightSource reads the snapshot at snap while another process holds
// the warehouse for writing (the daemon, a load), else the warehouse
// itself read-only, opened while queries run and shared by them.
func (a *app) flightSource(set flightSettings, snap string) flightSources {
	a.sandbox = true
	a.liveToday = true // the endpoint outlives midnight: the SQL reads the date itself
	a.maxTemp = set.maxTemp
	a.quietSnapshot = true
	opt := a.sandboxOptions()
	snapshot := flight.Snapshot(snap, opt)
	live := &flight.Shared{Open: func(ctx context.Context) (*warehouse.Warehouse, func(), error) {
		w, err := a.open(ctx, true)
		if err != nil {
			return nil, nil, err
		}
		return w, func() { w.Close() }, nil
	}}
	src := flight.SourceFunc(func(ctx context.Context) (*warehouse.Warehouse, func(), error) {
		if pid, writer, err := warehouse.LockHolder(a.dbPath); err == nil && writer && pid != 0 && pid != os.Getpid() {
			if _, err := os.Stat(snap); err == nil {
				return snapshot.Acquire(ctx)
			}
		}
		if err := a.waitForWriter(ctx); err != nil {
			return nil, nil, err
		}
		return live.Acquire(ctx)
	})
	return flightSources{Source: src, close: func() { snapshot.Close(); live.Close() }}
}

// sandboxOptions are the read-only opening of wardstat sql (root.go's open).
func (a *app) sandboxOptions() warehouse.Options {
	return warehouse.Options{ReadOnly: true, Logger: a.log, MaxTempSize: a.maxTemp,
		MemoryLimit: sandboxMemoryLimit, Threads: min(sandboxThreads, runtime.NumCPU())}
}

// serveWithFlight runs the daemon and, beside it, the Flight SQL endpoint
// of the configuration's flight: section on the snapshot the daemon
// publishes; either one failing stops both. A bad tokens file stops serve
// before anything runs.
func (a *app) serveWithFlight(ctx context.Context, cfg *schedules.Config, grace time.Duration, log *slog.Logger, daemon func(context.Context) error) error {
	if !flight.BuiltIn {
		return errors.New(a.t("wardstat này được dựng không có giao diện Arrow của DuckDB nên không có Flight SQL (mục flight: của cấu hình); hãy dựng bằng make build",
			"this wardstat was built without DuckDB's Arrow interface, so it has no Flight SQL (the configuration's flight: section); build it with make build"))
	}
	f := cfg.Flight
	set := flightSettings{addr: f.Addr, tokensFile: f.TokensFile, tlsCert: f.TLSCert, tlsKey: f.TLSKey,
		timeout: f.StatementTimeout.Std(), maxRows: f.MaxRows, maxTemp: warehouse.DefaultMaxTempSize, grace: grace}
	if _, err := flight.LoadTokens(set.tokensFile); err != nil {
		return err
	}
	a.maxTemp = set.maxTemp
	src := flight.Snapshot(cfg.Publish, a.sandboxOptions())
	defer src.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	flightDone := make(chan error, 1)
	go func() { flightDone <- a.serveFlight(ctx, set, src, log.With("component", "flight")) }()
	daemonDone := make(chan error, 1)
	go func() { daemonDone <- daemon(ctx) }()
	select {
	case err := <-flightDone:
		cancel()
		derr := <-daemonDone
		if err != nil {
			return err
		}
		return derr
	case err := <-daemonDone:
		cancel()
		select {
		case <-flightDone:
		case <-time.After(grace + 15*time.Second):
			log.Warn("flight sql did not stop in time")
		}
		return err
	}
}

// serveFlight serves Flight SQL from src until ctx ends.
func (a *app) serveFlight(ctx context.Context, set flightSettings, src flight.Source, log *slog.Logger) error {
	tokens, err := flight.LoadTokens(set.tokensFile)
	if err != nil {
		return err
	}
	lim := sqlLimits{timeout: set.timeout, maxTemp: set.maxTemp}
	return flight.Serve(ctx, src, flight.Options{
		Addr: set.addr, Tokens: tokens, TLSCert: set.tlsCert, TLSKey: set.tlsKey,
		StatementTimeout: set.timeout, MaxRows: set.maxRows, Grace: set.grace,
		Lang: a.lang, Logger: log, Flags: set.flags,
		Workers: a.flightWorkers(set),
		Explain: func(err error) error {
			return flightError(a.statementError(context.Background(), context.Background(), err, lim), a.lang)
		},
		Ready: func(addr net.Addr) {
			if onFlightReady != nil {
				onFlightReady(addr)
			}
		},
	})
}

// snapshotStale: no snapshot is published at snap, or it is older than
// the warehouse db, so serve's endpoint would answer with no data, or old
// data, until the next scheduled build.
func snapshotStale(db, snap string) bool {
	ss, err := os.Stat(snap)
	if err != nil {
		return true
	}
	for _, f := range []string{db, db + ".wal"} {
		if ws, err := os.Stat(f); err == nil && ws.ModTime().After(ss.ModTime()) {
			return true
		}
	}
	return false
}

// onFlightReady, when set (tests), is told the endpoint's address once it
// listens.
var onFlightReady func(net.Addr)
