// Package doccheck checks the design notes (every DESIGN.md): that each
// file, function, table, test or flag they cite is in the repository, and
// that each stays a page or two about how the code works now, without its
// history or its benchmark figures (those belong in BENCHMARKS.md).
package doccheck

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// MaxLines is the longest a DESIGN.md may be: two printed pages.
const MaxLines = 130

// Problem is one thing a note gets wrong, at its line.
type Problem struct {
	Doc  string // the note, relative to the root
	Line int
	Text string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.Doc, p.Line, p.Text) }

// codeExts are the files whose words a note may cite.
var codeExts = map[string]bool{".go": true, ".sql": true, ".yml": true, ".yaml": true, ".sh": true, ".csv": true}

// Repo is what the repository holds: its files and the words of its code.
type Repo struct {
	Root      string
	files     map[string]bool // slash paths relative to Root, folders too
	basenames map[string]bool
	words     map[string]bool // identifiers in code files
	goText    []string        // the Go files' text, for flag names
}

var wordRE = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)

// Scan reads the repository under root (not .git, bin, nor files over 2 MB).
func Scan(root string) (*Repo, error) {
	r := &Repo{Root: root, files: map[string]bool{}, basenames: map[string]bool{}, words: map[string]bool{}}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (d.Name() == ".git" || d.Name() == "bin" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			r.files[rel] = true
			return nil
		}
		r.files[rel] = true
		r.basenames[d.Name()] = true
		if !codeExts[filepath.Ext(path)] && d.Name() != "Makefile" {
			return nil
		}
		if info, err := d.Info(); err != nil || info.Size() > 2<<20 {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, w := range wordRE.FindAll(b, -1) {
			r.words[string(w)] = true
		}
		if filepath.Ext(path) == ".go" {
			r.goText = append(r.goText, string(b))
		}
		return nil
	})
	return r, err
}

// Docs returns every DESIGN.md under the root, sorted.
func (r *Repo) Docs() []string {
	var docs []string
	for f := range r.files {
		if f == "DESIGN.md" || strings.HasSuffix(f, "/DESIGN.md") {
			docs = append(docs, f)
		}
	}
	sort.Strings(docs)
	return docs
}

var (
	spanRE  = regexp.MustCompile("`([^`\n]+)`")
	identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)
	callRE  = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_.]*)\(.*\)$`)
	flagRE  = regexp.MustCompile(`^--([a-z][a-z0-9-]*)$`)
	// A path in prose: folders, then a file name with a source extension.
	prosePathRE = regexp.MustCompile(`\b(?:[a-z0-9_]+/)+[A-Za-z0-9_.-]+\.(?:go|sql|md|csv)\b`)
	fileExts    = map[string]bool{".go": true, ".sql": true, ".md": true}
)

// history are phrases that tell how the code used to be, or a measurement
// of before and after: a note says how it works now.
var history = []*regexp.Regexp{
	regexp.MustCompile(`(?i)\bsession \d`),
	regexp.MustCompile(`(?i)\bused to\b`),
	regexp.MustCompile(`(?i)\bissue #\d`),
	regexp.MustCompile(`(?i)\bno longer\b`),
	regexp.MustCompile(`(?i)\bpreviously\b`),
	regexp.MustCompile(`(?i)\bformerly\b`),
	regexp.MustCompile(`(?i)\bfailed before\b`),
	regexp.MustCompile(`\d ?[a-zµ]* ?→ ?\d`),
}

