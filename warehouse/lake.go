package warehouse

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"wardstat/internal/atomicfile"
	sqlmodels "wardstat/sql"
)

// LakeMarts are the marts written to the Parquet lake, each partitioned by month.
var LakeMarts = []string{
	"mart_ward_month", "mart_unit_month", "mart_channel_mix", "mart_trends",
	"mart_processing_time", "mart_processing_time_unit", "mart_anomalies", "mart_index766", "mart_apology",
}

// LakeResult says what an export wrote.
type LakeResult struct {
	Written, Unchanged, Removed int // the marts' partitions
	// Incremental says the export recomputed only what the loads after the
	// lake's watermark and the days since touched: the marts' months from
	// FromMonth on, the fact partitions of the Changed dossiers. Else
	// FullReason says why it recomputed everything.
	Incremental bool
	FromMonth   string
	Changed     int64
	FullReason  string
	// Facts is what it did to the fact tables' partitions (LakeFacts).
	Facts LakeCounts
}

type lakeManifest map[string]map[string]string // table -> partition -> content hash

// lakeManifestFile is _manifest.json: the lake's schema version, the
// warehouse schema that wrote it, and each table's partitions with their
// fingerprints (a mart's by month, a fact table's by province=…/month=…).
type lakeManifestFile struct {
	LakeSchemaVersion      int          `json:"lake_schema_version"`
	WarehouseSchemaVersion int          `json:"warehouse_schema_version"`
	TimeZone               string       `json:"time_zone"`
	WarehouseID            string       `json:"warehouse_id,omitempty"` // the warehouse that wrote it (lake_owner.go)
	Files                  lakeFiles    `json:"files,omitempty"`        // each file's size and SHA-256 (lake_files.go)
	Tables                 lakeManifest `json:"tables"`
	// State is what the lake was computed from (lake_inc.go); an export
	// without it, or with other inputs, recomputes everything.
	State *lakeState `json:"state,omitempty"`
	// WardMonthExactBefore is the first month (YYYY-MM) whose ward_month
	// rows may differ from report_form of the month, "9999-12" when none
	// (form_marts.go); absent, unknown.
	WardMonthExactBefore string `json:"ward_month_exact_before,omitempty"`
}

// readLakeManifest reads a lake's manifest; an older wardstat's (the marts'
// months alone, version 0) is read as it was.
func readLakeManifest(path string) (lakeManifestFile, error) {
	m := lakeManifestFile{Tables: lakeManifest{}}
	b, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Tables == nil {
		old := lakeManifest{}
		if jerr := json.Unmarshal(b, &old); jerr != nil {
			return lakeManifestFile{Tables: lakeManifest{}}, jerr
		}
		return lakeManifestFile{Tables: old}, nil
	}
	return m, nil
}

