package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"wardstat/internal/msg"
	"wardstat/render"
	"wardstat/warehouse"
)

// defaultStatementTimeout stops an analyst's statement that runs away
// (a cross join, a DISTINCT over millions): --timeout changes it.
const defaultStatementTimeout = 5 * time.Minute

// sqlDataLimit caps the data memory of a `wardstat sql` process (see
// limitDataMemory), 0 for none. main sets it; tests that run commands in
// their own process leave it off, as that limit would stay for the rest of
// the test binary. Load commands never have it: their memory is bounded by
// their readers and DuckDB's memory_limit, and an allocation failing in
// the middle of a load is the last thing wanted.
var sqlDataLimit uint64

// sandboxDataLimit is the sql command's data memory (RLIMIT_DATA counts
// mappings, most never touched, so the resident peak stays well under
// it). Of it, about 180 MB are thread stacks and the program's data,
// 128 MB Go's heap and 64 MB held while a statement runs
// (memlimit_linux.go), and the rest DuckDB's: its buffer manager spills
// past sandboxMemoryLimit, leaving room for what it does not count.
const sandboxDataLimit = 1 << 30

// sandboxMemoryLimit is DuckDB's memory_limit in wardstat sql, and
// sandboxThreads its threads at most (each has a stack of 8 MB counted
// in the data memory, as are its allocator's arenas).
const (
	sandboxMemoryLimit = "256MB"
	sandboxThreads     = 4
)

// sqlLimits are the sandbox's limits, from the sql command's flags.
type sqlLimits struct {
	timeout time.Duration
	maxTemp string
}

func newSQLCommand(a *app) *cobra.Command {
	var format, file string
	lim := sqlLimits{timeout: defaultStatementTimeout, maxTemp: warehouse.DefaultMaxTempSize}
	cmd := &cobra.Command{
		Use:   `sql [--format table|csv|json|arrow] "QUERY"`,
		Short: "Query the warehouse in SQL (read-only)",
		Long: `Run a query on the warehouse, read-only: it cannot change the warehouse
or read files outside it. The query comes from the argument, from --file,
or from standard input; with none of them on a terminal, an interactive
prompt opens (statements end with ';', arrows recall ~/.wardstat_history,
Ctrl-C stops the running statement). That file keeps the last 1,000
statements the prompt ran, readable by you only (mode 0600), refused ones
left out; delete it to forget them.

Only statements that read (SELECT, FROM, WITH, VALUES, DESCRIBE, SHOW,
SUMMARIZE): COPY, EXPORT, ATTACH, SET, PRAGMA, INSTALL, LOAD, CREATE, CALL
and EXPLAIN are refused. Several statements (separated by ';') are each
checked before the first runs, then shown one after the other in order;
with --format csv or json, which hold one result, give one at a time.
--format arrow writes the result as an Arrow IPC stream (pyarrow's
pa.ipc.open_stream, DuckDB's read_arrow), never to a terminal.
A statement stops after --timeout and when it needs more than --max-temp
of temporary disk beside the warehouse. The warehouse is open only while statements run
(those given at once share one opening), so a load can start while the
prompt waits.

Tables: dossiers, dossier_history, loads, rejects, units, statuses, job_runs.
Views: dossier_versions, ward_month, mart_* (wardstat describe lists them all).
Views and macros: report_form(start, end), ward_month, dossier_days,
form_counts(start, end), unit_at(start, end). A period not over is counted
as of today (wardstat_today(), as wardstat report does); a period after
today has no row.`,
		Example: `  wardstat sql "SELECT * FROM report_form('2026-10-01', '2026-10-31')"
  wardstat sql --format csv "SELECT month, ward_code, on_time_rate FROM ward_month"
  wardstat sql "SELECT reason_code, count(*) FROM rejects GROUP BY 1"
  echo "SELECT count(*) FROM dossiers" | wardstat sql`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "csv" && format != "json" && format != "arrow" {
				return usageError{msg.Errorf("--format %q: hãy dùng table, csv, json hoặc arrow", "--format %q: use table, csv, json or arrow", format)}
			}
			if err := a.arrowFormatRefused(format); err != nil {
				return err
			}
			if lim.timeout <= 0 {
				return usageError{msg.Errorf("--timeout %s: hãy ghi một khoảng thời gian dương, ví dụ 10m", "--timeout %s: give a positive duration, e.g. 10m", lim.timeout)}
			}
			a.maxTemp = lim.maxTemp
			a.sandbox = true
			if sqlDataLimit > 0 {
				if err := limitDataMemory(sqlDataLimit); err != nil {
					a.log.Debug("no data memory limit", "err", err)
				}
			}
			if len(args) == 0 && file == "" {
				if f, ok := cmd.InOrStdin().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
					a.liveToday = true // the prompt may stay open past midnight
					// Fail now, not at the first statement, when there is no warehouse.
					w, err := a.open(cmd.Context(), true)
					if err != nil {
						return err
					}
					w.Close()
					return a.runPrompt(cmd.Context(), format, lim)
				}
			}
			query, err := a.readQuery(cmd.InOrStdin(), args, file)
			if err != nil {
				return err
			}
			return a.runSQL(cmd.Context(), query, format, lim)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table, csv, json or arrow (an Arrow IPC stream, for scripts)")
	cmd.Flags().StringVarP(&file, "file", "f", "", "read the query from this file")
	cmd.Flags().DurationVar(&lim.timeout, "timeout", lim.timeout, "stop a statement that runs longer than this")
	cmd.Flags().StringVar(&lim.maxTemp, "max-temp", lim.maxTemp, "stop a statement that needs more temporary disk than this (e.g. 500MB, 4GB)")
	return cmd
}

