package main

import (
	"time"

	"github.com/spf13/cobra"

	"wardstat/internal/msg"
)

func newBackfillCommand(a *app) *cobra.Command {
	var config, source, from, to string
	var step int
	cmd := &cobra.Command{
		Use:   "backfill --config FILE --source NAME --from YYYY-MM-DD --to YYYY-MM-DD",
		Short: "Re-pull a date range from a source whose URL takes {from} and {to}",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := time.Parse(time.DateOnly, from)
			if err != nil {
				return usageError{msg.Errorf("--from %q: hãy ghi ngày dạng YYYY-MM-DD", "--from %q: write the date as YYYY-MM-DD", from)}
			}
			t, err := time.Parse(time.DateOnly, to)
			if err != nil || t.Before(f) {
				return usageError{msg.Errorf("--to %q: hãy ghi ngày dạng YYYY-MM-DD, không trước --from", "--to %q: write the date as YYYY-MM-DD, not before --from", to)}
			}
			r, closeFn, err := a.configRunnerPulling(cmd.Context(), config, false, []string{source}, a.log, nil)
			if err != nil {
				return err
			}
			defer closeFn()
			results, err := r.Backfill(cmd.Context(), source, f, t, step)
			for _, res := range results {
				a.printPull(res)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "the configuration file")
	cmd.Flags().StringVar(&source, "source", "", "the source to re-pull")
	cmd.Flags().StringVar(&from, "from", "", "first day")
	cmd.Flags().StringVar(&to, "to", "", "last day")
	cmd.Flags().IntVar(&step, "step-days", 31, "days per request")
	return cmd
}
