package schedules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A node that federates others' lakes names them under lakes: (folders
// relative to the config file) and needs no sources; each lake's problem
// is said with its line.
func TestConfigLakes(t *testing.T) {
	dir := t.TempDir()
	lake := filepath.Join(dir, "lakes", "ninh-binh")
	if err := os.MkdirAll(lake, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(lake, "_manifest.json"), []byte(`{"lake_schema_version": 1, "tables": {}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.yml")
	os.WriteFile(good, []byte("warehouse: national.duckdb\nlakes:\n  - name: ninh_binh\n    dir: lakes/ninh-binh\n"), 0o644)
	c, err := LoadConfig(good)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Lakes) != 1 || c.Lakes[0].Dir != lake {
		t.Errorf("lakes %+v, want ninh_binh at %s", c.Lakes, lake)
	}

	bad := filepath.Join(dir, "bad.yml")
	os.WriteFile(bad, []byte(`lakes:
  - name: Ninh Binh
    dir: lakes/ninh-binh
  - name: hue
    dir: lakes/hue
  - name: hue
    dir: lakes/ninh-binh
  - dir: lakes/ninh-binh
`), 0o644)
	_, err = LoadConfig(bad)
	if err == nil {
		t.Fatal("want an error")
	}
	want := []string{
		`line 2: lakes[0].name: "Ninh Binh": use lower-case letters, digits and _, starting with a letter`,
		`line 5: lakes[1].dir: no lake at ` + filepath.Join(dir, "lakes", "hue") + ` (no _manifest.json): give the folder another node's wardstat export --out wrote`,
		`line 6: lakes[2].name: "hue" is used by an earlier lake`,
		`line 8: lakes[3]: a lake needs a name`,
	}
	var got []string
	for _, line := range strings.Split(err.Error(), "\n") {
		got = append(got, strings.TrimPrefix(line, bad+": "))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
