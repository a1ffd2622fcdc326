package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"wardstat/internal/atomicfile"
)

// LakeSchemaVersion is the layout and column set of the lake's fact tables
// (dossiers, dossier_events, units), written in _manifest.json. A change
// of columns or types is a new version: every fact partition is rewritten
// by the next export, and a federation (lake attach) refuses a lake of a
// version it does not know.
const LakeSchemaVersion = 1

// LakeFacts are the lake's fact tables: each dossier's current state and
// the history of its states, Hive-partitioned by province and month of
// receipt; the unit registry they are counted against and the optional
// columns each load's export had (one file each).
var LakeFacts = []string{"dossiers", "dossier_events", "units", "loads"}

// unpartitioned says whether a fact table is one file, table/data.parquet.
func unpartitioned(table string) bool { return table == "units" || table == "loads" }

// LakeCounts says what an export did to the partitions of some tables.
type LakeCounts struct {
	Written, Unchanged, Removed int
}

// lakeZone is the zone of the warehouse's timestamps (local wall time,
// stored without a zone); the lake writes them as UTC instants.
const lakeZone = "Asia/Ho_Chi_Minh"

// lakeProvince is a ward's province in the lake's partition path: the
// province code of its unit code (QCVN 102: H37 in 000.11.27.H37, H56 in
// H56.14), or Hive's default partition, which Hive, Spark and Trino read
// as NULL, for a code without one.
const lakeProvince = `coalesce(nullif(regexp_extract(ward_code, '(^|\.)([HG][0-9]{2})(\.|$)', 2), ''), '__HIVE_DEFAULT_PARTITION__')`

// wardProvinces is each ward of the relation src with its lakeProvince,
// joined as wp: the expression runs once per ward, not once per dossier
// (a regular expression over 100 M dossiers is seconds of CPU).
func wardProvinces(src string) string {
	return fmt.Sprintf(`JOIN (SELECT ward_code, %s AS province FROM (SELECT DISTINCT ward_code FROM %s)) wp ON wp.ward_code = d.ward_code`, lakeProvince, src)
}

// lakeTS is a stored local timestamp as the UTC instant it is.
func lakeTS(col string) string {
	return lakeInstant("d."+col) + " AS " + col
}

// lakeInstant is the local timestamp expr as the UTC instant it is.
// lakeZone has been UTC+7 without daylight saving since 1975-06-13: an
// instant since is the time less seven hours, taken as UTC (twenty times
// as fast as ICU's conversion, which the export's every timestamp would
// pay); earlier times, and infinities, are converted by ICU's rules.
func lakeInstant(expr string) string {
	return fmt.Sprintf(`CASE WHEN isfinite(%[1]s) AND %[1]s >= TIMESTAMP '1975-06-13 00:00:00' THEN make_timestamptz(epoch_us(%[1]s) - 25200000000) ELSE timezone('%[2]s', %[1]s) END`, expr, lakeZone)
}

var lakeTimestamps = []string{"submitted_at", "received_at", "due_at", "completed_at", "returned_at",
	"withdrawn_at", "supplement_requested_at", "supplement_received_at"}

// lakeStateColumns are a dossier state's columns in the lake, from a
// relation d with the warehouse's dossier columns: the vocabularies as
// text, the applicant key as its UUID text, timestamps as UTC instants.
// With flags, the yes/no flags are dossier_flags' (false for a blank cell
// of a column the export had, NULL when it had none), joined as f. No name, ID number,
// phone or e-mail is among them: the warehouse holds none.
func lakeStateColumns(withFlags bool) string {
	cols := []string{"d.ward_code", "d.dossier_code", "d.procedure_code", "d.procedure_name", "d.sector",
		"d.channel::VARCHAR AS channel", "d.online_level::VARCHAR AS online_level", "d.status::SMALLINT AS status"}
	for _, c := range lakeTimestamps {
		cols = append(cols, lakeTS(c))
	}
	cols = append(cols, "d.due_source::VARCHAR AS due_source")
	if withFlags {
		cols = append(cols, lakeFlags...)
	}
	cols = append(cols, "d.fee::DOUBLE AS fee", "d.applicant_key::VARCHAR AS applicant_key", "d.load_id::BIGINT AS load_id")
	return strings.Join(cols, ", ")
}

