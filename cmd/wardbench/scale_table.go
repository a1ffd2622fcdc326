package main

// The scale mode (`make bench-scale`, `wardbench -cases scale -scale-n N`):
// a warehouse of N dossiers over ten years, generated in DuckDB, and every
// step of a day and a night over it, each against a floor in the same run.

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"wardstat/warehouse"
)

// scaleRun is what a scale run measured, kept beside the inputs
// (scale-N.json) so that a later run can say how each cost grew.
type scaleRun struct {
	N    int                    `json:"n"`
	Date string                 `json:"date"`
	Rows map[string]scaleFigure `json:"rows"`
}

type scaleFigure struct {
	Ours, Floor result
	// Kept is the date of the run a figure comes from when this run did
	// not measure it (-scale-steps left its step out).
	Kept string `json:"kept,omitempty"`
}

// scaleSteps are the groups of a scale run that -scale-steps names; a run
// of some of them keeps the others' figures from the last run at the same
// size (scale-N.json), so a run too long for one sitting (100 M) can be
// measured in parts.
var scaleSteps = []string{"gen", "forms", "marts", "lake", "night", "publish", "size"}

// scaleStepOf is the -scale-steps group a table row belongs to.
func scaleStepOf(label string) string {
	switch {
	case strings.HasPrefix(label, "generate"):
		return "gen"
	case strings.HasPrefix(label, "form,"):
		return "forms"
	case strings.HasPrefix(label, "lake export"):
		return "lake"
	case strings.HasPrefix(label, "night"):
		return "night"
	case strings.HasPrefix(label, "publish floor"):
		return "publish"
	case strings.HasPrefix(label, "warehouse size"):
		return "size"
	}
	return "marts" // ward_month and every mart
}

// parseScaleSteps reads -scale-steps: "" or "all" is every step.
func parseScaleSteps(s string) (map[string]bool, error) {
	on := map[string]bool{}
	if s == "" || s == "all" {
		for _, k := range scaleSteps {
			on[k] = true
		}
		return on, nil
	}
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		found := false
		for _, known := range scaleSteps {
			found = found || k == known
		}
		if !found {
			return nil, fmt.Errorf("-scale-steps: unknown step %q (steps: %s)", k, strings.Join(scaleSteps, ", "))
		}
		on[k] = true
	}
	return on, nil
}

