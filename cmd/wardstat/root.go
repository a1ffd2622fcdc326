package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"wardstat/ingest"
	"wardstat/internal/msg"
	"wardstat/transform"
	"wardstat/warehouse"
)

// app holds what every subcommand shares.
type app struct {
	stdout, stderr io.Writer
	dbPath         string
	publish        string // the snapshot a configuration publishes; "" is publishedPath(dbPath)
	quietSnapshot  bool   // the command says itself that it reads the snapshot (status)
	lang           string
	verbose        bool
	keyFile        string
	langSet        bool
	log            *slog.Logger
	maxTemp        string // the sandbox's temp disk cap (sql --max-temp); "" is the default
	sandbox        bool   // reads are the sql command's: less memory and threads (sql.go)
	// federation, when set, is what open opens instead of the warehouse:
	// other nodes' lakes (lake report, lake sql; lake.go).
	federation func(context.Context) (*warehouse.Warehouse, error)
	// clock is the command's one reading of the time (now): its periods,
	// its notes and the day the SQL counts as of (warehouse.Options.Today)
	// all come from it, so they cannot disagree across midnight.
	clock time.Time
	// liveToday leaves the SQL to read the real date itself: a server
	// (flight) keeps connections open past midnight.
	liveToday bool
}

// now is the time in Vietnam when the command started (read once).
func (a *app) now() time.Time {
	if a.clock.IsZero() {
		a.clock = time.Now().In(vietnam)
	}
	return a.clock
}

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || isCobraMistake(err) {
		return 2
	}
	var nothing nothingLoadedError
	if errors.As(err, &nothing) {
		return 3
	}
	return 1
}

func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	a := &app{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "wardstat",
		Short: "District statistics on ward one-stop dossiers, from any export to the official form",
		Long: `wardstat loads the dossier exports of ward one-stop systems (Excel, CSV or
JSON, in any vendor's layout) into a DuckDB warehouse and computes the
official periodic report form (Biểu 06, Circular 01/2020/TT-VPCP) for any
ward, district or period.

Start with:
  wardstat demo                      generate a demo district, load it, print its forms
  wardstat ingest --ward CODE FILE   load one ward's export
  wardstat report --from 2026-01-01 --to 2026-03-31
  wardstat sql "SELECT * FROM report_form('2026-01-01', '2026-03-31')"`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			a.langSet = cmd.Flags().Changed("lang")
			if a.lang != "vi" && a.lang != "en" {
				return usageError{msg.Errorf("--lang %q: hãy dùng vi hoặc en", "--lang %q: use vi or en", a.lang)}
			}
			level := slog.LevelWarn
			if a.verbose {
				level = slog.LevelDebug
			}
			a.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
			// A workbook load killed before it could remove its unpacked
			// cells: they go now, whatever the command.
			ingest.SweepTemp()
			return nil
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	defaultDB := os.Getenv("WARDSTAT_DB")
	if defaultDB == "" {
		defaultDB = "wardstat.duckdb"
	}
	defaultLang := os.Getenv("WARDSTAT_LANG")
	if defaultLang == "" {
		defaultLang = "vi"
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.dbPath, "db", defaultDB, "the warehouse file (env WARDSTAT_DB)")
	pf.StringVar(&a.lang, "lang", defaultLang, "language of labels and messages: vi or en (env WARDSTAT_LANG)")
	pf.BoolVarP(&a.verbose, "verbose", "v", false, "log what is being done")
	pf.StringVar(&a.keyFile, "pii-key-file", "", "file holding the key that hashes applicants (default: next to the warehouse; "+transform.KeyEnv+" wins)")
	root.AddCommand(
		newIngestCommand(a),
		newReportCommand(a),
		newSQLCommand(a),
		newFlightCommand(a),
		newFlightWorkerCommand(a),
		newUnitsCommand(a),
		newDemoCommand(a),
		newCheckCommand(a),
		newServeCommand(a),
		newRunCommand(a),
		newBackfillCommand(a),
		newStatusCommand(a),
		newDescribeCommand(a),
		newWardReportsCommand(a),
		newCalendarCommand(a),
		newProceduresCommand(a),
		newExportCommand(a),
		newLakeCommand(a),
	)
	a.localiseHelp(root)
	return root
}

// How long an open waits for the process holding the warehouse: a reader
// (a load) waits a little, then says a load is running; a load waits for
// readers, which hold the file only while a statement runs (at most its
// timeout), and fails at once when another load or the daemon holds it.
var (
	readLockWait  = 10 * time.Second
	writeLockWait = defaultStatementTimeout + time.Minute
	lockPoll      = 200 * time.Millisecond
)

