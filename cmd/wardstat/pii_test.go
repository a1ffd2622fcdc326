package main

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"wardstat/pipeline"
	"wardstat/transform"
	"wardstat/warehouse"
)

// planted are applicants' data hidden in the fixtures below: none may be
// found in any file wardstat writes, nor in anything it prints.
var planted = []string{
	"Nguyễn Thị Phượng", "Trần Văn Khải", "Lê Hoàng Quyết", "Phạm Minh Tuệ", "Đỗ Thị Lý", "Nguyen Van Khoa",
	"079203004512", "079203004513", "079203004514", "001099012399",
	"0987123456", "0912777888", "0903555666",
	"phuong.nt@example.vn", "khai.tran@example.vn", "quyet.lh@example.vn",
	"45 Trần Hưng Đạo",
}

// The export's layout: the applicant's columns sit before the dates, so a
// row whose cells slid right by one puts a phone, an e-mail, an address or
// a name where a date, a status or the channel belongs.
const piiHeader = "Mã hồ sơ,Tên thủ tục,Lĩnh vực,Họ tên,Số CCCD,Điện thoại,Email,Địa chỉ,Ngày tiếp nhận,Ngày hẹn trả,Trạng thái,Kênh nộp"

var piiRows = []string{
	// good rows
	"H26.01-240301-0001,Đăng ký khai sinh,Hộ tịch,Nguyễn Thị Phượng,079203004512,0987123456,phuong.nt@example.vn,45 Trần Hưng Đạo,01/03/2024,05/03/2024,Đang xử lý,Trực tuyến",
	"H26.01-240301-0002,Chứng thực bản sao,Chứng thực,Trần Văn Khải,079203004513,0912777888,khai.tran@example.vn,12 Lê Lợi,02/03/2024,06/03/2024,Đã trả kết quả,Trực tiếp",
	// the clerk's typo: kept as written
	"H26.01-240301-0003,Đăng ký khai sinh,Hộ tịch,Lê Hoàng Quyết,079203004514,0903555666,quyet.lh@example.vn,7 Hàm Nghi,31/02/2025,05/03/2024,Đang xử lý,Trực tiếp",
	// slid right by one: the address in the receipt date, the name... every cell one column on
	"H26.01-240301-0004,Đăng ký khai sinh,Hộ tịch,,Nguyễn Thị Phượng,079203004512,0987123456,phuong.nt@example.vn,45 Trần Hưng Đạo,01/03/2024,05/03/2024,Đang xử lý",
	// a name in a date column
	"H26.01-240301-0005,Đăng ký khai sinh,Hộ tịch,,,,,,Phạm Minh Tuệ,05/03/2024,Đang xử lý,Trực tiếp",
	// an ID number in the status column, a date missing so the row is rejected
	"H26.01-240301-0006,Đăng ký khai sinh,Hộ tịch,,,,,,,05/03/2024,001099012399,Trực tiếp",
	// an e-mail in the channel column
	"H26.01-240301-0007,Đăng ký khai sinh,Hộ tịch,,,,,,01/03/2024,05/03/2024,Đang xử lý,quyet.lh@example.vn",
	// a name and a phone in the status and channel columns, and a name with a family name that is also a label's word
	"H26.01-240301-0008,Đăng ký khai sinh,Hộ tịch,,,,,,01/03/2024,05/03/2024,Đỗ Thị Lý,0912777888",
	"H26.01-240301-0009,Đăng ký khai sinh,Hộ tịch,,,,,,Nguyen Van Khoa,05/03/2024,Khải Trần Văn,Trực tiếp",
	// slid left by one (no procedure name): a name in the sector column,
	// the status in the due date
	"H26.01-240301-0010,Hộ tịch,Lê Hoàng Quyết,079203004514,0903555666,quyet.lh@example.vn,7 Hàm Nghi,01/03/2024,05/03/2024,Đã tiếp nhận,Trực tiếp,",
	// no code: rejected with its whole row
	",Đăng ký khai sinh,Hộ tịch,Trần Văn Khải,079203004513,0912777888,khai.tran@example.vn,12 Lê Lợi,79203004513,Trần Văn Khải,0903555666,Lê Hoàng Quyết",
}

// refusedCSV has no header row: its "first row" is an applicant's.
const refusedCSV = "Nguyễn Thị Phượng,079203004512,0987123456,phuong.nt@example.vn,45 Trần Hưng Đạo,01/03/2024\nTrần Văn Khải,079203004513,0912777888,khai.tran@example.vn,12 Lê Lợi,02/03/2024\n"