// lakeFlags are dossier_flags' three flags over a dossier d and its load's
// columns lf (load_flag_columns), by the same macro (flag_read): joining
// dossier_flags back to dossiers by key was a self-join of the warehouse
// (out of memory at 100 M).
var lakeFlags = []string{
	"flag_read(d.apology_issued, lf.has_apology) AS apology_issued",
	"flag_read(d.paid_online, lf.has_paid_online) AS paid_online",
	"flag_read(d.digitised, lf.has_digitised) AS digitised",
}

// lakeChunk is a fact row's chunk in its partition, from its receipt day
// (the local day, as the month): days 1-8, 9-16, 17-24 and 25 to the
// month's end are chunks 1 to 4; 0 is a receipt time that is not finite.
//
// Each chunk of a partition has its own files (c<chunk>_<i>.parquet) and
// its own fingerprint: the manifest's value for a partition is its
// chunks' "chunk:count-sum", by chunk, in one string (chunkFingerprints),
// so a partition whose string is equal is kept, files and all, and in a
// changed one only the chunks whose fingerprint changed are written; the
// others are hard links of the current files (same bytes, size and time:
// their file fingerprints stand) in the new folder, swapped in whole. A
// night that resolves dossiers received on the month's last days rewrites
// the last chunk, not the month. A fingerprint without chunks ("count-sum")
// has every chunk changed. The layout is province=…/month=…/*.parquet:
// the chunk is in the file name only.
const lakeChunk = `CASE WHEN isfinite(d.received_at) THEN least((day(d.received_at) - 1) // 8, 3) + 1 ELSE 0 END`

// lakeFactQuery is the query giving a fact table's rows with their
// partition (province, month), their chunk in it (lakeChunk; 0 in the
// unpartitioned tables) and a per-row fingerprint (row_hash).
func lakeFactQuery(table string) string {
	switch table {
	case "dossiers":
		return fmt.Sprintf(`SELECT wp.province, strftime(d.received_at, '%%Y-%%m') AS month, %s AS chunk,
       %s, d.first_load_id::BIGINT AS first_load_id,
       hash(d.state_hash, d.load_id, flag_read(d.apology_issued, lf.has_apology), flag_read(d.paid_online, lf.has_paid_online),
            flag_read(d.digitised, lf.has_digitised)) AS row_hash
FROM dossiers d %s
LEFT JOIN load_flag_columns lf ON lf.load_id = d.load_id`, lakeChunk, lakeStateColumns(true), wardProvinces("dossiers"))
	case "dossier_events":
		// Every state the warehouse saw of every dossier (as
		// dossier_versions: the states left behind and the current one),
		// with the load that brought it and when. A state is current when
		// it is in dossiers: a state put back from the history leaves it
		// (replace.go, repair.go), so no history row is a current state,
		// and no join of the two by key is needed (one of 100 M dossiers
		// with their history ran out of memory). The yes/no flags are the
		// current state's, in dossiers (dossier_flags reads them against
		// the current load).
		return fmt.Sprintf(`SELECT wp.province, strftime(d.received_at, '%%Y-%%m') AS month, %s AS chunk,
       %s, %s AS loaded_at,
       d.is_current, d.replaced_by::BIGINT AS replaced_by,
       hash(d.state_hash, d.load_id, d.is_current, d.replaced_by) AS row_hash
FROM (SELECT *, false AS is_current FROM dossier_history
      UNION ALL BY NAME
      SELECT * EXCLUDE (first_load_id, key_hash), true AS is_current FROM dossiers) d %s
LEFT JOIN loads l ON l.load_id = d.load_id`,
			lakeChunk, lakeStateColumns(false), lakeInstant("l.loaded_at"), wardProvinces("dossier_history UNION SELECT ward_code FROM dossiers"))
	case "loads":
		// Which optional columns each load's export had (load_flag_columns):
		// a blank flag or fee there is a no, not unknown, in the marts.
		return fmt.Sprintf(`SELECT '' AS province, '' AS month, 0 AS chunk, l.load_id::BIGINT AS load_id, %s AS loaded_at,
       f.has_paid_online, f.has_digitised, f.has_apology, f.has_fee,
       hash(l.load_id, l.loaded_at, f.has_paid_online, f.has_digitised, f.has_apology, f.has_fee) AS row_hash
FROM loads l JOIN load_flag_columns f USING (load_id)
WHERE coalesce(l.status, 'loaded') = 'loaded'`, lakeInstant("l.loaded_at"))
	default: // units: the registry, one file
		return `SELECT '' AS province, '' AS month, 0 AS chunk, code, name, district, province AS province_name, valid_from, valid_to,
       hash(code, name, district, province, valid_from, valid_to) AS row_hash FROM units`
	}
}

