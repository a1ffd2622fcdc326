package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"wardstat/internal/msg"
)

// Lake is a lake another wardstat node published (ExportLake), attached by
// name to be read in a federation.
type Lake struct {
	Name string
	Dir  string
}

// LakeInfo is what a lake holds, as a federation found it.
type LakeInfo struct {
	Lake
	SchemaVersion int
	Provinces     []string // the province= partitions of its dossiers
	Dossiers      int64
	// Files are each fact table's Parquet files, checked against the
	// manifest: the federation reads these and no other.
	Files map[string][]string
	// WarehouseID names the warehouse that wrote the lake ("" before it
	// was recorded); Real is its folder with links resolved.
	WarehouseID, Real string
	// UnitConflicts are, at AttachLake, the unit codes its registry and
	// an attached lake's hold with different rows (UnitConflicts).
	UnitConflicts []UnitConflict
	// wards are its dossiers' ward codes by province, read when another
	// lake holds the province too (lakesOverlap).
	wards map[string][]string
}

// ErrBadLake is a lake a federation cannot read: missing, not a lake,
// written by a newer wardstat, or with an unreadable file.
var ErrBadLake = msg.Errorf("kho Parquet không đọc được", "unreadable lake")

var lakeNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// CheckLakeName says whether name can name a lake: lower-case letters,
// digits and _, starting with a letter (it names a schema, lake_<name>).
func CheckLakeName(name string) error {
	if !lakeNameRE.MatchString(name) {
		return msg.Errorf("tên kho %q: hãy dùng chữ thường không dấu, chữ số và _, bắt đầu bằng chữ (vd. ninh_binh)",
			"lake name %q: use lower-case letters, digits and _, starting with a letter (e.g. ninh_binh)", name)
	}
	return nil
}

const lakeMetaPrefix = "lake:"

