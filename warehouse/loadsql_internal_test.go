package warehouse

import (
	"os"
	"strings"
	"testing"

	"wardstat/transform"
)

// loadSQL is the text of every statement a load builds from the field
// table, for a file that maps every field, and for one that maps only a
// code and a receipt date: what TestLoadSQLUnchanged compares with
// testdata/load_sql.txt. (Made from the field table, it differs from the
// hand lists' only in order: ward_code first among the text columns, the
// "may be rejected" tests in RejectRules' order; and in the reasons that
// the command line worded otherwise.)
func loadSQL(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, full := range []bool{true, false} {
		headers := []string{"Mã hồ sơ", "Ngày tiếp nhận"}
		m := transform.Mapping{Headers: headers, Columns: map[string]int{transform.DossierCode: 0, transform.ReceivedAt: 1}}
		if full {
			m = transform.Mapping{Columns: map[string]int{}}
			for _, f := range transform.Fields() {
				if f == transform.ApplicantKey || transform.IsPersonal(f) && f != transform.ApplicantName {
					continue
				}
				m.Columns[f] = len(m.Headers)
				m.Headers = append(m.Headers, "Cột "+f)
			}
		}
		st := staged{mapping: m, faults: full, decomposed: full, uncounted: "1, 3"}
		styles := map[string][]string{transform.ReceivedAt: {"%d/%m/%Y %H:%M:%S", "%Y-%m-%d"}, transform.DueAt: {"%d/%m/%Y"}}
		cats := map[string][]literal{
			transform.Channel: {{raw: "", values: []string{"'direct'", "'none'"}}, {raw: "Trực tuyến", values: []string{"'online'", "NULL"}}},
			transform.Status:  {{raw: "10", values: []string{"'10'::SMALLINT"}}},
			transform.Fee:     {{raw: "miễn phí", values: []string{"'0'::DOUBLE"}}},
		}
		q, cols := typedStageQuery("stage_raw", st, styles, cats, "NULL")
		b.WriteString(q + ";\n")
		b.WriteString(stageAllView(cols) + ";\n")
		data := templateData(LoadRequest{}, m, 7)
		for _, name := range []string{"load/15_check.sql", "load/20_merge.sql"} {
			s, err := render(name, data)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(s)
		}
		b.WriteString(strings.Join(sourceColumns(func(f string) (string, bool) {
			_, ok := m.Columns[f]
			return `"` + f + `"`, ok
		}, "first", full), ",\n") + "\n")
	}
	b.WriteString(rejectReasonsValues() + "\n")
	return b.String()
}

// The load's SQL stays what it is unless a change means it to
// (testdata/load_sql.txt: review the diff, then WARDSTAT_UPDATE_LOAD_SQL=1
// rewrites it).
func TestLoadSQLUnchanged(t *testing.T) {
	got := loadSQL(t)
	if os.Getenv("WARDSTAT_UPDATE_LOAD_SQL") != "" {
		if err := os.WriteFile("testdata/load_sql.txt", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/load_sql.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("line %d:\n got %s\nwant %s", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%d lines, want %d", len(gl), len(wl))
	}
}
