package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"wardstat/render"
	"wardstat/warehouse"
)

func newUnitsCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "units",
		Short: "Manage the unit registry (wards, districts, provinces over time)",
	}
	importCmd := &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Replace the unit registry with a CSV file",
		Long: `Replace the unit registry with a CSV whose header is
  code,name,district,province,valid_from,valid_to
Dates are YYYY-MM-DD; an empty valid_from means always, an empty valid_to
means still valid. A ward may appear on several rows over time (after the
2025 mergers a ward has no district: leave it empty).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			units, err := warehouse.ReadUnits(f)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			w, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer w.Close()
			if err := w.ReplaceUnits(cmd.Context(), units); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, a.t("đã nạp %d đơn vị từ %s\n", "loaded %d units from %s\n"), len(units), args[0])
			return nil
		},
	}
	listCmd := &cobra.Command{
		Use:   "list",
		Short: "List the unit registry",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w, err := a.open(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer w.Close()
			rows, err := w.DB().QueryContext(cmd.Context(), `SELECT * FROM units ORDER BY province, district, code, valid_from`)
			if err != nil {
				return err
			}
			res, err := render.FromRows(rows)
			if err != nil {
				return err
			}
			return render.Table(a.stdout, res, a.lang)
		},
	}
	cmd.AddCommand(importCmd, listCmd)
	return cmd
}