// CheckDoc checks one note: its citations, its length, its tense.
func (r *Repo) CheckDoc(doc string) ([]Problem, error) {
	b, err := os.ReadFile(filepath.Join(r.Root, filepath.FromSlash(doc)))
	if err != nil {
		return nil, err
	}
	var probs []Problem
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > MaxLines {
		probs = append(probs, Problem{doc, len(lines), fmt.Sprintf("%d lines, more than %d (two pages): say how it works now, and put figures in BENCHMARKS.md", len(lines), MaxLines)})
	}
	for i, line := range lines {
		for _, m := range spanRE.FindAllStringSubmatch(line, -1) {
			if why := r.citation(doc, m[1], false); why != "" {
				probs = append(probs, Problem{doc, i + 1, why})
			}
		}
		for _, p := range prosePathRE.FindAllString(spanRE.ReplaceAllString(line, ""), -1) {
			if !r.pathExists(doc, p) {
				probs = append(probs, Problem{doc, i + 1, fmt.Sprintf("cites %s, which is not in the repository", p)})
			}
		}
		for _, h := range history {
			if m := h.FindString(line); m != "" {
				probs = append(probs, Problem{doc, i + 1, fmt.Sprintf("tells history (%q): say how it works now; figures go in BENCHMARKS.md", m)})
			}
		}
	}
	return probs, nil
}

// citation checks one `span`; it returns why it is wrong, or "".
// pathsOnly checks only the files and folders it names.
func (r *Repo) citation(doc, span string, pathsOnly bool) string {
	s := strings.TrimSpace(span)
	s = strings.TrimSuffix(s, ":") // a configuration key, "publish:"
	if m := callRE.FindStringSubmatch(s); m != nil {
		s = m[1] // a call, ws_ts_o(raw, order): the function
	}
	switch {
	case strings.ContainsAny(s, "<>…*?~ $'\"=,;[]{}"):
		return "" // prose, SQL or a pattern, not a name
	case pathsOnly && !strings.Contains(s, "/") && !fileExts[filepath.Ext(s)]:
		return ""
	case flagRE.MatchString(s):
		name := flagRE.FindStringSubmatch(s)[1]
		for _, t := range r.goText {
			if strings.Contains(t, `"`+name+`"`) {
				return ""
			}
		}
		return fmt.Sprintf("cites the flag %s, which no Go file defines", s)
	case strings.Contains(s, "/"):
		if strings.HasPrefix(s, "/") || strings.HasPrefix(s, "-") {
			return "" // a system path or a command-line option
		}
		first := strings.SplitN(s, "/", 2)[0]
		if !r.files[first] && !r.files[pathJoin(filepath.ToSlash(filepath.Dir(doc)), first)] {
			return "" // not a path of the repository (a folder the program makes)
		}
		if !r.pathExists(doc, s) {
			return fmt.Sprintf("cites %s, which is not in the repository", s)
		}
	case fileExts[filepath.Ext(s)] && !strings.HasPrefix(s, "."):
		if !r.basenames[s] {
			return fmt.Sprintf("cites the file %s, which is not in the repository", s)
		}
	case identRE.MatchString(s):
		for _, part := range strings.Split(s, ".") {
			if !r.words[part] {
				return fmt.Sprintf("cites %s, but no code file has %q", s, part)
			}
		}
	}
	return ""
}

func pathJoin(dir, p string) string {
	if dir == "." {
		return p
	}
	return dir + "/" + p
}

// pathExists finds p from the root or from the note's folder.
func (r *Repo) pathExists(doc, p string) bool {
	p = strings.TrimSuffix(p, "/")
	return r.files[p] || r.files[pathJoin(filepath.ToSlash(filepath.Dir(doc)), p)]
}

// DecisionsHeading starts the section of BENCHMARKS.md that gives the
// measurements behind the code's decisions, each with the file it concerns.
const DecisionsHeading = "## Why the code is as it is"

// CheckBenchmarks checks that every file the decisions section of
// BENCHMARKS.md names is in the repository.
func (r *Repo) CheckBenchmarks() ([]Problem, error) {
	const doc = "BENCHMARKS.md"
	b, err := os.ReadFile(filepath.Join(r.Root, doc))
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(b), "\n")
	in, found := false, false
	var probs []Problem
	for i, line := range lines {
		if strings.HasPrefix(line, "## ") {
			in = strings.HasPrefix(line, DecisionsHeading)
			found = found || in
			continue
		}
		if !in {
			continue
		}
		for _, m := range spanRE.FindAllStringSubmatch(line, -1) {
			if why := r.citation(doc, m[1], true); why != "" {
				probs = append(probs, Problem{doc, i + 1, why})
			}
		}
		if why := r.rowNames(line); why != "" {
			probs = append(probs, Problem{doc, i + 1, why})
		}
	}
	if !found {
		probs = append(probs, Problem{doc, 1, "has no section " + DecisionsHeading})
	}
	return probs, nil
}

