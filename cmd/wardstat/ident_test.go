package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wardstat/internal/testkit"
)

// A ward clerk's October export: no unit column, codes without a unit
// prefix (issue 16's thang10.csv, trimmed).
const thang10 = `Mã hồ sơ,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Hình thức nộp
HS-0001,01/10/2026 08:00,06/10/2026 17:00,03/10/2026 10:00,Trực tiếp
HS-0002,02/10/2026 08:00,07/10/2026 17:00,,Trực tuyến
HS-0003,05/10/2026 09:00,08/10/2026 17:00,09/10/2026 10:00,Trực tiếp
`

func writeTestFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Issue 16, trap 1: `ingest thang10.csv` rejected every row and exited 0;
// the advised `--ward` answered "already loaded". Now the first exits 3
// with one line that gives the command to run, and that command loads the
// file; the form counts each dossier once.
func TestFirstLoadWithoutWardLeavesAWayOut(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "ident")
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	file := writeTestFile(t, filepath.Join(dir, "thang10.csv"), thang10)

	out, errOut, err := run(t, "--db", db, "ingest", file)
	if err == nil || exitCode(err) != 3 {
		t.Fatalf("a load that loaded nothing must fail with exit 3, got %v (exit %d)\n%s%s", err, exitCode(err), out, errOut)
	}
	line := ""
	for _, l := range strings.Split(errOut, "\n") {
		if strings.Contains(l, "KHÔNG NẠP ĐƯỢC GÌ") {
			line = l
		}
	}
	if !strings.Contains(line, "cả 3 dòng") || !strings.Contains(line, "ingest --ward MÃ_ĐƠN_VỊ "+file) || !strings.Contains(line, "--db "+db) {
		t.Fatalf("the failure must say what, why and the command to run, in one line:\n%s", errOut)
	}
	// The advised command, with a code.
	out = mustRun(t, "--db", db, "ingest", "--ward", "H26.01", file)
	if !strings.Contains(out, "đọc 3 · nạp 3 (mới 3") {
		t.Fatalf("--ward must load the file:\n%s", out)
	}
	out = mustRun(t, "--db", db, "sql", "--format", "csv", `SELECT ward_code, received_total, resolved_total, pending_total FROM report_form('2026-10-01', '2026-10-31')`)
	if out != "ward_code,received_total,resolved_total,pending_total\nH26.01,3,2,1\n" {
		t.Fatalf("the form after the two loads:\n%s", out)
	}
	// Loaded again as is: a no-op that says how to reload; --reload
	// re-reads it, and "unchanged" is not "duplicate".
	out = mustRun(t, "--db", db, "ingest", "--ward", "H26.01", file)
	if !strings.Contains(out, "đã nạp trước đây") || !strings.Contains(out, "--reload") {
		t.Fatalf("the same options again:\n%s", out)
	}
	out = mustRun(t, "--db", db, "ingest", "--reload", "--ward", "H26.01", file)
	if !strings.Contains(out, "nạp 0 (mới 0, thay đổi 0) · loại 0 · không đổi 3") || strings.Contains(out, "trùng") {
		t.Fatalf("--reload: unchanged rows are \"không đổi\", not \"trùng\":\n%s", out)
	}
	out = mustRun(t, "--db", db, "sql", "--format", "csv", `SELECT count(*) AS n FROM dossiers`)
	if out != "n\n3\n" {
		t.Fatalf("dossiers after --reload:\n%s", out)
	}
}

