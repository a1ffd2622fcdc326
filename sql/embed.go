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
// rule its file name says, with columns "problem" (in Vietnamese) and
// "problem_en" in words.
func Tests() []File { return dir("tests") }

// Doc is the sentence-or-more that documents a table, view or macro: the
// comment lines right above its CREATE statement in the embedded SQL.
type Doc struct {
	Name string
	Kind string // table | view | macro
	Text string
	// VI is the text in Vietnamese: the comment's lines from one starting
	// "vi:" on.
	VI string
}

// Docs returns the documentation of every table, view and macro, in the
// order the files define them. Names starting with ws_ (value parsers) and
// stage tables are left out.
func Docs() []Doc {
	var out []Doc
	at := map[string]int{} // name -> index in out
	put := func(d Doc) {
		// A later file's definition (a model over a migration's table, a
		// view replacing a renamed table) is the one that holds.
		if i, ok := at[d.Name]; ok {
			if d.Text == "" {
				d.Text, d.VI = out[i].Text, out[i].VI
			}
			out[i] = d
			return
		}
		at[d.Name] = len(out)
		out = append(out, d)
	}
	for _, f := range append(Migrations(), Models()...) {
		var comment []string
		for _, line := range strings.Split(f.Text, "\n") {
			t := strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(t, "--"):
				comment = append(comment, strings.TrimSpace(strings.TrimPrefix(t, "--")))
			case strings.HasPrefix(strings.ToUpper(t), "CREATE"):
				if d, ok := parseCreate(t); ok && !strings.HasPrefix(d.Name, "ws_") {
					d.Text, d.VI = docText(d.Name, comment)
					put(d)
				}
				comment = nil
			case renameRE.MatchString(t):
				// ALTER TABLE old RENAME TO new: the table goes on as new.
				m := renameRE.FindStringSubmatch(t)
				if i, ok := at[m[1]]; ok {
					delete(at, m[1])
					at[m[2]] = i
					out[i].Name = m[2]
					out[i].Text, out[i].VI = docText(m[2], comment)
				}
				comment = nil
			default:
				comment = nil // a blank line or a statement ends a comment block (file headers stay out)
			}
		}
	}
	return out
}

// docText is an object's sentence from the comment above it, in English
// and in Vietnamese (the lines from one starting "vi:" on): without a
// "name(args): " lead or a migration's "Schema version N: " one.
func docText(name string, comment []string) (en, vi string) {
	for i, line := range comment {
		if strings.HasPrefix(line, "vi:") {
			comment[i] = strings.TrimSpace(strings.TrimPrefix(line, "vi:"))
			return enText(name, comment[:i]), strings.Join(comment[i:], " ")
		}
	}
	return enText(name, comment), ""
}

func enText(name string, comment []string) string {
	text := strings.Join(comment, " ")
	text = schemaLeadRE.ReplaceAllString(text, "")
	if i := strings.Index(text, ": "); i > 0 && strings.HasPrefix(text, name) {
		text = text[i+2:]
	}
	return text
}

var (
	renameRE     = regexp.MustCompile(`(?i)^ALTER\s+TABLE\s+([A-Za-z_][A-Za-z0-9_]*)\s+RENAME\s+TO\s+([A-Za-z_][A-Za-z0-9_]*)`)
	schemaLeadRE = regexp.MustCompile(`^Schema version \d+: `)
)

var createRE = regexp.MustCompile(`(?i)^CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP\s+)?(TABLE|VIEW|MACRO)\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)`)

func parseCreate(line string) (Doc, bool) {
	m := createRE.FindStringSubmatch(line)
	if m == nil {
		return Doc{}, false
	}
	return Doc{Name: m[2], Kind: strings.ToLower(m[1])}, true
}
