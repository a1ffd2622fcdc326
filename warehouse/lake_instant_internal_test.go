package warehouse

import (
	"path/filepath"
	"testing"
)

// lakeInstant gives the instant ICU's timezone() gives, for every hour
// from 1900 to 2100 (the offsets Vietnam had before 1975-06-13 too, and
// the days around the change), the infinities and NULL.
func TestLakeInstantIsICUs(t *testing.T) {
	w, err := Open(t.Context(), filepath.Join(t.TempDir(), "w.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	q := `SELECT count(*), count(*) FILTER (WHERE ` + lakeInstant("ts") + ` IS DISTINCT FROM timezone('` + lakeZone + `', ts))
FROM (SELECT unnest(range(TIMESTAMP '1900-01-01', TIMESTAMP '2100-01-01', INTERVAL 1 HOUR)) AS ts
      UNION ALL SELECT unnest(range(TIMESTAMP '1975-06-11', TIMESTAMP '1975-06-15', INTERVAL 1 MINUTE))
      UNION ALL SELECT unnest([TIMESTAMP 'infinity', TIMESTAMP '-infinity', NULL, TIMESTAMP '2024-03-01 12:34:56.789012']))`
	var n, differ int64
	if err := w.db.QueryRowContext(t.Context(), q).Scan(&n, &differ); err != nil {
		t.Fatal(err)
	}
	if n < 1_700_000 || differ != 0 {
		t.Fatalf("%d of %d timestamps differ from ICU's", differ, n)
	}
}