// runScale runs the scale cases at n dossiers and returns the Markdown
// table, with the growth of each cost from the smaller runs kept in dir.
func runScale(dir string, n int, scale float64, stepList string) (string, error) {
	on, err := parseScaleSteps(stepList)
	if err != nil {
		return "", err
	}
	os.Setenv(scaleEnv, strconv.Itoa(n))
	var kept scaleRun
	if b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("scale-%d.json", n))); err == nil {
		json.Unmarshal(b, &kept)
	}
	// A step that fails (a mart out of memory) is a finding: it is in the
	// table as failed, and the run goes on.
	step := func(name string) result {
		if name == "" {
			return result{} // a step left out: add keeps its earlier figure
		}
		fmt.Fprintf(os.Stderr, "%-22s", name)
		r, err := child_(name, dir, scale)
		if err != nil {
			msg := strings.TrimSpace(err.Error())
			if i := strings.LastIndex(msg, "\n"+"wardbench: "); i >= 0 {
				msg = msg[i+1:]
			}
			msg, _, _ = strings.Cut(msg, "\n")
			fmt.Fprintf(os.Stderr, " failed: %s\n", msg)
			return result{Failed: msg}
		}
		fmt.Fprintf(os.Stderr, " %7.2f s  %6.0f MiB RSS\n", r.Seconds, float64(r.RSS)/1024/1024)
		return r
	}
	run := scaleRun{N: n, Date: time.Now().Format(time.DateOnly), Rows: map[string]scaleFigure{}}
	var order []string
	add := func(label string, ours, floor result) {
		order = append(order, label)
		if !on[scaleStepOf(label)] {
			if old, ok := kept.Rows[label]; ok {
				if old.Kept == "" {
					old.Kept = kept.Date
				}
				run.Rows[label] = old
			}
			return
		}
		run.Rows[label] = scaleFigure{Ours: ours, Floor: floor}
	}
	// named is a step's case name when its group runs, else "" (left out).
	named := func(group, name string) string {
		if on[group] {
			return name
		}
		return ""
	}
	const genLabel = "generate the base in DuckDB (not timed against a floor)"
	// The base is generated when missing whatever the steps (every other
	// step reads it); its time is kept from the run that generated it.
	gen := step("scale-gen")
	if _, ok := kept.Rows[genLabel]; gen.Seconds == 0 && ok {
		on["gen"] = false // the base was there: its figure is the kept one
	}
	add(genLabel, gen, result{})
	pairs := []struct{ label, ours, floor string }{
		{"form, 1 year, by ward", "scale-form-year", "scale-form-year-floor"},
		{"form, 1 month, by ward", "scale-form-month", "scale-form-month-floor"},
		{"form, 1 year, by district", "scale-form-district", "scale-form-district-floor"},
		{"form, 1 year, one ward", "scale-form-ward", "scale-form-ward-floor"},
		{"ward_month", "scale-ward-month", "scale-marts-floor"},
	}
	for _, m := range warehouse.LakeMarts {
		pairs = append(pairs, struct{ label, ours, floor string }{m, "scale-mart:" + m, "scale-marts-floor"})
	}
	pairs = append(pairs, struct{ label, ours, floor string }{"lake export, whole (marts and facts)", "scale-lake", "scale-lake-floor"})
	floors := map[string]result{}
	for _, pr := range pairs {
		group := scaleStepOf(pr.label)
		f, ok := floors[pr.floor]
		if !ok {
			f = step(named(group, pr.floor))
			floors[pr.floor] = f
		}
		add(pr.label, step(named(group, pr.ours)), f)
	}
	empty, night := step(named("night", "scale-night-empty")), step(named("night", "scale-night"))
	add("night: 50 k dossiers loaded, data tests, marts, lake, publish", night, empty)
	for _, s := range []string{"load", "data tests", "marts", "lake", "publish"} {
		add("night: "+s, result{Seconds: night.Steps[s], Rows: night.Rows, Failed: night.Failed}, result{Seconds: empty.Steps[s], Rows: empty.Rows})
	}
	add("publish floor: plain copy of the warehouse file", step(named("publish", "scale-publish-floor")), result{})
	add("warehouse size on disk (bytes; floor: the flat table alone)", step(named("size", "scale-size")), step(named("size", "scale-size-floor")))
	b, _ := json.MarshalIndent(run, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("scale-%d.json", n)), b, 0o644); err != nil {
		return "", err
	}
	// The smaller runs kept in dir, for the growth columns.
	var smaller []scaleRun
	files, _ := filepath.Glob(filepath.Join(dir, "scale-*.json"))
	for _, f := range files {
		var r scaleRun
		if b, err := os.ReadFile(f); err == nil && json.Unmarshal(b, &r) == nil && r.N < n && r.N > 0 {
			smaller = append(smaller, r)
		}
	}
	sort.Slice(smaller, func(i, j int) bool { return smaller[i].N < smaller[j].N })
	head := "| step | seconds (or bytes) | peak RSS MiB | floor, same run | ratio to floor"
	sep := "|---|---|---|---|---"
	for _, s := range smaller {
		head += fmt.Sprintf(" | at %s | growth %s→%s", count(s.N), count(s.N), count(n))
		sep += "|---|---"
	}
	var lines []string
	lines = append(lines, fmt.Sprintf("Scale run at %s dossiers, %s.\n", count(n), run.Date), head+" |", sep+"|")
	for _, label := range order {
		f, ok := run.Rows[label]
		if !ok {
			lines = append(lines, fmt.Sprintf("| %s | not measured at this size | | | |", label))
			continue
		}
		shown := label
		if f.Kept != "" {
			shown += fmt.Sprintf(" (measured %s, kept)", f.Kept)
		}
		val := func(r result) float64 {
			if strings.HasPrefix(label, "warehouse size") {
				return float64(r.Bytes)
			}
			return r.Seconds
		}
		cellAt := func(v float64, at int) string {
			if strings.HasPrefix(label, "warehouse size") {
				return fmt.Sprintf("%.0f MB (%.0f B/dossier)", v/1e6, v/float64(at))
			}
			return fmt.Sprintf("%.2f", v)
		}
		cell := func(v float64) string { return cellAt(v, n) }
		if f.Ours.Failed != "" {
			lines = append(lines, fmt.Sprintf("| %s | **failed**: %s | | | |", shown, strings.ReplaceAll(f.Ours.Failed, "|", "/")))
			continue
		}
		floorCell, ratio := "", ""
		if val(f.Floor) > 0 {
			floorCell, ratio = cell(val(f.Floor)), fmt.Sprintf("%.2f×", val(f.Ours)/val(f.Floor))
		}
		rss := ""
		if f.Ours.RSS > 0 {
			rss = fmt.Sprintf("%.0f", float64(f.Ours.RSS)/1024/1024)
		}
		line := fmt.Sprintf("| %s | %s | %s | %s | %s", shown, cell(val(f.Ours)), rss, floorCell, ratio)
		for _, s := range smaller {
			old, ok := s.Rows[label]
			if !ok || val(old.Ours) <= 0 {
				line += " | | "
				continue
			}
			line += fmt.Sprintf(" | %s | %.2f×", cellAt(val(old.Ours), s.N), val(f.Ours)/val(old.Ours))
		}
		lines = append(lines, line+" |")
	}
	return strings.Join(lines, "\n") + "\n", nil
}

func count(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%d M", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%d k", n/1000)
	}
	return strconv.Itoa(n)
}

func openFlat(path string) (*sql.DB, error) {
	return sql.Open("duckdb", path+"?access_mode=read_only")
}

// Scale markers delimit the scale table inside BENCHMARKS.md's hand-written
// part (below notesMarker), which `make bench` keeps; a scale run replaces
// only what is between them.
const (
	scaleBegin = "<!-- scale: written by wardbench -cases scale -->"
	scaleEnd   = "<!-- /scale -->"
)

func writeScaleMarkdown(path, table string) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(old)
	if !strings.Contains(s, notesMarker) {
		s += "\n" + notesMarker + "\n"
	}
	block := scaleBegin + "\n" + table + scaleEnd
	if i, j := strings.Index(s, scaleBegin), strings.Index(s, scaleEnd); i >= 0 && j > i && i > strings.Index(s, notesMarker) {
		s = s[:i] + block + s[j+len(scaleEnd):]
	} else {
		s += "\n## Scale\n\n" + block + "\n"
	}
	return os.WriteFile(path, []byte(s), 0o644)
}
