package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"wardstat/demo"
	"wardstat/internal/msg"
	"wardstat/pipeline"
	"wardstat/report"
	"wardstat/warehouse"
)

type demoFlags struct {
	dir, out, reports string
	today             string // "" is today; a fixed day makes the demo reproducible
	months            int
	scale             float64
}

func newDemoCommand(a *app) *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Generate a demo district, load it, and print its report forms",
		Long: `Generate a realistic demo district — twelve wards, two years of dossiers
exported by six different vendor systems (Excel with title rows and merged
headers, semicolon CSV, UTF-16 text, the national portal's JSON, an English
NDJSON API in UTC), with the Tết dip and a few bad rows — load it into the
warehouse, print the report form for the last full month and the year to
date, run the data tests, and write the marts as Parquet and the nightly
report (HTML with charts, the XLSX form).

Run it twice on the same day and the second run loads nothing: every file
is recognised as already loaded.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runDemo(cmd.Context(), f) },
	}
	cmd.Flags().StringVar(&f.dir, "dir", "demo-exports", "where to write the generated exports")
	cmd.Flags().StringVar(&f.out, "out", "parquet", "where to write the Parquet marts")
	cmd.Flags().StringVar(&f.reports, "reports", "reports", "where to write the nightly report (HTML and XLSX)")
	cmd.Flags().StringVar(&f.today, "today", "", "generate as if today were this day, YYYY-MM-DD (a reproducible demo; default: today)")
	cmd.Flags().IntVar(&f.months, "months", 24, "months of history")
	cmd.Flags().Float64Var(&f.scale, "scale", 1, "volume multiplier (1: about 90,000 dossiers)")
	return cmd
}

func (a *app) runDemo(ctx context.Context, f demoFlags) error {
	if err := a.outDir(f.out); err != nil {
		return err
	}
	now := time.Now().In(vietnam)
	if f.today != "" {
		d, err := time.Parse(time.DateOnly, f.today)
		if err != nil {
			return usageError{fmt.Errorf("--today %q: write the day as YYYY-MM-DD", f.today)}
		}
		now = time.Date(d.Year(), d.Month(), d.Day(), 17, 0, 0, 0, vietnam) // after closing, as a nightly run
	}
	// the warehouse counts a period not over as of this day too
	a.clock = now
	today := time.Date(now.Year(), now.Month(), now.Day(), 17, 0, 0, 0, time.UTC) // the day's exports, pulled after closing
	fmt.Fprintf(a.stdout, a.t("Tạo dữ liệu mẫu của huyện trong %s …\n", "Generating the demo district in %s …\n"), f.dir)
	m, err := demo.Generate(f.dir, demo.Options{Now: today, Months: f.months, Scale: f.scale})
	if err != nil {
		return msg.Errorf("tạo dữ liệu mẫu: %w", "generating the demo: %w", err)
	}
	w, err := a.open(ctx, false)
	if err != nil {
		return err
	}
	defer w.Close()
	uf, err := os.Open(m.Units)
	if err != nil {
		return err
	}
	units, err := warehouse.ReadUnits(uf)
	uf.Close()
	if err != nil {
		return err
	}
	if err := w.ReplaceUnits(ctx, units); err != nil {
		return err
	}
	h, err := a.hasher(ctx, w)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, a.t("Nạp %d tệp của %d đơn vị vào %s\n", "Loading %d files of %d wards into %s\n"), len(m.Files), len(units), a.dbPath)
	run := &ingestRun{}
	for _, file := range m.Files {
		if err := a.ingestOne(ctx, w, file.Path, pipeline.FileOptions{Ward: file.Ward, Source: file.Source, Hasher: h}, run); err != nil {
			return err
		}
	}
	a.printUnknownWards(a.stdout, run)
	lastMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	yearStart := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	todayDate := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	for _, p := range []struct{ from, to time.Time }{
		{lastMonth, lastMonth.AddDate(0, 1, -1)},
		{yearStart, todayDate},
	} {
		fmt.Fprintln(a.stdout)
		res, err := formResult(ctx, w, warehouse.ReportOptions{From: p.from, To: p.to, By: "ward"})
		if err != nil {
			return err
		}
		if err := a.writeResult(res, "table", "", a.formTitle(p.from, p.to)); err != nil {
			return err
		}
	}
	if _, err := w.RunDataTests(ctx); err != nil {
		return err
	}
	lake, err := w.ExportLake(ctx, f.out)
	if err != nil {
		return err
	}
	written, err := w.ExportMarts(ctx, f.out, lastMonth, yearStart, todayDate)
	if err != nil {
		return err
	}
	reports, err := report.Nightly(ctx, w.DB(), f.reports, report.Options{Month: lastMonth, Lang: a.lang, Now: now})
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout)
	for _, p := range append(written, reports...) {
		fmt.Fprintf(a.stdout, a.t("đã ghi %s\n", "wrote %s\n"), p)
	}
	fmt.Fprintf(a.stdout, a.t("kho Parquet %s: %d phân vùng ghi mới, %d không đổi\n", "Parquet lake %s: %d partitions written, %d unchanged\n"),
		f.out, lake.Written, lake.Unchanged)
	fmt.Fprintf(a.stdout, a.t("\nTruy vấn tiếp: %s --db %s sql \"SELECT * FROM ward_month WHERE month = '%s'\"\n",
		"\nQuery on: %s --db %s sql \"SELECT * FROM ward_month WHERE month = '%s'\"\n"), a.self(), shellQuote(filepath.Clean(a.dbPath)), lastMonth.Format("2006-01"))
	return nil
}