// AttachLake records the lake at dir under name in the warehouse (meta
// 'lake:<name>'), after reading it as a federation would (CheckLake).
// Attaching the same name to the same folder again changes nothing
// (changed false); to another folder, it points the name there.
func (w *Warehouse) AttachLake(ctx context.Context, name, dir string) (LakeInfo, bool, error) {
	if err := CheckLakeName(name); err != nil {
		return LakeInfo{}, false, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return LakeInfo{}, false, err
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return LakeInfo{}, false, err
	}
	defer db.Close()
	info, err := checkLakeOn(ctx, db, Lake{Name: name, Dir: abs}, true)
	if err != nil {
		return info, false, err
	}
	others, err := w.attachOverlaps(ctx, db, &info)
	if err != nil {
		return info, false, err
	}
	conflicts, err := unitConflictsOn(ctx, db, append(others, info))
	if err != nil {
		return info, false, err
	}
	for _, c := range conflicts {
		if contains(c.Lakes, name) {
			info.UnitConflicts = append(info.UnitConflicts, c)
		}
	}
	var old string
	err = w.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = ?`, lakeMetaPrefix+name).Scan(&old)
	if err == nil && old == abs {
		return info, false, nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return info, false, err
	}
	if _, err := w.db.ExecContext(ctx, `INSERT OR REPLACE INTO meta VALUES (?, ?)`, lakeMetaPrefix+name, abs); err != nil {
		return info, false, err
	}
	return info, true, nil
}

// DetachLake forgets the lake name; false when none was attached.
func (w *Warehouse) DetachLake(ctx context.Context, name string) (bool, error) {
	res, err := w.db.ExecContext(ctx, `DELETE FROM meta WHERE name = ?`, lakeMetaPrefix+name)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// Lakes lists the lakes attached to the warehouse, by name.
func (w *Warehouse) Lakes(ctx context.Context) ([]Lake, error) {
	rows, err := w.db.QueryContext(ctx, `SELECT substr(name, length(?) + 1), value FROM meta WHERE starts_with(name, ?) ORDER BY name`, lakeMetaPrefix, lakeMetaPrefix)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Lake
	for rows.Next() {
		var l Lake
		if err := rows.Scan(&l.Name, &l.Dir); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// lakeGlob is the glob over a fact table's Parquet files.
func lakeGlob(dir, table string) string {
	if unpartitioned(table) {
		return filepath.Join(dir, table, "*.parquet")
	}
	return filepath.Join(dir, table, "*", "*", "*.parquet")
}

// CheckLake reads a lake's manifest, the footers of its fact tables'
// files and the files' bytes against the manifest's SHA-256, without
// loading them: the error, one line, names the lake, its folder, what is
// wrong and what to do.
func CheckLake(ctx context.Context, l Lake) (LakeInfo, error) {
	info := LakeInfo{Lake: l}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return info, err
	}
	defer db.Close()
	return checkLakeOn(ctx, db, l, true)
}

// checkLakeOn is CheckLake on db; without hash, the files' sizes are
// checked but not their bytes (a federation's every open).
func checkLakeOn(ctx context.Context, db *sql.DB, l Lake, hash bool) (LakeInfo, error) {
	info := LakeInfo{Lake: l}
	bad := func(vi, en string, args ...any) error {
		return msg.Errorf("kho Parquet %q (%s): "+vi+": %w", "lake %q (%s): "+en+": %w", append(append([]any{l.Name, l.Dir}, args...), ErrBadLake)...)
	}
	st, err := os.Stat(l.Dir)
	if err != nil || !st.IsDir() {
		return info, bad("không có thư mục này; hãy kiểm tra đường dẫn, hoặc chạy wardstat export --out THƯ_MỤC ở nút đó",
			"no such folder; check the path, or run wardstat export --out DIR on that node")
	}
	m, err := readLakeManifest(filepath.Join(l.Dir, "_manifest.json"))
	if err != nil {
		if os.IsNotExist(err) {
			return info, bad("không có _manifest.json, không phải kho Parquet của wardstat; hãy chỉ tới thư mục mà wardstat export --out đã ghi",
				"no _manifest.json, not a wardstat lake; point at the folder wardstat export --out wrote")
		}
		return info, bad("_manifest.json hỏng (%v); hãy chạy lại wardstat export ở nút đó", "_manifest.json is corrupt (%v); run wardstat export again on that node", err)
	}
	info.SchemaVersion = m.LakeSchemaVersion
	if m.LakeSchemaVersion == 0 {
		return info, bad("kho do wardstat cũ ghi, chỉ có các mart, không có hồ sơ; hãy nâng cấp wardstat ở nút đó rồi chạy lại wardstat export",
			"written by an older wardstat: marts only, no dossiers; upgrade wardstat on that node and run wardstat export again")
	}
	if m.LakeSchemaVersion > LakeSchemaVersion {
		return info, bad("lược đồ kho %d, bản wardstat này chỉ biết tới %d; hãy nâng cấp wardstat ở đây",
			"lake schema %d, this build knows %d; upgrade wardstat here", m.LakeSchemaVersion, LakeSchemaVersion)
	}
	for _, t := range []string{"dossiers", "units"} {
		if _, ok := m.Tables[t]; !ok {
			return info, bad("_manifest.json không có bảng %s; hãy chạy lại wardstat export ở nút đó", "_manifest.json lists no %s table; run wardstat export again on that node", t)
		}
	}
	for part := range m.Tables["dossiers"] {
		if p, ok := strings.CutPrefix(strings.SplitN(part, "/", 2)[0], "province="); ok && !contains(info.Provinces, p) {
			info.Provinces = append(info.Provinces, p)
		}
	}
	sort.Strings(info.Provinces)
	// The files the federation reads are those listed here, checked
	// against the manifest (lake_verify.go).
	files, counts, err := lakeFilesOf(ctx, db, l.Dir, m, hash, bad)
	if err != nil {
		return info, err
	}
	info.Files, info.Dossiers, info.WarehouseID = files, counts["dossiers"], m.WarehouseID
	if info.Real, err = filepath.EvalSymlinks(l.Dir); err != nil {
		info.Real = filepath.Clean(l.Dir)
	}
	return info, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// OpenFederation opens a warehouse in memory whose facts are the lakes':
// dossiers, dossier_history and units are views over read_parquet(…,
// hive_partitioning = true) of every lake (a schema lake_<name> per lake,
// their UNION ALL in main), so nothing is loaded, and every macro and view
// of sql/models — report_form, ward_month, the marts — is this build's
// own, made over them as over a warehouse's tables. It reads only the
// lakes' folders. Two lakes holding the same ward are refused: its
// dossiers would be counted twice.
func OpenFederation(ctx context.Context, lakes []Lake, opt Options) (*Warehouse, error) {
	if len(lakes) == 0 {
		return nil, msg.Errorf("chưa gắn kho Parquet nào; hãy chạy wardstat lake attach TÊN THƯ_MỤC hoặc thêm lakes: vào cấu hình",
			"no lake is attached; run wardstat lake attach NAME DIR or add lakes: to the configuration")
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	limit := opt.MemoryLimit
	if limit == "" {
		limit = DefaultMemoryLimit
	}
	params := []string{"memory_limit=" + url.QueryEscape(limit)}
	if opt.Threads > 0 {
		params = append(params, "threads="+strconv.Itoa(opt.Threads))
	}
	init := connInit(ctx, opt.Today, "SET GLOBAL TimeZone = '"+lakeZone+"'")
	connector, err := duckdb.NewConnector("?"+strings.Join(params, "&"), init)
	if err != nil {
		return nil, err
	}
	w := &Warehouse{db: sql.OpenDB(connector), conn: connector, path: ":federation:", log: log, ronly: true}
	if err := w.federate(ctx, lakes); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

func (w *Warehouse) federate(ctx context.Context, lakes []Lake) error {
	if err := w.migrate(ctx); err != nil {
		return err
	}
	var infos []LakeInfo
	names := map[string]string{}
	for _, l := range lakes {
		if err := CheckLakeName(l.Name); err != nil {
			return err
		}
		if dir, ok := names[l.Name]; ok {
			if filepath.Clean(dir) != filepath.Clean(l.Dir) {
				return msg.Errorf("kho Parquet %q được gắn ở %s nhưng cấu hình ghi %s; hãy gắn lại (wardstat lake attach) hoặc sửa cấu hình",
					"lake %q is attached at %s but the configuration says %s; attach it again (wardstat lake attach) or fix the configuration", l.Name, dir, l.Dir)
			}
			continue // the same lake from the warehouse and the configuration
		}
		names[l.Name] = l.Dir
		info, err := checkLakeOn(ctx, w.db, l, false)
		if err != nil {
			return err
		}
		for i := range infos {
			if err := lakesOverlap(ctx, w.db, &infos[i], &info); err != nil {
				return err
			}
		}
		infos = append(infos, info)
	}
	cols := map[string][]column{}
	for _, t := range []string{"dossiers", "dossier_history", "units", "loads"} {
		c, err := w.columnsOf(ctx, t)
		if err != nil {
			return err
		}
		cols[t] = c
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var dossiers, history, units, loads []string
	for n, info := range infos {
		schema := "lake_" + info.Name
		stmts := []string{fmt.Sprintf(`CREATE SCHEMA %s`, schema)}
		for _, t := range LakeFacts {
			// The files checked against the manifest, each matching itself
			// alone (the folder's name may hold glob characters).
			src := fmt.Sprintf(`read_parquet(%s, hive_partitioning = true, hive_types = {'province': VARCHAR, 'month': VARCHAR}, union_by_name = true)`,
				fileList(info.Files[t]))
			if unpartitioned(t) {
				src = fmt.Sprintf(`read_parquet(%s)`, fileList(info.Files[t]))
			}
			if len(info.Files[t]) == 0 {
				src = emptyFact(t)
			}
			stmts = append(stmts, fmt.Sprintf(`CREATE VIEW %s.%s AS SELECT * FROM %s`, schema, t, src))
		}
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("lake %q: %w", info.Name, err)
			}
		}
		// Each node numbers its own loads: the federation's load numbers
		// are the lake's place in the list above the node's own.
		loadID := map[string]string{"load_id": fmt.Sprintf("(load_id + %d)", int64(n)<<40),
			"first_load_id": fmt.Sprintf("(first_load_id + %d)", int64(n)<<40), "replaced_by": fmt.Sprintf("(replaced_by + %d)", int64(n)<<40)}
		dossiers = append(dossiers, fmt.Sprintf(`SELECT %s FROM %s.dossiers`, asStored(cols["dossiers"], loadID, true), schema))
		history = append(history, fmt.Sprintf(`SELECT %s FROM %s.dossier_events WHERE NOT is_current`, asStored(cols["dossier_history"], loadID, false), schema))
		// load_flag_columns reads which fields each load's file had from
		// header_map: the lake's flags, as such a map.
		var lc []string
		for _, c := range cols["loads"] {
			switch c.name {
			case "load_id":
				lc = append(lc, fmt.Sprintf("load_id + %d AS load_id", int64(n)<<40))
			case "loaded_at":
				lc = append(lc, fmt.Sprintf("timezone('%s', loaded_at)::%s AS loaded_at", lakeZone, c.typ))
			case "header_map":
				lc = append(lc, `to_json(map(k, k)) AS header_map`)
			default:
				lc = append(lc, fmt.Sprintf("NULL::%s AS %s", c.typ, c.name))
			}
		}
		loads = append(loads, fmt.Sprintf(`SELECT %s FROM (
    SELECT *, list_filter(['paid_online', 'digitised', 'apology_issued', 'fee'],
        (f, i) -> coalesce([has_paid_online, has_digitised, has_apology, has_fee][i], false)) AS k
    FROM %s.loads)`, strings.Join(lc, ", "), schema))
		units = append(units, fmt.Sprintf(`SELECT %s, %s FROM %s.units`, asStored(cols["units"], map[string]string{"province": "province_name"}, false), lakeUnitRank(info), schema))
	}
	for _, s := range []string{
		`DROP TABLE dossiers`, `DROP TABLE dossier_history`, `DROP TABLE units`, `DROP TABLE loads`,
		`CREATE VIEW loads AS ` + strings.Join(loads, "\nUNION ALL\n"),
		`CREATE VIEW dossiers AS ` + strings.Join(dossiers, "\nUNION ALL\n"),
		`CREATE VIEW dossier_history AS ` + strings.Join(history, "\nUNION ALL\n"),
		// Each code's rows come from one lake (unitChoice): a registry of
		// the whole country given to every node is read once, and
		// registries that disagree give one answer.
		`CREATE VIEW units AS SELECT DISTINCT * FROM (` + unitChoice(strings.Join(units, "\nUNION ALL\n")) + `)`,
	} {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("federating the lakes: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	// Analysts' SQL over the federation reads the lakes and nothing else.
	var dirs []string
	for _, info := range infos {
		dirs = append(dirs, "'"+escape(info.Dir+string(filepath.Separator))+"'")
		if g := escapeGlob(info.Dir); g != info.Dir { // DuckDB checks the pattern the views name
			dirs = append(dirs, "'"+escape(g+string(filepath.Separator))+"'")
		}
	}
	for _, s := range []string{
		"SET GLOBAL allowed_directories = [" + strings.Join(dirs, ", ") + "]",
		"SET GLOBAL enable_external_access = false",
		"SET GLOBAL autoinstall_known_extensions = false",
		"SET GLOBAL autoload_known_extensions = false",
		"SET GLOBAL lock_configuration = true",
	} {
		if _, err := w.db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

type column struct{ name, typ string }

func (w *Warehouse) columnsOf(ctx context.Context, table string) ([]column, error) {
	rows, err := w.db.QueryContext(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.typ); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// asStored is a select list giving a lake's columns as the warehouse's
// table stores them: instants back to Vietnam local time, text back to
// the vocabularies' ENUMs and the key's UUID, and what the lake does not
// carry (the state hash, a history state's flags) as NULL.
func asStored(cols []column, from map[string]string, flags bool) string {
	lake := map[string]bool{}
	for _, c := range strings.Split(lakeStateColumns(flags)+", first_load_id, replaced_by, province_name, code, name, district, valid_from, valid_to", ", ") {
		if i := strings.LastIndex(c, " AS "); i >= 0 {
			c = c[i+4:]
		}
		lake[strings.TrimPrefix(strings.TrimPrefix(c, "d."), "f.")] = true
	}
	var out []string
	for _, c := range cols {
		src, known := c.name, lake[c.name]
		if f, ok := from[c.name]; ok {
			src, known = f, lake[c.name] || c.name == "province"
		}
		switch {
		case c.name == "key_hash":
			// Not in the lake: computed as the warehouse stores it.
			out = append(out, keyHashSQL("")+" AS key_hash")
		case !known:
			out = append(out, fmt.Sprintf("NULL::%s AS %s", c.typ, c.name))
		case contains(lakeTimestamps, c.name):
			out = append(out, fmt.Sprintf("timezone('%s', %s)::%s AS %s", lakeZone, src, c.typ, c.name))
		default:
			out = append(out, fmt.Sprintf("%s::%s AS %s", src, c.typ, c.name))
		}
	}
	return strings.Join(out, ", ")
}

// emptyFact is a lake table with no rows yet (a node with no dossiers),
// with the columns the lake's files would have.
func emptyFact(table string) string {
	var cols []string
	switch table {
	case "loads":
		cols = []string{"NULL::BIGINT AS load_id", "NULL::TIMESTAMPTZ AS loaded_at", "NULL::BOOLEAN AS has_paid_online",
			"NULL::BOOLEAN AS has_digitised", "NULL::BOOLEAN AS has_apology", "NULL::BOOLEAN AS has_fee"}
	case "units":
		cols = []string{"NULL::VARCHAR AS code", "NULL::VARCHAR AS name", "NULL::VARCHAR AS district",
			"NULL::VARCHAR AS province_name", "NULL::DATE AS valid_from", "NULL::DATE AS valid_to"}
	default:
		for _, c := range strings.Split(lakeStateColumns(table == "dossiers"), ", ") {
			name := c
			if i := strings.LastIndex(c, " AS "); i >= 0 {
				name = c[i+4:]
			}
			name = strings.TrimPrefix(strings.TrimPrefix(name, "d."), "f.")
			typ := "VARCHAR"
			switch {
			case contains(lakeTimestamps, name):
				typ = "TIMESTAMPTZ"
			case name == "status":
				typ = "SMALLINT"
			case name == "fee":
				typ = "DOUBLE"
			case name == "load_id":
				typ = "BIGINT"
			case name == "apology_issued" || name == "paid_online" || name == "digitised":
				typ = "BOOLEAN"
			}
			cols = append(cols, fmt.Sprintf("NULL::%s AS %s", typ, name))
		}
		if table == "dossiers" {
			cols = append(cols, "NULL::BIGINT AS first_load_id")
		} else {
			cols = append(cols, "NULL::TIMESTAMPTZ AS loaded_at", "NULL::BOOLEAN AS is_current", "NULL::BIGINT AS replaced_by")
		}
		cols = append(cols, "NULL::VARCHAR AS province", "NULL::VARCHAR AS month")
	}
	return "(SELECT " + strings.Join(cols, ", ") + " WHERE false)"
}
