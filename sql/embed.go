// Package sqlmodels holds wardstat's SQL: the warehouse migrations, the
// normalisation and merge steps of a load, and the analyst-facing macros and
// views. The files are embedded in the binary and run in the order their
// names sort in.
package sqlmodels

import (
	"embed"
	"io/fs"
	"regexp"
	"sort"
	"strings"
)

//go:embed migrations/*.sql models/*.sql load/*.sql tests/*.sql
var files embed.FS

// File is one embedded SQL file.
type File struct {
	Name string
	Text string
}

// Migrations returns the schema migrations in the order they apply. The
// number before the first underscore of a name is its schema version.
func Migrations() []File { return dir("migrations") }

// Models returns the macros and views, re-created on every open. Each model
// is safe to re-run (CREATE OR REPLACE).
func Models() []File { return dir("models") }

// Text returns one embedded file by its path under sql/, e.g.
// "models/10_parse.sql". It panics on a missing name: the set is fixed at build time.
func Text(name string) string {
	b, err := files.ReadFile(name)
	if err != nil {
		panic("sqlmodels: " + err.Error())
	}
	return string(b)
}

func dir(name string) []File {
	entries, err := fs.ReadDir(files, name)
	if err != nil {
		panic("sqlmodels: " + err.Error())
	}
	var out []File
	for _, e := range entries {
		out = append(out, File{Name: e.Name(), Text: Text(name + "/" + e.Name())})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Tests returns the data tests: each query returns the rows that break the
// rule its file name says, with a column "problem" in words.
func Tests() []File { return dir("tests") }

// Doc is the sentence-or-more that documents a table, view or macro: the
// comment lines right above its CREATE statement in the embedded SQL.
type Doc struct {
	Name string
	Kind string // table | view | macro
	Text string
}

// Docs returns the documentation of every table, view and macro, in the
// order the files define them. Names starting with ws_ (value parsers) and
// stage tables are left out.
func Docs() []Doc {
	var out []Doc
	seen := map[string]bool{}
	for _, f := range append(Migrations(), Models()...) {
		var comment []string
		for _, line := range strings.Split(f.Text, "\n") {
			t := strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(t, "--"):
				comment = append(comment, strings.TrimSpace(strings.TrimPrefix(t, "--")))
			case strings.HasPrefix(strings.ToUpper(t), "CREATE"):
				if d, ok := parseCreate(t); ok && !seen[d.Name] && !strings.HasPrefix(d.Name, "ws_") {
					seen[d.Name] = true
					d.Text = strings.Join(comment, " ")
					// "name(args): what it is" -> "what it is"
					if i := strings.Index(d.Text, ": "); i > 0 && strings.HasPrefix(d.Text, d.Name) {
						d.Text = d.Text[i+2:]
					}
					out = append(out, d)
				}
				comment = nil
			case t == "":
				comment = nil // a blank line ends a comment block (file headers stay out)
			default:
				comment = nil
			}
		}
	}
	return out
}

var createRE = regexp.MustCompile(`(?i)^CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP\s+)?(TABLE|VIEW|MACRO)\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)`)

func parseCreate(line string) (Doc, bool) {
	m := createRE.FindStringSubmatch(line)
	if m == nil {
		return Doc{}, false
	}
	return Doc{Name: m[2], Kind: strings.ToLower(m[1])}, true
}