// sectionRefRE is a pointer to a note's section, as code and notes write
// it: the note's name (after its folder, if any), a comma and the section's
// title in double quotes, the title possibly broken over comment lines.
var sectionRefRE = regexp.MustCompile("((?:[a-z0-9_]+/)*)DESIGN\\.md`?,\\s*\"([^\"]+)\"")

// commentBreakRE is a line break inside a comment, with the next line's
// comment marker.
var commentBreakRE = regexp.MustCompile(`\s*\n\s*(?://|--)?\s*`)

// CheckSectionRefs checks that every section of a DESIGN.md named by the
// code or by another note is a heading of that note.
func (r *Repo) CheckSectionRefs() ([]Problem, error) {
	var files []string
	for f := range r.files {
		if ext := filepath.Ext(f); ext == ".go" || ext == ".sql" || strings.HasSuffix(f, "DESIGN.md") {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	headings := map[string][]string{}
	var probs []Problem
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(r.Root, filepath.FromSlash(f)))
		if err != nil {
			return nil, err
		}
		text := string(b)
		for _, m := range sectionRefRE.FindAllStringSubmatchIndex(text, -1) {
			dir, title := text[m[2]:m[3]], commentBreakRE.ReplaceAllString(text[m[4]:m[5]], " ")
			doc := dir + "DESIGN.md"
			if dir == "" {
				doc = pathJoin(filepath.ToSlash(filepath.Dir(f)), "DESIGN.md")
			}
			line := strings.Count(text[:m[0]], "\n") + 1
			hs, ok := headings[doc]
			if !ok {
				hb, err := os.ReadFile(filepath.Join(r.Root, filepath.FromSlash(doc)))
				if err != nil {
					probs = append(probs, Problem{f, line, fmt.Sprintf("points to %s, which is not in the repository", doc)})
					continue
				}
				for _, l := range strings.Split(string(hb), "\n") {
					if strings.HasPrefix(l, "#") {
						hs = append(hs, strings.ToLower(strings.TrimSpace(strings.TrimLeft(l, "#"))))
					}
				}
				headings[doc] = hs
			}
			found := false
			for _, h := range hs {
				found = found || strings.HasPrefix(h, strings.ToLower(title))
			}
			if !found {
				probs = append(probs, Problem{f, line, fmt.Sprintf("points to the section %q of %s, which has no such heading", title, doc)})
			}
		}
	}
	return probs, nil
}

// decisionRowRE is a decisions row's first cell: `file` (`name`, `name`).
var decisionRowRE = regexp.MustCompile("^\\| `([^`]+)` \\(([^|]*)\\)")

// rowNames checks that the names a decisions row gives in brackets after
// its file (functions, constants, tables) are in that file.
func (r *Repo) rowNames(line string) string {
	m := decisionRowRE.FindStringSubmatch(line)
	if m == nil || !r.files[m[1]] {
		return "" // no names, or a missing file (said already)
	}
	b, err := os.ReadFile(filepath.Join(r.Root, filepath.FromSlash(m[1])))
	if err != nil {
		return err.Error()
	}
	words := map[string]bool{}
	for _, w := range wordRE.FindAll(b, -1) {
		words[string(w)] = true
	}
	for _, n := range spanRE.FindAllStringSubmatch(m[2], -1) {
		if identRE.MatchString(n[1]) && !words[n[1]] {
			return fmt.Sprintf("names %s in %s, which does not have it", n[1], m[1])
		}
	}
	return ""
}
