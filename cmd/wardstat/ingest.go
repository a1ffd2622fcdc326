package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"wardstat/ingest"
	"wardstat/internal/msg"
	"wardstat/pipeline"
	"wardstat/transform"
	"wardstat/warehouse"
)

type ingestFlags struct {
	ward, source, format, sheet string
	maps                        []string
	reload                      bool
}

func newIngestCommand(a *app) *cobra.Command {
	var f ingestFlags
	cmd := &cobra.Command{
		Use:   "ingest [flags] FILE|FOLDER...",
		Short: "Load ward exports (" + ingest.FormatList() + ") into the warehouse",
		Long: `Load ward exports into the warehouse, one transaction per file.

The format, encoding, delimiter, sheet and header row are detected; column
names are matched against a vocabulary of Vietnamese (with or without
diacritics), national-portal and English names. A row that cannot be
trusted (no dossier code, an unreadable date, completion before receipt…)
goes to the rejects table with its row number and reason; the other rows
load. Loading the same file twice with the same options changes nothing;
with other options (--ward, --map, --format) it is loaded again and
replaces its earlier load: no dossier is counted twice. Each sheet named
with --sheet is a load of its own. --reload loads a file again on purpose
(after importing the unit registry or the procedure catalogue). A
workbook with dossiers in several sheets loads every such sheet. A folder
loads every file in it; a unit registry,
procedure catalogue or calendar in it is left out with a note (import it
with its own command).

The ward of each row comes from a unit column in the file, else --ward,
else the prefix of the dossier code (000.31.09.H26-221021-0012).

Applicants' names, ID numbers, phones, e-mails and addresses are never
stored: they are replaced by a keyed hash (applicant_key).

Exit status: 0 every file loaded (or was loaded before); 1 a file could
not be loaded (see its line); 2 a mistake in the command line; 3 a file
was read but every row of it was rejected, so nothing of it loaded (its
line says why and what to run).`,
		Example: `  wardstat ingest --ward H26.01 exports/an-binh-2026-10.xlsx
  wardstat ingest --source igate exports/
  wardstat ingest --map received_at="Ngày nhận HS" --map dossier_code="Số BN" export.csv`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New(a.t("hãy ghi ít nhất một tệp hoặc thư mục cần nạp", "name at least one file or folder to ingest"))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runIngest(cmd.Context(), f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.ward, "ward", "", "unit code of rows whose file names no unit")
	fl.StringVar(&f.source, "source", "", "a name for where the files came from (kept with each load)")
	fl.StringVar(&f.format, "format", "auto", ingest.FormatChoices("or"))
	fl.StringVar(&f.sheet, "sheet", "", "load only this sheet of an XLSX/XLS workbook (default: every sheet with dossiers)")
	fl.BoolVar(&f.reload, "reload", false, "load the files again even if loaded before with the same options, replacing that load")
	fl.StringArrayVar(&f.maps, "map", nil, "FIELD=COLUMN: read FIELD from the file's COLUMN (repeatable); fields: "+strings.Join(transform.Fields(), ", "))
	return cmd
}

func parseMaps(maps []string) (map[string]string, error) {
	out := map[string]string{}
	for _, m := range maps {
		field, col, ok := strings.Cut(m, "=")
		if !ok || strings.TrimSpace(field) == "" || strings.TrimSpace(col) == "" {
			return nil, usageError{msg.Errorf("--map %q: hãy ghi dạng TRƯỜNG=CỘT, ví dụ --map received_at=\"Ngày nhận\"", "--map %q: write it as FIELD=COLUMN, e.g. --map received_at=\"Ngày nhận\"", m)}
		}
		out[strings.TrimSpace(field)] = strings.TrimSpace(col)
	}
	return out, nil
}

// expandPaths turns folders into the files in them, sorted. Hidden files,
// Excel's lock files (~$…), subfolders and the warehouse's own files (own
// says which) are left out; anything else that is not a regular file (a
// named pipe, a link to a device) stays, for the load to refuse in one
// line while the others load. A folder with nothing to load is in empty.
// A reference table in a folder (the unit registry…) is in catalogues,
// not in paths.
func expandPaths(args []string, own func(string) bool) (paths, empty, catalogues []string, err error) {
	for _, p := range args {
		st, err := os.Stat(p)
		if err != nil || !st.IsDir() {
			// A file, or a path that cannot be read (missing, a link
			// that loops): the load says what became of it, in one line,
			// and the other paths load.
			paths = append(paths, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, nil, nil, err
		}
		var files []string
		for _, e := range entries {
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), "~$") {
				continue
			}
			f := filepath.Join(p, e.Name())
			switch {
			case own(f):
			case ingest.CatalogueFile(f) != nil:
				catalogues = append(catalogues, f)
			default:
				files = append(files, f)
			}
		}
		if len(files) == 0 {
			empty = append(empty, p)
		}
		sort.Strings(files)
		paths = append(paths, files...)
	}
	return paths, empty, catalogues, nil
}

