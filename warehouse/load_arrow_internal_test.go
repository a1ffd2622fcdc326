//go:build duckdb_arrow

package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"wardstat/transform"
)

// genSource is a RowSource of n generated rows: the bench's fields, a
// fee only from row feeFrom on (the table widens there, as for JSON
// records whose keys grow), empty cells here and there, and an error
// instead of row failAt when failAt > 0.
type genSource struct {
	n, i, feeFrom, failAt int
	m                     transform.Mapping
	row                   transform.Row
}

var genFields = []string{transform.WardCode, transform.DossierCode, transform.ProcedureName, transform.Sector, transform.Channel,
	transform.SubmittedAt, transform.ReceivedAt, transform.DueAt, transform.CompletedAt, transform.ReturnedAt, transform.Status}

func newGenSource(n, feeFrom, failAt int) *genSource {
	s := &genSource{n: n, feeFrom: feeFrom, failAt: failAt, m: transform.Mapping{Columns: map[string]int{}}}
	for i, f := range genFields {
		s.m.Headers = append(s.m.Headers, f)
		s.m.Columns[f] = i
	}
	s.row.Values = make([]string, len(transform.StagedFields))
	return s
}

func (s *genSource) Mapping() transform.Mapping { return s.m }
func (s *genSource) Skipped() int               { return 0 }
func (s *genSource) Next() (transform.Row, error) {
	if s.i == s.n {
		return transform.Row{}, io.EOF
	}
	s.i++
	if s.i == s.failAt {
		return transform.Row{}, errors.New("unreadable row")
	}
	i := s.i
	v := s.row.Values
	for j := range v {
		v[j] = ""
	}
	set := func(f, x string) { v[slices.Index(transform.StagedFields, f)] = x }
	set(transform.WardCode, fmt.Sprintf("000.%02d.27.H37", 10+i%40))
	set(transform.DossierCode, fmt.Sprintf("000.%02d.27.H37-210101-%07d", 10+i%40, i))
	set(transform.ProcedureName, "Chứng thực bản sao từ bản chính")
	set(transform.Sector, "Chứng thực")
	set(transform.Channel, []string{"Trực tiếp", "Trực tuyến", ""}[i%3])
	set(transform.ReceivedAt, fmt.Sprintf("%02d/%02d/2024 08:30:%02d", 1+i%28, 1+i%12, i%60))
	set(transform.DueAt, fmt.Sprintf("%02d/%02d/2024", 1+i%28, 1+i%12))
	if i%5 != 0 {
		set(transform.CompletedAt, fmt.Sprintf("%02d/%02d/2024 16:00:00", 1+i%28, 1+i%12))
	}
	set(transform.Status, "Đã trả kết quả")
	set(transform.ApplicantKey, fmt.Sprintf("k%016x", i*7919))
	set(transform.FirstCell, fmt.Sprint(i))
	if s.feeFrom > 0 && i >= s.feeFrom {
		set(transform.Fee, fmt.Sprint(1000*(i%60)))
	}
	return transform.Row{Line: i + 3, Values: v}, nil
}

// stageWith stages src on a fresh connection by Arrow or the appender,
// and returns a digest of the staged rows (every field, in order).
func stageWith(t testing.TB, w *Warehouse, byArrow bool, src RowSource) (string, int64, error) {
	t.Helper()
	was := StageByArrow(byArrow)
	defer StageByArrow(was)
	ctx := context.Background()
	conn, err := w.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	q, err := stage(ctx, conn, src)
	if err != nil {
		return "", 0, err
	}
	var n int64
	var digest sql.NullString
	if err := conn.QueryRowContext(ctx, `SELECT count(*), md5(string_agg(s::VARCHAR, '|' ORDER BY rn)) FROM (SELECT row_number() OVER () AS rn, s FROM `+q+` s)`).Scan(&n, &digest); err != nil {
		t.Fatal(err)
	}
	return digest.String, n, nil
}

