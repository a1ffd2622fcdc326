package warehouse_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"wardstat/internal/testkit/whtest"
	"wardstat/pipeline"
	"wardstat/warehouse"
)

// lakeNightRow is one dossier of a generated export.
type lakeNightRow struct {
	ward, code, channel                 string
	received, due, completed, withdrawn time.Time
	reqAt, reqAnswered                  time.Time
	fee                                 int
	paid, digitised                     bool
}

func (r lakeNightRow) csv(withWard bool) string {
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format("02/01/2006 15:04")
	}
	yes := func(b bool) string {
		if b {
			return "x"
		}
		return ""
	}
	status := "Đang xử lý"
	if !r.completed.IsZero() {
		status = "Đã có kết quả"
	}
	cells := []string{r.code, r.channel, ts(r.received), r.due.Format("02/01/2006"), ts(r.completed), ts(r.withdrawn), status,
		ts(r.reqAt), ts(r.reqAnswered), fmt.Sprint(r.fee), yes(r.paid), yes(r.digitised), "Thủ tục " + r.code[len(r.code)-1:]}
	if withWard {
		cells = append([]string{r.ward}, cells...)
	}
	return strings.Join(cells, ",")
}

func writeLakeNight(t *testing.T, dir, name string, withWard bool, rows []lakeNightRow) string {
	t.Helper()
	head := "dossier code,channel,received at,due date,completed at,withdrawn at,status,supplement requested at,supplement received at,fee,paid online,digitised,procedure name"
	if withWard {
		head = "unit code," + head
	}
	lines := []string{head}
	for _, r := range rows {
		lines = append(lines, r.csv(withWard))
	}
	return writeFile(t, dir, name, strings.Join(lines, "\n")+"\n")
}

// lakeBase is n dossiers received from January 2023 to before today over
// three wards of two provinces: resolved (some late), withdrawn, open (some
// overdue), resolved after today, with supplement requests and flags.
func lakeBase(n int, today time.Time) []lakeNightRow {
	wards := []string{"H01.01", "H01.02", "H02.01"}
	start := time.Date(2023, 1, 2, 8, 0, 0, 0, time.UTC)
	span := today.Sub(start)
	channels := []string{"Trực tuyến", "Trực tiếp", "Bưu chính"}
	var out []lakeNightRow
	for i := range n {
		rec := start.Add(span / time.Duration(n) * time.Duration(i)).Truncate(time.Minute)
		r := lakeNightRow{ward: wards[i%3], code: fmt.Sprintf("%s-%s-%04d", wards[i%3], rec.Format("060102"), i),
			channel: channels[i%len(channels)], received: rec, due: rec.AddDate(0, 0, 10),
			fee: (i % 4) * 10000, paid: i%3 == 0, digitised: i%2 == 0}
		switch i % 5 {
		case 0, 1:
			r.completed = rec.AddDate(0, 0, 3+i%15)
		case 2:
			r.withdrawn = rec.AddDate(0, 0, 3)
		}
		if r.completed.After(today) || i%41 == 0 {
			r.completed = today.AddDate(0, 0, 2) // dated after today: open until then
		}
		if i%7 == 0 {
			r.reqAt, r.reqAnswered = rec.AddDate(0, 0, 2), rec.AddDate(0, 0, 5)
		}
		out = append(out, r)
	}
	return out
}

