package warehouse_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"wardstat/pipeline"
	"wardstat/warehouse"
)

// provinceExports writes a small generated province: a unit registry of
// three wards (codes H<p>.0<i>) and its export; the first province's is
// pulled twice, the second later (some open dossiers since resolved or
// withdrawn, so the warehouse keeps their older states). Applicants' names and phones are in the files, as
// in real exports. The optional columns differ by province: the first
// has the apology letter, online payment, fee and digitisation columns
// (yes cells marked, the rest blank), the second only the fee, the third
// none, so the index parts are known, partly known and unknown.
func provinceExports(t *testing.T, dir, province string, seed uint64) (units string, files []string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed*7+1))
	units = filepath.Join(dir, "units-"+province+".csv")
	var u strings.Builder
	u.WriteString("code,name,district,province,valid_from,valid_to\n")
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(&u, "%s.0%d,Phường %d %s,Quận %d %s,Tỉnh %s,2020-01-01,\n", province, i, i, province, (i+1)/2, province, province)
	}
	if err := os.WriteFile(units, []byte(u.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	type dossier struct {
		code                               string
		channel, status                    int
		received, due, completed, withdraw time.Time
	}
	start := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
	var all []dossier
	for i := 1; i <= 3; i++ {
		for n := 1; n <= 120; n++ {
			rec := start.Add(time.Duration(rng.IntN(420*24)) * time.Hour).Truncate(time.Hour)
			d := dossier{
				code:     fmt.Sprintf("%s.0%d-%s-%04d", province, i, rec.Format("060102"), n),
				channel:  1 + rng.IntN(3),
				received: rec,
				due:      rec.AddDate(0, 0, 3+rng.IntN(12)),
				status:   4,
			}
			switch r := rng.IntN(10); {
			case r < 7:
				d.completed = rec.AddDate(0, 0, 1+rng.IntN(18))
				d.status = 10
			case r < 8:
				d.withdraw = rec.AddDate(0, 0, 1+rng.IntN(5))
				d.status = 7
			}
			all = append(all, d)
		}
	}
	cell := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format("02/01/2006 15:04")
	}
	pulls := []time.Time{time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)}
	if seed == 1 { // one province pulled twice: its warehouse keeps older states
		pulls = []time.Time{time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC), pulls[0]}
	}
	for k, pulled := range pulls {
		var b strings.Builder
		b.WriteString("Mã hồ sơ,Hình thức nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Ngày rút,Trạng thái,Họ tên,Số điện thoại")
		optional := map[uint64]string{1: ",Thư xin lỗi,Thanh toán trực tuyến,Lệ phí,Số hóa", 2: ",Lệ phí"}[seed]
		b.WriteString(optional + "\n")
		for j, d := range all {
			if !d.received.Before(pulled) {
				continue
			}
			completed, withdrawn, status := d.completed, d.withdraw, d.status
			if !completed.IsZero() && completed.After(pulled) {
				completed, status = time.Time{}, 4
			}
			if !withdrawn.IsZero() && withdrawn.After(pulled) {
				withdrawn, status = time.Time{}, 4
			}
			fmt.Fprintf(&b, "%s,%d,%s,%s,%s,%s,%d,Nguyễn Văn %d,09%08d", d.code, d.channel, cell(d.received), cell(d.due),
				cell(completed), cell(withdrawn), status, j, j)
			mark := func(n int) string {
				if j%n == 0 {
					return "x"
				}
				return ""
			}
			fee := ""
			if j%3 != 0 {
				fee = fmt.Sprint(10000 * (j % 4))
			}
			switch seed {
			case 1:
				fmt.Fprintf(&b, ",%s,%s,%s,%s", mark(2), mark(3), fee, mark(5))
			case 2:
				fmt.Fprintf(&b, ",%s", fee)
			}
			b.WriteString("\n")
		}
		f := filepath.Join(dir, fmt.Sprintf("%s-%d.csv", province, k))
		if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return units, files
}

// fedFixture is three provinces, each in its own warehouse that published
// a lake, and one warehouse holding all three.
type fedFixture struct {
	lakes []warehouse.Lake
	all   *warehouse.Warehouse
	nodes []*warehouse.Warehouse
}

