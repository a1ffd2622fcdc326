package warehouse_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wardstat/pipeline"
	"wardstat/warehouse"
)

// node is a small wardstat node: a warehouse with a unit registry (units,
// CSV text; "" for none) and six dossiers of March 2024 per ward, and the
// lake it published.
type node struct {
	w                *warehouse.Warehouse
	lake, csv, units string
}

func newNode(t *testing.T, dir, name, units string, wards ...string) node {
	t.Helper()
	n := node{w: mustOpen(t), lake: filepath.Join(dir, "lake-"+name)}
	if units != "" {
		n.units = writeFile(t, dir, name+"-units.csv", "code,name,district,province,valid_from,valid_to\n"+units)
		mustUnits(t, n.w, n.units)
	}
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Mã đơn vị,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Trạng thái\n")
	for k, ward := range wards {
		for i := 1; i <= 6; i++ {
			done, status := "", "Đang giải quyết"
			if (i+k)%3 != 0 {
				done, status = fmt.Sprintf("%02d/03/2024 15:00", i+2+k%4), "Đã trả kết quả"
			}
			fmt.Fprintf(&b, "%s-2403%02d-%04d,%s,%02d/03/2024 09:00,%02d/03/2024,%s,%s\n", ward, i, i, ward, i, i+4, done, status)
		}
	}
	n.csv = writeFile(t, dir, name+".csv", b.String())
	mustIngest(t, n.w, n.csv, pipeline.FileOptions{Hasher: testHasher})
	if _, err := n.w.ExportLake(t.Context(), n.lake); err != nil {
		t.Fatal(err)
	}
	return n
}

// oneWarehouse holds every node's dossiers, counted against the registry units.
func oneWarehouse(t *testing.T, dir, units string, nodes ...node) *warehouse.Warehouse {
	t.Helper()
	w := mustOpen(t)
	mustUnits(t, w, writeFile(t, dir, "all-units.csv", "code,name,district,province,valid_from,valid_to\n"+units))
	for _, n := range nodes {
		mustIngest(t, w, n.csv, pipeline.FileOptions{Hasher: testHasher})
	}
	return w
}

// formAt is the report's rows at a level for March 2024, one line each.
func formAt(t *testing.T, w *warehouse.Warehouse, by string) string {
	t.Helper()
	rows, err := w.ReportForm(t.Context(), warehouse.ReportOptions{
		From: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC), By: by})
	if err != nil {
		t.Fatal(err)
	}
	return rowsText(t, rows)
}

const h37Units = `H37.01,Phường Một,Huyện A,Tỉnh Ninh Bình,2020-01-01,
H37.02,Phường Hai,Huyện A,Tỉnh Ninh Bình,2020-01-01,
H37.03,Xã Ba,Huyện B,Tỉnh Ninh Bình,2020-01-01,
`

// Two district-level nodes of one province — each exports its own
// districts' wards, both under province=H37 — federate: the form at every
// level equals one warehouse's holding both. Before, any two lakes with a
// province= folder in common were refused. A third node holding a ward
// one of them holds is refused, naming the ward and both lakes.
func TestLakeDistrictNodesOfOneProvince(t *testing.T) {
	root := t.TempDir()
	a := newNode(t, root, "huyen_a", h37Units, "H37.01", "H37.02")
	b := newNode(t, root, "huyen_b", h37Units, "H37.03")
	lakes := []warehouse.Lake{{Name: "huyen_a", Dir: a.lake}, {Name: "huyen_b", Dir: b.lake}}
	home := mustOpen(t)
	for _, l := range lakes {
		if _, _, err := home.AttachLake(t.Context(), l.Name, l.Dir); err != nil {
			t.Fatalf("attach %s: %v", l.Name, err)
		}
	}
	fed, err := warehouse.OpenFederation(t.Context(), lakes, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fed.Close()
	all := oneWarehouse(t, root, h37Units, a, b)
	for _, by := range warehouse.Levels {
		if got, want := formAt(t, fed, by), formAt(t, all, by); got != want || want == "" {
			t.Errorf("--by %s: federated\n%s\none warehouse\n%s", by, got, want)
		}
	}
	if got := formAt(t, fed, "district"); strings.Count(got, "\n") != 1 {
		t.Errorf("--by district: want Huyện A and Huyện B:\n%s", got)
	}

	c := newNode(t, root, "huyen_c", h37Units, "H37.02")
	_, _, err = home.AttachLake(t.Context(), "huyen_c", c.lake)
	for _, want := range []string{"both hold ward H37.02", `"huyen_a"`, `"huyen_c"`, a.lake, c.lake} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("attach a third node holding H37.02: %v, want %q", err, want)
		}
	}
	if _, err := warehouse.OpenFederation(t.Context(), append(lakes, warehouse.Lake{Name: "huyen_c", Dir: c.lake}), warehouse.Options{}); err == nil ||
		!strings.Contains(err.Error(), "both hold ward H37.02") || strings.Contains(err.Error(), "\n") {
		t.Errorf("open with a third node holding H37.02: %v", err)
	}
}

