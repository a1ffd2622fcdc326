package schedules

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wardstat/internal/testkit"
	"wardstat/internal/testkit/whtest"
	"wardstat/pipeline"
	"wardstat/transform"
	"wardstat/warehouse"
)

// TestTheNightsDataTestsFollowTheNightsData: the build tests every
// dossier once, then the dossiers each night changed; the export after it
// reuses its verdict; the unit registry the build writes again every night
// (the same file) keeps the verdict; a failed verdict stops the publish
// and is not reused.
func TestTheNightsDataTestsFollowTheNightsData(t *testing.T) {
	dir := t.TempDir()
	units := filepath.Join(dir, "units.csv")
	if err := os.WriteFile(units, []byte("code,name,district,province,valid_from,valid_to\nH07.01,Xã Bảy,,Tỉnh Thử,,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, fmt.Sprintf("warehouse: %s\npublish: %s\nunits: %s\nsources:\n  - {name: drop, path: drop, schedule: \"0 3 * * *\"}\njobs:\n  build: {schedule: \"0 1 * * *\"}\n  export: {schedule: \"0 2 * * *\", out: %s}\n",
		filepath.Join(dir, "w.duckdb"), filepath.Join(dir, "snap.duckdb"), units, filepath.Join(dir, "lake")))
	whtest.At(t, cfg.Warehouse)
	w, err := warehouse.Open(t.Context(), cfg.Warehouse, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	logs := &testkit.LockedBuffer{}
	r := NewRunner(cfg, w, transform.NewHasher([]byte("t")), RunnerOptions{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	night := 0
	load := func(ward string) {
		t.Helper()
		night++
		p := filepath.Join(dir, fmt.Sprintf("night-%d.json", night))
		body := strings.ReplaceAll(exportJSON(night), "H07.01", ward)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := pipeline.File(t.Context(), w, p, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("t"))}); err != nil {
			t.Fatal(err)
		}
	}
	// job runs one job and returns what its data tests said in the log.
	job := func(name string) (string, error) {
		t.Helper()
		before := len(logs.String())
		err := r.RunJob(t.Context(), name, TriggerManual, time.Time{})
		for _, line := range strings.Split(logs.String()[before:], "\n") {
			if strings.Contains(line, `msg="data tests"`) {
				scope := line[strings.Index(line, "scope="):]
				return scope[:strings.Index(scope, " ")] + " " + line[strings.Index(line, "rows="):], err
			}
		}
		t.Fatalf("%s: no data tests in the log:\n%s", name, logs.String())
		return "", nil
	}
	want := func(step, job string, err error, scope string) {
		t.Helper()
		if err != nil || !strings.HasPrefix(job, scope) {
			t.Fatalf("%s: %s (%v), want %s", step, job, err, scope)
		}
	}

	load("H07.01")
	got, err := job(JobBuild)
	want("the first build", got, err, "scope=all rows=50")
	got, err = job(JobExport)
	want("the export after it", got, err, "scope=reused rows=0")
	load("H07.01")
	got, err = job(JobBuild)
	want("a night", got, err, "scope=changed rows=50") // the registry written again, the same
	got, err = job(JobExport)
	want("its export", got, err, "scope=reused rows=0")

	// A night with a ward the registry lacks: the build fails and does not
	// publish; the export after it tests every dossier again.
	snap, err := os.Stat(cfg.Publish)
	if err != nil {
		t.Fatal(err)
	}
	load("H07.99")
	got, err = job(JobBuild)
	var dt *warehouse.DataTestError
	if !errors.As(err, &dt) || !strings.HasPrefix(got, "scope=changed rows=50") || len(dt.Failed) != 1 || dt.Failed[0].Name != "wards_in_registry" {
		t.Fatalf("a bad night's build: %s, %v", got, err)
	}
	if again, err := os.Stat(cfg.Publish); err != nil || !again.ModTime().Equal(snap.ModTime()) {
		t.Fatalf("a failed build published: %v", err)
	}
	got, err = job(JobExport)
	if !errors.As(err, &dt) || !strings.HasPrefix(got, "scope=all rows=150") {
		t.Fatalf("the export after a failed build: %s, %v", got, err)
	}
}
