package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScaleTableIsKeptByBothRuns: a scale run writes its table into the
// hand-written part of BENCHMARKS.md, replacing only its own earlier table
// (the notes around it stay), and `make bench`, which rewrites the file
// above the notes marker, keeps it.
func TestScaleTableIsKeptByBothRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	notes := notesMarker + "\n\n## Why the code is as it is\n\nhand-written\n"
	if err := os.WriteFile(path, []byte("# Benchmarks\n\n| bench table |\n\n"+notes), 0o644); err != nil {
		t.Fatal(err)
	}
	read := func() string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if err := writeScaleMarkdown(path, "| scale 1 M |\n"); err != nil {
		t.Fatal(err)
	}
	// A note written by hand after the scale table.
	os.WriteFile(path, []byte(read()+"\nWhat grows with history: written by hand.\n"), 0o644)
	if err := writeScaleMarkdown(path, "| scale 10 M |\n"); err != nil {
		t.Fatal(err)
	}
	got := read()
	if strings.Contains(got, "| scale 1 M |") || strings.Count(got, "| scale 10 M |") != 1 || strings.Count(got, "## Scale") != 1 {
		t.Errorf("the scale table was not replaced in place:\n%s", got)
	}
	if !strings.Contains(got, "What grows with history: written by hand.") || !strings.Contains(got, "hand-written") || !strings.Contains(got, "| bench table |") {
		t.Errorf("a scale run dropped what it does not own:\n%s", got)
	}
	if strings.Index(got, scaleBegin) < strings.Index(got, notesMarker) {
		t.Errorf("the scale table is above the notes marker, where make bench rewrites:\n%s", got)
	}
	if err := writeMarkdown(path, "| new bench table |\n", 1); err != nil {
		t.Fatal(err)
	}
	if got := read(); !strings.Contains(got, "| scale 10 M |") || !strings.Contains(got, "What grows with history") {
		t.Errorf("make bench dropped the scale section:\n%s", got)
	}
}

// TestScaleStepsNameEveryRow: -scale-steps names groups of rows; every row
// of the table belongs to one, and an unknown step is refused, so a partial
// run (100 M in parts) cannot silently measure nothing.
func TestScaleStepsNameEveryRow(t *testing.T) {
	for label, want := range map[string]string{
		"generate the base in DuckDB (not timed against a floor)":     "gen",
		"form, 1 year, by ward":                                       "forms",
		"ward_month":                                                  "marts",
		"mart_index766":                                               "marts",
		"lake export, whole (marts and facts)":                        "lake",
		"night: lake":                                                 "night",
		"publish floor: plain copy of the warehouse file":             "publish",
		"warehouse size on disk (bytes; floor: the flat table alone)": "size",
	} {
		if got := scaleStepOf(label); got != want {
			t.Errorf("scaleStepOf(%q) = %q, want %q", label, got, want)
		}
	}
	on, err := parseScaleSteps("night, lake")
	if err != nil || !on["night"] || !on["lake"] || on["marts"] {
		t.Errorf("parseScaleSteps(night, lake) = %v, %v", on, err)
	}
	if all, _ := parseScaleSteps("all"); len(all) != len(scaleSteps) {
		t.Errorf("all = %v", all)
	}
	if _, err := parseScaleSteps("nights"); err == nil || !strings.Contains(err.Error(), "nights") {
		t.Errorf("an unknown step was not refused: %v", err)
	}
}