// Wards the unit registry lacks are rolled up by the province their code
// names (H37.08 under Tỉnh Ninh Bình, whose registered wards say its
// name; H56.05, a province the registry has no ward of, under H56), in
// one warehouse and in a federation alike; only a code naming no
// province is left in the unknown row. Before, all of them were one blank
// row mixing provinces. The rows sum to the wards.
func TestReportPlacesUnregisteredWards(t *testing.T) {
	root := t.TempDir()
	units := "H26.01,Phường Một,Quận 1,Tỉnh Hưng Yên,2020-01-01,\n" + h37Units
	a := newNode(t, root, "hung_yen", units, "H26.01", "H26.09")
	b := newNode(t, root, "ninh_binh", units, "H37.01", "H37.08", "H56.05", "XA.01")
	fed, err := warehouse.OpenFederation(t.Context(), []warehouse.Lake{{Name: "hung_yen", Dir: a.lake}, {Name: "ninh_binh", Dir: b.lake}}, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fed.Close()
	for name, w := range map[string]*warehouse.Warehouse{"one warehouse": oneWarehouse(t, root, units, a, b), "federation": fed} {
		got := formAt(t, w, "province")
		provinces := []string{}
		for _, line := range strings.Split(got, "\n") {
			provinces = append(provinces, strings.SplitN(line, "|", 2)[0]+":"+strings.SplitN(line, "|", 3)[1])
		}
		if want := "H56:6 Tỉnh Hưng Yên:12 Tỉnh Ninh Bình:12 NULL:6"; strings.Join(provinces, " ") != want {
			t.Errorf("%s: --by province gives %v, want %s\n%s", name, provinces, want, got)
		}
		if d := formAt(t, w, "district"); !strings.Contains(d, "NULL|Tỉnh Ninh Bình|6|") || !strings.Contains(d, "NULL|NULL|6|") {
			t.Errorf("%s: --by district should put H37.08 in Tỉnh Ninh Bình with no district:\n%s", name, d)
		}
		if got, want := queryRow(t, w, `SELECT sum(received_total) FROM report_form('2024-03-01', '2024-03-31')`), "36"; got != want {
			t.Errorf("%s: %s received, want %s", name, got, want)
		}
		un, err := w.UnregisteredWards(t.Context(), warehouse.ReportOptions{From: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC), By: "province"})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(un); got != "[{H26.09 Tỉnh Hưng Yên} {H37.08 Tỉnh Ninh Bình} {H56.05 H56} {XA.01 }]" {
			t.Errorf("%s: unregistered wards %s", name, got)
		}
		// The dashboards' roll-up places them as the report does (one rule:
		// placed_forms), month by month.
		if got, want := queryRow(t, w, `SELECT string_agg(coalesce(province, 'NULL') || ':' || received_total, ' ' ORDER BY province NULLS LAST)
			FROM mart_unit_month WHERE month = '2024-03' AND level = 'province'`), "H56:6 Tỉnh Hưng Yên:12 Tỉnh Ninh Bình:12 NULL:6"; got != want {
			t.Errorf("%s: mart_unit_month by province gives %s, want %s", name, got, want)
		}
		// One unregistered ward alone: its province's name is the registry's.
		rows, err := w.ReportForm(t.Context(), warehouse.ReportOptions{From: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC), By: "province", Ward: "H26.09"})
		if err != nil {
			t.Fatal(err)
		}
		if got := rowsText(t, rows); !strings.HasPrefix(got, "Tỉnh Hưng Yên|6|") {
			t.Errorf("%s: --ward H26.09 --by province gives %s, want Tỉnh Hưng Yên", name, got)
		}
	}
}

