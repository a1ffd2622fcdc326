// Package warehouse is wardstat's DuckDB store: it opens and migrates the
// database file, loads staged dossier rows in one transaction per file,
// and answers the report form. See DESIGN.md for the period rules and the
// load's guarantees.
package warehouse

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"wardstat/internal/msg"
	sqlmodels "wardstat/sql"
)

// SchemaVersion is the schema this build writes; older files are migrated on open.
const SchemaVersion = 14

// Errors a caller may test for.
var (
	// ErrNewerSchema is a warehouse written by a newer wardstat.
	ErrNewerSchema = msg.Errorf("kho do một phiên bản wardstat mới hơn ghi", "the warehouse was written by a newer wardstat")
	// ErrNoWarehouse is a read-only open of a file that does not exist.
	ErrNoWarehouse = msg.Errorf("chưa có kho", "no warehouse")
	// ErrLocked is a warehouse another process holds open for writing.
	ErrLocked = msg.Errorf("kho đang được một tiến trình wardstat khác dùng", "the warehouse is in use by another wardstat process")
)

// Options tune how the warehouse is opened.
type Options struct {
	// ReadOnly opens the file without write access; nothing is migrated, and
	// the connection can read no file outside the warehouse.
	ReadOnly bool
	// MemoryLimit caps DuckDB's memory; "" means DefaultMemoryLimit. Work
	// beyond it spills to a temp folder beside the warehouse.
	MemoryLimit string
	// Threads caps DuckDB's threads; 0 keeps DuckDB's default.
	Threads int
	// Logger receives progress; nil discards.
	Logger *slog.Logger
	// MaxTempSize caps a read-only connection's temporary disk; "" means
	// DefaultMaxTempSize.
	MaxTempSize string
	// Today is the day the models count a period not yet over as of
	// (report_form, ward_month and the marts; TodayVariable), pinned on
	// every connection: a command sets it from its own clock so that what
	// it says and what the SQL counts agree. Zero leaves the SQL to read
	// the real date in Vietnam, as a long-running server must (a pinned
	// day would not move at midnight).
	Today time.Time
	// Checked skips a read-only open's checks for an unfinished load's
	// rows and for stale models: the caller holds another read-only opening
	// of the same file, which made them, for as long as this one lives (a
	// Flight SQL worker opens the file its server has open).
	Checked bool
	// repaired is a read-only open right after a read-write one removed
	// an unfinished load: the check must now find none.
	repaired bool
}

var lockHolder = regexp.MustCompile(`\(PID (\d+)\)`)

// DefaultMemoryLimit keeps a load of any size within about 1 GiB of RSS
// together with the Go side (see BENCHMARKS.md).
const DefaultMemoryLimit = "512MB"

// Warehouse is an open DuckDB warehouse file.
type Warehouse struct {
	db    *sql.DB
	conn  *duckdb.Connector
	path  string
	log   *slog.Logger
	ronly bool
	// repaired is what opening removed of loads that never committed.
	repaired *Repair
	// stale is a read-only open of a file whose models (views, macros) an
	// older wardstat made and that could not be brought up to date.
	stale bool
	// memVerdict is a read-only warehouse's data-test verdict, kept in
	// memory (set: over the file's own) (datatests_changed.go).
	verdictMu     sync.Mutex
	memVerdict    *dataVerdict
	memVerdictSet bool
}

// Open opens (creating when needed) the warehouse at path and brings its
// schema up to date.
func Open(ctx context.Context, path string, opt Options) (*Warehouse, error) {
	if opt.ReadOnly {
		w, err := openReadOnly(ctx, path, opt) // readonly.go
		if err != nil || opt.Checked {
			return w, err
		}
		return w.readOnlyRepaired(ctx, path, opt)
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("making the warehouse folder: %w", err)
		}
	}
	// Database-wide settings go in the DSN, set once when DuckDB opens the
	// file: setting them again on a later connection fails (the spill
	// folder cannot change once used).
	limit := opt.MemoryLimit
	if limit == "" {
		limit = DefaultMemoryLimit
	}
	params := []string{"memory_limit=" + url.QueryEscape(limit), "temp_directory=" + url.QueryEscape(path+".tmp")}
	if opt.Threads > 0 {
		params = append(params, "threads="+strconv.Itoa(opt.Threads))
	}
	dsn := path + "?" + strings.Join(params, "&")
	// The time zone needs ICU, loaded after opening: the first connection
	// sets it for all (GLOBAL).
	init := connInit(ctx, opt.Today, "SET GLOBAL TimeZone = 'Asia/Ho_Chi_Minh'")
	connector, err := duckdb.NewConnector(dsn, init)
	if err != nil {
		return nil, openError(path, err)
	}
	w := &Warehouse{db: sql.OpenDB(connector), conn: connector, path: path, log: log}
	if err := privateSpill(path + ".tmp"); err != nil {
		w.Close()
		return nil, err
	}
	if err := w.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	// A load killed while committing can leave rows that DuckDB's WAL
	// replay applied without the load's commit: they go before anything
	// reads or writes (DESIGN.md, "A load that never committed").
	if w.repaired, err = w.repairUnfinishedLoads(ctx); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// openError says why DuckDB would not open the file at path: another