// lakePartPath is a partition's folder under its table's: province=…/month=…
// ("" for the unpartitioned units).
func lakePartPath(province, month string) string {
	if province == "" && month == "" {
		return ""
	}
	return "province=" + province + "/month=" + month
}

// exportLakeFacts writes the fact tables into dir (ExportLake's lake):
// dir/<table>/province=<code>/month=YYYY-MM/*.parquet, only the partitions
// whose rows changed since the manifest old was written, each swapped in
// whole. It returns the partitions' fingerprints for the manifest.
//
// Incremental (plan), the partitioned tables are read and fingerprinted in
// the plan's dirty partitions only (shadowDirtyParts); the others keep the
// manifest's fingerprints and files.
func (w *Warehouse) exportLakeFacts(ctx context.Context, conn *sql.Conn, dir, tmpDir, schemaDir string, old map[string]map[string]string, oldVersion int, plan lakePlan) (map[string]map[string]string, LakeCounts, error) {
	var res LakeCounts
	next := map[string]map[string]string{}
	began := time.Now()
	if plan.Incremental {
		if err := shadowDirtyParts(ctx, conn, plan.Dirty); err != nil {
			return nil, res, err
		}
		defer dropShadows(conn, false)
		w.log.Debug("lake export step", "step", "facts: the changed partitions' states", "seconds", time.Since(began).Seconds())
		began = time.Now()
	}
	for _, table := range LakeFacts {
		tableDir := filepath.Join(dir, table)
		if err := os.MkdirAll(tableDir, 0o755); err != nil {
			return nil, res, err
		}
		incremental := plan.Incremental && !unpartitioned(table)
		q := lakeFactQuery(table)
		var hashes map[string]string
		var err error
		if incremental && len(plan.Dirty) == 0 {
			hashes = map[string]string{}
		} else if hashes, err = factHashes(ctx, conn, table, q); err != nil {
			return nil, res, err
		}
		if !unpartitioned(table) {
			w.log.Debug("lake export step", "step", "facts: "+table+" fingerprints", "seconds", time.Since(began).Seconds())
		}
		next[table] = map[string]string{}
		for part, h := range hashes {
			next[table][part] = h
		}
		if incremental {
			// The partitions no changed dossier has a state in are as the
			// last export left them.
			for part, h := range old[table] {
				if _, dirty := plan.Dirty[part]; !dirty {
					if err := shareLikeParent(filepath.Join(tableDir, filepath.FromSlash(part))); err != nil {
						return nil, res, err
					}
					next[table][part] = h
					res.Unchanged++
				}
			}
		}
		var changed []string
		for part, h := range hashes {
			final := filepath.Join(tableDir, filepath.FromSlash(part))
			if oldVersion == LakeSchemaVersion && old[table][part] == h && hasParquet(final) {
				if err := shareLikeParent(final); err != nil {
					return nil, res, err
				}
				res.Unchanged++
				continue
			}
			changed = append(changed, part)
		}
		sort.Strings(changed)
		if len(changed) > 0 {
			was := old[table]
			if oldVersion != LakeSchemaVersion {
				was = nil // another layout: every chunk is written
			}
			written, kept, err := writeFactPartitions(ctx, conn, table, q, tableDir, tmpDir, changed, len(changed) == len(hashes), hashes, was)
			if err != nil {
				return nil, res, err
			}
			w.log.Debug("lake export chunks", "table", table, "written", written, "kept", kept)
			res.Written += len(changed)
		}
		if !unpartitioned(table) {
			n, err := removeGoneFactPartitions(tableDir, next[table])
			if err != nil {
				return nil, res, err
			}
			res.Removed += n
		}
		if err := w.writeFactDoc(ctx, conn, table, q, filepath.Join(schemaDir, table+".md")); err != nil {
			return nil, res, err
		}
		w.log.Debug("lake export step", "step", "facts: "+table, "seconds", time.Since(began).Seconds())
		began = time.Now()
	}
	return next, res, nil
}