// ownFiles says whether a path is one of the warehouse's own files: the
// database, its WAL, its published snapshot, the key file. A folder of
// exports that holds the warehouse must not load it as an export.
func (a *app) ownFiles() func(string) bool {
	db := a.dbPath
	return ingest.SameFileAs(db, db+".wal", publishedPath(db), publishedPath(db)+".wal", a.keyFile)
}

func (a *app) runIngest(ctx context.Context, f ingestFlags, args []string) error {
	maps, err := parseMaps(f.maps)
	if err != nil {
		return err
	}
	w, err := a.open(ctx, false)
	if err != nil {
		return err
	}
	defer w.Close()
	paths, empty, catalogues, err := expandPaths(args, a.ownFiles())
	if err != nil {
		return err
	}
	for _, p := range catalogues {
		fmt.Fprintf(a.stderr, "%s: %s\n", p, catalogueText(a, p, ingest.CatalogueFile(p), false))
	}
	for _, p := range empty {
		fmt.Fprintf(a.stderr, "%s: %s\n", p, a.t("KHÔNG NẠP: thư mục không có tệp nào để nạp", "NOT LOADED: the folder holds no file to load"))
	}
	h, err := a.hasher(ctx, w)
	if err != nil {
		return err
	}
	if f.ward, err = a.loadWard(ctx, w, f.ward); err != nil {
		return err
	}
	run := &ingestRun{}
	for _, p := range paths {
		if c := ingest.CatalogueFile(p); c != nil {
			// Named on its own: not an export, and not loaded.
			fmt.Fprintf(a.stderr, "%s: %s\n", p, catalogueText(a, p, c, true))
			run.failed++
			continue
		}
		opt := pipeline.FileOptions{Ward: f.ward, Source: f.source, Format: f.format, Sheet: f.sheet, Map: maps, Hasher: h, Reload: f.reload}
		if err := a.ingestOne(ctx, w, p, opt, run); err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	a.printUnknownWards(a.stdout, run)
	if err := run.err(a); err != nil {
		return err
	}
	if len(empty) > 0 {
		return fmt.Errorf(a.t("không có tệp nào để nạp trong %s", "no file to load in %s"), strings.Join(empty, ", "))
	}
	return nil
}

// ingestRun is what became of the files of one run: how many loaded, were
// loaded before, failed, or were read with every row rejected; and the
// wards missing from the unit registry, said once for the run.
type ingestRun struct {
	loaded, already, failed, nothing int
	unknown                          []warehouse.Warning
}

// nothingLoadedError is a run in which some file was read and every row
// of it rejected, and no file failed otherwise: exit status 3.
type nothingLoadedError struct{ error }

func (e nothingLoadedError) Unwrap() error { return e.error }

// err is the run's end: nil when every file loaded (or was loaded
// before); else one line that counts what loaded and what did not.
func (r *ingestRun) err(a *app) error {
	bad := r.failed + r.nothing
	if bad == 0 {
		return nil
	}
	total := bad + r.loaded + r.already
	var msg string
	switch {
	case total == 1:
		msg = a.t("tệp không nạp được (xem dòng ở trên)", "the file was not loaded (see above)")
	case r.loaded+r.already == 0:
		msg = fmt.Sprintf(a.t("không nạp được tệp nào trong %d tệp (xem các dòng ở trên)", "none of the %d files was loaded (see above)"), total)
	default:
		msg = fmt.Sprintf(a.t("%d/%d tệp không nạp được (xem các dòng ở trên); %d tệp đã nạp, %d tệp đã nạp từ trước",
			"%d of %d files were not loaded (see above); %d loaded, %d were loaded before"), bad, total, r.loaded, r.already)
	}
	if r.failed == 0 {
		return nothingLoadedError{errors.New(msg)}
	}
	return errors.New(msg)
}

// ingestOne loads one file and prints what became of it; run (nil for
// none) counts it and gathers its notes for the run's end.
func (a *app) ingestOne(ctx context.Context, w *warehouse.Warehouse, path string, opt pipeline.FileOptions, run *ingestRun) error {
	name := filepath.Base(path)
	bar := a.progress(name)
	began := time.Now()
	if bar != nil {
		// The bar says the step and, while our readers read, the rows.
		phases := map[string]string{
			"":                      a.t("đọc tệp", "reading"),
			warehouse.PhaseTyping:   a.t("đọc và định kiểu", "reading and typing"),
			warehouse.PhaseChecking: a.t("kiểm tra", "checking"),
			warehouse.PhaseWriting:  a.t("ghi vào kho", "writing to the warehouse"),
		}
		phase, rows := "", 0
		describe := func() {
			d := name + " · " + phases[phase]
			if rows > 0 && phase == "" {
				d += fmt.Sprintf(a.t(" · %d dòng (%.0f dòng/giây)", " · %d rows (%.0f rows/s)"), rows, float64(rows)/time.Since(began).Seconds())
			}
			bar.Describe(d)
		}
		describe()
		opt.Progress = func(n int) { rows = n; describe() }
		opt.Phase = func(p string) { phase = p; describe() }
	}
	res, err := pipeline.File(ctx, w, path, opt)
	if bar != nil {
		_ = bar.Finish()
		_ = bar.Clear()
	}
	if took := time.Since(began); bar != nil && err == nil && res.Result.AlreadyLoaded == nil && took > 2*time.Second {
		// On a terminal, a long load says how fast it went.
		var mb float64
		if st, serr := os.Stat(path); serr == nil {
			mb = float64(st.Size()) / 1e6
		}
		defer fmt.Fprintf(a.stderr, a.t("  %.1f giây · %.1f MB/giây · %.0f dòng/giây\n", "  %.1f s · %.1f MB/s · %.0f rows/s\n"),
			took.Seconds(), mb/took.Seconds(), float64(res.Result.Read)/took.Seconds())
	}
	if err != nil {
		text := errorText(a, err)
		// The line starts with the file's name: an error that starts with
		// it too (the file system's own) is not said twice.
		text = strings.TrimPrefix(text, path+": ")
		fmt.Fprintf(a.stderr, "%s: %s\n", path, a.t("KHÔNG NẠP", "NOT LOADED")+": "+text)
	} else {
		reader := "wardstat's"
		if res.DuckDBRead {
			reader = "DuckDB's"
		}
		a.log.Debug("file read", "path", path, "reader", reader, "seconds", time.Since(began).Seconds())
	}
	// A workbook with dossiers in several sheets made a load of each; a
	// sheet that failed is in err, the others are said.
	var nothing []pipeline.FileResult
	already := true
	for _, r := range append([]pipeline.FileResult{res}, res.More...) {
		if r.Result.LoadID != 0 || r.Result.AlreadyLoaded != nil {
			printLoadOf(a, a.stdout, r, run)
		}
		if pipeline.NothingLoaded(r.Result) {
			nothing = append(nothing, r)
		}
		already = already && r.Result.AlreadyLoaded != nil
	}
	for _, r := range nothing {
		fmt.Fprintf(a.stderr, "%s: %s\n", r.Path, nothingLoadedText(a, r, opt))
	}
	if run != nil {
		switch {
		case err != nil:
			run.failed++
		case len(nothing) > 0:
			run.nothing++
		case already:
			run.already++
		default:
			run.loaded++
		}
	}
	if err == nil && len(nothing) > 0 {
		err = nothingLoadedError{errors.New(nothingLoadedText(a, nothing[0], opt))}
	}
	return err
}
