package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"wardstat/internal/msg"
	"wardstat/schedules"
	"wardstat/warehouse"
)

// newLakeCommand is `wardstat lake`: a node that reads other nodes'
// published lakes (wardstat export --out) in place, and computes the form,
// marts and trends over all of them (warehouse.OpenFederation).
func newLakeCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lake",
		Short: "Federate other wardstat nodes' Parquet lakes: the form, marts and trends over all of them",
		Long: `A provincial or national wardstat computes the form, the marts and the trends
over the Parquet lakes that other wardstat nodes published (wardstat export
--out DIR, on a shared or synchronised folder), without loading them: each
lake's dossiers, dossier history and unit registry are read in place, and
the form's own SQL (report_form, ward_month, mart_*) runs over all of them.

  wardstat lake attach NAME DIR   record a lake in this warehouse (again: nothing changes)
  wardstat lake list              the attached lakes and what each holds
  wardstat lake report ...        the form over the lakes (report's flags)
  wardstat lake sql "QUERY"       a read-only query over the lakes

Lakes may also be named in the configuration (lakes: with name and dir);
--config adds them. Two lakes holding the same ward are refused: its
dossiers would be counted twice. Two nodes of one province (each its
districts' wards) federate.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newLakeAttachCommand(a), newLakeDetachCommand(a), newLakeListCommand(a),
		federated(a, newReportCommand(a), "report"), federated(a, newSQLCommand(a), "sql"))
	return cmd
}

func newLakeAttachCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "attach NAME DIR",
		Short:   "Record another node's lake in this warehouse, after reading it",
		Example: `  wardstat lake attach ninh_binh /srv/lakes/ninh-binh`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := warehouse.CheckLakeName(args[0]); err != nil {
				return usageError{err}
			}
			w, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer w.Close()
			info, changed, err := w.AttachLake(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			a.warnUnitConflicts(info.UnitConflicts)
			if !changed {
				fmt.Fprintf(a.stdout, a.t("kho Parquet %s đã được gắn ở %s: không có gì thay đổi\n",
					"lake %s is already attached at %s: nothing changed\n"), info.Name, info.Dir)
				return nil
			}
			fmt.Fprintf(a.stdout, a.t("đã gắn kho Parquet %s (%s): %s, tỉnh %s\n", "attached lake %s (%s): %s, provinces %s\n"),
				info.Name, info.Dir, a.dossiers(info.Dossiers), a.provinces(info.Provinces))
			return nil
		},
	}
}

func newLakeDetachCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "detach NAME",
		Short: "Forget an attached lake (its files are left as they are)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			w, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer w.Close()
			ok, err := w.DetachLake(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if !ok {
				return msg.Errorf("không có kho Parquet nào tên %q được gắn; xem wardstat lake list", "no lake named %q is attached; see wardstat lake list", args[0])
			}
			fmt.Fprintf(a.stdout, a.t("đã gỡ kho Parquet %s\n", "detached lake %s\n"), args[0])
			return nil
		},
	}
}

func newLakeListCommand(a *app) *cobra.Command {
	var config string
	cmd := &cobra.Command{
		Use:   "list [--config FILE]",
		Short: "List the attached lakes, each with what it holds or why it cannot be read",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			lakes, err := a.federatedLakes(cmd.Context(), config)
			if err != nil {
				return err
			}
			if len(lakes) == 0 {
				fmt.Fprintln(a.stdout, a.t("chưa gắn kho Parquet nào (wardstat lake attach TÊN THƯ_MỤC)", "no lake is attached (wardstat lake attach NAME DIR)"))
				return nil
			}
			bad := 0
			var infos []warehouse.LakeInfo
			for _, l := range lakes {
				info, err := warehouse.CheckLake(cmd.Context(), l)
				if err != nil {
					bad++
					fmt.Fprintf(a.stdout, "%s\t%s\t%s\n", l.Name, l.Dir, errorLine(err, a.lang))
					continue
				}
				infos = append(infos, info)
				fmt.Fprintf(a.stdout, "%s\t%s\t%s\t%s\n", l.Name, l.Dir, a.dossiers(info.Dossiers), a.provinces(info.Provinces))
			}
			conflicts, err := warehouse.UnitConflicts(cmd.Context(), infos)
			if err != nil {
				return err
			}
			a.warnUnitConflicts(conflicts)
			if bad > 0 {
				return msg.Errorf("%d kho Parquet không đọc được", "%d lakes cannot be read", bad)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "also the lakes this configuration names (lakes:)")
	return cmd
}

// warnUnitConflicts says on standard error which unit codes the lakes'
// registries hold with different rows, between which lakes, and whose
// rows the federation counts with (the first: warehouse.UnitConflicts).
func (a *app) warnUnitConflicts(cs []warehouse.UnitConflict) {
	keys, codes := warehouse.ConflictGroups(cs)
	for _, lakes := range keys {
		list := codes[strings.Join(lakes, ",")]
		shown := list
		if len(shown) > 20 {
			shown = append(shown[:20:20], fmt.Sprintf(a.t("và %d mã khác", "and %d more"), len(list)-20))
		}
		fmt.Fprintf(a.stderr, a.t("cảnh báo: danh mục đơn vị của các kho %s khác nhau ở các mã sau (%d; tên, huyện, tỉnh hay ngày hiệu lực): %s; liên kết dùng danh mục của kho %s (kho có tỉnh của mã, nếu không thì kho có dòng hiệu lực mới nhất); hãy nhập cùng một danh mục ở các nút (wardstat units import)\n",
			"warning: the unit registries of lakes %s differ for these codes (%d; name, district, province or dates): %s; the federation uses lake %s's (the lake holding the code's province, else the one with the newest valid_from); import the same registry on the nodes (wardstat units import)\n"),
			strings.Join(lakes, ", "), len(list), strings.Join(shown, ", "), lakes[0])
	}
}

// provinces are a lake's province codes for people: the wards whose code
// has none (Hive's default partition) as "no province code".
func (a *app) provinces(codes []string) string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = c
		if c == "__HIVE_DEFAULT_PARTITION__" {
			out[i] = a.t("không rõ tỉnh", "no province code")
		}
	}
	return strings.Join(out, ", ")
}

// federated makes a warehouse command (report, sql) run over the attached
// lakes: its every open of the warehouse opens the federation instead.
func federated(a *app, cmd *cobra.Command, name string) *cobra.Command {
	var config string
	run := cmd.RunE
	cmd.Use = strings.Replace(cmd.Use, name, name+" [--config FILE]", 1)
	cmd.Short += " over the attached lakes"
	cmd.Long += "\n\nHere it runs over the attached lakes (wardstat lake attach) and those --config\nnames, not over the --db warehouse."
	cmd.Example = strings.ReplaceAll(cmd.Example, "wardstat "+name, "wardstat lake "+name)
	cmd.RunE = func(c *cobra.Command, args []string) error {
		var opened []warehouse.Lake
		a.federation = func(ctx context.Context) (*warehouse.Warehouse, error) {
			lakes, err := a.federatedLakes(ctx, config)
			if err != nil {
				return nil, err
			}
			opened = lakes
			opt := warehouse.Options{Logger: a.log, Today: a.now()}
			if a.sandbox {
				opt.MemoryLimit = sandboxMemoryLimit
				opt.Threads = sandboxThreads
			}
			return warehouse.OpenFederation(ctx, lakes, opt)
		}
		defer func() { a.federation = nil }()
		// A file a query could not read is named by its lake.
		return warehouse.LakeReadError(opened, run(c, args))
	}
	cmd.Flags().StringVar(&config, "config", "", "also the lakes this configuration names (lakes:)")
	return cmd
}

// federatedLakes are the lakes attached to the warehouse (--db), then
// those the configuration names.
func (a *app) federatedLakes(ctx context.Context, config string) ([]warehouse.Lake, error) {
	var lakes []warehouse.Lake
	if _, err := os.Stat(a.dbPath); err == nil {
		hook := a.federation
		a.federation = nil
		w, err := a.open(ctx, true)
		a.federation = hook
		if err != nil {
			return nil, err
		}
		attached, err := w.Lakes(ctx)
		w.Close()
		if err != nil {
			return nil, err
		}
		lakes = append(lakes, attached...)
	}
	if config != "" {
		c, err := schedules.LoadConfigOffline(config)
		if err != nil {
			return nil, err
		}
		for _, l := range c.Lakes {
			lakes = append(lakes, warehouse.Lake{Name: l.Name, Dir: l.Dir})
		}
	}
	return lakes, nil
}

func init() {
	lakeHelp := func(base, short, long, config string) helpText {
		h := viHelp[base]
		flags := maps.Clone(h.flags)
		if flags == nil {
			flags = map[string]string{}
		}
		flags["config"] = config
		return helpText{short: short, long: h.long + long, example: strings.ReplaceAll(h.example, "wardstat "+base, "wardstat lake "+base), flags: flags}
	}
	viHelp["lake"] = helpText{
		short: "Liên kết các kho Parquet của các nút wardstat khác: biểu, mart và xu hướng trên tất cả",
		long: `Một wardstat cấp tỉnh hay quốc gia lập biểu, các mart và xu hướng trên các kho
