// Command wardbench measures wardstat against its floors, each case in its
// own process (for its peak RSS), and prints one table; `make bench` runs it.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"wardstat/bench"
	"wardstat/internal/gotune"
	"wardstat/pipeline"
	"wardstat/transform"
	"wardstat/warehouse"
)

type sizes struct{ csv, xlsx, json, base, incr int }

func sizesFor(scale float64) sizes {
	n := func(v int) int { return max(1000, int(float64(v)*scale)) }
	return sizes{csv: n(2_000_000), xlsx: n(200_000), json: n(1_000_000), base: n(10_000_000), incr: n(30_000)}
}

type result struct {
	Seconds float64 `json:"seconds"`
	Rows    int64   `json:"rows"`
	Bytes   int64   `json:"bytes"`
	RSS     int64   `json:"rss"`
	// Steps are a scale night's steps, in seconds.
	Steps map[string]float64 `json:"steps,omitempty"`
	// Failed is why a scale step failed (its table says so).
	Failed string `json:"failed,omitempty"`
}

func main() {
	child := flag.String("child", "", "run one case in this process (internal)")
	dir := flag.String("dir", filepath.Join(os.TempDir(), "wardbench"), "where inputs are generated and kept")
	scale := flag.Float64("scale", 1, "input sizes relative to the issue's (1 = 2M CSV rows, 10M warehouse)")
	out := flag.String("out", "", "also write the table into this Markdown file")
	only := flag.String("cases", "csv,xlsx,json,incremental,report", "comma-separated case groups (also: variants, the CSV as other systems write it; xlsx-shared, the workbook as Excel saves it, text in a shared-strings table; reexport, the CSV again with few changes into the warehouse holding it)")
	rounds := flag.Int("rounds", 3, "times each case and its floor run, alternating; the table keeps each one's best")
	scaleN := flag.Int("scale-n", 0, "with -cases scale: the warehouse's dossiers (make bench-scale: 100000000)")
	scaleStepsFlag := flag.String("scale-steps", "all", "with -cases scale: the steps to measure ("+strings.Join(scaleSteps, ",")+"); the others keep their figures from the last run at the same -scale-n")
	flag.Parse()
	sz := sizesFor(*scale)
	if *child != "" {
		// wardstat's cases run with its runtime settings, as the command
		// does; the floors with Go's defaults, as any program would.
		if !isFloor(*child) {
			gotune.Apply()
		}
		res, err := runCase(*child, *dir, sz)
		if err != nil {
			fmt.Fprintln(os.Stderr, "wardbench:", *child+":", err)
			os.Exit(1)
		}
		json.NewEncoder(os.Stdout).Encode(res)
		return
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		fail(err)
	}
	var rows []string
	add := func(name string, floorName string, floor, r result, bar float64, extra string) {
		ratio := r.Seconds / floor.Seconds
		ok := "✓"
		if ratio > bar {
			ok = "✗"
		}
		mb := float64(r.Bytes) / 1e6
		barText := fmt.Sprintf("≤ %.1f× %s%s", bar, ok, extra)
		if bar <= 0 {
			barText = "none" + extra
		}
		rows = append(rows, fmt.Sprintf("| %s | %d | %.0f | %.2f | %.0f | %.0f | %s %.2f s | %.2f× | %s |",
			name, r.Rows, mb, r.Seconds, float64(r.Rows)/r.Seconds, float64(r.RSS)/1024/1024, floorName, floor.Seconds, ratio, barText))
	}
	groups := map[string]bool{}
	for _, g := range strings.Split(*only, ",") {
		groups[strings.TrimSpace(g)] = true
	}
	step := func(name string) result {
		fmt.Fprintf(os.Stderr, "%-22s", name)
		r, err := child_(name, *dir, *scale)
		if err != nil {
			fail(err)
		}
		fmt.Fprintf(os.Stderr, " %7.2f s  %6.0f MiB RSS\n", r.Seconds, float64(r.RSS)/1024/1024)
		return r
	}
	// pair runs a case and its floor alternately, rounds times, and keeps
	// the fastest run of each (and the highest peak RSS): this machine's
	// speed drifts by tens of percent from minute to minute, and a ratio
	// of two single runs drifts with it.
	pair := func(floorCase, ourCase string) (floor, ours result) {
		for i := 0; i < max(1, *rounds); i++ {
			f, o := step(floorCase), step(ourCase)
			if i == 0 || f.Seconds < floor.Seconds {
				floor.Seconds, floor.Rows, floor.Bytes = f.Seconds, f.Rows, f.Bytes
			}
			if i == 0 || o.Seconds < ours.Seconds {
				ours.Seconds, ours.Rows, ours.Bytes = o.Seconds, o.Rows, o.Bytes
			}
			floor.RSS, ours.RSS = max(floor.RSS, f.RSS), max(ours.RSS, o.RSS)
		}
		return floor, ours
	}
	if groups["csv"] {
		step("gen-csv")
		floor, w := pair("csv-floor", "csv-wardstat")
		add("CSV ingest", "DuckDB read_csv", floor, w, 1.5, "")
	}
	if groups["xlsx"] {
		step("gen-xlsx")
		floor, w := pair("xlsx-floor", "xlsx-wardstat")
		add("XLSX ingest", "excelize rows", floor, w, 1.3, "")
	}
	if groups["json"] {
		step("gen-json")
		floor, w := pair("json-floor", "json-wardstat")
		add("JSON ingest", "DuckDB read_json", floor, w, 2, "")
	}
	if groups["incremental"] || groups["report"] {
		step("gen-base")
	}
	if groups["incremental"] {
		floor, w := pair("incr-empty", "incr-base")
		add("Incremental night", "same rows into an empty warehouse", floor, w, 3, "")
	}
	if groups["report"] {
		floor, w := step("report-flat"), step("report-form")
		extra := fmt.Sprintf(" (%.2f s < 1 s %s)", w.Seconds, map[bool]string{true: "✓", false: "✗"}[w.Seconds < 1])
		add("Report form, 1 year", "hand-written aggregate", floor, w, 2, extra)
	}
	if groups["reexport"] {
		// Not the cases: the nightly export as many ward systems
		// write it, every dossier again, few of them changed.
		step("gen-csv")
		step("gen-reexport")
		floor, w := pair("reexport-empty", "reexport-loaded")
		add("CSV re-exported, few dossiers changed, into the warehouse holding it", "same file into an empty warehouse", floor, w, 0, " (not one of the issue's cases)")
	}
	if groups["xlsx-shared"] {
		// Not one of the cases: the workbook as Excel, LibreOffice
		// and most export libraries save it.
		step("gen-xlsx")
		step("gen-xlsx-shared")
		floor, w := pair("xlsx-shared-floor", "xlsx-shared-wardstat")
		add("XLSX, text in a shared-strings table", "excelize rows", floor, w, 1.3, " (not one of the issue's cases)")
	}
	if groups["variants"] {
		// Not the cases: the CSV as other ward systems write it,
		// each against DuckDB reading the same file as it sees fit.
		step("gen-csv")
		step("gen-variants")
		for _, v := range bench.CSVVariants {
			floor, w := pair("variant-floor:"+v.Name, "variant-wardstat:"+v.Name)
			add("CSV "+v.What, "DuckDB read_csv, auto-detected", floor, w, 0, " (not one of the issue's cases)")
		}
	}
	if groups["scale"] {
		// Not the cases of `make bench`: issue #19's scale run,
		// its table kept in BENCHMARKS.md's hand-written part.
		if *scaleN <= 0 {
			fail(fmt.Errorf("-cases scale needs -scale-n"))
		}
		t, err := runScale(*dir, *scaleN, *scale, *scaleStepsFlag)
		if err != nil {
			fail(err)
		}
		fmt.Println()
		fmt.Print(t)
		if *out != "" {
			if err := writeScaleMarkdown(*out, t); err != nil {
				fail(err)
			}
			fmt.Fprintln(os.Stderr, "wrote", *out)
		}
		if len(groups) == 1 {
			return
		}
	}
	table := "| case | rows | MB | seconds | rows/s | peak RSS MiB | floor, same run | ratio | bar |\n|---|---|---|---|---|---|---|---|---|\n" + strings.Join(rows, "\n") + "\n"
	fmt.Println()
	fmt.Print(table)
	if *out != "" {
		if err := writeMarkdown(*out, table, *scale); err != nil {
			fail(err)
		}
		fmt.Fprintln(os.Stderr, "wrote", *out)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "wardbench:", err)
	os.Exit(1)
}

