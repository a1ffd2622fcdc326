package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"wardstat/render"
	"wardstat/warehouse"
)

func newSQLCommand(a *app) *cobra.Command {
	var format, file string
	cmd := &cobra.Command{
		Use:   `sql [--format table|csv|json] "QUERY"`,
		Short: "Query the warehouse in SQL (read-only)",
		Long: `Run a query on the warehouse, read-only: it cannot change the warehouse
or read files outside it. The query comes from the argument, from --file,
or from standard input; with none of them on a terminal, an interactive
prompt opens (statements end with ';', arrows recall ~/.wardstat_history).

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
			if len(args) == 0 && file == "" {
				if f, ok := cmd.InOrStdin().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
					w, err := a.open(cmd.Context(), true)
					if err != nil {
						return err
					}
					defer w.Close()
					return a.runPrompt(cmd.Context(), w, format)
				}
			}
			query, err := readQuery(cmd.InOrStdin(), args, file)
			if err != nil {
				return err
			}
			return a.runSQL(cmd.Context(), query, format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table, csv or json")
	cmd.Flags().StringVarP(&file, "file", "f", "", "read the query from this file")
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

func (a *app) runSQL(ctx context.Context, query, format string) error {
	if format != "table" && format != "csv" && format != "json" {
		return usageError{fmt.Errorf("--format %q: use table, csv or json", format)}
	}
	w, err := a.open(ctx, true)
	if err != nil {
		return err
	}
	defer w.Close()
	return a.printQuery(ctx, w, query, format, "") // analysts see the real column names
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
