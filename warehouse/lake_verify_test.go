package warehouse_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wardstat/pipeline"
	"wardstat/warehouse"
)

// copyLake copies the lake at src to a new folder dst (cp -r).
func copyLake(t *testing.T, src, dst string) string {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// onePart is the folder of one partition of a fact table in the lake.
func onePart(t *testing.T, dir, table string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, table, "province=*", "month=*"))
	if len(m) == 0 {
		t.Fatalf("no %s partition in %s", table, dir)
	}
	return m[0]
}

// partFiles are the Parquet files of a partition folder (one per chunk of
// its receipt days, or more), sorted.
func partFiles(t *testing.T, part string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(part, "*.parquet"))
	if len(m) == 0 {
		t.Fatalf("no Parquet file in %s", part)
	}
	return m
}

// A lake whose files are not those its manifest lists — a partition
// deleted, a file copied beside a partition's files, a
// dossier_events partition gone, the units/ or loads/ folder missing, a
// partition the manifest does not list — is refused, at attach and when a
// federation opens, in one line naming the lake, the partition and what
// to do; before, each was read and gave wrong figures (a ward's count
// short, or doubled). The intact copy still reads every dossier once.
func TestLakeFilesMatchManifest(t *testing.T) {
	w := handcount(t)
	root := t.TempDir()
	lake := filepath.Join(root, "lake")
	if _, err := w.ExportLake(t.Context(), lake); err != nil {
		t.Fatal(err)
	}
	fed, err := warehouse.OpenFederation(t.Context(), []warehouse.Lake{{Name: "ok", Dir: lake}}, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := queryRow(t, fed, `SELECT count(*) FROM dossiers`), queryRow(t, w, `SELECT count(*) FROM dossiers`); got != want {
		t.Errorf("the intact lake: %s dossiers, the warehouse %s", got, want)
	}
	fed.Close()
	attacks := []struct {
		name, want string
		do         func(dir string)
	}{
		{"partition deleted", "is missing", func(dir string) {
			for _, f := range partFiles(t, onePart(t, dir, "dossiers")) {
				os.Remove(f)
			}
		}},
		{"partition folder deleted", "is missing", func(dir string) { os.RemoveAll(onePart(t, dir, "dossiers")) }},
		{"a file copied beside a partition's", "has no fingerprint in _manifest.json", func(dir string) {
			p := onePart(t, dir, "dossiers")
			b, _ := os.ReadFile(partFiles(t, p)[0])
			os.WriteFile(filepath.Join(p, "copy_1.parquet"), b, 0o644)
		}},
		{"dossier_events partition deleted", "is missing", func(dir string) { os.RemoveAll(onePart(t, dir, "dossier_events")) }},
		{"units folder missing", "units/ is missing", func(dir string) { os.RemoveAll(filepath.Join(dir, "units")) }},
		{"loads folder missing", "loads/ is missing", func(dir string) { os.RemoveAll(filepath.Join(dir, "loads")) }},
		{"extra partition", "is not in _manifest.json", func(dir string) {
			p := onePart(t, dir, "dossiers")
			os.CopyFS(filepath.Join(filepath.Dir(p), "month=1999-01"), os.DirFS(p))
		}},
		{"partition replaced by another's file", "_manifest.json says", func(dir string) {
			parts, _ := filepath.Glob(filepath.Join(dir, "dossiers", "province=*", "month=*"))
			a, _ := os.ReadFile(partFiles(t, parts[0])[0])
			for _, p := range parts[1:] {
				f := partFiles(t, p)[0]
				b, _ := os.ReadFile(f)
				if len(a) != len(b) {
					os.WriteFile(f, a, 0o644)
					return
				}
			}
		}},
	}
	home := mustOpen(t)
	for i, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			dir := copyLake(t, lake, filepath.Join(root, fmt.Sprintf("bad%d", i)))
			a.do(dir)
			if _, _, err := home.AttachLake(t.Context(), "bad", dir); err == nil {
				t.Error("attached")
			} else if text := err.Error(); !strings.Contains(text, a.want) || !strings.Contains(text, `lake "bad"`) || strings.Contains(text, "\n") {
				t.Errorf("attach: %q: want one line naming the lake and saying %q", text, a.want)
			}
			fed, err := warehouse.OpenFederation(t.Context(), []warehouse.Lake{{Name: "bad", Dir: dir}}, warehouse.Options{})
			if err == nil {
				t.Errorf("opened: %s dossiers read", queryRow(t, fed, `SELECT count(*) FROM dossiers`))
				fed.Close()
				return
			}
			if !errors.Is(err, warehouse.ErrBadLake) || !strings.Contains(err.Error(), a.want) {
				t.Errorf("open: %v", err)
			}
		})
	}
}

