package schedules

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// LakeRef is another wardstat node's published lake (its export's
// folder), read in place by this one's federation (wardstat lake report,
// lake sql): the form, marts and trends over several nodes' dossiers.
type LakeRef struct {
	// Name names the lake (lower-case letters, digits and _).
	Name string `yaml:"name"`
	// Dir is the lake's folder (relative to the config file), on a shared
	// or synchronised file system.
	Dir string `yaml:"dir"`
}

var lakeNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

func init() {
	for en, vi := range map[string]string{
		"a lake needs a name": "kho Parquet cần có tên (name)",
		"%q: use lower-case letters, digits and _, starting with a letter":                              "%q: hãy dùng chữ thường không dấu, chữ số và _, bắt đầu bằng chữ",
		"%q is used by an earlier lake":                                                                 "%q đã được một kho trước dùng",
		"a lake needs its folder (dir)":                                                                 "kho Parquet cần thư mục của nó (dir)",
		"no lake at %s (no _manifest.json): give the folder another node's wardstat export --out wrote": "không có kho Parquet ở %s (không có _manifest.json): hãy ghi thư mục mà wardstat export --out của nút kia đã ghi",
	} {
		viProblems[en] = vi
	}
}

// resolveLakes makes the lakes' folders relative to the config file.
func (c *Config) resolveLakes() {
	for i := range c.Lakes {
		c.Lakes[i].Dir = c.resolve(c.Lakes[i].Dir)
	}
}

// lakeProblems checks the lakes: a name each, once, and a folder that
// holds a lake's manifest. The lakes' files are read when a command
// federates them, which names a bad one.
func (c *Config) lakeProblems(add func(path, format string, args ...any)) {
	seen := map[string]bool{}
	for i, l := range c.Lakes {
		at := fmt.Sprintf("$.lakes[%d]", i)
		switch {
		case l.Name == "":
			add(at, "a lake needs a name")
		case !lakeNameRE.MatchString(l.Name):
			add(at+".name", "%q: use lower-case letters, digits and _, starting with a letter", l.Name)
		case seen[l.Name]:
			add(at+".name", "%q is used by an earlier lake", l.Name)
		}
		seen[l.Name] = true
		if l.Dir == "" {
			add(at, "a lake needs its folder (dir)")
		} else if _, err := os.Stat(filepath.Join(l.Dir, "_manifest.json")); err != nil {
			add(at+".dir", "no lake at %s (no _manifest.json): give the folder another node's wardstat export --out wrote", l.Dir)
		}
	}
}
