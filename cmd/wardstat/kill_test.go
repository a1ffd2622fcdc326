package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"wardstat/warehouse"
)

// TestKillDuringLoadLeavesBeforeOrAfter kills a real wardstat process with
// SIGKILL at several moments of a load: each time the warehouse must hold
// the whole file or none of it, and the next run must complete the load.
func TestKillDuringLoadLeavesBeforeOrAfter(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: loads a large file several times")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	big := filepath.Join(dir, "big.csv")
	const n = 80_000
	writeBigCSV(t, big, n)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ingestCmd := func() *exec.Cmd {
		c := exec.Command(self, "--db", db, "ingest", "--ward", "K01", big)
		c.Env = append(os.Environ(), "WARDSTAT_BE_CLI=1", "WARDSTAT_PII_KEY=kill")
		return c
	}
	// How long a whole load takes, to spread the kills across it.
	start := time.Now()
	full := ingestCmd()
	if out, err := full.CombinedOutput(); err != nil {
		t.Fatalf("reference load: %v\n%s", err, out)
	}
	took := time.Since(start)
	os.Remove(db)
	os.Remove(db + ".wal")

	killed := 0
	for _, frac := range []float64{0.15, 0.4, 0.65, 0.85, 0.97} {
		c := ingestCmd()
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(frac * float64(took)))
		if c.Process.Signal(syscall.SIGKILL) == nil {
			killed++
		}
		c.Wait()
		assertWholeOrNothing(t, db, n, fmt.Sprintf("killed at %.0f%%", frac*100))
	}
	if killed == 0 {
		t.Fatal("no run was killed")
	}
	if out, err := ingestCmd().CombinedOutput(); err != nil {
		t.Fatalf("the load after the kills: %v\n%s", err, out)
	}
	loads := assertWholeOrNothing(t, db, n, "after a clean run")
	if loads != 1 {
		t.Fatalf("after a clean run the file must be loaded once, found %d loads", loads)
	}
}

func assertWholeOrNothing(t *testing.T, db string, n int64, when string) int64 {
	t.Helper()
	if _, err := os.Stat(db); os.IsNotExist(err) {
		return 0
	}
	w, err := warehouse.Open(context.Background(), db, warehouse.Options{})
	if err != nil {
		t.Fatalf("%s: the warehouse does not open: %v", when, err)
	}
	defer w.Close()
	var loads, dossiers, versions, loaded int64
	err = w.DB().QueryRow(`SELECT (SELECT count(*) FROM loads), (SELECT count(*) FROM dossiers),
		(SELECT count(*) FROM dossier_versions), (SELECT coalesce(sum(rows_loaded), 0) FROM loads)`).Scan(&loads, &dossiers, &versions, &loaded)
	if err != nil {
		t.Fatalf("%s: %v", when, err)
	}
	switch {
	case loads == 0 && dossiers == 0 && versions == 0:
	case loads == 1 && dossiers == n && versions == n && loaded == n:
	default:
		t.Fatalf("%s: between states: %d loads, %d dossiers, %d versions, %d rows loaded", when, loads, dossiers, versions, loaded)
	}
	return loads
}

func writeBigCSV(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	b := bufio.NewWriter(f)
	fmt.Fprintln(b, "Mã hồ sơ;Hình thức nộp;Ngày tiếp nhận;Ngày hẹn trả;Ngày có kết quả;Trạng thái;Họ tên")
	base := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		r := base.Add(time.Duration(i) * 7 * time.Minute)
		fmt.Fprintf(b, "K01-%s-%06d;Trực tuyến;%s;%s;%s;Đã trả kết quả;Người %d\n", r.Format("060102"), i,
			r.Format("02/01/2006 15:04:05"), r.AddDate(0, 0, 5).Format("02/01/2006"), r.AddDate(0, 0, 3).Format("02/01/2006 15:04"), i)
	}
	b.Flush()
	f.Close()
}