// ExportLake writes every mart into dir as Hive-partitioned Parquet
// (dir/<mart>/month=YYYY-MM/data.parquet), with each mart's documentation
// beside the marts (dir/_schema/<mart>.md). A mart's folder holds nothing
// but its month= folders and their Parquet files, so a glob over it
// (read_parquet('<mart>/**', hive_partitioning = true), pyarrow, Spark)
// reads the mart whole: partitions are written in dir/_tmp and swapped in,
// and what an older export left inside a mart's folder (its SCHEMA.md, a
// killed export's temporary partition) is removed. Only partitions whose
// rows changed since the last export are rewritten; each is swapped in
// atomically, so a reader sees the old partition or the new one, never a
// half-written file or both.
func (w *Warehouse) ExportLake(ctx context.Context, dir string) (LakeResult, error) {
	var res LakeResult
	t0 := time.Now()
	owner, err := w.CheckLakeOwner(ctx, dir)
	if err != nil {
		return res, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}
	manifestPath := filepath.Join(dir, "_manifest.json")
	oldFile, _ := readLakeManifest(manifestPath)
	old := oldFile.Tables
	if _, err := dropDamagedLakeFiles(dir, oldFile); err != nil { // rewritten below, as missing
		return res, err
	}
	next := lakeManifest{}
	schemaDir := filepath.Join(dir, lakeSchemaDir)
	tmpDir := filepath.Join(dir, lakeTmpDir)
	if err := os.MkdirAll(schemaDir, 0o755); err != nil {
		return res, err
	}
	// What a killed export left being written: the warehouse's write lock
	// says no other export runs now.
	if err := os.RemoveAll(tmpDir); err != nil {
		return res, err
	}
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return res, err
	}
	defer os.Remove(tmpDir) // only when empty: a partition being swapped is never removed from under it
	docs := map[string]string{}
	for _, d := range sqlmodels.Docs() {
		docs[d.Name] = d.Text
	}
	// Each mart is computed once, into a temp table on one connection, and
	// its months are hashed and written from there: a view filtered by
	// month would be computed again over all of history for every month.
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return res, err
	}
	defer conn.Close()
	defer dropShadows(conn, true)
	began := time.Now()
	w.log.Debug("lake export step", "step", "open", "seconds", time.Since(t0).Seconds())
	step := func(what string) { // each step's seconds, to see where a night's time goes
		w.log.Debug("lake export step", "step", what, "seconds", time.Since(began).Seconds())
		began = time.Now()
	}
	state, err := lakeStateNow(ctx, conn)
	if err != nil {
		return res, err
	}
	plan, err := planLake(ctx, conn, dir, oldFile, state, owner, step)
	if err != nil {
		return res, err
	}
	res.Incremental, res.FromMonth, res.Changed, res.FullReason = plan.Incremental, plan.FromMonth, plan.Changed, plan.Reason
	step("plan")
	exactBefore, err := wardMonthExactBefore(ctx, conn, plan.Incremental, oldFile.WardMonthExactBefore)
	if err != nil {
		return res, err
	}
	step("plan: ward_month's exact months")
	// Most marts are built on ward_month, a pass over every dossier: on this
	// connection a temp table of the same name, made once, stands in for it
	// (temp objects come first in DuckDB's search path). Incremental, the
	// dossiers are shadowed too (shadowDossiers), and ward_month holds the
	// months the marts' look-backs read on: made from M0, read before.
	martFilter := ""
	if plan.Incremental {
		// The look-back's months before M0 are unchanged: read from the
		// lake's mart_ward_month (their files as the manifest lists them),
		// the dossiers shadowed from M0 only. Should they not read as
		// ward_month, the look-back is computed from S.
		// The wards with a month before M0 are those of the lake's month
		// before it (a ward's grid runs without a gap to the last month,
		// M0 - 1 at least: planLake); computed when it is not read.
		lookBack, err := lakeWardMonthQuery(ctx, conn, dir, old["mart_ward_month"], plan.LookFrom, plan.FromMonth)
		from, wm := plan.FromMonth, fmt.Sprintf(`SELECT * FROM main.ward_month WHERE month >= '%s'`, plan.FromMonth)
		var wardsBefore *string
		if err != nil {
			w.log.Warn("the lake's mart_ward_month is not read: ward_month's look-back is computed", "err", err)
			from, wm = plan.LookFrom, fmt.Sprintf(`SELECT * FROM main.ward_month WHERE month >= '%s'`, plan.LookFrom)
		} else {
			q := lakeWardsIn(dir, old["mart_ward_month"], monthBefore(plan.FromMonth))
			wardsBefore = &q
			if lookBack != "" {
				wm = fmt.Sprintf(`SELECT * FROM (%s) UNION ALL (%s) ORDER BY month, ward_code`, lookBack, wm)
			}
		}
		if err := shadowDossiers(ctx, conn, from, wardsBefore, step); err != nil {
			return res, err
		}
		if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE ward_month AS `+wm); err != nil {
			return res, fmt.Errorf("ward_month: %w", err)
		}
		martFilter = fmt.Sprintf(" AND month >= '%s'", plan.FromMonth)
	} else if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE ward_month AS SELECT * FROM main.ward_month`); err != nil {
		return res, fmt.Errorf("ward_month: %w", err)
	}
	step("ward_month")
	for _, mart := range LakeMarts {
		martDir := filepath.Join(dir, mart)
		if err := os.MkdirAll(martDir, 0o755); err != nil {
			return res, err
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE lake_mart AS SELECT * FROM %s WHERE month IS NOT NULL%s`, mart, martFilter)); err != nil {
			return res, fmt.Errorf("%s: %w", mart, err)
		}
		hashes, err := partitionHashes(ctx, conn, mart)
		if err != nil {
			return res, err
		}
		next[mart] = hashes
		for month, h := range hashes {
			final := filepath.Join(martDir, "month="+month)
			if old[mart][month] == h {
				if _, err := os.Stat(filepath.Join(final, "data.parquet")); err == nil {
					if err := shareLikeParent(final); err != nil { // an older export's 0700 folder
						return res, err
					}
					res.Unchanged++
					continue
				}
			}
			if err := writePartition(ctx, conn, mart, month, final, tmpDir); err != nil {
				return res, err
			}
			res.Written++
		}
		if plan.Incremental {
			// The months before M0 are as the last export left them.
			for month, h := range old[mart] {
				if month < plan.FromMonth {
					if err := shareLikeParent(filepath.Join(martDir, "month="+month)); err != nil { // an older export's 0700 folder
						return res, err
					}
					hashes[month] = h
					res.Unchanged++
				}
			}
		}
		entries, _ := os.ReadDir(martDir)
		for _, e := range entries {
			if m, ok := strings.CutPrefix(e.Name(), "month="); ok && e.IsDir() {
				if _, keep := hashes[m]; !keep {
					os.RemoveAll(filepath.Join(martDir, e.Name()))
					res.Removed++
				}
			}
		}
		if err := cleanMartDir(martDir); err != nil {
			return res, err
		}
		if err := w.writeSchemaDoc(ctx, mart, docs[mart], filepath.Join(schemaDir, mart+".md")); err != nil {
			return res, err
		}
		step(mart)
	}
	// The fact tables read the whole warehouse's dossiers again.
	dropShadows(conn, false)
	facts, counts, err := w.exportLakeFacts(ctx, conn, dir, tmpDir, schemaDir, old, oldFile.LakeSchemaVersion, plan)
	if err != nil {
		return res, err
	}
	res.Facts = counts
	step("facts")
	defer step("manifest")
	for t, parts := range facts {
		next[t] = parts
	}
	files, err := lakeFileFingerprints(dir, next, oldFile.Files)
	if err != nil {
		return res, err
	}
	b, _ := json.MarshalIndent(lakeManifestFile{
		Files:                  files,
		LakeSchemaVersion:      LakeSchemaVersion,
		WarehouseSchemaVersion: SchemaVersion,
		TimeZone:               "timestamps are UTC instants; days and months are " + lakeZone + " local dates",
		Tables:                 next,
		WarehouseID:            owner,
		State:                  &state,
		WardMonthExactBefore:   exactBefore,
	}, "", "  ")
	if err := atomicfile.Write(manifestPath, b, 0o644); err != nil {
		return res, err
	}
	mode := "full"
	if plan.Incremental {
		mode = "incremental"
	}
	w.log.Info("lake export", "dir", dir, "mode", mode, "full_reason", plan.Reason, "from_month", plan.FromMonth,
		"changed_dossiers", plan.Changed, "watermark", state.Watermark, "as_of", state.AsOf,
		"mart_partitions_written", res.Written, "fact_partitions_written", counts.Written,
		"partitions_removed", res.Removed+counts.Removed)
	return res, nil
}

// partitionHashes fingerprints each month of the mart in temp.lake_mart.
func partitionHashes(ctx context.Context, conn *sql.Conn, mart string) (map[string]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT month, count(*)::VARCHAR || '-' || sum(hash(t))::VARCHAR FROM lake_mart t GROUP BY month`)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", mart, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var m, h string
		if err := rows.Scan(&m, &h); err != nil {
			return nil, err
		}
		out[m] = h
	}
	return out, rows.Err()
}