// process holding it (ErrLocked, with its PID when DuckDB names it), or
// DuckDB's own reason.
func openError(path string, err error) error {
	if strings.Contains(err.Error(), "Could not set lock") {
		holder := ""
		if m := lockHolder.FindStringSubmatch(err.Error()); m != nil {
			holder = " (PID " + m[1] + ")"
		}
		return msg.Errorf("mở %s: %w%s; hãy chờ tiến trình đó xong rồi chạy lại", "opening %s: %w%s; wait for it to finish and run this again", path, ErrLocked, holder)
	}
	return fmt.Errorf("opening warehouse %s: %w", path, err)
}

// readOnlyRepaired makes sure a read-only warehouse shows no rows of an
// unfinished load: if it does, the file is opened once for writing, which
// removes them, and opened read-only again; when it cannot be (another
// process holds it, or the file is read-only), the open is refused.
func (w *Warehouse) readOnlyRepaired(ctx context.Context, path string, opt Options) (*Warehouse, error) {
	ids, err := w.unfinishedLoads(ctx)
	if err == nil && len(ids) > 0 && opt.repaired {
		err = fmt.Errorf("%s: %w (load %d): it is still there after the warehouse was opened for writing; this is a bug, please report it", path, ErrUnfinishedLoad, ids[0])
	}
	if err != nil {
		w.Close()
		return nil, err
	}
	if len(ids) == 0 {
		if opt.repaired || !w.modelsStale(ctx) {
			return w, nil
		}
		// Written by an older wardstat: its views are that version's, and
		// this build's commands would read columns they lack. One open for
		// writing brings them up to date; when the file cannot be written
		// (the daemon holds it, or the snapshot is not ours), the old views
		// are read and the caller says so.
		w.Close()
		rw := opt
		rw.ReadOnly = false
		fixed, ferr := Open(ctx, path, rw)
		if ferr == nil {
			ferr = fixed.Close()
		}
		ro := opt
		ro.repaired = true
		again, err := Open(ctx, path, ro)
		if err != nil {
			return nil, err
		}
		again.stale = ferr != nil
		return again, nil
	}
	w.Close()
	rw := opt
	rw.ReadOnly = false
	fixed, err := Open(ctx, path, rw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (load %d, killed while committing); it is removed when the warehouse is next opened for writing (wardstat ingest, run or serve), which failed now: %v", path, ErrUnfinishedLoad, ids[0], err)
	}
	repaired := fixed.repaired
	if err := fixed.Close(); err != nil {
		return nil, fmt.Errorf("%s: %w: closing after removing it: %v", path, ErrUnfinishedLoad, err)
	}
	ro := opt
	ro.repaired = true
	again, err := Open(ctx, path, ro)
	if err != nil {
		return nil, err
	}
	again.repaired = repaired
	return again, nil
}

// Stale says the warehouse, opened read-only, still has the views of the
// older wardstat that wrote it: it could not be opened for writing to
// bring them up to date (another process holds it, or it is not ours).
func (w *Warehouse) Stale() bool { return w.stale }

// modelsStale says whether the file's schema or models are older than this
// build's. A file without them (new, or not a warehouse) is not stale.
func (w *Warehouse) modelsStale(ctx context.Context) bool {
	var version int
	var made string
	err := w.db.QueryRowContext(ctx, `SELECT (SELECT coalesce(max(version), 0) FROM schema_version),
		(SELECT coalesce(max(value), '') FROM meta WHERE name = 'models_sha256')`).Scan(&version, &made)
	if err != nil {
		return false
	}
	if version < SchemaVersion || made != modelsFingerprint() {
		return true
	}
	// Key hashes of another DuckDB match nothing this one computes.
	keys, err := keyHashesStale(ctx, w.db)
	return err == nil && keys
}