func (a *app) readQuery(stdin io.Reader, args []string, file string) (string, error) {
	switch {
	case len(args) == 1 && file != "":
		return "", usageError{msg.Errorf("hãy ghi câu truy vấn làm đối số hoặc bằng --file, không ghi cả hai", "give the query as an argument or with --file, not both")}
	case len(args) == 1:
		if len(args[0]) > maxQueryBytes {
			return "", a.errQueryTooLong(len(args[0]))
		}
		return args[0], nil
	case file != "":
		f, err := os.Open(file)
		if err != nil {
			return "", err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.Size() > maxQueryBytes {
			return "", fmt.Errorf("%s: %w", file, a.errQueryTooLong(int(min(st.Size(), 1<<40))))
		}
		b, err := io.ReadAll(io.LimitReader(f, maxQueryBytes+1))
		if err == nil && len(b) > maxQueryBytes {
			return "", fmt.Errorf("%s: %w", file, a.errQueryTooLong(len(b)))
		}
		return string(b), err
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return "", usageError{msg.Errorf("hãy ghi một câu truy vấn, ví dụ wardstat sql \"SELECT * FROM report_form('2026-10-01', '2026-10-31')\"", "give a query, e.g. wardstat sql \"SELECT * FROM report_form('2026-10-01', '2026-10-31')\"")}
	}
	b, err := io.ReadAll(io.LimitReader(stdin, maxQueryBytes+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxQueryBytes {
		return "", a.errQueryTooLong(len(b))
	}
	if strings.TrimSpace(string(b)) == "" {
		return "", usageError{msg.Errorf("câu truy vấn trống", "the query is empty")}
	}
	return string(b), nil
}

// errQueryTooLong refuses a statement's text past maxQueryBytes (n bytes,
// or more when read only so far).
func (a *app) errQueryTooLong(n int) error {
	return usageError{fmt.Errorf(a.t("câu lệnh dài %d byte trở lên; wardstat sql nhận tối đa %d byte (1 MiB): hãy rút gọn nó",
		"the query is %d bytes or more; wardstat sql takes at most %d bytes (1 MiB): shorten it"), n, maxQueryBytes)}
}

func (a *app) runSQL(ctx context.Context, query, format string, lim sqlLimits) error {
	return a.runStatements(ctx, a.stdout, query, format, lim, nil)
}

// runStatements runs the text's statements in order, each through
// runStatement (the sandbox checks every one), and calls after with each
// one's row count. Several statements are all checked before the first
// runs, so a refused one runs none; they are shown one after the other
// as tables (CSV and JSON hold one result, so there they are refused).
// A statement that fails stops the rest, and the error says which it was.
//
// The statements of one text share one opening of the warehouse (each
// opening costs: BENCHMARKS.md): it is opened before the check and closed
// after the last, each statement keeping its own timeout and the
// sandbox's checks. It is left open only when a statement could not be
// interrupted (*abandonedError: the process must end).
func (a *app) runStatements(ctx context.Context, out io.Writer, query, format string, lim sqlLimits, after func(n int)) error {
	pieces := warehouse.SplitStatements(query)
	if len(pieces) == 0 {
		// Only semicolons, blanks or comments: refused (kept out of the
		// prompt's history), a command-line mistake.
		return usageError{refusedError{errors.New(a.t("câu truy vấn trống (chỉ có dấu chấm phẩy, khoảng trắng hay chú thích): hãy ghi một câu lệnh, ví dụ wardstat sql \"SELECT count(*) FROM dossiers\"",
			"the query is empty (only semicolons, blanks or comments): give a statement, e.g. wardstat sql \"SELECT count(*) FROM dossiers\""))}}
	}
	if len(pieces) <= 1 {
		n, err := a.runStatement(ctx, out, query, format, lim)
		if err == nil && after != nil {
			after(n)
		}
		return err
	}
	if format != "table" {
		return usageError{refusedError{fmt.Errorf(a.t("có %d câu lệnh, mà --format %s ghi một kết quả: hãy chạy từng câu một (hoặc xem tất cả với --format table)",
			"%d statements given, and --format %s writes one result: run them one at a time (or see them all with --format table)"), len(pieces), format)}}
	}
	w, err := a.openForStatements(ctx, lim)
	if err != nil {
		return err
	}
	abandoned := false
	defer func() {
		if !abandoned {
			w.Close()
		}
	}()
	stmts, err := a.checkStatements(ctx, w, query, lim)
	if err != nil {
		return err
	}
	for i, q := range stmts {
		if i > 0 {
			fmt.Fprintln(out)
		}
		n, err := a.runStatementOn(ctx, w, out, q, format, lim)
		if err != nil {
			var gaveUp *abandonedError
			abandoned = errors.As(err, &gaveUp)
			return a.inStatement(i+1, len(stmts), err)
		}
		if after != nil {
			after(n)
		}
	}
	return nil
}

// openForStatements opens the warehouse read-only for a text's
// statements, within one statement's timeout.
func (a *app) openForStatements(ctx context.Context, lim sqlLimits) (*warehouse.Warehouse, error) {
	openCtx, cancel := context.WithTimeout(ctx, lim.timeout)
	defer cancel()
	w, err := a.open(openCtx, true)
	if err != nil {
		return nil, a.statementError(ctx, openCtx, err, lim)
	}
	return w, nil
}

// checkStatements checks every statement of a text before any runs
// (warehouse.CheckReads) and returns them in order.
func (a *app) checkStatements(ctx context.Context, w *warehouse.Warehouse, query string, lim sqlLimits) ([]string, error) {
	stmtCtx, cancel := context.WithTimeout(ctx, lim.timeout)
	defer cancel()
	stmts, err := w.CheckReads(stmtCtx, query)
	if err == nil {
		return stmts, nil
	}
	var piece *warehouse.PieceError
	if errors.As(err, &piece) {
		return nil, a.inStatement(piece.Index, piece.Of, a.statementError(ctx, stmtCtx, piece.Err, lim))
	}
	return nil, a.statementError(ctx, stmtCtx, err, lim)
}

// inStatement says which of several statements an error is about, keeping
// its kind (a refusal stays out of the prompt's history).
func (a *app) inStatement(i, of int, err error) error {
	where := fmt.Sprintf(a.t("câu lệnh %d/%d", "statement %d of %d"), i, of)
	var refused refusedError
	if errors.As(err, &refused) {
		return refusedError{fmt.Errorf("%s: %w", where, err)}
	}
	return fmt.Errorf("%s: %w", where, err)
}

// runStatement runs one analyst statement in the sandbox and writes its
// result: it opens the warehouse read-only (or the published snapshot
// while a load holds it), checks the statement reads only, runs it under
// the timeout and closes the warehouse again, so that nothing holds the
// file between statements. It returns the number of rows written.
//
// The timeout and a cancelled ctx interrupt DuckDB, which stops a
// statement between vectors; one function call over a huge value
// (levenshtein of two 1 MB texts, a constant folded while preparing) is
// not interrupted until it returns, minutes later. So the statement runs
// in a goroutine of its own, and when it has not ended interruptGrace
// after its deadline or cancellation, runStatement gives it up: it
// returns an *abandonedError without closing the warehouse (closing
// waits for the statement). Its caller must then end the process, which
// releases DuckDB's lock; a read-only open leaves nothing to repair. main
// does so for every error, and the prompt ends on this one.
func (a *app) runStatement(ctx context.Context, out io.Writer, query, format string, lim sqlLimits) (int, error) {
	return a.runStatementOn(ctx, nil, out, query, format, lim)
}

// runStatementOn is runStatement on a warehouse already open (nil: open
// it for this statement and close it after).
func (a *app) runStatementOn(ctx context.Context, w *warehouse.Warehouse, out io.Writer, query, format string, lim sqlLimits) (int, error) {
	stmtCtx, cancel := context.WithTimeout(ctx, lim.timeout)
	defer cancel()
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := a.execStatement(stmtCtx, w, out, query, format)
		if err != nil {
			err = a.statementError(ctx, stmtCtx, err, lim)
		}
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		return r.n, r.err
	case <-stmtCtx.Done():
	}
	grace := time.NewTimer(interruptGrace)
	defer grace.Stop()
	select {
	case r := <-done:
		return r.n, r.err
	case <-grace.C:
	}
	why := a.t("sau khi hết thời gian --timeout "+lim.timeout.String(), "after its --timeout of "+lim.timeout.String())
	if ctx.Err() != nil {
		why = a.t("sau Ctrl-C hoặc tín hiệu dừng", "after Ctrl-C or a stop signal")
	}
	return 0, &abandonedError{fmt.Errorf(a.t(
		"câu lệnh không dừng khi bị ngắt (%s, chờ thêm %s) nên wardstat đã dừng hẳn; kho không đổi và đã được nhả; một hàm trên giá trị rất lớn (levenshtein, repeat…) không ngắt được giữa chừng: hãy thu hẹp câu lệnh",
		"the statement could not be interrupted (%s, waited %s more) and was stopped by ending wardstat; the warehouse is unchanged and released; one function call over a huge value (levenshtein, repeat…) cannot be interrupted midway: narrow the statement"),
		why, interruptGrace)}
}

// interruptGrace is how long a statement may take to stop once DuckDB is
// told to interrupt it (its deadline passed, or Ctrl-C).
var interruptGrace = 3 * time.Second

// refusedError is a statement the sandbox refused unrun (it writes, reads
// a file, changes the session, or is more than one); the prompt keeps it
// out of its history.
type refusedError struct{ error }

// cutShortError is a result the driver ended early, DuckDB having failed
// to copy a chunk of it out (see warehouse.ResultRows).
type cutShortError struct{ error }

// abandonedError is a statement that did not stop when interrupted: it
// still runs and holds the warehouse, and only the end of the process
// stops it.
type abandonedError struct{ error }

func (e *abandonedError) Unwrap() error { return e.error }

// execStatement is runStatement's work, run in a goroutine it can give up.
func (a *app) execStatement(ctx context.Context, w *warehouse.Warehouse, out io.Writer, query, format string) (int, error) {
	if w == nil {
		opened, err := a.open(ctx, true)
		if err != nil {
			return 0, err
		}
		defer opened.Close()
		w = opened
	}
	release := func() {}
	if sqlDataLimit > 0 {
		release = holdFetchReserve()
	}
	rows, err := w.QueryRead(ctx, query)
	release()
	if err != nil {
		return 0, err
	}
	want, known := warehouse.ResultRows(rows)
	cutShort := func(n int64) error {
		if known && n < want && ctx.Err() == nil {
			return cutShortError{fmt.Errorf(a.t("câu lệnh cần quá nhiều bộ nhớ (wardstat sql dùng tối đa 1 GiB): DuckDB không chép được kết quả, chỉ %d trong %d dòng được đọc; hãy thu hẹp nó (WHERE, LIMIT, giá trị nhỏ hơn)",
				"the statement needed more memory than wardstat sql allows (1 GiB): DuckDB could not copy its result out, only %d of its %d rows were read; narrow it (WHERE, LIMIT, smaller values)"), n, want)}
		}
		return nil
	}
	if format == "arrow" {
		return a.writeArrow(ctx, w, out, query)
	}
	if format != "table" {
		// CSV and JSON go out row by row: a result of millions of rows is
		// never held in memory.
		n, err := render.Stream(out, rows, format)
		if err == nil {
			err = cutShort(n)
		}
		return int(n), err
	}
	res, kept, err := render.FromRowsBudget(rows, tableBudget)
	if err == nil {
		err = cutShort(int64(len(res.Rows)) + kept.More)
	}
	if err != nil {
		return 0, err
	}
	more := kept.More
	// Analysts see the real column names.
	if err := render.Write(out, res, format, ""); err != nil {
		return 0, err
	}
	if more > 0 {
		fmt.Fprintf(a.stderr, a.t("(chỉ hiện %d dòng đầu trong %d; --format csv ghi đủ)\n", "(showing the first %d of %d rows; --format csv writes them all)\n"),
			len(res.Rows), int64(len(res.Rows))+more)
	}
	if kept.Cut > 0 {
		fmt.Fprintf(a.stderr, a.t("(%d ô dài bị cắt còn %d ký tự, đánh dấu …; --format csv ghi đủ)\n", "(%d long cells cut to %d characters, marked …; --format csv writes them whole)\n"),
			kept.Cut, tableBudget.Cell)
	}
	return len(res.Rows) + int(more), nil
}

// tableBudget is what a table shows: a table is for a person, and its
// rows are held in memory to align the columns, so it keeps at most
// 10,000 rows and 32 MB of cells, each text cut to 200 characters.
var tableBudget = render.Budget{Rows: 10_000, Bytes: 32 << 20, Cell: 200}

// maxQueryBytes caps a statement's text, refused before anything parses
// it: DuckDB's parser took 1.75 GB for a 200 MB text.
const maxQueryBytes = warehouse.MaxQueryBytes

// statementError says in one line why a statement did not run to its end.
func (a *app) statementError(ctx, stmtCtx context.Context, err error, lim sqlLimits) error {
	var se *warehouse.StatementError
	var cut cutShortError
	switch {
	case errors.As(err, &cut):
		return err
	case errors.As(err, &se) && se.Function != "":
		return refusedError{fmt.Errorf(a.t("hàm %s() không được dùng trong wardstat sql (nó đổi phiên làm việc hoặc đọc tệp); kho chỉ đọc, không đọc hay ghi tệp nào ngoài kho",
			"the function %s() is not allowed in wardstat sql (it changes the session or reads files); the warehouse is read-only and no file outside it is read or written"), se.Function)}
	case errors.As(err, &se) && se.Table != "":
		return refusedError{fmt.Errorf(a.t("bảng %s là tên một tệp; wardstat sql chỉ đọc các bảng, view của kho và tên WITH của chính câu lệnh, không đọc tệp nào",
			"the table %s names a file; wardstat sql reads only the warehouse's tables and views and the statement's own WITH names, no file"), quoteCut(se.Table))}
	case errors.As(err, &se) && se.Unsplit:
		return refusedError{fmt.Errorf(a.t("không tách chắc chắn được %d câu lệnh này; hãy chạy từng câu một", "the %d statements could not be told apart with certainty; run them one at a time"), se.Statements)}
	case errors.As(err, &se) && se.Statements > 1:
		return refusedError{fmt.Errorf(a.t("có %d câu lệnh; wardstat sql chạy mỗi lần một câu", "%d statements given; wardstat sql runs one at a time"), se.Statements)}
	case errors.As(err, &se):
		return refusedError{fmt.Errorf("%s", a.t("wardstat sql chỉ chạy câu lệnh đọc (SELECT, FROM, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE); COPY, EXPORT, ATTACH, SET, PRAGMA, INSTALL, LOAD, CREATE, CALL, EXPLAIN bị từ chối: kho chỉ đọc và không ghi tệp nào",
			"wardstat sql runs only statements that read (SELECT, FROM, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE); COPY, EXPORT, ATTACH, SET, PRAGMA, INSTALL, LOAD, CREATE, CALL and EXPLAIN are refused: the warehouse is read-only and no file is written"))}
	case errors.Is(stmtCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		return fmt.Errorf(a.t("câu lệnh chạy quá %s nên đã bị dừng; hãy thu hẹp nó (WHERE, LIMIT) hoặc tăng giới hạn, ví dụ --timeout %s",
			"the statement ran longer than %s and was stopped; narrow it (WHERE, LIMIT) or raise the limit, e.g. --timeout %s"), lim.timeout, 2*lim.timeout)
	case ctx.Err() != nil:
		return fmt.Errorf("%s", a.t("câu lệnh đã bị hủy (Ctrl-C)", "the statement was cancelled (Ctrl-C)"))
	case strings.Contains(err.Error(), "max_temp_directory_size"):
		return fmt.Errorf(a.t("câu lệnh cần quá %s đĩa tạm cạnh kho nên đã bị dừng; hãy thu hẹp nó (WHERE, LIMIT) hoặc tăng --max-temp",
			"the statement needed more than %s of temporary disk beside the warehouse and was stopped; narrow it (WHERE, LIMIT) or raise --max-temp"), lim.maxTemp)
	case strings.Contains(err.Error(), "Out of Memory Error"):
		return errors.New(a.t("câu lệnh cần quá nhiều bộ nhớ (wardstat sql dùng tối đa 1 GiB) nên đã bị dừng; hãy thu hẹp nó (WHERE, LIMIT, giá trị nhỏ hơn)",
			"the statement needed more memory than wardstat sql allows (1 GiB) and was stopped; narrow it (WHERE, LIMIT, smaller values)"))
	case errors.Is(err, warehouse.ErrLocked), errors.Is(err, warehouse.ErrNoWarehouse):
		return err
	}
	return fmt.Errorf(a.t("câu lệnh không chạy được (thông báo của DuckDB): %w", "query: %w"), err)
}

// printQuery runs a query and writes its result in a format and language.
func (a *app) printQuery(ctx context.Context, w *warehouse.Warehouse, query, format, lang string) error {
	rows, err := w.DB().QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf(a.t("câu lệnh không chạy được (thông báo của DuckDB): %w", "query: %w"), err)
	}
	res, err := render.FromRows(rows)
	if err != nil {
		return fmt.Errorf(a.t("câu lệnh không chạy được (thông báo của DuckDB): %w", "query: %w"), err)
	}
	return render.Write(a.stdout, res, format, lang)
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// quoteCut quotes a name for a message, cut to 80 characters.
func quoteCut(s string) string {
	if c, ok := render.CutText(s, 80); ok {
		s = c
	}
	return strconv.Quote(s)
}