// A warehouse goes through nights of loads, and after each the lake the
// export updated in place equals a whole export into a fresh folder:
// every table, every partition, row for row, and the manifest's
// fingerprints. The nights that can be incremental are (the test fails on
// a silent fall back to the whole lake); the unit registry's change is not.
func TestLakeIncrementalEqualsFull(t *testing.T) {
	ctx := context.Background()
	path := whtest.Path(t)
	data := t.TempDir()
	inc := t.TempDir()
	open := func(day time.Time) *warehouse.Warehouse {
		w, err := warehouse.Open(ctx, path, warehouse.Options{Today: day})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	day := time.Date(2024, 6, 20, 0, 0, 0, 0, time.UTC)
	base := lakeBase(900, day)
	type night struct {
		name        string
		day         time.Time
		load        func(w *warehouse.Warehouse)
		incremental bool
		fromMonth   string // the first month recomputed, when incremental
	}
	var openOnes []lakeNightRow
	for _, r := range base {
		if r.completed.IsZero() && r.withdrawn.IsZero() && r.received.Before(day.AddDate(0, -3, 0)) {
			openOnes = append(openOnes, r)
		}
	}
	if len(openOnes) < 10 {
		t.Fatalf("only %d old open dossiers", len(openOnes))
	}
	misfiled := []lakeNightRow{
		{code: "X-240601-0001", channel: "Trực tuyến", received: time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC), due: time.Date(2024, 6, 10, 0, 0, 0, 0, time.UTC)},
		{code: "X-240115-0002", channel: "Trực tiếp", received: time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC), due: time.Date(2024, 1, 25, 0, 0, 0, 0, time.UTC),
			completed: time.Date(2024, 1, 20, 9, 0, 0, 0, time.UTC)},
	}
	// Wards whose every dossier closed before the months an incremental
	// export recomputes (2024-06 on): H03.01's stay so, H03.02 receives one
	// in July; H03.03 is first seen on the first incremental night. Their
	// grids start before 2024-06 (but H03.03's), with no dossier counting
	// then: the export seeds them (shadowSeeds).
	const laterWards = "H03.01,Xã Bốn,Huyện Bốn,Tỉnh Ba,2020-01-01,\nH03.02,Xã Năm,Huyện Bốn,Tỉnh Ba,2020-01-01,\nH03.03,Xã Sáu,Huyện Bốn,Tỉnh Ba,2020-01-01,\n"
	var closedWards []lakeNightRow
	for i := range 6 {
		ward := []string{"H03.01", "H03.02"}[i%2]
		rec := time.Date(2023, time.Month(3+i), 6, 9, 0, 0, 0, time.UTC)
		r := lakeNightRow{ward: ward, code: fmt.Sprintf("%s-%s-%04d", ward, rec.Format("060102"), i), channel: "Trực tiếp",
			received: rec, due: rec.AddDate(0, 0, 10), completed: rec.AddDate(0, 0, 4+i*5)}
		if i == 4 {
			r.completed, r.withdrawn = time.Time{}, rec.AddDate(0, 0, 2)
		}
		closedWards = append(closedWards, r)
	}
	base = append(base, closedWards...)
	// An open dossier of H01.02 received in 2024 before June, for a file
	// loaded with a ward that changes its receipt, then reloaded with
	// another: its state is put back (replace.go).
	var putBack lakeNightRow
	for _, r := range openOnes[10:] {
		if r.ward == "H01.02" && r.received.Year() == 2024 && r.received.Month() < 5 {
			putBack = r
			break
		}
	}
	if putBack.code == "" {
		t.Fatal("no open dossier of H01.02 received in 2024 before May")
	}
	putBack.received, putBack.due = putBack.received.AddDate(0, 1, 0), putBack.due.AddDate(0, 1, 0)
	nights := []night{
		{name: "base", day: day, load: func(w *warehouse.Warehouse) {
			mustUnits(t, w, writeFile(t, data, "units.csv", "code,name,district,province,valid_from,valid_to\n"+
				"H01.01,Phường Một,Quận Một,Tỉnh Một,2020-01-01,\nH01.02,Xã Hai,,Tỉnh Một,2020-01-01,\nH02.01,Xã Ba,Huyện Ba,Tỉnh Hai,2020-01-01,\n"+laterWards))
			mustIngest(t, w, writeLakeNight(t, data, "base.csv", true, base), pipeline.FileOptions{})
		}},
		{name: "new dossiers and old ones resolved tonight", day: day.AddDate(0, 0, 1), incremental: true, load: func(w *warehouse.Warehouse) {
			today := day.AddDate(0, 0, 1).Add(10 * time.Hour)
			var rows []lakeNightRow
			for i := range 12 {
				rec := today.Add(-time.Duration(i) * time.Hour)
				rows = append(rows, lakeNightRow{ward: []string{"H01.01", "H02.01"}[i%2], code: fmt.Sprintf("N1-%02d", i), channel: "Trực tuyến",
					received: rec, due: rec.AddDate(0, 0, 7), fee: 5000, paid: i%2 == 0})
			}
			for _, r := range openOnes[:4] {
				r.completed, r.digitised = today, !r.digitised
				rows = append(rows, r)
			}
			rows = append(rows, lakeNightRow{ward: "H03.03", code: "H03.03-N1-01", channel: "Trực tiếp", received: today.Add(-2 * time.Hour), due: today.AddDate(0, 0, 5)})
			mustIngest(t, w, writeLakeNight(t, data, "night1.csv", true, rows), pipeline.FileOptions{})
		}},
		{name: "a completion backdated months ago, a dossier misfiled", day: day.AddDate(0, 0, 2), incremental: true, load: func(w *warehouse.Warehouse) {
			r := openOnes[5]
			r.completed = r.received.AddDate(0, 0, 20)
			mustIngest(t, w, writeLakeNight(t, data, "night2.csv", true, []lakeNightRow{r}), pipeline.FileOptions{})
			mustIngest(t, w, writeLakeNight(t, data, "misfiled.csv", false, misfiled), pipeline.FileOptions{Ward: "H01.02"})
		}},
		{name: "the misfiled file reloaded with its ward code corrected", day: day.AddDate(0, 0, 3), incremental: true, load: func(w *warehouse.Warehouse) {
			mustIngest(t, w, filepath.Join(data, "misfiled.csv"), pipeline.FileOptions{Ward: "H02.01", Reload: true})
		}},
		{name: "an open dossier's receipt moved a month by a file loaded with its ward", day: day.AddDate(0, 0, 3), incremental: true, load: func(w *warehouse.Warehouse) {
			r := mustIngest(t, w, writeLakeNight(t, data, "putback.csv", false, []lakeNightRow{putBack}), pipeline.FileOptions{Ward: "H01.02"})
			if r.Changed != 1 {
				t.Fatalf("the receipt moved: %+v", r)
			}
		}},
		{name: "that file reloaded with another ward: the state it replaced put back", day: day.AddDate(0, 0, 3), incremental: true, load: func(w *warehouse.Warehouse) {
			mustIngest(t, w, filepath.Join(data, "putback.csv"), pipeline.FileOptions{Ward: "H02.01", Reload: true})
			var back int
			if err := w.DB().QueryRow(`SELECT count(*) FROM dossiers WHERE ward_code = 'H01.02' AND dossier_code = ? AND load_id = 1`, putBack.code).Scan(&back); err != nil || back != 1 {
				t.Fatalf("the state put back: %d rows (%v)", back, err)
			}
		}},
		{name: "nothing new", day: day.AddDate(0, 0, 3), incremental: true, fromMonth: "2024-06"},
		{name: "dossiers of 2023 resolved tonight, nothing else changed", day: day.AddDate(0, 0, 3), incremental: true, fromMonth: "2024-06", load: func(w *warehouse.Warehouse) {
			var rows []lakeNightRow
			for _, r := range openOnes[6:10] {
				if r.received.Year() != 2023 {
					t.Fatalf("open dossier received %s", r.received)
				}
				r.completed = day.AddDate(0, 0, 3).Add(9 * time.Hour)
				rows = append(rows, r)
			}
			mustIngest(t, w, writeLakeNight(t, data, "night4.csv", true, rows), pipeline.FileOptions{})
		}},
		{name: "the unit registry changed", day: day.AddDate(0, 0, 4), load: func(w *warehouse.Warehouse) {
			mustUnits(t, w, writeFile(t, data, "units.csv", "code,name,district,province,valid_from,valid_to\n"+
				"H01.01,Phường Một,Quận Một,Tỉnh Một,2020-01-01,\nH01.02,Xã Hai,,Tỉnh Một,2020-01-01,2024-05-31\n"+
				"H01.02,Phường Hai,Quận Một,Tỉnh Một,2024-06-01,\nH02.01,Xã Ba,Huyện Ba,Tỉnh Hai,2020-01-01,\n"+laterWards))
		}},
		{name: "into July: a dossier received and one resolved", day: time.Date(2024, 7, 2, 0, 0, 0, 0, time.UTC), incremental: true, fromMonth: "2024-06", load: func(w *warehouse.Warehouse) {
			rec := time.Date(2024, 7, 1, 9, 0, 0, 0, time.UTC)
			var r lakeNightRow
			for _, b := range base {
				if b.completed.IsZero() && b.withdrawn.IsZero() {
					r = b // the last open one
				}
			}
			if r.received.Format("2006-01") < "2024-06" {
				t.Fatalf("the last open dossier was received %s", r.received)
			}
			r.completed = rec
			mustIngest(t, w, writeLakeNight(t, data, "night5.csv", true, []lakeNightRow{r,
				{ward: "H01.01", code: "N5-01", channel: "Trực tiếp", received: rec, due: rec.AddDate(0, 0, 7)},
				{ward: "H03.02", code: "H03.02-N5-02", channel: "Trực tiếp", received: rec, due: rec.AddDate(0, 0, 7)}}), pipeline.FileOptions{})
		}},
	}
	for i, n := range nights {
		w := open(n.day)
		if n.load != nil {
			n.load(w)
		}
		got, err := w.ExportLake(ctx, inc)
		if err != nil {
			t.Fatalf("%s: %v", n.name, err)
		}
		full := t.TempDir()
		want, err := w.ExportLake(ctx, full)
		if err != nil {
			t.Fatalf("%s: %v", n.name, err)
		}
		if want.Incremental || i == 0 && got.Incremental {
			t.Errorf("%s: a first export was incremental: %+v %+v", n.name, got, want)
		}
		if got.Incremental != n.incremental {
			t.Errorf("%s: incremental %v (%s), want %v", n.name, got.Incremental, got.FullReason, n.incremental)
		}
		if n.fromMonth != "" && got.FromMonth != n.fromMonth {
			t.Errorf("%s: recomputed from %s, want %s", n.name, got.FromMonth, n.fromMonth)
		}
		t.Logf("%s: %+v", n.name, got)
		sameLake(t, w, n.name, inc, full)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// sameLake fails the test unless the lakes a and b hold the same partitions
// with the same rows and the same fingerprints.
func sameLake(t *testing.T, w *warehouse.Warehouse, night, a, b string) {
	t.Helper()
	manifest := func(dir string) map[string]map[string]string {
		var m struct {
			Tables map[string]map[string]string `json:"tables"`
		}
		raw, err := os.ReadFile(filepath.Join(dir, "_manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		return m.Tables
	}
	ma, mb := manifest(a), manifest(b)
	tables := append(slices.Clone(warehouse.LakeMarts), warehouse.LakeFacts...)
	for _, table := range tables {
		if !maps.Equal(ma[table], mb[table]) {
			for p, h := range mb[table] {
				if ma[table][p] != h {
					t.Errorf("%s: %s %s: incremental %q, full %q", night, table, p, ma[table][p], h)
				}
			}
			for p, h := range ma[table] {
				if _, ok := mb[table][p]; !ok {
					t.Errorf("%s: %s %s: incremental %q, full has none", night, table, p, h)
				}
			}
		}
		files := func(dir string) []string {
			var out []string
			filepath.WalkDir(filepath.Join(dir, table), func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					rel, _ := filepath.Rel(dir, p)
					out = append(out, rel)
				}
				return nil
			})
			return out
		}
		fa, fb := files(a), files(b)
		if !slices.Equal(fa, fb) {
			t.Errorf("%s: %s: incremental files %v, full %v", night, table, fa, fb)
			continue
		}
		if len(fa) == 0 {
			continue
		}
		read := func(dir string) string {
			return fmt.Sprintf("SELECT * FROM read_parquet('%s/%s/**/*.parquet', hive_partitioning = true)", dir, table)
		}
		if n := queryInt(t, w.DB(), fmt.Sprintf(`SELECT (SELECT count(*) FROM (%s EXCEPT ALL %s)) + (SELECT count(*) FROM (%[2]s EXCEPT ALL %[1]s))`,
			read(a), read(b))); n != 0 {
			t.Errorf("%s: %s: %d rows differ between the incremental and the full lake", night, table, n)
			rows, _ := w.DB().Query(fmt.Sprintf(`SELECT 'incremental' AS lake, * FROM (%s EXCEPT ALL %s) UNION ALL SELECT 'full', * FROM (%[2]s EXCEPT ALL %[1]s) ORDER BY ALL LIMIT 8`, read(a), read(b)))
			if rows != nil {
				cols, _ := rows.Columns()
				for rows.Next() {
					vals := make([]any, len(cols))
					ptrs := make([]any, len(cols))
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					rows.Scan(ptrs...)
					t.Logf("%v", vals)
				}
				rows.Close()
			}
		}
	}
}

// The dashboards' ward_month.parquet is read from the lake's
// mart_ward_month when the lake in the same folder is this warehouse's as
// of now, and is then ward_month exactly (rows and types); once a load
// makes the lake stale, it is computed again, and is again ward_month.
func TestExportMartsReadsWardMonthFromCurrentLake(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	w, err := warehouse.Open(ctx, whtest.Path(t), warehouse.Options{Today: time.Date(2024, 6, 20, 0, 0, 0, 0, time.UTC),
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	data := t.TempDir()
	mustIngest(t, w, writeLakeNight(t, data, "base.csv", true, lakeBase(300, time.Date(2024, 6, 20, 0, 0, 0, 0, time.UTC))), pipeline.FileOptions{})
	dir := t.TempDir()
	same := func(when string) {
		t.Helper()
		file := filepath.Join(dir, "ward_month.parquet")
		if n := queryInt(t, w.DB(), fmt.Sprintf(`SELECT (SELECT count(*) FROM (FROM '%[1]s' EXCEPT ALL FROM ward_month))
			+ (SELECT count(*) FROM (FROM ward_month EXCEPT ALL FROM '%[1]s'))`, file)); n != 0 {
			t.Errorf("%s: %d rows of ward_month.parquet are not ward_month's", when, n)
		}
		got := queryList[string](t, w.DB(), fmt.Sprintf(`SELECT column_name || ' ' || column_type FROM (DESCRIBE FROM '%s')`, file))
		want := queryList[string](t, w.DB(), `SELECT column_name || ' ' || column_type FROM (DESCRIBE FROM ward_month)`)
		if !slices.Equal(got, want) {
			t.Errorf("%s: ward_month.parquet has %v, ward_month %v", when, got, want)
		}
	}
	export := func() {
		t.Helper()
		logs.Reset()
		if _, err := w.ExportMarts(ctx, dir, time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 6, 20, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.ExportLake(ctx, dir); err != nil {
		t.Fatal(err)
	}
	export()
	if !strings.Contains(logs.String(), "ward_month_from_lake=true") {
		t.Errorf("the lake is as of now, yet ward_month was computed: %s", logs.String())
	}
	same("from the lake")
	mustIngest(t, w, writeLakeNight(t, data, "night.csv", true, []lakeNightRow{{ward: "H01.01", code: "N-1", channel: "Trực tuyến",
		received: time.Date(2024, 6, 19, 9, 0, 0, 0, time.UTC), due: time.Date(2024, 6, 25, 0, 0, 0, 0, time.UTC)}}), pipeline.FileOptions{})
	export()
	if !strings.Contains(logs.String(), "ward_month_from_lake=false") {
		t.Errorf("the lake is older than the warehouse, yet ward_month was read from it: %s", logs.String())
	}
	same("computed")
}

// The export recomputes the whole lake, and says why, when it cannot
// trust the lake's months: a partition the manifest lists is gone, the
// as-of day went back, the manifest names no state; the lake is then
// whole again, and the next export incremental.
func TestLakeFallsBackToWholeExport(t *testing.T) {
	ctx := context.Background()
	path := whtest.Path(t)
	dir := t.TempDir()
	export := func(day time.Time, edit func()) warehouse.LakeResult {
		t.Helper()
		w, err := warehouse.Open(ctx, path, warehouse.Options{Today: day})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if queryInt(t, w.DB(), `SELECT count(*) FROM loads`) == 0 {
			mustIngest(t, w, writeLakeNight(t, t.TempDir(), "base.csv", true, lakeBase(120, time.Date(2024, 6, 20, 0, 0, 0, 0, time.UTC))), pipeline.FileOptions{})
		}
		if edit != nil {
			edit()
		}
		r, err := w.ExportLake(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	day := time.Date(2024, 6, 20, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name   string
		day    time.Time
		edit   func()
		reason string // "" for incremental
	}{
		{"first", day, nil, "no state"},
		{"again", day, nil, ""},
		{"a partition deleted", day, func() {
			os.RemoveAll(filepath.Join(dir, "mart_trends", "month=2023-03"))
		}, "missing"},
		{"after it", day, nil, ""},
		{"the as-of day went back", day.AddDate(0, 0, -1), nil, "went back"},
		{"the manifest without a state", day.AddDate(0, 0, -1), func() {
			b, _ := os.ReadFile(filepath.Join(dir, "_manifest.json"))
			var m map[string]any
			json.Unmarshal(b, &m)
			delete(m, "state")
			b, _ = json.Marshal(m)
			os.WriteFile(filepath.Join(dir, "_manifest.json"), b, 0o644)
		}, "no state"},
	} {
		r := export(c.day, c.edit)
		switch {
		case c.reason == "" && !r.Incremental:
			t.Errorf("%s: whole export (%s), want incremental", c.name, r.FullReason)
		case c.reason != "" && (r.Incremental || !strings.Contains(r.FullReason, c.reason)):
			t.Errorf("%s: incremental %v, reason %q, want a whole export for %q", c.name, r.Incremental, r.FullReason, c.reason)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "mart_trends", "month=2023-03", "data.parquet")); err != nil {
		t.Errorf("the deleted partition was not made again: %v", err)
	}
}