// The Arrow path stages what the appender stages: the same rows in the
// same order, the same NULLs, and a column that only a later row has
// (here past the first batch) added where that row comes.
func TestArrowStagingStagesWhatTheAppenderStages(t *testing.T) {
	w := openInternal(t)
	var viewsBefore int
	if err := w.db.QueryRow(`SELECT count(*) FROM duckdb_views() WHERE NOT internal`).Scan(&viewsBefore); err != nil {
		t.Fatal(err)
	}
	const n = arrowBatchRows + 2000
	for _, feeFrom := range []int{7, arrowBatchRows + 100} {
		want, wn, err := stageWith(t, w, false, newGenSource(n, feeFrom, 0))
		if err != nil {
			t.Fatal(err)
		}
		got, gn, err := stageWith(t, w, true, newGenSource(n, feeFrom, 0))
		if err != nil {
			t.Fatal(err)
		}
		if gn != n || wn != n || got != want {
			t.Errorf("fee from row %d: Arrow staged %d rows (digest %s), the appender %d (%s)", feeFrom, gn, got, wn, want)
		}
	}
	// Nothing of the staging outlives it: no view in the warehouse, no
	// database attached.
	var views, dbs int
	if err := w.db.QueryRow(`SELECT (SELECT count(*) FROM duckdb_views() WHERE NOT internal), (SELECT count(*) FROM duckdb_databases() WHERE database_name LIKE 'wardstat_stage_%')`).Scan(&views, &dbs); err != nil {
		t.Fatal(err)
	}
	if views != viewsBefore || dbs != 0 {
		t.Errorf("after staging: %d views (%d before), %d staging databases left", views, viewsBefore, dbs)
	}
}

// A read that fails mid-file fails the staging with the reader's error,
// and its goroutine ends (no batch held).
func TestArrowStagingStopsOnAReadError(t *testing.T) {
	w := openInternal(t)
	var before int
	for round := range 2 {
		if round == 1 {
			// The pool's own goroutines are up by now.
			before = runtime.NumGoroutine()
		}
		_, _, err := stageWith(t, w, true, newGenSource(3*arrowBatchRows, 0, arrowBatchRows+10))
		if err == nil || err.Error() != "unreadable row" {
			t.Fatalf("staging a file unreadable at row %d: %v", arrowBatchRows+10, err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("%d goroutines after the failed staging, %d before", g, before)
	}
}

// poolSource is n rows cycling through the first 4,096 rows of a
// genSource, made once: the staging's cost, not the generator's.
type poolSource struct {
	*genSource
	pool [][]string
}

func newPoolSource(n int) *poolSource {
	g := newGenSource(4096, 0, 0)
	p := &poolSource{genSource: newGenSource(n, 0, 0)}
	for {
		r, err := g.Next()
		if err != nil {
			break
		}
		p.pool = append(p.pool, slices.Clone(r.Values))
	}
	return p
}

func (p *poolSource) Next() (transform.Row, error) {
	if p.i == p.n {
		return transform.Row{}, io.EOF
	}
	p.i++
	return transform.Row{Line: p.i + 3, Values: p.pool[p.i%len(p.pool)]}, nil
}

// BenchmarkStage compares the two ways into stage_raw alone, on 1 M
// generated rows (go test -tags=duckdb_arrow -run '^$' -bench Stage ./warehouse).
func BenchmarkStage(b *testing.B) {
	w, err := Open(context.Background(), filepath.Join(b.TempDir(), "w.duckdb"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	const n = 1_000_000
	for _, c := range []struct {
		name    string
		byArrow bool
	}{{"appender", false}, {"arrow", true}} {
		b.Run(c.name, func(b *testing.B) {
			was := StageByArrow(c.byArrow)
			defer StageByArrow(was)
			ctx := context.Background()
			conn, err := w.db.Conn(ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			b.ResetTimer()
			for range b.N {
				if _, err := stage(ctx, conn, newPoolSource(n)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
