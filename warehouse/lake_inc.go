package warehouse

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	sqlmodels "wardstat/sql"
)

// lakeState is what a lake was computed from, kept in _manifest.json: the
// highest load it includes (the watermark), the day its figures are as of
// (wardstat_today), and a fingerprint of every other input that can change
// any month. The next export recomputes only what the loads after the
// watermark and the days since touched, when the rest is the same.
type lakeState struct {
	Watermark int64  `json:"watermark"`
	AsOf      string `json:"as_of"`  // YYYY-MM-DD
	Inputs    string `json:"inputs"` // lakeInputs
}

type queryRower interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// lakeStateNow reads the warehouse's state on q: its last load, today, and
// lakeInputs up to that load.
func lakeStateNow(ctx context.Context, q queryRower) (lakeState, error) {
	var s lakeState
	if err := q.QueryRowContext(ctx, `SELECT coalesce((SELECT max(load_id) FROM main.loads), 0)::BIGINT, strftime(wardstat_today(), '%Y-%m-%d')`).Scan(&s.Watermark, &s.AsOf); err != nil {
		return s, fmt.Errorf("the warehouse's state: %w", err)
	}
	var err error
	s.Inputs, err = lakeInputs(ctx, q, s.Watermark)
	return s, err
}

// lakeInputs fingerprints what, besides the dossiers' states, can change
// any month: the unit registry, the calendar, the status catalogue, the
// loads up to the watermark (their time and columns; a reload's or a
// repair's changes to states are carried by the later load, planLake),
// the schema versions and this build's models.
func lakeInputs(ctx context.Context, q queryRower, watermark int64) (string, error) {
	var inputs string
	if err := q.QueryRowContext(ctx, fmt.Sprintf(`SELECT concat_ws(' ',
	(SELECT count(*) || '-' || coalesce(sum(hash(u)), 0) FROM main.units u),
	(SELECT count(*) || '-' || coalesce(sum(hash(c)), 0) FROM main.calendar_days c),
	(SELECT count(*) || '-' || coalesce(sum(hash(s)), 0) FROM main.statuses s),
	(SELECT count(*) || '-' || coalesce(sum(hash(l.load_id, l.loaded_at, l.header_map)), 0) FROM main.loads l WHERE l.load_id <= %d))`, watermark)).Scan(&inputs); err != nil {
		return "", fmt.Errorf("the warehouse's state: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "schema %d lake %d\n%s\n", SchemaVersion, LakeSchemaVersion, inputs)
	for _, f := range sqlmodels.Models() {
		fmt.Fprintf(h, "%s\n%s\n", f.Name, f.Text)
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

// lakePlan is what an export recomputes: everything, or (incremental) the
// marts' months from FromMonth on and the fact partitions in Dirty.
type lakePlan struct {
	Incremental bool
	Reason      string // why the whole lake, when not incremental
	FromMonth   string // M0: the first month of the marts recomputed (YYYY-MM)
	LookFrom    string // S: the first month of ward_month the marts' look-backs read
	Changed     int64  // dossiers with a state after the watermark
	Dirty       map[string]bool
}

// martLookBack is how many months before a mart's month its row reads
// ward_month: mart_trends' year over year (lag 12) is the farthest
// (3-month windows, mart_anomalies' 6 months before are within it).
const martLookBack = 12

// planLake decides what the export recomputes. Incremental needs the
// manifest's state with the same inputs, an as-of day not earlier than
// today's, every partition it lists on disk; then the changed dossiers C
// are those with a state (current or left behind) from a load after the
// watermark, or left behind by one. A dossier counts in no month before
// its receipt, and ward_month's running sums run forward only, so the marts
// change from M0 = the earliest receipt month of any state of C (a dossier
// seen open and now only resolved: its completion's month,
// changedFromQuery), or the previous as-of day's month if earlier (what a
// day later closes, falls overdue or is received lands there or later); the
// fact partitions that change are the (province, receipt month) of every
// state of C.
//
// Loads never run while the export does (the daemon's Runner.mu, one
// writer process): a load committing after the watermark was read, with a
// lower number than another already committed, would be missed.
func planLake(ctx context.Context, conn *sql.Conn, dir string, old lakeManifestFile, now lakeState, owner string, step func(string)) (lakePlan, error) {
	p := lakePlan{}
	prev := old.State
	var inputs string
	if prev != nil && prev.Watermark <= now.Watermark {
		var err error
		if inputs, err = lakeInputs(ctx, conn, prev.Watermark); err != nil {
			return p, err
		}
	}
	switch {
	case prev == nil:
		p.Reason = "the manifest has no state (a first export, or one by an older wardstat)"
	case old.WarehouseID != owner:
		p.Reason = "another warehouse's lake, replaced"
	case old.LakeSchemaVersion != LakeSchemaVersion || old.WarehouseSchemaVersion != SchemaVersion:
		p.Reason = "another schema version"
	case prev.Watermark > now.Watermark:
		p.Reason = "the warehouse has fewer loads than the lake"
	case prev.Inputs != inputs:
		p.Reason = "the unit registry, calendar, statuses, an earlier load or the models changed"
	case !validDay(prev.AsOf):
		p.Reason = "the manifest's as-of day is not a date"
	case prev.AsOf > now.AsOf:
		p.Reason = "the as-of day went back"
	}
	if p.Reason == "" {
		if missing := missingPartition(dir, old.Tables); missing != "" {
			p.Reason = "a partition is missing: " + missing
		} else if unlisted := unlistedPartition(dir, old.Tables); unlisted != "" {
			p.Reason = "a partition the manifest does not list: " + unlisted
		}
	}
	if p.Reason != "" {
		return p, nil
	}
	step("plan: the state's inputs")
	w := prev.Watermark
	steps := []string{
		fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE lake_changed AS
SELECT ward_code, dossier_code FROM main.dossiers WHERE load_id > %[1]d
UNION
SELECT ward_code, dossier_code FROM main.dossier_history WHERE load_id > %[1]d OR replaced_by > %[1]d`, w),
		// Every state of C, old and new, with what the plan reads of it.
		// The current states from a load after the watermark are the rows
		// at the table's end (the range of load_id skips the rest); those
		// of C without one (a state put back by a reload or a repair, a
		// dossier gone) are found after, by changedPutBack.
		fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE lake_changed_states AS
SELECT %[1]s, NULL AS replaced_by, true AS is_current FROM main.dossiers d WHERE d.load_id > %[2]d
UNION ALL BY NAME
SELECT %[1]s, d.replaced_by, false AS is_current FROM main.dossier_history d
SEMI JOIN lake_changed c ON c.ward_code = d.ward_code AND c.dossier_code = d.dossier_code`, changedStateColumns(), w),
		// their (province, receipt month)
		fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE lake_dirty_parts AS
SELECT DISTINCT 'province=' || %s || '/month=' || month AS part, month FROM (
    SELECT DISTINCT ward_code, strftime(received_at, '%%Y-%%m') AS month FROM lake_changed_states)`, lakeProvince),
	}
	for i, s := range steps {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return p, fmt.Errorf("the dossiers changed since the lake: %w", err)
		}
		if i == 1 {
			if err := changedPutBack(ctx, conn); err != nil {
				return p, err
			}
		}
		step([]string{"plan: the changed dossiers", "plan: their states", "plan: their partitions"}[i])
	}
	if _, err := conn.ExecContext(ctx, changedFromQuery(w)); err != nil {
		return p, fmt.Errorf("the months the changed dossiers touch: %w", err)
	}
	step("plan: their first months")
	var minMonth sql.NullString
	if err := conn.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM lake_changed), (SELECT min(month) FROM lake_changed_from)`).Scan(&p.Changed, &minMonth); err != nil {
		return p, fmt.Errorf("the dossiers changed since the lake: %w", err)
	}
	rows, err := conn.QueryContext(ctx, `SELECT part FROM lake_dirty_parts`)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	p.Dirty = map[string]bool{}
	for rows.Next() {
		var part string
		if err := rows.Scan(&part); err != nil {
			return p, err
		}
		p.Dirty[part] = true
	}
	if err := rows.Err(); err != nil {
		return p, err
	}
	p.FromMonth = prev.AsOf[:7]
	if minMonth.Valid && minMonth.String < p.FromMonth {
		p.FromMonth = minMonth.String
	}
	// ward_month's grid runs every ward to the warehouse's last month with
	// an event: a later one gives every ward rows for the months between,
	// events or not, so the marts change from the month after the lake's
	// last one at the latest.
	if next := monthAfterLast(old.Tables["mart_ward_month"]); next != "" && next < p.FromMonth {
		p.FromMonth = next
	}
	m0, err := time.Parse("2006-01", p.FromMonth)
	if err != nil {
		return p, fmt.Errorf("the lake's first month to recompute %q: %w", p.FromMonth, err)
	}
	p.LookFrom = m0.AddDate(0, -martLookBack, 0).Format("2006-01")
	p.Incremental = true
	return p, nil
}

// changedPutBack adds to lake_changed_states the current states of the
// changed dossiers that have none from a load after the watermark: a state
// put back by a reload (replace.go) or a repair (repair.go) keeps its older
// load. Found over key_hash (the code's hash: keyhash.go), a number, not
// the two texts of every dossier, and the texts of the rows found compared
// after, as codes may share a hash; the rows are joined once, over their
// keys and row ids only, and fetched by row id (one statement, one
// snapshot). Most nights have no such dossier, and skip the join.
func changedPutBack(ctx context.Context, conn *sql.Conn) error {
	const rest = `SELECT c.ward_code, c.dossier_code FROM lake_changed c
ANTI JOIN (SELECT ward_code, dossier_code FROM lake_changed_states WHERE is_current) s
  ON s.ward_code = c.ward_code AND s.dossier_code = c.dossier_code`
	var n int64
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM (`+rest+`)`).Scan(&n); err != nil {
		return fmt.Errorf("the dossiers changed since the lake: %w", err)
	}
	if n == 0 {
		return nil
	}
	q := fmt.Sprintf(`INSERT INTO lake_changed_states BY NAME
WITH rest AS MATERIALIZED (%[3]s),
cur AS MATERIALIZED (
    SELECT d.rowid AS r FROM main.dossiers d
    SEMI JOIN (SELECT DISTINCT %[2]s AS key_hash FROM rest) c ON c.key_hash = d.key_hash)
SELECT %[1]s, NULL AS replaced_by, true AS is_current FROM main.dossiers d SEMI JOIN cur ON cur.r = d.rowid
SEMI JOIN rest c ON c.ward_code = d.ward_code AND c.dossier_code = d.dossier_code`, changedStateColumns(), keyHashSQL(""), rest)
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("the dossiers changed since the lake: %w", err)
	}
	return nil
}

// changedFromQuery makes lake_changed_from: each changed dossier's first
// month whose figures may differ from the lake's. It is the earliest
// receipt month of its states, but for the night's common case: a dossier
// the lake saw open (its one state up to the watermark, replaced after it)
// and now resolved by one later state that differs in nothing else the
// marts read (receipt, due day, channel, procedure, counted or not, flags,
// fee, supplement days, the load's optional columns). Such a dossier
// changes no month before its completion's: ward_month's events and running
// sums, the index's open months and the processing times all differ from
// there on only.
func changedFromQuery(w int64) string {
	var conds []string
	for _, c := range changedSame {
		conds = append(conds, fmt.Sprintf("o.%[1]s IS NOT DISTINCT FROM n.%[1]s", c))
	}
	for _, c := range []string{"has_paid_online", "has_digitised", "has_apology", "has_fee"} {
		conds = append(conds, fmt.Sprintf("lo.%[1]s IS NOT DISTINCT FROM ln.%[1]s", c))
	}
	return fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE lake_changed_from AS
WITH v AS (SELECT * FROM lake_changed_states),
k AS (
    SELECT ward_code, dossier_code, strftime(min(received_at), '%%Y-%%m') AS first_month,
           count(*) FILTER (WHERE load_id > %[1]d) AS new_states,
           count(*) FILTER (WHERE load_id <= %[1]d AND (is_current OR replaced_by IS NULL OR replaced_by > %[1]d)) AS seen_states
    FROM v GROUP BY ALL
),
resolved AS (
    SELECT n.ward_code, n.dossier_code, strftime(n.completed_at, '%%Y-%%m') AS month
    FROM v n
    JOIN k ON k.ward_code = n.ward_code AND k.dossier_code = n.dossier_code AND k.new_states = 1 AND k.seen_states = 1
    JOIN v o ON o.ward_code = n.ward_code AND o.dossier_code = n.dossier_code AND NOT o.is_current
            AND o.load_id <= %[1]d AND o.replaced_by > %[1]d
    JOIN load_flag_columns lo ON lo.load_id = o.load_id
    JOIN load_flag_columns ln ON ln.load_id = n.load_id
    WHERE n.is_current AND n.load_id > %[1]d AND o.completed_at IS NULL AND n.completed_at IS NOT NULL
      AND o.withdrawn_at IS NULL AND n.withdrawn_at IS NULL
      AND counted_status(o.status) = counted_status(n.status)
      AND %[2]s
)
SELECT k.ward_code, k.dossier_code, coalesce(r.month, k.first_month) AS month
FROM k LEFT JOIN resolved r ON r.ward_code = k.ward_code AND r.dossier_code = k.dossier_code`, w, strings.Join(conds, "\n      AND "))
}

// changedStateColumns are the columns of a state (d) the plan reads:
// its receipt month, its load, and what changedFromQuery compares.
func changedStateColumns() string {
	cols := []string{"ward_code", "dossier_code", "load_id", "completed_at", "withdrawn_at", "status"}
	cols = append(cols, changedSame...)
	for i, c := range cols {
		cols[i] = "d." + c
	}
	return strings.Join(cols, ", ")
}

// changedSame are the columns besides the result whose change makes a
// resolved dossier's earlier months differ (changedFromQuery).
var changedSame = []string{"received_at", "due_at", "channel", "online_level", "procedure_code", "procedure_name", "sector",
	"supplement_requested_at", "supplement_received_at", "apology_issued", "paid_online", "fee", "digitised"}

func validDay(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// missingPartition names a partition the manifest lists whose file is not
// on disk ("" when all are): it cannot be kept, only made again.
func missingPartition(dir string, tables lakeManifest) string {
	for table, parts := range tables {
		for part := range parts {
			var ok bool
			switch {
			case unpartitioned(table):
				ok = hasParquet(filepath.Join(dir, table))
			case strings.HasPrefix(part, "province="):
				ok = hasParquet(filepath.Join(dir, table, filepath.FromSlash(part)))
			default:
				_, err := os.Stat(filepath.Join(dir, table, "month="+part, "data.parquet"))
				ok = err == nil
			}
			if !ok {
				return table + "/" + part
			}
		}
	}
	return ""
}

// monthAfterLast is the month after the last of a mart's months (YYYY-MM),
// "" when it has none.
func monthAfterLast(months map[string]string) string {
	last := ""
	for m := range months {
		last = max(last, m)
	}
	t, err := time.Parse("2006-01", last)
	if err != nil {
		return ""
	}
	return t.AddDate(0, 1, 0).Format("2006-01")
}

// unlistedPartition names a partition folder on disk that the manifest
// does not list ("" when there is none): an incremental export keeps the
// partitions before its first month as listed, so it would remove such a
// folder as a stray and never make it again; the whole lake is made.
func unlistedPartition(dir string, tables lakeManifest) string {
	for table, parts := range tables {
		if unpartitioned(table) {
			continue
		}
		var found []string
		if slices.Contains(LakeMarts, table) {
			found, _ = filepath.Glob(filepath.Join(dir, table, "month=*"))
		} else {
			found, _ = filepath.Glob(filepath.Join(dir, table, "province=*", "month=*"))
		}
		for _, f := range found {
			rel, err := filepath.Rel(filepath.Join(dir, table), f)
			if err != nil {
				continue
			}
			part := filepath.ToSlash(rel)
			if slices.Contains(LakeMarts, table) {
				part = strings.TrimPrefix(part, "month=")
			}
			if _, listed := parts[part]; !listed {
				return table + "/" + filepath.ToSlash(rel)
			}
		}
	}
	return ""
}

// shadowDossiers makes, on conn, temp objects named as the dossier tables
// (DuckDB resolves temp before main, and re-binds every view at each
// query), so that every view of the models reads only the dossiers that
// can count in a month from 'from' on: those received, completed or
// withdrawn then or later, those open, and those closed twice (their
// running sum does not return to zero). A dossier closed once before
// 'from' adds nothing to any month from 'from' on: its receipt, result,
// withdrawal and overdue events and their running sums all fall before.
// The history is kept for those dossiers only (supplement_requests).
//
// ward_month's grid starts each ward at its first month with an event, so
// a ward whose grid starts before 'from' must keep a row before it, or its
// months from 'from' on would start later and lose the previous month's
// pending: one counted dossier closed once before 'from' (any: all its
// events fall before) seeds it. The wards to seed are those with a month
// before 'from' (wardsBefore, shadowSeeds) and no kept counted dossier
// received before it. With wardsBefore nil (not known), the dossiers giving
// each ward its first receipt, result and withdrawal are kept, found over
// the whole warehouse.
func shadowDossiers(ctx context.Context, conn *sql.Conn, from string, wardsBefore *string, step func(string)) error {
	s := "TIMESTAMP '" + from + "-01 00:00:00'"
	firsts := ""
	if wardsBefore == nil {
		firsts = fmt.Sprintf(`
UNION ALL
SELECT d.* FROM main.dossiers d SEMI JOIN (
    SELECT DISTINCT r FROM (
        SELECT unnest([first_received, first_completed, first_withdrawn]) AS r FROM (
            SELECT arg_min(rowid, received_at) AS first_received,
                   arg_min(rowid, completed_at) FILTER (WHERE completed_at IS NOT NULL) AS first_completed,
                   arg_min(rowid, withdrawn_at) FILTER (WHERE withdrawn_at IS NOT NULL) AS first_withdrawn
            FROM main.dossiers
            WHERE counted_status(status) AND received_at::DATE <= wardstat_today()
            GROUP BY ward_code))
    WHERE r IS NOT NULL AND r NOT IN (SELECT r FROM keep)) firsts ON firsts.r = d.rowid`)
	}
	// The rows kept are found by their row ids over the few columns that
	// decide (one statement: one snapshot, the ids stable), then fetched
	// whole: the join's row id range skips the rest. They are four
	// disjoint sets (received_at is never NULL), each a conjunction of
	// one column's ranges that the scan's zone maps can skip by: received
	// from s on; received before and completed, not withdrawn, from s on;
	// withdrawn, not completed, from s on; open or closed twice.
	q := fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE dossiers AS
WITH keep AS MATERIALIZED (
    SELECT rowid AS r FROM main.dossiers WHERE received_at >= %[1]s
    UNION ALL
    SELECT rowid FROM main.dossiers WHERE received_at < %[1]s AND completed_at >= %[1]s AND withdrawn_at IS NULL
    UNION ALL
    SELECT rowid FROM main.dossiers WHERE received_at < %[1]s AND withdrawn_at >= %[1]s AND completed_at IS NULL
    UNION ALL
    SELECT rowid FROM main.dossiers WHERE received_at < %[1]s AND (completed_at IS NULL) = (withdrawn_at IS NULL))
SELECT d.* FROM main.dossiers d SEMI JOIN keep ON keep.r = d.rowid%[2]s`, s, firsts)
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("the dossiers counting from %s: %w", from, err)
	}
	if wardsBefore != nil && *wardsBefore != "" {
		if err := shadowSeeds(ctx, conn, s, *wardsBefore); err != nil {
			return fmt.Errorf("the dossiers counting from %s: %w", from, err)
		}
	}
	step("dossiers from " + from)
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE dossier_history AS
SELECT h.* FROM main.dossier_history h
SEMI JOIN temp.dossiers k ON k.ward_code = h.ward_code AND k.dossier_code = h.dossier_code`); err != nil {
		return fmt.Errorf("the dossiers counting from %s: %w", from, err)
	}
	step("their history")
	return nil
}

// closedOnceBefore is the condition on a dossier d that it was completed
// or withdrawn, not both, before the instant s (SQL).
func closedOnceBefore(s string) string {
	return fmt.Sprintf(`((d.completed_at IS NOT NULL AND d.completed_at < %[1]s AND d.withdrawn_at IS NULL)
           OR (d.withdrawn_at IS NOT NULL AND d.withdrawn_at < %[1]s AND d.completed_at IS NULL))`, s)
}

// shadowSeeds adds to temp.dossiers one counted dossier closed once before
// the instant s for each ward of wardsBefore (a query giving ward_code: the
// wards whose ward_month has a month before s) that no kept counted
// dossier received before s starts before s. Each is searched for alone,
// the scan stopping at the first found; a ward with none needs none (its
// counted dossiers are all kept). Most nights have no ward to seed: a ward
// with a dossier open across s keeps it.
func shadowSeeds(ctx context.Context, conn *sql.Conn, s, wardsBefore string) error {
	rows, err := conn.QueryContext(ctx, fmt.Sprintf(`SELECT ward_code FROM (%s)
EXCEPT SELECT ward_code FROM temp.dossiers WHERE counted_status(status) AND received_at < %s
ORDER BY ward_code`, wardsBefore, s))
	if err != nil {
		return fmt.Errorf("the wards before %s: %w", s, err)
	}
	var wards []string
	for rows.Next() {
		var w string
		if err := rows.Scan(&w); err != nil {
			rows.Close()
			return err
		}
		wards = append(wards, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// temp.dossiers is main.dossiers now (the temp catalog's schema is
	// main too): the warehouse's table is named with its catalog.
	var db string
	if err := conn.QueryRowContext(ctx, `SELECT current_database()`).Scan(&db); err != nil {
		return err
	}
	table := `"` + strings.ReplaceAll(db, `"`, `""`) + `".main.dossiers`
	for len(wards) > 0 {
		batch := wards[:min(len(wards), 64)]
		wards = wards[len(batch):]
		var parts []string
		for _, w := range batch {
			parts = append(parts, fmt.Sprintf(`(SELECT d.* FROM %s d
 WHERE d.ward_code = '%s' AND counted_status(d.status) AND d.received_at < %s AND %s LIMIT 1)`, table, escape(w), s, closedOnceBefore(s)))
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO temp.dossiers SELECT * FROM (`+strings.Join(parts, "\nUNION ALL\n")+`)`); err != nil {
			return fmt.Errorf("the wards' first months: %w", err)
		}
	}
	return nil
}

// lakeWardsIn is a query giving the wards of the lake in dir's
// mart_ward_month in month (its months: the manifest's), "" when the
// manifest lists no such month (no ward has a row then).
func lakeWardsIn(dir string, months map[string]string, month string) string {
	if _, ok := months[month]; !ok {
		return ""
	}
	f := filepath.Join(dir, "mart_ward_month", "month="+month, "data.parquet")
	return fmt.Sprintf(`SELECT DISTINCT ward_code FROM read_parquet('%s')`, escape(f))
}

// monthBefore is the month before m (YYYY-MM).
func monthBefore(m string) string {
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return ""
	}
	return t.AddDate(0, -1, 0).Format("2006-01")
}

// shadowDirtyParts makes, on conn, temp tables named dossiers and
// dossier_history holding the states in the dirty fact partitions only
// (their province and receipt month), so that lakeFactQuery, unchanged,
// reads those partitions whole and nothing else: a state's current row,
// its flags and the current state it is compared with (is_current) are
// all in its own partition.
func shadowDirtyParts(ctx context.Context, conn *sql.Conn, dirty map[string]bool) error {
	from := "9999-12"
	for part := range dirty {
		if m := part[strings.LastIndex(part, "=")+1:]; m < from {
			from = m
		}
	}
	for _, table := range []string{"dossiers", "dossier_history"} {
		// The range first: it skips most rows before the month's text is made.
		q := fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE %[1]s AS
SELECT d.* FROM main.%[1]s d
JOIN (SELECT ward_code, %[2]s AS province FROM (SELECT DISTINCT ward_code FROM main.%[1]s WHERE received_at >= TIMESTAMP '%[3]s-01 00:00:00')) wp
  ON wp.ward_code = d.ward_code
WHERE d.received_at >= TIMESTAMP '%[3]s-01 00:00:00'
  AND 'province=' || wp.province || '/month=' || strftime(d.received_at, '%%Y-%%m') IN (SELECT part FROM temp.lake_dirty_parts)`,
			table, lakeProvince, from)
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("the lake's changed partitions: %w", err)
		}
	}
	return nil
}

// dropShadows removes shadowDossiers' and the export's temp objects from
// conn. The connection goes back to the pool: should the drop fail, it is
// discarded instead, so that no later query reads a part of the dossiers.
// With all, the plan's tables go too.
func dropShadows(conn *sql.Conn, all bool) {
	q := `DROP TABLE IF EXISTS temp.dossier_history; DROP TABLE IF EXISTS temp.dossiers;
DROP TABLE IF EXISTS temp.ward_month; DROP TABLE IF EXISTS temp.lake_mart`
	if all {
		q += `; DROP TABLE IF EXISTS temp.lake_changed; DROP TABLE IF EXISTS temp.lake_changed_states; DROP TABLE IF EXISTS temp.lake_dirty_parts; DROP TABLE IF EXISTS temp.lake_changed_from`
	}
	if _, err := conn.ExecContext(context.Background(), q); err != nil {
		conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}

// lakeWardMonth is a query giving ward_month from the lake in dir, the
// months of its mart_ward_month without the column the mart adds, when the
// lake is this warehouse's and as of now: its state (watermark, as-of day,
// inputs) is the warehouse's, every month's file is there, and the columns
// and types are ward_month's. Else "": ward_month is to be computed. With
// it, the lake's last month and the first from which ward_month may differ
// from report_form ("" when the manifest does not say: form_marts.go).
func (w *Warehouse) lakeWardMonth(ctx context.Context, dir string) (query, lastMonth, exactBefore string) {
	m, err := readLakeManifest(filepath.Join(dir, "_manifest.json"))
	if err != nil || m.State == nil || m.LakeSchemaVersion != LakeSchemaVersion || m.WarehouseSchemaVersion != SchemaVersion {
		return "", "", ""
	}
	if id, err := w.WarehouseID(ctx); err != nil || id != m.WarehouseID {
		return "", "", ""
	}
	now, err := lakeStateNow(ctx, w.db)
	if err != nil || now != *m.State {
		return "", "", ""
	}
	q, err := lakeWardMonthQuery(ctx, w.db, dir, m.Tables["mart_ward_month"], "", "9999-99")
	if err != nil {
		w.log.Warn("the lake's mart_ward_month is not ward_month: ward_month is computed", "err", err)
		return "", "", ""
	}
	for month := range m.Tables["mart_ward_month"] {
		lastMonth = max(lastMonth, month)
	}
	return q, lastMonth, m.WardMonthExactBefore
}

// lakeWardMonthQuery is a query giving ward_month's rows of the months in
// [from, to) from the lake in dir's mart_ward_month (months: the
// manifest's), ordered as ward_month, checked on q to have ward_month's
// columns and types. "" with no error when no listed month is in range;
// an error when a file is missing or the columns differ.
func lakeWardMonthQuery(ctx context.Context, q queryer, dir string, months map[string]string, from, to string) (string, error) {
	var files []string
	for month := range months {
		if month < from || month >= to {
			continue
		}
		f := filepath.Join(dir, "mart_ward_month", "month="+month, "data.parquet")
		if _, err := os.Stat(f); err != nil {
			return "", err
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return "", nil
	}
	slices.Sort(files)
	lq := fmt.Sprintf(`SELECT month, * EXCLUDE (month, resolved_unknown_due)
FROM read_parquet(%s, hive_partitioning = true, hive_types = {'month': VARCHAR}) ORDER BY month, ward_code`, fileList(files))
	describe := func(sel string) (string, error) {
		var cols []string
		rows, err := q.QueryContext(ctx, `SELECT column_name || ' ' || column_type FROM (DESCRIBE `+sel+`)`)
		if err != nil {
			return "", err
		}
		defer rows.Close()
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				return "", err
			}
			cols = append(cols, c)
		}
		return strings.Join(cols, ", "), rows.Err()
	}
	got, err := describe(lq)
	if err != nil {
		return "", err
	}
	want, err := describe(`SELECT * FROM main.ward_month`)
	if err != nil {
		return "", err
	}
	if got != want {
		return "", fmt.Errorf("the lake's columns (%s) are not ward_month's (%s)", got, want)
	}
	return lq, nil
}

type queryer interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}