// noProvinceNode is a warehouse whose wards' codes hold no province code
// (their lake partition is __HIVE_DEFAULT_PARTITION__), and its lake.
func noProvinceNode(t *testing.T, dir, ward string) (*warehouse.Warehouse, string) {
	t.Helper()
	w := mustOpen(t)
	f := filepath.Join(dir, ward+".csv")
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Mã đơn vị,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Trạng thái\n")
	for i := 1; i <= 6; i++ {
		fmt.Fprintf(&b, "%s-2403%02d-%04d,%s,%02d/03/2024 09:00,%02d/03/2024,,Đang giải quyết\n", ward, i, i, ward, i, i+9)
	}
	if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	mustIngest(t, w, f, pipeline.FileOptions{})
	lake := filepath.Join(dir, "lake-"+ward)
	if _, err := w.ExportLake(t.Context(), lake); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(lake, "dossiers", "province=__HIVE_DEFAULT_PARTITION__")); err != nil && !strings.HasPrefix(ward, "H") {
		t.Fatalf("the fixture's wards have a province: %v", err)
	}
	return w, lake
}

// The same lake twice — the same folder under two names, through a link,
// a copy of it (cp -r: the same warehouse wrote both), or two nodes'
// lakes holding the same ward, whose code has no province or has one —
// is refused at attach and when a federation opens: its dossiers would
// be counted twice. Two nodes with different wards federate, of one
// province (H99.01 and H99.02) as of none.
func TestLakeSameDossiersTwice(t *testing.T) {
	root := t.TempDir()
	_, lakeA := noProvinceNode(t, root, "XA.01")
	link := filepath.Join(root, "link")
	if err := os.Symlink(lakeA, link); err != nil {
		t.Fatal(err)
	}
	cp := copyLake(t, lakeA, filepath.Join(root, "copy"))
	other := filepath.Join(root, "other")
	os.MkdirAll(other, 0o755)
	_, lakeB := noProvinceNode(t, other, "XA.01") // another node, the same ward
	_, lakeC := noProvinceNode(t, other, "XB.02") // another node, another ward
	_, lakeP := noProvinceNode(t, root, "H99.01")
	_, lakeQ := noProvinceNode(t, other, "H99.02") // another node, the same province
	third := filepath.Join(root, "third")
	os.MkdirAll(third, 0o755)
	_, lakeR := noProvinceNode(t, third, "H99.01") // another node, the same ward of a province
	home := mustOpen(t)
	if _, _, err := home.AttachLake(t.Context(), "node_a", lakeA); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, dir, want string }{
		{"same folder", lakeA, "are the same folder"},
		{"through a link", link, "are the same folder"},
		{"a copy", cp, "written by the same warehouse"},
		{"same ward, no province", lakeB, "both hold ward XA.01"},
		{"same ward of a province", lakeR, "both hold ward H99.01"},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer home.DetachLake(t.Context(), "node_a2")
			first := lakeA
			if c.dir == lakeR {
				first = lakeP
			}
			if _, _, err := home.AttachLake(t.Context(), "node_a", first); err != nil {
				t.Fatal(err)
			}
			if _, _, err := home.AttachLake(t.Context(), "node_a2", c.dir); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("attach: %v, want %q", err, c.want)
			}
			if lakes, _ := home.Lakes(t.Context()); len(lakes) != 1 {
				t.Errorf("%d lakes attached, want 1", len(lakes))
			}
			fed, err := warehouse.OpenFederation(t.Context(), []warehouse.Lake{{Name: "node_a", Dir: first}, {Name: "node_a2", Dir: c.dir}}, warehouse.Options{})
			if err == nil {
				t.Errorf("opened: %s dossiers", queryRow(t, fed, `SELECT count(*) FROM dossiers`))
				fed.Close()
			} else if !strings.Contains(err.Error(), c.want) {
				t.Errorf("open: %v, want %q", err, c.want)
			}
		})
	}
	for _, pair := range [][2]string{{lakeA, lakeC}, {lakeP, lakeQ}} {
		fed, err := warehouse.OpenFederation(t.Context(), []warehouse.Lake{{Name: "node_a", Dir: pair[0]}, {Name: "node_c", Dir: pair[1]}}, warehouse.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := queryRow(t, fed, `SELECT count(*), count(DISTINCT ward_code) FROM dossiers`); got != "12|2" {
			t.Errorf("two nodes, two wards: %s, want 12|2", got)
		}
		fed.Close()
	}
}