// Issue 16, trap 7: a folder of exports with the unit registry in it was
// refused (exit 1, "the other files were loaded", though none was); and
// the registry note came once per file. Now the registry is left out with
// one note, the exports load, the registry note comes once, and the last
// line counts what loaded and what did not.
func TestFolderWithTheRegistryLoadsItsExports(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "ident")
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	exports := filepath.Join(dir, "exports")
	writeTestFile(t, filepath.Join(exports, "units.csv"), "code,name,district,province,valid_from,valid_to\nH26.09,Phường Chín,Quận Một,Tỉnh Thử,2020-01-01,\n")
	for i, ward := range []string{"H26.01", "H26.02"} {
		// The same file with a unit column.
		lines := strings.Split(strings.TrimSpace(thang10), "\n")
		lines[0] += ",Mã đơn vị"
		for j := 1; j < len(lines); j++ {
			lines[j] += "," + ward
		}
		writeTestFile(t, filepath.Join(exports, "thang10-"+string(rune('a'+i))+".csv"), strings.Join(lines, "\n")+"\n")
	}
	out, errOut, err := run(t, "--db", db, "ingest", exports)
	if err != nil {
		t.Fatalf("a folder of exports with its registry must load: %v\n%s%s", err, out, errOut)
	}
	if strings.Count(out, "nạp 3 (mới 3") != 2 {
		t.Fatalf("every export must load:\n%s", out)
	}
	if n := strings.Count(errOut, "danh mục đơn vị, không phải tệp xuất"); n != 1 || !strings.Contains(errOut, "units import "+filepath.Join(exports, "units.csv")) {
		t.Fatalf("the registry must be left out with one note naming its command:\n%s", errOut)
	}
	if n := strings.Count(out, "chưa có trong danh mục đơn vị"); n != 1 || !strings.Contains(out, "2 đơn vị (6 hồ sơ) chưa có trong danh mục đơn vị: H26.01, H26.02;") {
		t.Fatalf("the registry note must come once for the run, not for every file (%d):\n%s", n, out)
	}
	// A second run with a file that fails: the last line says the truth
	// (nothing loaded now; two were loaded before).
	writeTestFile(t, filepath.Join(exports, "thang10-e.csv"), thang10)
	out, errOut, err = run(t, "--db", db, "ingest", exports)
	if err == nil || exitCode(err) != 3 {
		t.Fatalf("a folder with a file that loaded nothing must fail (exit 3): %v\n%s%s", err, out, errOut)
	}
	if msg := err.Error(); !strings.Contains(msg, "1/3 tệp không nạp được") || !strings.Contains(msg, "0 tệp đã nạp, 2 tệp đã nạp từ trước") {
		t.Fatalf("the run's last line must count what loaded: %q", msg)
	}
	// The registry named on its own is refused with the command to use.
	_, errOut, err = run(t, "--db", db, "--lang", "en", "ingest", filepath.Join(exports, "units.csv"))
	if err == nil || exitCode(err) != 1 || !strings.Contains(errOut, "the unit registry, not a dossier export; import it with: wardstat units import") {
		t.Fatalf("the registry named alone: %v\n%s", err, errOut)
	}
}

// Issue 16, trap 2: hints said plain `wardstat`, which is not on the PATH
// after `make build`. A hint names the program as it was run, unless
// `wardstat` on the PATH is this program.
func TestHintsNameTheProgramAsRun(t *testing.T) {
	skipIfShort(t, "the test binary copied and run as two processes")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin", "wardstat")
	copyFile(t, self, bin)
	writeTestFile(t, filepath.Join(dir, "thang10.csv"), thang10)
	hint := func(prog, path string) string {
		t.Helper()
		c := exec.Command(prog, "ingest", "thang10.csv")
		c.Dir = dir
		c.Env = append(os.Environ(), "WARDSTAT_BE_CLI=1", "WARDSTAT_PII_KEY=ident", "WARDSTAT_DB=", "PATH="+path)
		timer := time.AfterFunc(60*time.Second, func() {
			if c.Process != nil {
				c.Process.Kill()
			}
		})
		defer timer.Stop()
		out, err := c.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 3 {
			t.Fatalf("%s ingest of a file without its unit: want exit 3, got %v\n%s", prog, err, out)
		}
		return string(out)
	}
	if out := hint("bin/wardstat", "/usr/bin:/bin"); !strings.Contains(out, ": bin/wardstat ingest --ward MÃ_ĐƠN_VỊ thang10.csv") {
		t.Fatalf("wardstat not on the PATH: the hint must name bin/wardstat:\n%s", out)
	}
	if out := hint(bin, filepath.Dir(bin)+":/usr/bin:/bin"); !strings.Contains(out, ": wardstat ingest --ward MÃ_ĐƠN_VỊ thang10.csv") {
		t.Fatalf("wardstat on the PATH: the hint must say wardstat:\n%s", out)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(from, to); err == nil {
		return
	}
	testkit.CopyFile(t, from, to) // keeps from's mode: the test binary's, executable
}
