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
	"strings"
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

// smallBatches makes the batches of 4,096 rows for the test: several
// batches in a few thousand rows.
func smallBatches(t *testing.T) {
	was := arrowBatchRows
	arrowBatchRows = 4096
	t.Cleanup(func() { arrowBatchRows = was })
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
	smallBatches(t)
	w := openInternal(t)
	var viewsBefore int
	if err := w.db.QueryRow(`SELECT count(*) FROM duckdb_views() WHERE NOT internal`).Scan(&viewsBefore); err != nil {
		t.Fatal(err)
	}
	n := arrowBatchRows + 2000
	for _, feeFrom := range []int{7, arrowBatchRows + 100} {
		want, wn, err := stageWith(t, w, false, newGenSource(n, feeFrom, 0))
		if err != nil {
			t.Fatal(err)
		}
		got, gn, err := stageWith(t, w, true, newGenSource(n, feeFrom, 0))
		if err != nil {
			t.Fatal(err)
		}
		if gn != int64(n) || wn != int64(n) || got != want {
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
	smallBatches(t)
	w := openInternal(t)
	_, _, err := stageWith(t, w, true, newGenSource(3*arrowBatchRows, 0, arrowBatchRows+10))
	if err == nil || err.Error() != "unreadable row" {
		t.Fatalf("staging a file unreadable at row %d: %v", arrowBatchRows+10, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for readersRunning() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := readersRunning(); n > 0 {
		t.Errorf("%d batch readers still running after the failed staging", n)
	}
}

// readersRunning is how many goroutines run readBatches.
func readersRunning() int {
	buf := make([]byte, 1<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), "warehouse.readBatches(")
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

// cancellingSource cancels the load's context at row at.
type cancellingSource struct {
	*genSource
	at     int
	cancel context.CancelFunc
}

func (c *cancellingSource) Next() (transform.Row, error) {
	if c.i+1 == c.at {
		c.cancel()
	}
	return c.genSource.Next()
}

// A load cancelled while it stages (the deadline of a night, a SIGTERM)
// leaves its connection as it found it: in the warehouse's database, no
// staging database attached, no view over released memory.
func TestArrowStagingCancelledLeavesTheConnectionClean(t *testing.T) {
	smallBatches(t)
	w := openInternal(t)
	was := StageByArrow(true)
	defer StageByArrow(was)
	conn, err := w.db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var want string
	if err := conn.QueryRowContext(context.Background(), `SELECT current_database()`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	for _, at := range []int{10, arrowBatchRows + 10, 2*arrowBatchRows + 10} {
		ctx, cancel := context.WithCancel(context.Background())
		_, err := stage(ctx, conn, &cancellingSource{genSource: newGenSource(3*arrowBatchRows, 0, 0), at: at, cancel: cancel})
		cancel()
		if err == nil {
			t.Fatalf("cancelled at row %d: staged", at)
		}
		var db string
		var dbs, views int
		if err := conn.QueryRowContext(context.Background(), `SELECT current_database(), (SELECT count(*) FROM duckdb_databases() WHERE database_name LIKE 'wardstat_stage_%'),
			(SELECT count(*) FROM duckdb_views() WHERE view_name = 'stage_arrow')`).Scan(&db, &dbs, &views); err != nil {
			t.Fatal(err)
		}
		if db != want || dbs != 0 || views != 0 {
			t.Errorf("cancelled at row %d: in database %q (want %q), %d staging databases, %d staging views left", at, db, want, dbs, views)
		}
	}
}