// factHashes fingerprints each partition of a fact table: its row count
// and the sum of its rows' hashes (the stored state hash of each state,
// its load, its flags), chunk by chunk for the partitioned tables
// ("1:745-… 2:…", lakeChunk).
func factHashes(ctx context.Context, conn *sql.Conn, table, q string) (map[string]string, error) {
	agg := fmt.Sprintf(`SELECT province, month, count(*)::VARCHAR || '-' || sum(row_hash)::VARCHAR
FROM (%s) GROUP BY province, month`, q)
	if !unpartitioned(table) {
		agg = fmt.Sprintf(`SELECT province, month, string_agg(chunk::VARCHAR || ':' || fp, ' ' ORDER BY chunk)
FROM (SELECT province, month, chunk, count(*)::VARCHAR || '-' || sum(row_hash)::VARCHAR AS fp
      FROM (%s) GROUP BY province, month, chunk)
GROUP BY province, month`, q)
	}
	rows, err := conn.QueryContext(ctx, agg)
	if err != nil {
		return nil, fmt.Errorf("lake %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var p, m, h string
		if err := rows.Scan(&p, &m, &h); err != nil {
			return nil, err
		}
		out[lakePartPath(p, m)] = h
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if unpartitioned(table) && len(out) == 0 {
		out[""] = "0-" // an empty table is still a table: its file has the columns
	}
	return out, nil
}

// chunkFingerprints splits a partition's fingerprint into its chunks'
// (chunk -> "count-sum"); nil for a fingerprint without chunks.
func chunkFingerprints(fp string) map[int]string {
	if !strings.Contains(fp, ":") {
		return nil
	}
	out := map[int]string{}
	for _, f := range strings.Fields(fp) {
		k, v, ok := strings.Cut(f, ":")
		n, err := strconv.Atoi(k)
		if !ok || err != nil {
			return nil
		}
		out[n] = v
	}
	return out
}

func hasParquet(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*.parquet"))
	return len(m) > 0
}

// writeFactPartitions writes the changed partitions of a fact table: the
// chunks whose fingerprint in next differs from old's (or whose files are
// not there) in one pass (COPY … PARTITION_BY into the lake's _tmp folder,
// outside the table's), then each partition's new folder in _tmp from
// those files and hard links of its other chunks' current files, swapped
// into place whole (swapPartition): a reader, or a kill, sees the old
// partition or the new one.
//
// It returns how many chunks it wrote and how many it kept (linked).
func writeFactPartitions(ctx context.Context, conn *sql.Conn, table, q, tableDir, tmpDir string, parts []string, all bool, next, old map[string]string) (written, kept int, err error) {
	tmp, err := os.MkdirTemp(tmpDir, table+".")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(tmp)
	if unpartitioned(table) {
		file := filepath.Join(tmp, table, "data.parquet")
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return 0, 0, err
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`COPY (SELECT * EXCLUDE (province, month, chunk, row_hash) FROM (%s) ORDER BY ALL)
TO '%s' (FORMAT parquet, COMPRESSION zstd)`, q, escape(file))); err != nil {
			return 0, 0, fmt.Errorf("writing the lake's %s: %w", table, err)
		}
		if err := shareLikeParent(filepath.Dir(file), filepath.Dir(tableDir)); err != nil {
			return 0, 0, err
		}
		return 1, 0, swapPartition(filepath.Dir(file), tableDir)
	}
	write := map[string][]int{} // partition -> chunks written
	link := map[string][]string{}
	var keys []string
	every := all // every chunk of every partition is written
	for _, p := range parts {
		final := filepath.Join(tableDir, filepath.FromSlash(p))
		was := chunkFingerprints(old[p])
		now := chunkFingerprints(next[p])
		chunks := make([]int, 0, len(now))
		for k := range now {
			chunks = append(chunks, k)
		}
		sort.Ints(chunks)
		for _, k := range chunks {
			if was != nil && was[k] == now[k] {
				if files := chunkFiles(final, k); len(files) > 0 {
					link[p] = append(link[p], files...)
					every = false
					kept++
					continue
				}
			}
			write[p] = append(write[p], k)
			keys = append(keys, fmt.Sprintf("'%s#%d'", escape(p), k))
		}
	}
	out := filepath.Join(tmp, "parts")
	if len(keys) > 0 {
		// The rows of the changed chunks only, unsorted (a first export of
		// 100 M dossiers would sort them all, out of core): the partition
		// columns and the chunk stay in the folder and file names, not the
		// files.
		where := fmt.Sprintf(`WHERE 'province=' || province || '/month=' || month || '#' || chunk IN (%s)`, strings.Join(keys, ", "))
		if every {
			where = "" // every partition whole (a first export)
		}
		copyQ := fmt.Sprintf(`COPY (SELECT * EXCLUDE (row_hash) FROM (%s) %s)
TO '%s' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (province, month, chunk), FILENAME_PATTERN 'data_{i}')`,
			q, where, escape(out))
		if err := boundPartitionedWrite(ctx, conn); err != nil {
			return 0, 0, err
		}
		// Put back even when the write fails: the connection goes back to the pool.
		defer restorePartitionedWrite(context.Background(), conn)
		if _, err := conn.ExecContext(ctx, copyQ); err != nil {
			return 0, 0, fmt.Errorf("writing the lake's %s: %w", table, err)
		}
	}
	for _, p := range parts {
		final := filepath.Join(tableDir, filepath.FromSlash(p))
		src := filepath.Join(tmp, "new", filepath.FromSlash(p))
		if err := os.MkdirAll(src, 0o755); err != nil {
			return 0, 0, err
		}
		for _, k := range write[p] {
			from := filepath.Join(out, filepath.FromSlash(p), fmt.Sprintf("chunk=%d", k))
			files, err := os.ReadDir(from)
			if err != nil || len(files) == 0 {
				return 0, 0, fmt.Errorf("writing the lake's %s: chunk %d of %s has no file (%v)", table, k, p, err)
			}
			for _, f := range files {
				name := fmt.Sprintf("c%d_%s", k, strings.TrimPrefix(f.Name(), "data_"))
				if err := os.Rename(filepath.Join(from, f.Name()), filepath.Join(src, name)); err != nil {
					return 0, 0, err
				}
			}
		}
		for _, f := range link[p] {
			if err := linkFile(f, filepath.Join(src, filepath.Base(f))); err != nil {
				return 0, 0, fmt.Errorf("keeping %s in the lake: %w", f, err)
			}
		}
		if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
			return 0, 0, err
		}
		if err := shareLikeParent(filepath.Dir(final)); err != nil {
			return 0, 0, err
		}
		if err := shareLikeParent(src, filepath.Dir(final)); err != nil {
			return 0, 0, err
		}
		if err := swapPartition(src, final); err != nil {
			return 0, 0, err
		}
	}
	return len(keys), kept, nil
}