// The lake's own folders beside the marts: a name starting with "_" is
// skipped by Hive, Spark and pyarrow, and no mart's glob reaches it.
const (
	lakeSchemaDir = "_schema" // <mart>.md: what each mart holds, its columns
	lakeTmpDir    = "_tmp"    // partitions being written
)

// cleanMartDir removes from a mart's folder what older exports left there
// and a glob would read as data: the SCHEMA.md each mart's folder held, and
// the temporary partition (".month=…") of an export killed midway.
func cleanMartDir(martDir string) error {
	entries, err := os.ReadDir(martDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		if n == "SCHEMA.md" || n == "SCHEMA.md.tmp" || strings.HasPrefix(n, ".month=") {
			if err := os.RemoveAll(filepath.Join(martDir, n)); err != nil {
				return err
			}
		}
	}
	return nil
}

// writePartition writes one month of the mart in temp.lake_mart in the
// lake's _tmp folder (outside the mart's, where a reader's glob would see
// it) and swaps it in.
func writePartition(ctx context.Context, conn *sql.Conn, mart, month, final, tmpDir string) error {
	tmp, err := os.MkdirTemp(tmpDir, mart+".month="+month+".")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	q := fmt.Sprintf(`COPY (SELECT * EXCLUDE (month) FROM lake_mart WHERE month = '%s') TO '%s' (FORMAT parquet, COMPRESSION zstd)`,
		escape(month), escape(filepath.Join(tmp, "data.parquet")))
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("writing %s %s: %w", mart, month, err)
	}
	// MkdirTemp made tmp private (0700): the partition gets the mart
	// folder's mode before it is swapped in, so whoever can read the lake
	// (a dashboard running as another user) can read the partition.
	if err := shareLikeParent(tmp, filepath.Dir(final)); err != nil {
		return err
	}
	return swapPartition(tmp, final)
}

