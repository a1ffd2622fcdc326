package doccheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pending are notes another branch rewrites; they are held to their
// citations only until it lands. Remove an entry once its note is rewritten.
var pending = map[string]bool{}

// TestDesignNotesCiteOnlyWhatExists fails on a DESIGN.md that cites a file,
// function, table, test or flag the repository lacks, runs past two pages,
// or tells history.
func TestDesignNotesCiteOnlyWhatExists(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	repo, err := Scan(root)
	if err != nil {
		t.Fatal(err)
	}
	docs := repo.Docs()
	if len(docs) < 3 {
		t.Fatalf("found %d DESIGN.md files under %s, want every package's: %v", len(docs), root, docs)
	}
	for _, doc := range docs {
		probs, err := repo.CheckDoc(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range probs {
			if pending[doc] && !strings.HasPrefix(p.Text, "cites") {
				continue
			}
			t.Error(p)
		}
	}
}

// TestBenchmarksNameOnlyFilesThatExist: each measurement behind a decision
// names the file it concerns, which must still be there.
func TestBenchmarksNameOnlyFilesThatExist(t *testing.T) {
	repo, err := Scan("../..")
	if err != nil {
		t.Fatal(err)
	}
	probs, err := repo.CheckBenchmarks()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probs {
		t.Error(p)
	}
}

// TestSectionsPointedToExist: a comment or a note that sends the reader to
// a section of a DESIGN.md names one of its headings.
func TestSectionsPointedToExist(t *testing.T) {
	repo, err := Scan("../..")
	if err != nil {
		t.Fatal(err)
	}
	probs, err := repo.CheckSectionRefs()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probs {
		t.Error(p)
	}
}

// TestCheckDocFindsWhatIsWrong runs the check on a repository made for it:
// each wrong citation is found at its line, and the right ones pass.
func TestCheckDocFindsWhatIsWrong(t *testing.T) {
	root := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("store/load.go", "package store\n\nfunc FindLoad() {}\n\nvar _ = flag(\"reload\")\n")
	write("sql/load/20_merge.sql", "CREATE MACRO ws_ts_o(raw, o) AS raw;\n")
	write("store/DESIGN.md", strings.Join([]string{
		"# store", // 1
		"`load.go` and `store/load.go` hold `FindLoad`, `sql/load/20_merge.sql` `ws_ts_o(raw, order)`.", // 2
		"`--reload`, a folder `done/`, `<file>.tmp`, `SELECT 1`.",                                       // 3
		"`stage.go` moved; `FindLoadByHash` too; `sql/load/15_check.sql`.",                              // 4
		"`--no-such-flag`; see warehouse/DESIGN.md.",                                                    // 5
		"Since session 6 it is 9.9 s → 5.7 s.",                                                          // 6
	}, "\n")+"\n")
	repo, err := Scan(root)
	if err != nil {
		t.Fatal(err)
	}
	probs, err := repo.CheckDoc("store/DESIGN.md")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range probs {
		got = append(got, p.String())
	}
	want := []string{
		"store/DESIGN.md:4: cites the file stage.go, which is not in the repository",
		`store/DESIGN.md:4: cites FindLoadByHash, but no code file has "FindLoadByHash"`,
		"store/DESIGN.md:4: cites sql/load/15_check.sql, which is not in the repository",
		"store/DESIGN.md:5: cites the flag --no-such-flag, which no Go file defines",
		"store/DESIGN.md:5: cites warehouse/DESIGN.md, which is not in the repository",
		`store/DESIGN.md:6: tells history ("session 6"): say how it works now; figures go in BENCHMARKS.md`,
		`store/DESIGN.md:6: tells history ("9 s → 5"): say how it works now; figures go in BENCHMARKS.md`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	write("BENCHMARKS.md", "# B\n\n## Where\n\n`store/gone.go`\n\n"+DecisionsHeading+": measurements\n\n| `store/load.go` (`Nope`) | `sql/gone.sql` |\n")
	if probs, _ := repo.CheckBenchmarks(); len(probs) != 2 ||
		probs[0].String() != "BENCHMARKS.md:9: cites sql/gone.sql, which is not in the repository" ||
		probs[1].String() != "BENCHMARKS.md:9: names Nope in store/load.go, which does not have it" {
		t.Errorf("BENCHMARKS.md: %v, want the missing file and the missing name of its decisions", probs)
	}

	write("store/publish.go", "package store\n\n// See DESIGN.md, \"Publishing keeps the\n// lock\"; and DESIGN.md, \"One writer\".\n")
	write("store/DESIGN.md", "# store\n\n## One writer, many readers\n\nSee `sql/DESIGN.md`, \"Macros\".\n")
	if repo, err = Scan(root); err != nil {
		t.Fatal(err)
	}
	var refs []string
	if probs, err := repo.CheckSectionRefs(); err != nil {
		t.Fatal(err)
	} else {
		for _, p := range probs {
			refs = append(refs, p.String())
		}
	}
	wantRefs := []string{
		`store/DESIGN.md:5: points to sql/DESIGN.md, which is not in the repository`,
		`store/publish.go:3: points to the section "Publishing keeps the lock" of store/DESIGN.md, which has no such heading`,
	}
	if strings.Join(refs, "\n") != strings.Join(wantRefs, "\n") {
		t.Errorf("section pointers:\n%s\nwant:\n%s", strings.Join(refs, "\n"), strings.Join(wantRefs, "\n"))
	}

	write("store/DESIGN.md", strings.Repeat("line\n", MaxLines+1))
	if probs, _ := repo.CheckDoc("store/DESIGN.md"); len(probs) != 1 || !strings.Contains(probs[0].Text, "more than") {
		t.Errorf("a note of %d lines: %v, want one problem of length", MaxLines+1, probs)
	}
}