// Lakes whose unit registries disagree on a code give the federation one
// answer whatever their order: the registry of the lake holding the
// code's province (H37.01: ninh_binh's), else the newest (H56.01, a
// province neither holds: the row valid from 2025); attach and UnitConflicts name the codes and the
// lakes. Before, both rows were kept and the name was arbitrary.
func TestLakeUnitRegistriesDisagree(t *testing.T) {
	root := t.TempDir()
	a := newNode(t, root, "hung_yen", "H26.01,Phường Một,Quận 1,Tỉnh Hưng Yên,2020-01-01,\n"+
		"H37.01,Phường Cũ,Huyện Cũ,Tỉnh Ninh Bình,2020-01-01,\nH56.01,Xã Cũ,Huyện X,Tỉnh Khánh Hòa,2020-01-01,\n", "H26.01")
	b := newNode(t, root, "ninh_binh", "H26.01,Phường Một,Quận 1,Tỉnh Hưng Yên,2020-01-01,\n"+
		"H37.01,Phường Mới,Huyện A,Tỉnh Ninh Bình,2020-01-01,\nH56.01,Xã Mới,Huyện X,Tỉnh Khánh Hòa,2025-07-01,\n", "H37.01")
	lakes := []warehouse.Lake{{Name: "hung_yen", Dir: a.lake}, {Name: "ninh_binh", Dir: b.lake}}
	var first string
	for _, order := range [][]warehouse.Lake{lakes, {lakes[1], lakes[0]}} {
		fed, err := warehouse.OpenFederation(t.Context(), order, warehouse.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := queryRow(t, fed, `SELECT ward_code, ward_name, district FROM report_form('2024-03-01', '2024-03-31') ORDER BY 1`) + "\n" +
			queryRow(t, fed, `SELECT code, name, valid_from FROM units ORDER BY ALL`)
		fed.Close()
		if want := "H26.01|Phường Một|Quận 1\nH37.01|Phường Mới|Huyện A\n" +
			"H26.01|Phường Một|2020-01-01 00:00:00 +0000 UTC\nH37.01|Phường Mới|2020-01-01 00:00:00 +0000 UTC\nH56.01|Xã Mới|2025-07-01 00:00:00 +0000 UTC"; got != want {
			t.Errorf("lakes %s, %s: got\n%s\nwant\n%s", order[0].Name, order[1].Name, got, want)
		}
		if first == "" {
			first = got
		} else if got != first {
			t.Error("the lakes' order changed the answer")
		}
	}
	// Two district nodes of one province: the ward's rows are those of
	// the node whose dossiers hold it (H37.03: huyen_b's), though both
	// hold the province and the dates are the same.
	d1 := newNode(t, root, "huyen_a", strings.Replace(h37Units, "Xã Ba,", "Xã Ba Cũ,", 1), "H37.01")
	d2 := newNode(t, root, "huyen_b", h37Units, "H37.03")
	fed, err := warehouse.OpenFederation(t.Context(), []warehouse.Lake{{Name: "huyen_a", Dir: d1.lake}, {Name: "huyen_b", Dir: d2.lake}}, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := queryRow(t, fed, `SELECT ward_code, ward_name FROM report_form('2024-03-01', '2024-03-31') ORDER BY 1`); got != "H37.01|Phường Một\nH37.03|Xã Ba" {
		t.Errorf("two district nodes: %s", got)
	}
	fed.Close()
	if cs, err := warehouse.UnitConflicts(t.Context(), []warehouse.LakeInfo{mustCheck(t, "huyen_a", d1.lake), mustCheck(t, "huyen_b", d2.lake)}); err != nil ||
		fmt.Sprint(cs) != "[{H37.03 [huyen_b huyen_a]}]" {
		t.Errorf("two district nodes' conflicts: %v %v", cs, err)
	}

	home := mustOpen(t)
	if _, _, err := home.AttachLake(t.Context(), "hung_yen", a.lake); err != nil {
		t.Fatal(err)
	}
	info, _, err := home.AttachLake(t.Context(), "ninh_binh", b.lake)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(info.UnitConflicts); got != "[{H37.01 [ninh_binh hung_yen]} {H56.01 [ninh_binh hung_yen]}]" {
		t.Errorf("attach: conflicts %s", got)
	}
}

// Each file of the lake has its size and SHA-256 in _manifest.json (the
// bytes sha256sum reads). A file damaged inside with its size and row
// count kept — found before only when a query read it, or never — is
// refused at attach and by CheckLake (lake list), naming the file and
// saying to export again; a file replaced by another of the same rows but
// another size is refused when a federation opens too. Damaged on the
// node itself, the next export writes it again.
func TestLakeFileFingerprints(t *testing.T) {
	root := t.TempDir()
	n := newNode(t, root, "ninh_binh", h37Units, "H37.01", "H37.02")
	b, err := os.ReadFile(filepath.Join(n.lake, "_manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Files map[string]struct {
			Size   int64  `json:"size"`
			SHA256 string `json:"sha256"`
		} `json:"files"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	first, _ := filepath.Rel(n.lake, partFiles(t, filepath.Join(n.lake, "dossiers", "province=H37", "month=2024-03"))[0])
	file := filepath.ToSlash(first)
	data, _ := os.ReadFile(filepath.Join(n.lake, file))
	sum := sha256.Sum256(data)
	if fp := m.Files[file]; fp.Size != int64(len(data)) || fp.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("manifest's %s: %+v, the file has %d bytes, %x", file, fp, len(data), sum)
	}
	if _, ok := m.Files["mart_ward_month/month=2024-03/data.parquet"]; !ok || len(m.Files) < 10 {
		t.Errorf("manifest's files: %d, want every file, marts' too", len(m.Files))
	}

	damaged := copyLake(t, n.lake, filepath.Join(root, "damaged"))
	flip := append([]byte(nil), data...)
	flip[len(flip)/3] ^= 0xff
	os.WriteFile(filepath.Join(damaged, file), flip, 0o644)
	home := mustOpen(t)
	if _, _, err := home.AttachLake(t.Context(), "bad", damaged); err == nil || !strings.Contains(err.Error(), "file "+file+" was replaced or damaged") ||
		!strings.Contains(err.Error(), "run wardstat export again on that node") || strings.Contains(err.Error(), "\n") {
		t.Errorf("attach a lake with a damaged file: %v", err)
	}
	if _, err := warehouse.CheckLake(t.Context(), warehouse.Lake{Name: "bad", Dir: damaged}); err == nil || !strings.Contains(err.Error(), "was replaced or damaged") {
		t.Errorf("check a lake with a damaged file: %v", err)
	}

	// Another file of the same rows, other bytes: the federation's open
	// checks sizes.
	replaced := copyLake(t, n.lake, filepath.Join(root, "replaced"))
	other := filepath.Join(root, "other.parquet")
	if _, err := n.w.DB().Exec(fmt.Sprintf(`COPY (SELECT * REPLACE ('online' AS channel) FROM read_parquet('%s')) TO '%s' (FORMAT parquet)`,
		filepath.Join(n.lake, file), other)); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(other, filepath.Join(replaced, file)); err != nil {
		t.Fatal(err)
	}
	if _, err := warehouse.OpenFederation(t.Context(), []warehouse.Lake{{Name: "bad", Dir: replaced}}, warehouse.Options{}); err == nil || !strings.Contains(err.Error(), "was replaced or damaged") {
		t.Errorf("open a lake with a replaced file: %v", err)
	}

	// Damaged on the node: the next export writes the partition again.
	os.WriteFile(filepath.Join(n.lake, file), flip, 0o644)
	if _, err := n.w.ExportLake(t.Context(), n.lake); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(filepath.Join(n.lake, file)); bytes.Equal(again, flip) {
		t.Error("the export kept the damaged file (and recorded it as sound)")
	}
	if _, _, err := home.AttachLake(t.Context(), "ninh_binh", n.lake); err != nil {
		t.Errorf("attach after the node exported again: %v", err)
	}
	fed, err := warehouse.OpenFederation(t.Context(), []warehouse.Lake{{Name: "ninh_binh", Dir: n.lake}}, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fed.Close()
	cols := `SELECT ward_code, dossier_code, channel, status, received_at, due_at, completed_at FROM dossiers ORDER BY ALL`
	if got, want := queryRow(t, fed, cols), queryRow(t, n.w, cols); got != want {
		t.Errorf("the lake exported again reads\n%s\nthe node holds\n%s", got, want)
	}
}

func mustCheck(t *testing.T, name, dir string) warehouse.LakeInfo {
	t.Helper()
	info, err := warehouse.CheckLake(t.Context(), warehouse.Lake{Name: name, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return info
}