// swapPartition puts the partition folder tmp at final in one step: a
// rename when final does not exist, else an exchange of the two (the old
// one, now at tmp, goes with tmp's removal by the caller).
func swapPartition(tmp, final string) error {
	if _, err := os.Stat(final); err != nil {
		return os.Rename(tmp, final)
	}
	// Both exist: exchange them in one step, then drop the old one (now at tmp).
	if err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, final, unix.RENAME_EXCHANGE); err != nil {
		if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("swapping %s: %w", final, err)
		}
		// No atomic exchange on this file system: replace the files
		// instead, each in one step, then drop those the new one lacks.
		return replaceFiles(tmp, final)
	}
	return nil
}

func replaceFiles(tmp, final string) error {
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, e := range entries {
		keep[e.Name()] = true
		if err := os.Rename(filepath.Join(tmp, e.Name()), filepath.Join(final, e.Name())); err != nil {
			return err
		}
	}
	olds, err := os.ReadDir(final)
	if err != nil {
		return err
	}
	for _, e := range olds {
		if !keep[e.Name()] {
			if err := os.RemoveAll(filepath.Join(final, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// shareLikeParent gives a partition folder the mode of the mart folder
// holding it (made 0755 under the umask, as any output folder), and its
// files that mode without execute bits (0644), when they differ. The
// folder's parent is filepath.Dir(dir) unless given.
func shareLikeParent(dir string, parent ...string) error {
	p := filepath.Dir(dir)
	if len(parent) > 0 {
		p = parent[0]
	}
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	dirMode := st.Mode().Perm()
	fileMode := dirMode &^ 0o111
	if cur, err := os.Stat(dir); err != nil {
		return err
	} else if cur.Mode().Perm() != dirMode {
		if err := os.Chmod(dir, dirMode); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || info.Mode().Perm() == fileMode {
			continue
		}
		if err := os.Chmod(filepath.Join(dir, e.Name()), fileMode); err != nil {
			return err
		}
	}
	return nil
}

func (w *Warehouse) writeSchemaDoc(ctx context.Context, mart, doc, path string) error {
	rows, err := w.db.QueryContext(ctx, fmt.Sprintf(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM %s)`, mart))
	if err != nil {
		return err
	}
	defer rows.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n%s\n\nThe lake's folder `%s/`, partitioned by `month` (YYYY-MM, Hive style:\n`month=2024-03/data.parquet`); it holds nothing else. Read it with\n`SELECT * FROM read_parquet('%s/**', hive_partitioning = true)` in DuckDB, or\n`pandas.read_parquet('%s')`, Spark or Trino.\n\n| column | type |\n|---|---|\n", mart, doc, mart, mart, mart)
	var cols []string
	for rows.Next() {
		var n, t string
		rows.Scan(&n, &t)
		cols = append(cols, fmt.Sprintf("| %s | %s |", n, t))
	}
	b.WriteString(strings.Join(cols, "\n") + "\n")
	return atomicfile.Write(path, []byte(b.String()), 0o644)
}