// child_ runs a case in a child process and adds its peak RSS.
func child_(name, dir string, scale float64) (result, error) {
	self, err := os.Executable()
	if err != nil {
		return result{}, err
	}
	cmd := exec.Command(self, "-child", name, "-dir", dir, "-scale", fmt.Sprint(scale))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("%s: %v\n%s", name, err, stderr.String())
	}
	var r result
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		return r, fmt.Errorf("%s: %v: %q", name, err, stdout.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.RSS = ru.Maxrss * 1024
	}
	return r, nil
}

func runCase(name, dir string, sz sizes) (result, error) {
	csvPath := filepath.Join(dir, fmt.Sprintf("dossiers-%d.csv", sz.csv))
	xlsxPath := filepath.Join(dir, fmt.Sprintf("dossiers-%d.xlsx", sz.xlsx))
	sharedPath := filepath.Join(dir, fmt.Sprintf("dossiers-shared-%d.xlsx", sz.xlsx))
	jsonPath := filepath.Join(dir, fmt.Sprintf("dossiers-%d.json", sz.json))
	incrPath := filepath.Join(dir, fmt.Sprintf("night-%d-%d.csv", sz.base, sz.incr))
	basePath := filepath.Join(dir, fmt.Sprintf("base-%d.duckdb", sz.base))
	reexportPath := filepath.Join(dir, fmt.Sprintf("reexport-%d.csv", sz.csv))
	loadedPath := filepath.Join(dir, fmt.Sprintf("loaded-%d.duckdb", sz.csv))
	work := filepath.Join(dir, "work")
	os.RemoveAll(work)
	os.MkdirAll(work, 0o755)
	ctx := context.Background()
	timed := func(f func() (int64, error), bytes int64) (result, error) {
		start := time.Now()
		n, err := f()
		return result{Seconds: time.Since(start).Seconds(), Rows: n, Bytes: bytes}, err
	}
	size := func(p string) int64 {
		st, err := os.Stat(p)
		if err != nil {
			return 0
		}
		return st.Size()
	}
	gen := func(p string, f func() (int64, error)) (result, error) {
		if size(p) > 0 {
			return result{Bytes: size(p)}, nil
		}
		tmp := p + ".tmp"
		r, err := timed(func() (int64, error) { return 0, nil }, 0)
		start := time.Now()
		if _, err = f(); err != nil {
			return r, err
		}
		r.Seconds = time.Since(start).Seconds()
		_ = tmp
		return r, nil
	}
	ingestInto := func(db, path string) (int64, error) {
		w, err := warehouse.Open(ctx, db, warehouse.Options{})
		if err != nil {
			return 0, err
		}
		defer w.Close()
		res, err := pipeline.File(ctx, w, path, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("bench"))})
		return res.Result.Read, err
	}
	// load times wardstat loading path into a new warehouse, or into a
	// copy of the warehouse at base.
	load := func(base, path string) (result, error) {
		db := filepath.Join(work, "w.duckdb")
		if base != "" {
			if err := copyFile(base, db); err != nil {
				return result{}, err
			}
		}
		return timed(func() (int64, error) { return ingestInto(db, path) }, size(path))
	}
	if v, ok := strings.CutPrefix(name, "variant-floor:"); ok {
		p := bench.VariantPath(dir, v, sz.csv/2)
		return timed(func() (int64, error) {
			return duckCount(filepath.Join(work, "floor.duckdb"), fmt.Sprintf(`CREATE TABLE t AS SELECT * FROM read_csv('%s')`, p))
		}, size(p))
	}
	if v, ok := strings.CutPrefix(name, "variant-wardstat:"); ok {
		p := bench.VariantPath(dir, v, sz.csv/2)
		return load("", p)
	}
	if strings.HasPrefix(name, "scale-") {
		return runScaleCase(ctx, name, dir, work)
	}
	switch name {
	case "gen-csv":
		return gen(csvPath, func() (int64, error) { return bench.WriteCSV(csvPath, sz.csv, 1) })
	case "gen-xlsx":
		return gen(xlsxPath, func() (int64, error) { return bench.WriteXLSX(xlsxPath, sz.xlsx, 1) })
	case "gen-json":
		return gen(jsonPath, func() (int64, error) { return bench.WriteJSON(jsonPath, sz.json, 1) })
	case "gen-base":
		if _, err := gen(incrPath, func() (int64, error) {
			return bench.WriteCSVRange(incrPath, sz.base-sz.incr/2, sz.base+sz.incr/2, 7)
		}); err != nil {
			return result{}, err
		}
		return gen(basePath, func() (int64, error) { return 0, makeBase(ctx, basePath, sz.base) })
	case "csv-floor":
		return timed(func() (int64, error) {
			return duckCount(filepath.Join(work, "floor.duckdb"), fmt.Sprintf(`CREATE TABLE t AS SELECT * FROM read_csv('%s', header = true, delim = ',', quote = '"', columns = %s, timestampformat = '%%d/%%m/%%Y %%H:%%M:%%S')`, csvPath, bench.FloorColumns))
		}, size(csvPath))
	case "csv-wardstat":
		return load("", csvPath)
	case "json-floor":
		return timed(func() (int64, error) {
			return duckCount(filepath.Join(work, "floor.duckdb"), fmt.Sprintf(`CREATE TABLE t AS SELECT * FROM read_json('%s', format = 'array')`, jsonPath))
		}, size(jsonPath))
	case "json-wardstat":
		return load("", jsonPath)
	case "xlsx-floor":
		return timed(func() (int64, error) { return excelizeRows(xlsxPath) }, size(xlsxPath))
	case "xlsx-wardstat":
		return load("", xlsxPath)
	case "gen-xlsx-shared":
		return gen(sharedPath, func() (int64, error) { return bench.WriteSharedStringsXLSX(xlsxPath, sharedPath) })
	case "xlsx-shared-floor":
		return timed(func() (int64, error) { return excelizeRows(sharedPath) }, size(sharedPath))
	case "xlsx-shared-wardstat":
		return load("", sharedPath)
	case "incr-empty":
		return load("", incrPath)
	case "incr-base":
		return load(basePath, incrPath)
	case "gen-reexport":
		if _, err := gen(reexportPath, func() (int64, error) { return bench.WriteReexport(csvPath, reexportPath, reexportEvery) }); err != nil {
			return result{}, err
		}
		// The warehouse that already holds the first export, loaded by
		// wardstat itself (its keys are the bench's).
		return gen(loadedPath, func() (int64, error) {
			tmp := loadedPath + ".building"
			os.Remove(tmp)
			if _, err := ingestInto(tmp, csvPath); err != nil {
				return 0, err
			}
			return 0, os.Rename(tmp, loadedPath)
		})
	case "reexport-empty":
		return load("", reexportPath)
	case "reexport-loaded":
		return load(loadedPath, reexportPath)
	case "gen-variants":
		return result{}, bench.WriteCSVVariants(ctx, csvPath, dir, sz.csv/2)
	case "report-flat", "report-form":
		w, err := warehouse.Open(ctx, basePath, warehouse.Options{ReadOnly: true})
		if err != nil {
			return result{}, err
		}
		defer w.Close()
		q := `SELECT * FROM report_form('2024-01-01', '2024-12-31')`
		if name == "report-flat" {
			q = flatForm
		}
		best := result{Seconds: 1e9}
		for i := 0; i < 3; i++ {
			r, err := timed(func() (int64, error) {
				rows, err := w.DB().QueryContext(ctx, q)
				if err != nil {
					return 0, err
				}
				defer rows.Close()
				var n int64
				for rows.Next() {
					n++
				}
				return n, rows.Err()
			}, 0)
			if err != nil {
				return r, err
			}
			if r.Seconds < best.Seconds {
				best = r
			}
		}
		var n int64
		if err := w.DB().QueryRow(`SELECT count(*) FROM dossiers`).Scan(&n); err != nil || n == 0 {
			return best, fmt.Errorf("the base warehouse holds no dossiers (%v): the figure would time nothing", err)
		}
		best.Rows = n
		return best, nil
	}
	return result{}, fmt.Errorf("unknown case %q", name)
}
