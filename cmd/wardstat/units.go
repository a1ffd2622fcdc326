package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"wardstat/warehouse"
)

func newUnitsCommand(a *app) *cobra.Command {
	cmd := importCommand(a, "units", "Replace the unit registry (wards, districts, provinces over time) with a CSV file",
		`Replace the unit registry with a CSV whose header is
  code,name,district,province,valid_from,valid_to
Dates are YYYY-MM-DD; an empty valid_from means always, an empty valid_to
means still valid. A ward may appear on several rows over time (after the
2025 mergers a ward has no district: leave it empty).`,
		func(ctx context.Context, w *warehouse.Warehouse, r io.Reader) (int, error) {
			units, err := warehouse.ReadUnits(r)
			if err != nil {
				return 0, err
			}
			return len(units), w.ReplaceUnits(ctx, units)
		})
	cmd.Short = "Manage the unit registry (wards, districts, provinces over time)"
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the unit registry",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w, err := a.open(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer w.Close()
			return a.printQuery(cmd.Context(), w, `SELECT * FROM units ORDER BY province, district, code, valid_from`, "table", a.lang)
		},
	})
	return cmd
}
