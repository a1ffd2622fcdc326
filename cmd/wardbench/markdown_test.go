package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRegeneratingKeepsTheHandWrittenNotes: a new run rewrites the table
// and keeps, byte for byte, everything under the notes marker, where the
// measurements behind the code's decisions live.
func TestRegeneratingKeepsTheHandWrittenNotes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	notes := notesMarker + "\n\n## Why the code is as it is: measurements behind decisions\n\n| `internal/gotune/gotune.go` | GOGC 400 | 20.6–23 s → 18.9–19.8 s |\n"
	if err := os.WriteFile(path, []byte("# Benchmarks\n\n| old table |\n\n"+notes), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeMarkdown(path, "| new table |\n", 1); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	if !strings.HasSuffix(got, "\n"+notes) {
		t.Errorf("the notes were not kept as written:\n%s", got)
	}
	if !strings.Contains(got, "| new table |") || strings.Contains(got, "| old table |") {
		t.Errorf("the table was not replaced:\n%s", got)
	}
}

// TestTheDecisionsAreUnderTheMarker: the repository's BENCHMARKS.md keeps
// its hand-written sections where a run of wardbench leaves them.
func TestTheDecisionsAreUnderTheMarker(t *testing.T) {
	b, err := os.ReadFile("../../BENCHMARKS.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	marker := strings.Index(s, notesMarker)
	decisions := strings.Index(s, "## Why the code is as it is")
	if marker < 0 || decisions < marker {
		t.Errorf("BENCHMARKS.md: the notes marker at %d, the decisions at %d: a run of wardbench would drop them", marker, decisions)
	}
}