Parquet mà các nút wardstat khác đã công bố (wardstat export --out THƯ_MỤC, trên
một thư mục dùng chung hoặc được đồng bộ), không cần nạp: hồ sơ, lịch sử hồ sơ
và danh mục đơn vị của mỗi kho được đọc tại chỗ, và chính SQL của biểu
(report_form, ward_month, mart_*) chạy trên tất cả.

  wardstat lake attach TÊN THƯ_MỤC   ghi nhận một kho vào kho này (gắn lại: không đổi gì)
  wardstat lake list                 các kho đã gắn và mỗi kho có gì
  wardstat lake report ...           biểu trên các kho (các cờ như report)
  wardstat lake sql "TRUY_VẤN"       truy vấn chỉ đọc trên các kho

Cũng có thể ghi các kho trong cấu hình (lakes: với name và dir); --config thêm
chúng vào. Hai kho cùng có một xã, phường bị từ chối: hồ sơ sẽ bị đếm hai lần.
Hai nút của cùng một tỉnh (mỗi nút các xã, phường của huyện mình) liên kết được.`,
	}
	viHelp["lake attach"] = helpText{short: "Ghi nhận kho Parquet của một nút khác vào kho này, sau khi đọc thử nó"}
	viHelp["lake detach"] = helpText{short: "Gỡ một kho Parquet đã gắn (các tệp của nó giữ nguyên)"}
	viHelp["lake list"] = helpText{
		short: "Liệt kê các kho Parquet đã gắn, mỗi kho có gì hoặc vì sao không đọc được",
		flags: map[string]string{"config": "thêm các kho mà cấu hình này ghi (lakes:)"},
	}
	viHelp["lake report"] = lakeHelp("report", "In biểu báo cáo chính thức của một kỳ trên các kho Parquet đã gắn",
		"\n\nỞ đây biểu được lập trên các kho Parquet đã gắn (wardstat lake attach) và các kho\ntrong --config, không phải trên kho --db.",
		"thêm các kho mà cấu hình này ghi (lakes:)")
	viHelp["lake sql"] = lakeHelp("sql", "Truy vấn các kho Parquet đã gắn bằng SQL (chỉ đọc)",
		"\n\nỞ đây câu truy vấn chạy trên các kho Parquet đã gắn (wardstat lake attach) và\ncác kho trong --config: dossiers, dossier_history và units là các view đọc tệp\nParquet của chúng; mỗi kho còn là một schema lake_TÊN (dossiers, dossier_events,\nunits).",
		"thêm các kho mà cấu hình này ghi (lakes:)")
}
