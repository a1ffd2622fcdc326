package main

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"wardstat/render"
	sqlmodels "wardstat/sql"
)

func newDescribeCommand(a *app) *cobra.Command {
	var columns bool
	cmd := &cobra.Command{
		Use:   "describe [NAME]",
		Short: "List the tables, views and macros analysts can query, with a sentence each",
		Long: `List every table, view and macro of the warehouse with what it holds.
With a NAME, show that one's columns (or a macro's parameters) too.`,
		Example: `  wardstat describe
  wardstat describe mart_trends
  wardstat describe report_form`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			return a.runDescribe(cmd.Context(), name, columns)
		},
	}
	cmd.Flags().BoolVar(&columns, "columns", false, "list every object's columns")
	return cmd
}

func (a *app) runDescribe(ctx context.Context, name string, allColumns bool) error {
	w, err := a.open(ctx, true)
	if err != nil {
		return err
	}
	defer w.Close()
	found := false
	for _, d := range sqlmodels.Docs() {
		if name != "" && d.Name != name {
			continue
		}
		if strings.HasPrefix(d.Name, "stage_") {
			continue
		}
		found = true
		fmt.Fprintf(a.stdout, "%s (%s)\n", d.Name, d.Kind)
		if text := a.t(d.VI, d.Text); text != "" {
			fmt.Fprintf(a.stdout, "  %s\n", wrap(text, 90, "  "))
		}
		if name == "" && !allColumns {
			continue
		}
		var q string
		switch d.Kind {
		case "macro":
			q = fmt.Sprintf(`SELECT function_name || '(' || array_to_string(parameters, ', ') || ')' AS "%s" FROM duckdb_functions() WHERE function_name = '%s' LIMIT 1`, a.t("cách gọi", "call"), d.Name)
		default:
			q = fmt.Sprintf(`SELECT column_name AS "%s", column_type AS "%s" FROM (DESCRIBE %s)`, a.t("cột", "column"), a.t("kiểu", "type"), d.Name)
		}
		rows, err := w.DB().QueryContext(ctx, q)
		if err != nil {
			return err
		}
		res, err := render.FromRows(rows)
		if err != nil {
			return err
		}
		var b strings.Builder
		render.Table(&b, res, "")
		for _, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
			fmt.Fprintf(a.stdout, "    %s\n", line)
		}
		fmt.Fprintln(a.stdout)
	}
	if !found {
		// Not a command-line mistake (exit 2): a name the warehouse has not.
		return fmt.Errorf(a.t("%q không phải bảng, view hay macro của kho; `wardstat describe` liệt kê chúng",
			"%q is not a table, view or macro of the warehouse; `wardstat describe` lists them"), name)
	}
	return nil
}

func wrap(s string, width int, indent string) string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if utf8.RuneCountInString(line)+utf8.RuneCountInString(word)+1 > width && line != "" {
			lines = append(lines, line)
			line = word
		} else if line == "" {
			line = word
		} else {
			line += " " + word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n"+indent)
}