// open opens the warehouse. A read-only open of a warehouse that a load
// holds reads the snapshot the daemon publishes when there is one (with a
// note), else waits for the load a few seconds and then says to retry. An
// open for writing waits while only readers hold the file.
func (a *app) open(ctx context.Context, readOnly bool) (*warehouse.Warehouse, error) {
	if a.federation != nil && readOnly {
		return a.federation(ctx)
	}
	opt := warehouse.Options{ReadOnly: readOnly, Logger: a.log}
	if !a.liveToday {
		opt.Today = a.now()
	}
	if readOnly {
		opt.MaxTempSize = a.maxTemp
		if a.sandbox {
			opt.MemoryLimit = sandboxMemoryLimit
			opt.Threads = min(sandboxThreads, runtime.NumCPU())
		}
	}
	w, err := warehouse.Open(ctx, a.dbPath, opt)
	if err != nil && errors.Is(err, warehouse.ErrUnfinishedLoad) {
		return nil, fmt.Errorf(a.t(
			"kho %s còn dữ liệu dở dang của một lần nạp chưa hoàn tất (bị dừng khi đang ghi) và không thể dọn lúc này; hãy mở kho để ghi một lần (wardstat ingest, run hoặc serve) rồi chạy lại lệnh này: %w",
			"warehouse %s holds part of a load that never finished (stopped while committing) and cannot be cleaned now; open it for writing once (wardstat ingest, run or serve) and run this again: %w"),
			a.dbPath, err)
	}
	if err == nil && w.Repaired() != nil {
		r := w.Repaired()
		fmt.Fprintf(a.stderr, a.t(
			"(đã dọn lần nạp #%d chưa hoàn tất (bị dừng khi đang ghi): bỏ %s, khôi phục %s; kho trở lại như trước lần nạp đó)\n",
			"(removed load #%d, which never finished (stopped while committing): %s dropped, %s restored; the warehouse is as it was before that load)\n"),
			r.LoadIDs[0], a.dossiers(r.Dossiers), a.dossiers(r.Restored))
	}
	if err == nil && w.Stale() {
		fmt.Fprintf(a.stderr, a.t(
			"(kho %s do một phiên bản wardstat cũ hơn ghi và không cập nhật được lúc này: các view là của phiên bản đó, vài lệnh có thể lỗi; mở kho để ghi một lần (wardstat ingest, run hoặc serve) để cập nhật)\n",
			"(warehouse %s was written by an older wardstat and cannot be updated now: its views are that version's and some commands may fail; open it for writing once (wardstat ingest, run or serve) to update it)\n"),
			a.dbPath)
	}
	if err == nil || !errors.Is(err, warehouse.ErrLocked) {
		return w, err
	}
	if readOnly {
		snap := publishedPath(a.dbPath)
		if a.publish != "" {
			snap = a.publish
		}
		if st, serr := os.Stat(snap); serr == nil {
			if !a.quietSnapshot {
				fmt.Fprintln(a.stderr, a.snapshotNote(st.ModTime(), snap))
			}
			return warehouse.Open(ctx, snap, opt)
		}
	}
	wait := readLockWait
	if !readOnly {
		wait = writeLockWait
	}
	deadline := time.Now().Add(wait)
	noted := false
	marked := false
	for {
		pid, writer, herr := warehouse.LockHolder(a.dbPath)
		if herr != nil || (!readOnly && writer) || time.Now().After(deadline) {
			break
		}
		if !readOnly && !marked {
			// Readers hold the file: the Flight server starts no new statement.
			defer markWriterWaiting(a.dbPath)()
			marked = true
		}
		if !noted && pid != 0 {
			if readOnly {
				fmt.Fprintf(a.stderr, a.t("(kho %s đang được nạp (PID %d); chờ tối đa %s)\n", "(warehouse %s is being loaded (PID %d); waiting up to %s)\n"), a.dbPath, pid, wait)
			} else {
				fmt.Fprintf(a.stderr, a.t("(kho %s đang được đọc (PID %d); chờ câu lệnh đọc xong, tối đa %s)\n", "(warehouse %s is being read (PID %d); waiting for its statement to end, up to %s)\n"), a.dbPath, pid, wait)
			}
			noted = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(lockPoll):
		}
		if w, err = warehouse.Open(ctx, a.dbPath, opt); err == nil || !errors.Is(err, warehouse.ErrLocked) {
			return w, err
		}
	}
	if readOnly {
		holder := ""
		if pid, _, _ := warehouse.LockHolder(a.dbPath); pid != 0 {
			holder = fmt.Sprintf(" (PID %d)", pid)
		}
		return nil, fmt.Errorf(a.t("kho %s đang được nạp bởi tiến trình khác%s: %w; hãy chạy lại khi nạp xong",
			"warehouse %s is being loaded by another process%s: %w; run this again when the load has finished"), a.dbPath, holder, warehouse.ErrLocked)
	}
	return nil, a.heldByDaemon(err)
}

// hasher returns the applicant hasher for a warehouse: key from the
// environment, else from the key file (made on first use, mode 0600,
// beside the warehouse), refused when it is not the key the warehouse's
// loads used.
func (a *app) hasher(ctx context.Context, w *warehouse.Warehouse) (*transform.Hasher, error) {
	file := a.keyFile
	if file == "" {
		file = filepath.Join(filepath.Dir(w.Path()), ".wardstat-pii.key")
	}
	key, err := transform.LoadKey(file)
	if err != nil {
		return nil, err
	}
	h := transform.NewHasher(key)
	if err := w.CheckApplicantKey(ctx, h.Fingerprint()); err != nil {
		if errors.Is(err, warehouse.ErrKeyMismatch) {
			return nil, fmt.Errorf(a.t(
				"khóa băm người nộp hồ sơ (từ %s hoặc %s) không phải khóa mà kho %s đã dùng: với khóa mới, mọi người nộp có mã mới và mọi hồ sơ bị coi là thay đổi. Hãy khôi phục tệp khóa cũ (--pii-key-file) hoặc đặt %s bằng khóa cũ; không có gì được nạp",
				"the applicant-hash key (from %s or %s) is not the one warehouse %s was loaded with: with a new key every applicant gets a new key and every dossier looks changed. Restore the old key file (--pii-key-file) or set %s to the old key; nothing was loaded"),
				transform.KeyEnv, file, w.Path(), transform.KeyEnv)
		}
		return nil, err
	}
	return h, nil
}

// t picks the message for the app's language.
func (a *app) t(vi, en string) string {
	if a.lang == "en" {
		return en
	}
	return vi
}

// dossiers is "n hồ sơ", or in English "1 dossier" / "n dossiers".
func (a *app) dossiers(n int64) string {
	switch {
	case a.lang != "en":
		return fmt.Sprintf("%d hồ sơ", n)
	case n == 1:
		return "1 dossier"
	}
	return fmt.Sprintf("%d dossiers", n)
}
