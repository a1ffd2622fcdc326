package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"wardstat/render"
	"wardstat/warehouse"
)

// defaultStatementTimeout stops an analyst's statement that runs away
// (a cross join, a DISTINCT over millions): --timeout changes it.
const defaultStatementTimeout = 5 * time.Minute

// sqlLimits are the sandbox's limits, from the sql command's flags.
type sqlLimits struct {
	timeout time.Duration
	maxTemp string
}

func newSQLCommand(a *app) *cobra.Command {
	var format, file string
	lim := sqlLimits{timeout: defaultStatementTimeout, maxTemp: warehouse.DefaultMaxTempSize}
	cmd := &cobra.Command{
		Use:   `sql [--format table|csv|json] "QUERY"`,
		Short: "Query the warehouse in SQL (read-only)",
		Long: `Run a query on the warehouse, read-only: it cannot change the warehouse
or read files outside it. The query comes from the argument, from --file,
or from standard input; with none of them on a terminal, an interactive
prompt opens (statements end with ';', arrows recall ~/.wardstat_history,
Ctrl-C stops the running statement).

One statement at a time, and only one that reads (SELECT, FROM, WITH,
VALUES, DESCRIBE, SHOW, SUMMARIZE): COPY, EXPORT, ATTACH, SET, PRAGMA,
INSTALL, LOAD, CREATE, CALL and EXPLAIN are refused. A statement stops
after --timeout and when it needs more than --max-temp of temporary disk
beside the warehouse. The warehouse is open only while a statement runs,
so a load can start while the prompt waits.

Tables: dossiers, dossier_history, loads, rejects, units, statuses, job_runs.
Views: dossier_versions, ward_month, mart_* (wardstat describe lists them all).
Views and macros: report_form(start, end), ward_month, dossier_days,
form_counts(start, end), unit_at(start, end).`,
		Example: `  wardstat sql "SELECT * FROM report_form('2026-10-01', '2026-10-31')"
  wardstat sql --format csv "SELECT month, ward_code, on_time_rate FROM ward_month"
  wardstat sql "SELECT reason_code, count(*) FROM rejects GROUP BY 1"
  echo "SELECT count(*) FROM dossiers" | wardstat sql`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "csv" && format != "json" {
				return usageError{fmt.Errorf("--format %q: use table, csv or json", format)}
			}
			if lim.timeout <= 0 {
				return usageError{fmt.Errorf("--timeout %s: give a positive duration, e.g. 10m", lim.timeout)}
			}
			a.maxTemp = lim.maxTemp
			if len(args) == 0 && file == "" {
				if f, ok := cmd.InOrStdin().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
					// Fail now, not at the first statement, when there is no warehouse.
					w, err := a.open(cmd.Context(), true)
					if err != nil {
						return err
					}
					w.Close()
					return a.runPrompt(cmd.Context(), format, lim)
				}
			}
			query, err := readQuery(cmd.InOrStdin(), args, file)
			if err != nil {
				return err
			}
			return a.runSQL(cmd.Context(), query, format, lim)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table, csv or json")
	cmd.Flags().StringVarP(&file, "file", "f", "", "read the query from this file")
	cmd.Flags().DurationVar(&lim.timeout, "timeout", lim.timeout, "stop a statement that runs longer than this")
	cmd.Flags().StringVar(&lim.maxTemp, "max-temp", lim.maxTemp, "stop a statement that needs more temporary disk than this (e.g. 500MB, 4GB)")
	return cmd
}

func readQuery(stdin io.Reader, args []string, file string) (string, error) {
	switch {
	case len(args) == 1 && file != "":
		return "", usageError{fmt.Errorf("give the query as an argument or with --file, not both")}
	case len(args) == 1:
		return args[0], nil
	case file != "":
		b, err := os.ReadFile(file)
		return string(b), err
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return "", usageError{fmt.Errorf("give a query, e.g. wardstat sql \"SELECT * FROM report_form('2026-10-01', '2026-10-31')\"")}
	}
	b, err := io.ReadAll(stdin)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(string(b)) == "" {
		return "", usageError{fmt.Errorf("the query is empty")}
	}
	return string(b), nil
}

func (a *app) runSQL(ctx context.Context, query, format string, lim sqlLimits) error {
	_, err := a.runStatement(ctx, a.stdout, query, format, lim)
	return err
}