// chunkFiles are the files of chunk k in the partition folder dir
// (c<k>_<i>.parquet), read from the folder (its path may hold glob
// characters).
func chunkFiles(dir string, k int) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	prefix := fmt.Sprintf("c%d_", k)
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasPrefix(e.Name(), prefix) && strings.HasSuffix(e.Name(), ".parquet") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

// linkFile puts the file src at dst as a hard link: the same bytes, size
// and time, no copy (the lake's _tmp folder is on its file system). Where
// links fail, a copy with src's time, which keeps its fingerprint in the
// manifest (size and time) too.
func linkFile(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chtimes(dst, st.ModTime(), st.ModTime())
}

// removeGoneFactPartitions removes the partitions of a table that no longer
// has rows there (a load replaced, a ward's code corrected), and a
// province's folder left empty.
func removeGoneFactPartitions(tableDir string, keep map[string]string) (int, error) {
	n := 0
	provinces, err := os.ReadDir(tableDir)
	if err != nil {
		return 0, err
	}
	for _, p := range provinces {
		pdir := filepath.Join(tableDir, p.Name())
		if !p.IsDir() || !strings.HasPrefix(p.Name(), "province=") {
			// Nothing but partitions lives in a table's folder: a glob
			// would read it as data.
			if err := os.RemoveAll(pdir); err != nil {
				return n, err
			}
			continue
		}
		months, err := os.ReadDir(pdir)
		if err != nil {
			return n, err
		}
		left := 0
		for _, m := range months {
			if _, ok := keep[p.Name()+"/"+m.Name()]; ok && m.IsDir() {
				left++
				continue
			}
			if err := os.RemoveAll(filepath.Join(pdir, m.Name())); err != nil {
				return n, err
			}
			n++
		}
		if left == 0 {
			if err := os.Remove(pdir); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// writeFactDoc writes _schema/<table>.md: what the table holds, its
// partitions, its columns with their Parquet types, and the time zone.
func (w *Warehouse) writeFactDoc(ctx context.Context, conn *sql.Conn, table, q, path string) error {
	rows, err := conn.QueryContext(ctx, fmt.Sprintf(`SELECT column_name, column_type FROM (DESCRIBE SELECT * EXCLUDE (province, month, chunk, row_hash) FROM (%s))`, q))
	if err != nil {
		return err
	}
	defer rows.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n%s\n\n", table, factDocs[table])
	if unpartitioned(table) {
		fmt.Fprintf(&b, "The lake's folder `%s/`: one file, `%s/data.parquet`, no partitions.\n\n", table, table)
	} else {
		fmt.Fprintf(&b, "The lake's folder `%s/`, Hive-partitioned by `province` (the province code of the\n"+
			"ward's unit code, QCVN 102: `H37` in `000.11.27.H37`; `__HIVE_DEFAULT_PARTITION__`, read as\n"+
			"NULL, for a code without one) and `month` (YYYY-MM of the receipt, Vietnam local date):\n"+
			"`%s/province=H37/month=2024-03/c1_0.parquet`. A partition's files are by local receipt\n"+
			"day, read together: `c1_*` days 1-8, `c2_*` 9-16, `c3_*` 17-24, `c4_*` 25 to the month's end\n"+
			"(each written again only when its rows change). It holds nothing but those folders and\n"+
			"Parquet files; the partition columns are in the folder names only. Read it with\n"+
			"`SELECT * FROM read_parquet('%s/**/*.parquet', hive_partitioning = true)` in DuckDB,\n"+
			"`spark.read.parquet('%s')`, or a Trino Hive table with\n"+
			"`partitioned_by = ARRAY['province', 'month']` (both VARCHAR) over the folder.\n\n", table, table, table, table)
	}
	fmt.Fprintf(&b, "**Time zone.** Every TIMESTAMP column is a Parquet `TIMESTAMP(MICROS, isAdjustedToUTC=true)`:\n"+
		"an instant in UTC (DuckDB `TIMESTAMP WITH TIME ZONE`, Spark `TimestampType`, Trino\n"+
		"`timestamp(3)` read in `hive.parquet.time-zone`). The rules count Vietnam local days\n"+
		"(Asia/Ho_Chi_Minh, UTC+7, no daylight saving): a local day is\n"+
		"`CAST(timezone('Asia/Ho_Chi_Minh', received_at) AS DATE)` in DuckDB,\n"+
		"`to_date(from_utc_timestamp(received_at, 'Asia/Ho_Chi_Minh'))` in Spark,\n"+
		"`date(received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')` in Trino.\n\n"+
		"Lake schema version %d (`_manifest.json`, `lake_schema_version`): a new version changes\n"+
		"columns or types; within a version they stay as listed.\n\n| column | type |\n|---|---|\n", LakeSchemaVersion)
	var cols []string
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			return err
		}
		cols = append(cols, fmt.Sprintf("| %s | %s |", n, t))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if !unpartitioned(table) {
		cols = append(cols, "| province | VARCHAR (partition) |", "| month | VARCHAR (partition) |")
	}
	b.WriteString(strings.Join(cols, "\n") + "\n")
	return atomicfile.Write(path, []byte(b.String()), 0o644)
}

var factDocs = map[string]string{
	"dossiers": "Every dossier's current state, one row per dossier: the canonical dossier without\n" +
		"lineage, and no personal data (`applicant_key` is the first 128 bits of an HMAC-SHA256\n" +
		"of the applicant's identity under the node's own key, as a UUID text: it tells\n" +
		"applicants apart within one node's lake, never across nodes, and reveals no one).\n" +
		"`apology_issued`, `paid_online`, `digitised` are read as the marts read them: false for\n" +
		"a blank cell of a column the export had, NULL when the export had no such column.\n" +
		"`load_id` and `first_load_id` are the node's own load numbers.",
	"dossier_events": "The history of each dossier's states: one row per distinct state the node's\n" +
		"warehouse saw (the states left behind and the current one, `is_current`), with the\n" +
		"load that brought it (`load_id`), when it was loaded (`loaded_at`) and the load that\n" +
		"replaced it (`replaced_by`, NULL for the current state). Columns as in\n" +
		"`dossiers` but the yes/no flags (those are the current state's, in `dossiers`); a\n" +
		"state's partition is its own receipt month.",
	"loads": "The node's loads that brought its dossiers' states (`load_id`, as in `dossiers` and\n" +
		"`dossier_events`), when each was loaded, and which optional columns its export had:\n" +
		"where it had one, a blank cell is a no; where it had none, the value is unknown (NULL).\n" +
		"No file name or path.",
	"units": "The unit registry the node counted its wards against: each ward's name, district\n" +
		"and province (`province_name`) over time (`valid_from`, `valid_to`, inclusive).",
}
