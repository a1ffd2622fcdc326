package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"wardstat/pipeline"
	"wardstat/transform"
	"wardstat/warehouse"
)

// BenchmarkPublishAfterANight measures the snapshot publish over a
// generated warehouse of WARDBENCH_PUBLISH_N dossiers (kept in
// WARDBENCH_PUBLISH_DIR between runs): a whole copy with cp (the kernel's
// copy_file_range) and one by Publish, then, after the night's load of
// 50 k dossiers, Publish updating the spare, checked byte for byte. Run
// with -benchtime=1x; it is skipped without the two variables.
func BenchmarkPublishAfterANight(b *testing.B) {
	dir := os.Getenv("WARDBENCH_PUBLISH_DIR")
	n, _ := strconv.Atoi(os.Getenv("WARDBENCH_PUBLISH_N"))
	if dir == "" || n == 0 {
		b.Skip("set WARDBENCH_PUBLISH_DIR and WARDBENCH_PUBLISH_N")
	}
	ctx := context.Background()
	p := scalePathsFor(dir, n)
	if _, err := os.Stat(p.base); err != nil {
		if err := makeScaleBase(ctx, p.base, p.flat, n); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := os.Stat(p.night); err != nil {
		if err := writeScaleNight(ctx, p.night, n); err != nil {
			b.Fatal(err)
		}
	}
	work := filepath.Join(dir, "publish-work")
	os.RemoveAll(work)
	os.MkdirAll(work, 0o755)
	defer os.RemoveAll(work)
	live := filepath.Join(work, "live.duckdb")
	run := func(name string, args ...string) time.Duration {
		t0 := time.Now()
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			b.Fatalf("%s %v: %v %s", name, args, err, out)
		}
		return time.Since(t0)
	}
	run("cp", p.base, live)
	run("sync", "-f", live)
	w, err := warehouse.Open(ctx, live, warehouse.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	dest := filepath.Join(work, "snap", "snapshot.duckdb")
	report := func(what string, d time.Duration, pub warehouse.Published) {
		fmt.Printf("publish: %-34s %7.2f s  %s  %6.0f MiB of %6.0f MiB written\n", what, d.Seconds(), pub.How, float64(pub.Written)/(1<<20), float64(pub.Size)/(1<<20))
	}
	publish := func(what, to string) warehouse.Published {
		t0 := time.Now()
		pub, err := w.PublishReport(ctx, to, -1)
		if err != nil {
			b.Fatal(err)
		}
		report(what, time.Since(t0), pub)
		return pub
	}
	// The whole copy as cp makes it (copy_file_range), synced.
	st, _ := os.Stat(live)
	d := run("cp", "--reflink=never", live, filepath.Join(work, "cp.duckdb")) + run("sync", "-f", filepath.Join(work, "cp.duckdb"))
	report("cp (copy_file_range) + sync", d, warehouse.Published{How: "cp", Size: st.Size(), Written: st.Size()})
	os.Remove(filepath.Join(work, "cp.duckdb"))
	publish("first publish (no snapshot)", dest)
	publish("second publish (keeps a spare)", dest)

	t0 := time.Now()
	if _, err := pipeline.File(ctx, w, p.night, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("bench"))}); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("publish: night's load %.2f s\n", time.Since(t0).Seconds())
	t0 = time.Now()
	if _, err := w.DB().ExecContext(ctx, "CHECKPOINT"); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("publish: checkpoint after the load %.2f s\n", time.Since(t0).Seconds())
	delta := publish("after the night: spare updated", dest)
	publish("after the night: whole (no spare)", filepath.Join(work, "other", "snapshot.duckdb"))
	run("cmp", dest, filepath.Join(work, "other", "snapshot.duckdb"))
	b.ReportMetric(float64(delta.Written)/(1<<20), "MiB-written")
}