func newFedFixture(t *testing.T) fedFixture {
	t.Helper()
	root := t.TempDir()
	provinces := []string{"H26", "H37", "H56"}
	fx := fedFixture{lakes: make([]warehouse.Lake, len(provinces)), nodes: make([]*warehouse.Warehouse, len(provinces))}
	var units []warehouse.Unit
	pulls := make([][]string, 2) // each pull's files
	var wg sync.WaitGroup
	errs := make(chan error, len(provinces))
	for i, p := range provinces {
		u, files := provinceExports(t, root, p, uint64(i+1))
		f, err := os.Open(u)
		if err != nil {
			t.Fatal(err)
		}
		us, err := warehouse.ReadUnits(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		units = append(units, us...)
		for k, file := range files {
			pulls[k] = append(pulls[k], file)
		}
		node := mustOpen(t)
		mustUnits(t, node, u)
		fx.nodes[i] = node
		fx.lakes[i] = warehouse.Lake{Name: strings.ToLower(p), Dir: filepath.Join(root, "lake-"+p)}
		// The three nodes load and publish at once, as they would.
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, file := range files {
				res, err := pipeline.File(t.Context(), node, file, pipeline.FileOptions{Hasher: testHasher})
				if err == nil && res.Result.Rejected > 0 {
					err = fmt.Errorf("%s: %d rows rejected", file, res.Result.Rejected)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			if _, err := node.ExportLake(t.Context(), fx.lakes[i].Dir); err != nil {
				errs <- err
			}
		}()
	}
	// One warehouse holding the three provinces: each pull's files, the
	// three provinces' in turn (each export has its own optional columns).
	fx.all = mustOpen(t)
	if err := fx.all.ReplaceUnits(t.Context(), units); err != nil {
		t.Fatal(err)
	}
	for _, files := range pulls {
		for _, f := range files {
			mustIngest(t, fx.all, f, pipeline.FileOptions{})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return fx
}

// The federation of three provinces' lakes answers the form, ward_month
// and the marts built on it exactly as one warehouse holding all three
// provinces does, reading the lakes in place: the same sql/models macros
// over views of the lakes' Parquet files.
func TestFederation(t *testing.T) {
	skipIfShort(t, "four warehouses load and three publish their lakes")
	fx := newFedFixture(t)
	t.Run("form equals one warehouse", func(t *testing.T) { federatedFormEqualsOneWarehouse(t, fx) })
	t.Run("attach is idempotent", func(t *testing.T) { lakeAttachIsIdempotent(t, fx) })
	t.Run("bad lake", func(t *testing.T) { federationRefusesABadLake(t, fx) })
}

func federatedFormEqualsOneWarehouse(t *testing.T, fx fedFixture) {
	fed, err := warehouse.OpenFederation(t.Context(), fx.lakes, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fed.Close()
	if n := queryRow(t, fed, `SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('dossiers', 'dossier_history')`); n != "0" {
		t.Errorf("the federation loaded the dossiers into %s tables; it should read the lakes through views", n)
	}
	checks := []string{
		`SELECT * FROM report_form('2024-03-01', '2024-03-31')`,
		`SELECT * FROM report_form('2024-01-01', '2024-12-31')`,
		`SELECT * FROM report_form('2024-10-01', '2025-02-28')`,
		`SELECT * FROM ward_month`,
		`SELECT * FROM mart_ward_month`,
		`SELECT * FROM mart_unit_month`,
		`SELECT * FROM mart_channel_mix`,
		`SELECT * FROM mart_trends`,
		// Load numbers are each node's own; the lake's flags are read as
		// dossier_flags reads them (a blank cell of a column the export
		// had is false, not NULL).
		`SELECT * EXCLUDE (state_hash, load_id, replaced_by, source_row, apology_issued, paid_online, digitised) FROM dossier_versions`,
		`SELECT * EXCLUDE (load_id) FROM dossier_flags`,
	}
	for _, m := range warehouse.LakeMarts {
		checks = append(checks, "SELECT * FROM "+m)
	}
	for _, q := range checks {
		want := queryRow(t, fx.all, q+" ORDER BY ALL")
		got := queryRow(t, fed, q+" ORDER BY ALL")
		if want == "" {
			t.Fatalf("%s: the fixture gives no rows", q)
		}
		if got != want {
			g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
			i := 0
			for i < len(g) && i < len(w) && g[i] == w[i] {
				i++
			}
			at := func(l []string) string {
				if i < len(l) {
					return l[i]
				}
				return "(no more rows)"
			}
			t.Errorf("%s: the federation differs from one warehouse at row %d of %d/%d\nfederated:     %s\none warehouse: %s", q, i+1, len(g), len(w), at(g), at(w))
		}
	}
	// The federation reads the lakes and no other file.
	if _, err := fed.DB().Exec(`SELECT * FROM read_csv('/etc/hostname')`); err == nil {
		t.Error("the federation read a file outside the lakes")
	}
	if _, err := fed.DB().Exec(`SET enable_external_access = true`); err == nil {
		t.Error("the federation's configuration is not locked")
	}
	if got := queryRow(t, fed, `SELECT count(DISTINCT province) FROM report_form('2024-01-01', '2024-12-31')`); got != "3" {
		t.Errorf("%s provinces in the federated form, want 3", got)
	}
}

// Attaching is idempotent: the same name and folder again changes nothing,
// and the federation over the attached lakes counts each dossier once.
func lakeAttachIsIdempotent(t *testing.T, fx fedFixture) {
	home := mustOpen(t)
	for round := 0; round < 2; round++ {
		for _, l := range fx.lakes {
			info, changed, err := home.AttachLake(t.Context(), l.Name, l.Dir)
			if err != nil {
				t.Fatal(err)
			}
			if changed != (round == 0) {
				t.Errorf("round %d, lake %s: changed = %v", round, l.Name, changed)
			}
			if info.Dossiers != 360 || len(info.Provinces) != 1 {
				t.Errorf("lake %s: %d dossiers in %v, want 360 in one province", l.Name, info.Dossiers, info.Provinces)
			}
		}
	}
	lakes, err := home.Lakes(t.Context())
	if err != nil || len(lakes) != 3 {
		t.Fatalf("%d lakes attached (%v), want 3", len(lakes), err)
	}
	// The configuration may name the same lakes again.
	fed, err := warehouse.OpenFederation(t.Context(), append(lakes, fx.lakes...), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fed.Close()
	q := `SELECT sum(received_total), sum(resolved_total), sum(pending_total) FROM report_form('2024-01-01', '2025-02-28')`
	if got, want := queryRow(t, fed, q), queryRow(t, fx.all, q); got != want {
		t.Errorf("federated %s, one warehouse %s", got, want)
	}
	if ok, err := home.DetachLake(t.Context(), "h26"); !ok || err != nil {
		t.Errorf("detach: %v %v", ok, err)
	}
	if lakes, _ := home.Lakes(t.Context()); len(lakes) != 2 {
		t.Errorf("%d lakes after detaching one, want 2", len(lakes))
	}
}

// A lake that is missing, not a lake, has a truncated file, or holds a
// province another lake holds is refused with one line that names it.
func federationRefusesABadLake(t *testing.T, fx fedFixture) {
	notALake := t.TempDir()
	corrupt := filepath.Join(t.TempDir(), "corrupt")
	if err := os.CopyFS(corrupt, os.DirFS(fx.lakes[1].Dir)); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(corrupt, "dossiers", "*", "*", "*.parquet"))
	if len(files) == 0 {
		t.Fatal("no dossier file")
	}
	b, _ := os.ReadFile(files[0])
	if err := os.WriteFile(files[0], b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		lake warehouse.Lake
		want string
	}{
		{"missing", warehouse.Lake{Name: "gone", Dir: filepath.Join(notALake, "nowhere")}, "no such folder"},
		{"not a lake", warehouse.Lake{Name: "empty", Dir: notALake}, "no _manifest.json"},
		{"truncated file", warehouse.Lake{Name: "h37", Dir: corrupt}, "was replaced or damaged"},
		{"same province twice", warehouse.Lake{Name: "again", Dir: fx.lakes[0].Dir}, "would be counted twice"}, // the same folder: refused as such
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lakes := []warehouse.Lake{fx.lakes[0], c.lake}
			if c.name == "truncated file" {
				lakes = []warehouse.Lake{fx.lakes[0], c.lake, fx.lakes[2]}
			}
			fed, err := warehouse.OpenFederation(t.Context(), lakes, warehouse.Options{})
			if err == nil {
				fed.Close()
				t.Fatal("opened")
			}
			text := err.Error()
			if !strings.Contains(text, c.want) || strings.Contains(text, "\n") || !strings.Contains(text, c.lake.Name) {
				t.Errorf("error %q: want one line naming lake %q and saying %q", text, c.lake.Name, c.want)
			}
			if c.name != "same province twice" && !errors.Is(err, warehouse.ErrBadLake) {
				t.Errorf("error %v is not ErrBadLake", err)
			}
		})
	}
}