// runStatement runs one analyst statement in the sandbox and writes its
// result: it opens the warehouse read-only (or the published snapshot
// while a load holds it), checks the statement reads only, runs it under
// the timeout and closes the warehouse again, so that nothing holds the
// file between statements. It returns the number of rows written.
func (a *app) runStatement(ctx context.Context, out io.Writer, query, format string, lim sqlLimits) (int, error) {
	stmtCtx, cancel := context.WithTimeout(ctx, lim.timeout)
	defer cancel()
	w, err := a.open(stmtCtx, true)
	if err != nil {
		return 0, a.statementError(ctx, stmtCtx, err, lim)
	}
	defer w.Close()
	rows, err := w.QueryRead(stmtCtx, query)
	if err != nil {
		return 0, a.statementError(ctx, stmtCtx, err, lim)
	}
	if format != "table" {
		// CSV and JSON go out row by row: a result of millions of rows is
		// never held in memory.
		n, err := render.Stream(out, rows, format)
		if err != nil {
			return int(n), a.statementError(ctx, stmtCtx, err, lim)
		}
		return int(n), nil
	}
	res, more, err := render.FromRowsLimit(rows, tableRowLimit)
	if err != nil {
		return 0, a.statementError(ctx, stmtCtx, err, lim)
	}
	// Analysts see the real column names.
	if err := render.Write(out, res, format, ""); err != nil {
		return 0, err
	}
	if more > 0 {
		fmt.Fprintf(a.stderr, a.t("(chỉ hiện %d dòng đầu trong %d; --format csv ghi đủ)\n", "(showing the first %d of %d rows; --format csv writes them all)\n"),
			len(res.Rows), int64(len(res.Rows))+more)
	}
	return len(res.Rows) + int(more), nil
}

// tableRowLimit is how many rows a table shows: a table is for a person,
// and its rows are held in memory to align the columns.
const tableRowLimit = 10_000

// statementError says in one line why a statement did not run to its end.
func (a *app) statementError(ctx, stmtCtx context.Context, err error, lim sqlLimits) error {
	var se *warehouse.StatementError
	switch {
	case errors.As(err, &se) && se.Function != "":
		return fmt.Errorf(a.t("hàm %s() không được dùng trong wardstat sql (nó đổi phiên làm việc hoặc đọc tệp); kho chỉ đọc, không đọc hay ghi tệp nào ngoài kho",
			"the function %s() is not allowed in wardstat sql (it changes the session or reads files); the warehouse is read-only and no file outside it is read or written"), se.Function)
	case errors.As(err, &se) && se.Statements > 1:
		return fmt.Errorf(a.t("có %d câu lệnh; wardstat sql chạy mỗi lần một câu", "%d statements given; wardstat sql runs one at a time"), se.Statements)
	case errors.As(err, &se):
		return fmt.Errorf("%s", a.t("wardstat sql chỉ chạy câu lệnh đọc (SELECT, FROM, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE); COPY, EXPORT, ATTACH, SET, PRAGMA, INSTALL, LOAD, CREATE, CALL, EXPLAIN bị từ chối: kho chỉ đọc và không ghi tệp nào",
			"wardstat sql runs only statements that read (SELECT, FROM, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE); COPY, EXPORT, ATTACH, SET, PRAGMA, INSTALL, LOAD, CREATE, CALL and EXPLAIN are refused: the warehouse is read-only and no file is written"))
	case errors.Is(stmtCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		return fmt.Errorf(a.t("câu lệnh chạy quá %s nên đã bị dừng; hãy thu hẹp nó (WHERE, LIMIT) hoặc tăng giới hạn, ví dụ --timeout %s",
			"the statement ran longer than %s and was stopped; narrow it (WHERE, LIMIT) or raise the limit, e.g. --timeout %s"), lim.timeout, 2*lim.timeout)
	case ctx.Err() != nil:
		return fmt.Errorf("%s", a.t("câu lệnh đã bị hủy (Ctrl-C)", "the statement was cancelled (Ctrl-C)"))
	case strings.Contains(err.Error(), "max_temp_directory_size"):
		return fmt.Errorf(a.t("câu lệnh cần quá %s đĩa tạm cạnh kho nên đã bị dừng; hãy thu hẹp nó (WHERE, LIMIT) hoặc tăng --max-temp",
			"the statement needed more than %s of temporary disk beside the warehouse and was stopped; narrow it (WHERE, LIMIT) or raise --max-temp"), lim.maxTemp)
	case errors.Is(err, warehouse.ErrLocked), errors.Is(err, warehouse.ErrNoWarehouse):
		return err
	}
	return fmt.Errorf("query: %w", err)
}

// printQuery runs a query and writes its result in a format and language.
func (a *app) printQuery(ctx context.Context, w *warehouse.Warehouse, query, format, lang string) error {
	rows, err := w.DB().QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	res, err := render.FromRows(rows)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	return render.Write(a.stdout, res, format, lang)
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