// Repaired says what opening the warehouse removed of loads that never
// committed; nil when there were none.
func (w *Warehouse) Repaired() *Repair { return w.repaired }

// Close releases the warehouse.
func (w *Warehouse) Close() error {
	err := w.db.Close()
	if cerr := w.conn.Close(); err == nil {
		err = cerr
	}
	if !w.ronly {
		os.Remove(w.path + ".tmp") // the spill folder, when DuckDB left it empty
	}
	return err
}

// privateSpill makes DuckDB's spill folder readable by its owner only and
// empties it. A load spills its staged rows there, cells in clear among
// them (a reject's raw texts), and a process killed mid-load leaves its
// files behind: the next one to open the warehouse for writing, holding
// its lock, removes them before DuckDB spills anything.
func privateSpill(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return fmt.Errorf("making the warehouse's spill folder: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("making the warehouse's spill folder private: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("emptying the warehouse's spill folder: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("emptying the warehouse's spill folder: %w", err)
		}
	}
	return nil
}

// DB exposes the database for queries (analyst SQL, exports).
func (w *Warehouse) DB() *sql.DB { return w.db }

// Path is the warehouse file.
func (w *Warehouse) Path() string { return w.path }

func (w *Warehouse) migrate(ctx context.Context) error {
	if _, err := w.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)`); err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	var current int
	if err := w.db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	if current > SchemaVersion {
		return msg.Errorf("%s có lược đồ %d, bản wardstat này chỉ biết tới %d: %w; hãy nâng cấp wardstat", "%s has schema %d, this build knows %d: %w; upgrade wardstat", w.path, current, SchemaVersion, ErrNewerSchema)
	}
	for _, m := range sqlmodels.Migrations() {
		v, err := strconv.Atoi(strings.SplitN(m.Name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with its version number", m.Name)
		}
		if v <= current {
			continue
		}
		tx, err := w.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, m.Text); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version VALUES (?, current_localtimestamp())`, v); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		w.log.Info("migrated warehouse", "version", v)
	}
	if err := w.checkKeyHashes(ctx); err != nil {
		return err
	}
	began := time.Now()
	// The models (macros and views) are made again only when their SQL
	// has changed since they were last made in this file: making them
	// costs every command that writes (BENCHMARKS.md).
	var made string
	if err := w.db.QueryRowContext(ctx, `SELECT coalesce(max(value), '') FROM meta WHERE name = 'models_sha256'`).Scan(&made); err != nil {
		return fmt.Errorf("reading the models' fingerprint: %w", err)
	}
	sum := modelsFingerprint()
	if made == sum {
		return w.checkCalendar(ctx)
	}
	// One transaction: a crash while making them leaves the old models
	// and fingerprint, and the WAL takes one commit instead of hundreds.
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, m := range sqlmodels.Models() {
		if _, err := tx.ExecContext(ctx, modelText(m.Text)); err != nil {
			return fmt.Errorf("model %s: %w", m.Name, err)
		}
		w.log.Debug("model made", "name", m.Name, "seconds", time.Since(began).Seconds())
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO meta VALUES ('models_sha256', ?)`, sum); err != nil {
		return fmt.Errorf("recording the models' fingerprint: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("making the models: %w", err)
	}
	w.log.Debug("models made", "seconds", time.Since(began).Seconds())
	return w.checkCalendar(ctx)
}

// checkCalendar makes the calendar's years what this build says they are,
// after the models, which counting catalogue due dates again uses.
func (w *Warehouse) checkCalendar(ctx context.Context) error {
	began := time.Now()
	if err := w.syncCalendar(ctx); err != nil {
		return fmt.Errorf("filling the calendar: %w", err)
	}
	w.log.Debug("calendar checked", "seconds", time.Since(began).Seconds())
	return nil
}

// modelsFingerprint is the sha256 of every model's name and SQL, and of the
// schema version they were made for.
func modelsFingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "schema %d\n", SchemaVersion)
	for _, m := range sqlmodels.Models() {
		text := modelText(m.Text)
		fmt.Fprintf(h, "%s\n%d\n%s\n", m.Name, len(text), text)
	}
	return hex.EncodeToString(h.Sum(nil))
}
