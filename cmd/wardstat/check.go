package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func newCheckCommand(a *app) *cobra.Command {
	var config string
	cmd := &cobra.Command{
		Use:   "check --config FILE",
		Short: "Validate a configuration file offline",
		Long: `Validate a configuration file without touching the network or the
warehouse, and print every problem with its line. The secrets' variables
(token_env, pii_key_env) need not be set where check or status run: check
notes those that are not; serve and run refuse to start without them (run
--source and backfill need only that source's token, run --job no token).

A configuration (YAML; unknown keys are errors; paths are relative to the file):

  warehouse: wardstat.duckdb          # the DuckDB file
  publish: published/wardstat.duckdb  # the read-only copy analysts query (this default)
  # publish_group: analysts           # who may read it (mode 0640); default: the daemon's group
  units: units.csv                    # unit registry, imported by the build job
  listen: 127.0.0.1:9464              # /healthz, /metrics, /runs
  timezone: Asia/Ho_Chi_Minh          # of the schedules
  pii_key_env: WARDSTAT_PII_KEY       # where the applicant-hash key comes from
  sources:
    - name: an-binh
      ward: 000.31.09.H26
      url: https://igate.example.vn/export?from={from}&to={to}
      token_env: ANBINH_TOKEN         # a bearer token, from the environment only
      window_days: 90                 # {from} = today - 90 days, {to} = today
      pagination: {type: page, param: page}   # or {type: next, next_field: links.next}
      timeout: 60s
      retries: 3                      # after a failed request; 0: none
      max_bytes: 1073741824
      schedule: "0 1 * * *"           # cron; "CRON_TZ=… " or a seconds field allowed
      freshness: {warn: 2d, error: 7d}
    - name: phu-my
      path: drop/phu-my/              # a drop folder: loaded files move to done/ or failed/
      format: auto                    # auto | csv | xlsx | xls | json | html
      map: {received_at: "Ngày nhận HS"}
      settle: 5s                      # a dropped file must stop growing this long
      schedule: "*/15 * * * *"
  jobs:
    build:  {schedule: "30 2 * * *"}                  # unit registry + publish the snapshot
    export: {schedule: "0 3 * * *", out: parquet}     # Parquet marts
    report: {schedule: "0 6 * * *", out: reports}     # the form as XLSX, source freshness
  flight:                             # optional: Arrow Flight SQL on the snapshot (wardstat flight --help)
    addr: 0.0.0.0:31337
    tokens_file: flight-tokens.txt    # name:token lines, chmod 600 (or WARDSTAT_FLIGHT_TOKEN)
    tls_cert: tls/cert.pem
    tls_key: tls/key.pem
    statement_timeout: 5m
    max_rows: 10000000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfigOffline(config)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, a.t("%s hợp lệ: %d nguồn, kho %s\n", "%s is valid: %d sources, warehouse %s\n"), config, len(cfg.Sources), cfg.Warehouse)
			for _, m := range cfg.MissingSecrets() {
				fmt.Fprintf(a.stderr, a.t("lưu ý: %s dòng %d (%s): biến môi trường %s chưa được đặt ở đây; serve, run và backfill cần nó\n",
					"note: %s line %d (%s): the environment variable %s is not set here; serve, run and backfill need it\n"),
					config, m.Line, strings.TrimPrefix(m.Path, "$."), m.Variable)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "the configuration file")
	return cmd
}
