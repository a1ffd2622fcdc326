package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"wardstat/warehouse"
)

// importCommand makes "<name> import FILE.csv" for a reference table.
func importCommand(a *app, use, short, long string, load func(context.Context, *warehouse.Warehouse, io.Reader) (int, error)) *cobra.Command {
	parent := &cobra.Command{Use: use, Short: short}
	parent.AddCommand(&cobra.Command{
		Use:   "import FILE.csv",
		Short: short,
		Long:  long,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			w, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer w.Close()
			n, err := load(cmd.Context(), w, f)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			fmt.Fprintf(a.stdout, a.t("đã nạp %d dòng từ %s\n", "loaded %d rows from %s\n"), n, args[0])
			return nil
		},
	})
	return parent
}

func newProceduresCommand(a *app) *cobra.Command {
	return importCommand(a, "procedures", "Replace the procedure catalogue (allowed working days per procedure)",
		`The catalogue gives each procedure its allowed working days, so that a
dossier whose export lacks a due date gets one (counted from the day of
receipt, from the next day when received at 15:00 or later). CSV header:
  procedure_code,procedure_name,sector,working_days
A dossier matches by code, else by name. Loads after the import use it.`,
		func(ctx context.Context, w *warehouse.Warehouse, r io.Reader) (int, error) {
			return w.ImportProcedures(ctx, r)
		})
}

func newExportCommand(a *app) *cobra.Command {
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:   "export [--out DIR]",
		Short: "Run the data tests, then write the marts as a Parquet lake for dashboards",
		Long: `Run the data tests; when they pass, write every mart into DIR as Parquet,
one folder per mart partitioned by month (DIR/<mart>/month=YYYY-MM/data.parquet;
only the months whose rows changed are rewritten, each swapped in
atomically). A mart's folder holds nothing else, so it can be globbed:
  SELECT * FROM read_parquet('DIR/mart_trends/**', hive_partitioning = true)
Each mart's columns are described in DIR/_schema/<mart>.md. A failing
data test stops the export and says which rows.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.outDir(out); err != nil {
				return err
			}
			w, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer w.Close()
			ctx := cmd.Context()
			if force {
				ctx = warehouse.ForceLakeOwner(ctx)
			}
			// Another node's lake is refused before anything is written.
			if _, err := w.CheckLakeOwner(ctx, out); err != nil {
				return err
			}
			results, err := w.RunDataTests(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, a.t("%d kiểm tra dữ liệu đạt\n", "%d data tests passed\n"), len(results))
			now := a.now()
			today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
			lastMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
			// The lake first: the dashboards' ward_month is then read from it.
			res, err := w.ExportLake(ctx, out)
			if err != nil {
				return err
			}
			if _, err := w.ExportMarts(cmd.Context(), out, lastMonth, time.Date(now.Year(), 1, 1, 0, 0, 0, 0, time.UTC), today); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, a.t("kho Parquet %s: %d phân vùng ghi mới, %d không đổi, %d xóa\n", "Parquet lake %s: %d partitions written, %d unchanged, %d removed\n"),
				out, res.Written, res.Unchanged, res.Removed)
			if res.Incremental {
				fmt.Fprintf(a.stdout, a.t("kho Parquet chỉ tính lại từ tháng %s: %d hồ sơ thay đổi từ lần xuất trước\n",
					"the lake was recomputed from %s on: %d dossiers changed since the last export\n"), res.FromMonth, res.Changed)
			}
			fmt.Fprintf(a.stdout, a.t("hồ sơ trong kho Parquet (dossiers, dossier_events, units, loads): %d phân vùng ghi mới, %d không đổi, %d xóa\n",
				"dossier facts in the lake (dossiers, dossier_events, units, loads): %d partitions written, %d unchanged, %d removed\n"),
				res.Facts.Written, res.Facts.Unchanged, res.Facts.Removed)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "parquet", "the lake's folder")
	cmd.Flags().BoolVar(&force, "force", false, "write into a lake another warehouse wrote: this warehouse's data replaces that lake's whole")
	return cmd
}