func writePIIWorkbook(t *testing.T, path string) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	put := func(row int, line string) {
		for i, c := range strings.Split(line, ",") {
			cell, _ := excelize.CoordinatesToCellName(i+1, row)
			if err := f.SetCellValue("Sheet1", cell, c); err != nil {
				t.Fatal(err)
			}
		}
	}
	put(1, piiHeader)
	for i, r := range piiRows {
		put(i+2, r)
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

func piiJSON() string {
	var recs []string
	for i, r := range piiRows {
		c := strings.Split(r, ",")
		recs = append(recs, fmt.Sprintf(`{"MaHoSo":%q,"TenThuTuc":%q,"ChuHoSo":%q,"SoCCCD":%q,"SoDienThoai":%q,"Email":%q,"NgayTiepNhan":%q,"NgayHenTra":%q,"TrangThaiHoSo":%q,"KenhThucHien":%q,"Stt":%d}`,
			strings.Replace(c[0], "H26.01", "H27.01", 1), c[1], c[3], c[4], c[5], c[6], c[8], c[9], c[10], c[11], i+1))
	}
	return "[" + strings.Join(recs, ",\n") + "]"
}

// TestNoPersonalDataAtRest plants applicants' names, ID numbers, phones and
// e-mails in rejected rows (cells slid into dates, the status, the
// channel), in a refused file, and in a drop folder the scheduler pulls;
// runs the real commands (ingest, run with its build and snapshot, export,
// the nightly report); then searches every byte wardstat wrote (the
// warehouse and its WAL before and after a checkpoint, the snapshot,
// Parquet, reports, the ledger, failed/ reason files, temporary folders)
// and everything it printed, for each planted string. The clerk's own
// value ("31/02/2025") must still be in rejects.
func TestNoPersonalDataAtRest(t *testing.T) {
	skipIfShort(t, "every format, a daemon night and the reports searched for personal data")
	t.Setenv("WARDSTAT_PII_KEY", "pii-test")
	dir := t.TempDir()
	inputs := filepath.Join(dir, "inputs")
	tmp := filepath.Join(dir, "tmp")
	for _, d := range []string{inputs, tmp, filepath.Join(dir, "drop")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("TMPDIR", tmp) // the workbook's unpacked parts, copies, spills: all inside dir
	csvBody := piiHeader + "\n" + strings.Join(piiRows, "\n") + "\n"
	write := func(p, body string) string {
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	slidCSV := write(filepath.Join(inputs, "slid.csv"), csvBody)
	// Tab-separated, and a JSON and a workbook (wardstat's own reader).
	slidTSV := write(filepath.Join(inputs, "slid.txt.csv"), strings.ReplaceAll(strings.ReplaceAll(csvBody, "H26.01", "H28.01"), ",", "\t"))
	slidJSON := write(filepath.Join(inputs, "slid.json"), piiJSON())
	refused := write(filepath.Join(inputs, "refused.csv"), refusedCSV)
	slidXLSX := filepath.Join(inputs, "slid.xlsx")
	writePIIWorkbook(t, slidXLSX)
	xlsxBody, _ := os.ReadFile(slidXLSX)
	// The drop folder gets the same exports, for the scheduler.
	write(filepath.Join(dir, "drop", "night.csv"), strings.ReplaceAll(csvBody, "H26.01", "H29.01"))
	write(filepath.Join(dir, "drop", "refused.csv"), refusedCSV)
	write(filepath.Join(dir, "drop", "night.xlsx"), string(xlsxBody))

	var printed bytes.Buffer
	runAndKeep := func(args ...string) error {
		out, errOut, err := run(t, args...)
		printed.WriteString(out)
		printed.WriteString(errOut)
		if err != nil {
			printed.WriteString(err.Error())
		}
		return err
	}
	db := filepath.Join(dir, "w.duckdb")
	for _, lang := range []string{"vi", "en"} {
		runAndKeep("--db", db, "--lang", lang, "-v", "ingest", "--ward", "000.31.09.H26", slidCSV, slidTSV, slidJSON, slidXLSX, refused)
		// The first row taken as the header: it lacks a dossier code, and
		// the error lists its cells.
		runAndKeep("--db", db, "--lang", lang, "ingest", "--map", "received_at=01/03/2024", refused)
	}

	// The WAL before a checkpoint: a load in this process, the warehouse
	// held open while its WAL is read.
	w, err := warehouse.Open(context.Background(), db, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.DB().Exec("SET checkpoint_threshold = '1GB'"); err != nil {
		t.Fatal(err)
	}
	walCSV := write(filepath.Join(inputs, "wal.csv"), strings.ReplaceAll(csvBody, "H26.01", "H30.01"))
	if _, err := pipeline.File(context.Background(), w, walCSV, pipeline.FileOptions{Ward: "000.31.09.H30", Hasher: transform.NewHasher([]byte("pii-test"))}); err != nil {
		t.Fatal(err)
	}
	wal, err := os.ReadFile(db + ".wal")
	if err != nil || len(wal) < 1000 {
		t.Fatalf("the load must be in the WAL before a checkpoint (%d bytes, %v)", len(wal), err)
	}
	assertNothingPlanted(t, "the WAL before a checkpoint", wal)
	if _, err := w.DB().Exec("CHECKPOINT"); err != nil {
		t.Fatal(err)
	}
	w.Close()

	// The scheduler: a drop folder with the same exports, the build job
	// (snapshot), the export (Parquet) and report jobs.
	cfg := write(filepath.Join(dir, "wardstat.yml"), `warehouse: w.duckdb
sources:
  - name: drop
    ward: 000.31.09.H29
    path: drop
    settle: 10ms
    schedule: "0 1 * * *"
jobs:
  build:  {schedule: "30 2 * * *"}
  export: {schedule: "0 3 * * *"}
  report: {schedule: "0 6 * * *"}
`)
	runAndKeep("--lang", "en", "-v", "run", "--config", cfg)
	runAndKeep("--lang", "en", "status", "--config", cfg)
	runAndKeep("--db", db, "--lang", "en", "export", "--out", filepath.Join(dir, "parquet"))
	runAndKeep("--db", db, "--lang", "en", "report", "--nightly", "--month", "2024-03", "--out", filepath.Join(dir, "reports"))
	runAndKeep("--db", db, "--lang", "en", "sql", "--format", "csv", "SELECT * FROM rejects ORDER BY ALL")
	runAndKeep("--db", db, "--lang", "en", "sql", "--format", "json", "SELECT * FROM job_runs")
	runAndKeep("--db", db, "--lang", "en", "sql", "--format", "json", "SELECT * FROM loads")

	// The loads happened, the refused files were refused, the clerk's
	// value is there and the slid cells are masks.
	if _, err := os.Stat(filepath.Join(dir, "drop", "failed", "refused.csv.reason")); err != nil {
		t.Fatalf("the refused file's reason: %v\n%s", err, printed.String())
	}
	if !strings.Contains(printed.String(), "31/02/2025") || !strings.Contains(printed.String(), "‹") {
		t.Errorf("the clerk's value and the masks must be printed:\n%s", printed.String())
	}
	ro, err := sql.Open("duckdb", db+"?access_mode=read_only")
	if err != nil {
		t.Fatal(err)
	}
	var clerk, masked, loads, failedRuns int
	ro.QueryRow(`SELECT count(*) FILTER (WHERE value = '31/02/2025'), count(*) FILTER (WHERE raw_row::VARCHAR LIKE '%‹%'),
		(SELECT count(*) FROM loads), (SELECT count(*) FROM job_runs WHERE status = 'failed' OR error <> '') FROM rejects`).Scan(&clerk, &masked, &loads, &failedRuns)
	ro.Close()
	if clerk < 5 || masked < 10 || loads < 6 {
		t.Errorf("rejects keep the clerk's value (%d rows) and the masks (%d rows) of %d loads", clerk, masked, loads)
	}

	// Every file under dir but the exports themselves (inputs/, and the
	// drop folder's files moved to done/ and failed/).
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if rel == "inputs" {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(rel, "drop"+string(filepath.Separator)) && !strings.HasSuffix(rel, ".reason") {
			return nil
		}
		scanArtifact(t, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	assertNothingPlanted(t, "what the commands printed", printed.Bytes())
	if t.Failed() {
		t.Log(printed.String())
	}

	// The snapshot is not for every user of the machine.
	st, err := os.Stat(filepath.Join(dir, "published", "w.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o640 {
		t.Errorf("the snapshot's mode is %v, want 0640", st.Mode().Perm())
	}
}

// scanArtifact searches a file for the planted strings: its bytes, a zip's
// (XLSX) entries unpacked, and a DuckDB file's or a Parquet file's every
// value read as text (their pages may be compressed).
func scanArtifact(t *testing.T, p string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	assertNothingPlanted(t, p, b)
	switch {
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			inner, _ := io.ReadAll(rc)
			rc.Close()
			assertNothingPlanted(t, p+"!"+f.Name, inner)
		}
	case bytes.HasPrefix(b, []byte("PAR1")):
		scanSQL(t, p, "", fmt.Sprintf("SELECT * FROM read_parquet('%s')", p))
	case len(b) > 16 && string(b[8:12]) == "DUCK":
		scanSQL(t, p, p+"?access_mode=read_only", "")
	}
}

// scanSQL reads every text of a query (or of every table and view of a
// DuckDB file) and searches it.
func scanSQL(t *testing.T, name, dsn, query string) {
	t.Helper()
	copyPath := ""
	if dsn != "" {
		// A copy: the snapshot's folder may hold no WAL of its own.
		copyPath = filepath.Join(t.TempDir(), "copy.duckdb")
		b, _ := os.ReadFile(name)
		os.WriteFile(copyPath, b, 0o600)
		dsn = copyPath + "?access_mode=read_only"
	}
	db, err := sql.Open("duckdb", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	queries := []string{query}
	if query == "" {
		queries = nil
		rows, err := db.Query(`SELECT table_name FROM duckdb_tables() WHERE NOT internal AND database_name = current_database()`)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for rows.Next() {
			var tn string
			rows.Scan(&tn)
			queries = append(queries, fmt.Sprintf(`SELECT * FROM %q`, tn))
		}
		rows.Close()
	}
	for _, q := range queries {
		var all bytes.Buffer
		rows, err := db.Query(`SELECT CAST(COLUMNS(*) AS VARCHAR) FROM (` + q + `)`)
		if err != nil {
			t.Fatalf("%s: %s: %v", name, q, err)
		}
		cols, _ := rows.Columns()
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				all.WriteString(v.String)
				all.WriteByte(0)
			}
		}
		rows.Close()
		assertNothingPlanted(t, name+": "+q, all.Bytes())
	}
}

func assertNothingPlanted(t *testing.T, where string, b []byte) {
	t.Helper()
	for _, s := range planted {
		if i := bytes.Index(b, []byte(s)); i >= 0 {
			lo, hi := max(0, i-80), min(len(b), i+len(s)+80)
			t.Errorf("%s holds %q: …%q…", where, s, b[lo:hi])
		}
	}
}

// TestKilledWorkbookTempIsSweptByAnyCommand: a workbook's unpacked cells
// left by a load that was killed are removed by the next command, whatever
// it is (here one that only reads).
func TestKilledWorkbookTempIsSweptByAnyCommand(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	// A process that has ended: its pid names the folder it left.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Skip("no true(1) to make a finished process")
	}
	stale := filepath.Join(tmp, fmt.Sprintf("wardstat-xlsx-%d-123", gone.Process.Pid))
	if err := os.MkdirAll(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(stale, "sheet1.xml"), []byte("<c><v>Nguyễn Thị Phượng</v></c>"), 0o600)
	dir := t.TempDir()
	run(t, "--db", filepath.Join(dir, "none.duckdb"), "report", "--month", "2024-03") // fails: no warehouse; sweeps all the same
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("the killed load's workbook folder is still there: %v", err)
	}
}

// TestKilledWorkbookLoadLeavesNoCellsBehind kills a real load of a large
// workbook while excelize has its sheet unpacked (applicants' names in
// clear) in its temporary folder: the folder is private, and the next
// command, whatever it is, removes it.
func TestKilledWorkbookLoadLeavesNoCellsBehind(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: writes and unpacks a 20 MB sheet")
	}
	dir := t.TempDir()
	tmp := filepath.Join(dir, "tmp")
	os.MkdirAll(tmp, 0o755)
	// A sheet larger than excelize keeps in memory (16 MiB of XML).
	book := filepath.Join(dir, "big.xlsx")
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	sw.SetRow("A1", []any{"Mã hồ sơ", "Họ tên", "Số CCCD", "Ngày tiếp nhận", "Trạng thái"})
	for i := 2; i <= 120_000; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i)
		sw.SetRow(cell, []any{fmt.Sprintf("H26.01-240301-%06d", i), "Nguyễn Thị Phượng", "079203004512", "01/03/2024", "Đang xử lý"})
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(book); err != nil {
		t.Fatal(err)
	}
	f.Close()
	self, _ := os.Executable()
	c := exec.Command(self, "--db", filepath.Join(dir, "w.duckdb"), "ingest", "--ward", "000.31.09.H26", book)
	c.Env = append(os.Environ(), "WARDSTAT_BE_CLI=1", "WARDSTAT_PII_KEY=kill", "TMPDIR="+tmp)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once the sheet is unpacked.
	var left string
	for deadline := time.Now().Add(60 * time.Second); left == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		folders, _ := filepath.Glob(filepath.Join(tmp, "wardstat-xlsx-*"))
		for _, d := range folders {
			if files, _ := os.ReadDir(d); len(files) > 0 {
				left = d
			}
		}
	}
	c.Process.Signal(syscall.SIGKILL)
	c.Wait()
	if left == "" {
		t.Fatal("the workbook was never unpacked to a temporary folder")
	}
	st, err := os.Stat(left)
	if err != nil {
		t.Fatalf("the kill left nothing to clean (%v): the test did not kill in time", err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("the workbook's temporary folder has mode %v, want 0700", st.Mode().Perm())
	}
	t.Setenv("TMPDIR", tmp)
	run(t, "--db", filepath.Join(dir, "w.duckdb"), "--lang", "en", "sql", "SELECT 1")
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Fatalf("the killed load's unpacked sheet is still in %s after the next command: %v", left, err)
	}
}
