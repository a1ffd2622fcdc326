package warehouse_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"wardstat/pipeline"
)

const exportV1 = `Mã hồ sơ,Hình thức nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Trạng thái,Họ và tên,Số điện thoại
H09.01-240301-0001,Trực tiếp,01/03/2024 09:00,05/03/2024,,Đang xử lý,Nguyễn Văn An,0912000111
H09.01-240301-0002,Trực tuyến,01/03/2024 10:00,05/03/2024,04/03/2024 09:00,Đã có kết quả,Trần Thị Bình,0912000222
H09.01-240302-0001,Trực tiếp,02/03/2024 10:00,06/03/2024,,Đang xử lý,Nguyễn Văn An,0912000111
`

// The next night's export: 0001 finished, 0002 unchanged, 0003 new, 0001 of
// 02/03 missing (it must stay).
const exportV2 = `Mã hồ sơ,Hình thức nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Trạng thái,Họ và tên,Số điện thoại
H09.01-240301-0001,Trực tiếp,01/03/2024 09:00,05/03/2024,05/03/2024 15:00,Đã có kết quả,Nguyễn Văn An,0912000111
H09.01-240301-0002,Trực tuyến,01/03/2024 10:00,05/03/2024,04/03/2024 09:00,Đã có kết quả,Trần Thị Bình,0912000222
H09.01-240303-0001,BCCI,03/03/2024 10:00,07/03/2024,,Đang xử lý,Lê Văn Cường,0912000333
`

func TestLoadIsIdempotentIncrementalAndKeepsHistory(t *testing.T) {
	w := mustOpen(t)
	dir := t.TempDir()
	v1 := writeFile(t, dir, "v1.csv", exportV1)
	r1 := mustIngest(t, w, v1, pipeline.FileOptions{})
	if r1.Read != 3 || r1.New != 3 {
		t.Fatalf("first load: %+v", r1)
	}

	again := mustIngest(t, w, v1, pipeline.FileOptions{})
	if again.AlreadyLoaded == nil || again.AlreadyLoaded.LoadID != r1.LoadID {
		t.Fatalf("re-ingesting the same file must be a no-op naming the earlier load: %+v", again)
	}
	if n := queryInt(t, w.DB(), `SELECT count(*) FROM loads`); n != 1 {
		t.Fatalf("loads after re-ingest: %d", n)
	}

	v2 := writeFile(t, dir, "v2.csv", exportV2)
	r2 := mustIngest(t, w, v2, pipeline.FileOptions{})
	if r2.Read != 3 || r2.New != 1 || r2.Changed != 1 || r2.Duplicate != 1 {
		t.Fatalf("second load: %+v", r2)
	}
	if n := queryInt(t, w.DB(), `SELECT count(*) FROM dossiers`); n != 4 {
		t.Fatalf("a dossier missing from a later export must stay: %d dossiers", n)
	}
	if n := queryInt(t, w.DB(), `SELECT count(*) FROM dossier_versions WHERE dossier_code = 'H09.01-240301-0001'`); n != 2 {
		t.Fatalf("the changed dossier must keep both states: %d versions", n)
	}
	if n := queryInt(t, w.DB(), `SELECT count(*) FROM dossiers WHERE dossier_code = 'H09.01-240301-0001' AND completed_at IS NOT NULL AND load_id = ?`, r2.LoadID); n != 1 {
		t.Fatal("the current state must be the later export's, with its lineage")
	}
	if n := queryInt(t, w.DB(), `SELECT count(*) FROM dossiers WHERE dossier_code = 'H09.01-240301-0001' AND first_load_id = ?`, r1.LoadID); n != 1 {
		t.Fatal("first_load_id must keep the first load")
	}
	// Repeat applicants are countable without their identity.
	if n := queryInt(t, w.DB(), `SELECT count(DISTINCT applicant_key) FROM dossiers`); n != 3 {
		t.Fatalf("distinct applicants: %d, want 3", n)
	}
	// Every load adds up.
	if n := queryInt(t, w.DB(), `SELECT count(*) FROM loads WHERE rows_read <> rows_loaded + rows_rejected + rows_duplicate`); n != 0 {
		t.Fatalf("%d loads do not add up", n)
	}
}

// A stored dossier the next export holds twice: the last row is its state,
// compared with the stored one; the other row is a duplicate.
func TestRepeatedRowsOfStoredDossiers(t *testing.T) {
	w := mustOpen(t)
	dir := t.TempDir()
	r1 := mustIngest(t, w, writeFile(t, dir, "v1.csv", exportV1), pipeline.FileOptions{})
	header, rows, _ := strings.Cut(exportV2, "\n")
	lines := strings.Split(strings.TrimSpace(rows), "\n")
	v1Rows := strings.Split(strings.TrimSpace(strings.SplitN(exportV1, "\n", 2)[1]), "\n")
	// 0001: its stored state first, then its finished state (changed);
	// 0002: unchanged, twice.
	v3 := header + "\n" + v1Rows[0] + "\n" + lines[0] + "\n" + lines[1] + "\n" + lines[1] + "\n"
	r3 := mustIngest(t, w, writeFile(t, dir, "v3.csv", v3), pipeline.FileOptions{})
	if r3.Read != 4 || r3.Changed != 1 || r3.New != 0 || r3.Loaded != 1 || r3.Duplicate != 3 {
		t.Fatalf("%+v", r3)
	}
	// The ward missing from the registry is said to hold two dossiers, not
	// four rows.
	for _, wn := range r3.Warnings {
		if wn.Code == "unknown_ward" && wn.Count != 2 {
			t.Errorf("unknown ward with %d dossiers, want 2", wn.Count)
		}
	}
	if n := queryInt(t, w.DB(), `SELECT count(*) FROM dossiers WHERE dossier_code = 'H09.01-240301-0001' AND completed_at IS NOT NULL AND load_id = ? AND first_load_id = ? AND source_row = 3`, r3.LoadID, r1.LoadID); n != 1 {
		t.Fatal("the last row must be the dossier's state, with its row and first load")
	}
	if n := queryInt(t, w.DB(), `SELECT count(*) FROM dossier_history WHERE dossier_code = 'H09.01-240301-0001'`); n != 1 {
		t.Fatalf("%d states in history, want 1", n)
	}
}

func TestRejectsSayWhyAndKeepNoPersonalData(t *testing.T) {
	w := mustOpen(t)
	dir := t.TempDir()
	p := writeFile(t, dir, "bad.csv", `Số hồ sơ;Kênh;Ngày nhận;Hạn xử lý;Ngày hoàn thành;Người nộp;CCCD
H09.01-240301-0001;Trực tiếp;01/03/2024;05/03/2024;;Nguyễn Văn An;037099000111
;Trực tiếp;01/03/2024;05/03/2024;;Trần Thị Bình;037099000222
H09.01-240301-0003;Trực tiếp;31/02/2024;05/03/2024;;Lê Văn Cường;037099000333
H09.01-240301-0004;Trực tiếp;01/03/2024;05/03/2024;28/02/2024;Phạm Thị Dung;037099000444
H09.01-240301-0005;Fax;01/03/2024;05/03/2024;;Hoàng Văn Em;037099000555
H09.01-240301-0006;Trực tiếp;01/03/2024;05/03/2024;hôm qua;Vũ Thị Gấm;037099000666
H09.01-240301-0001;Trực tiếp;01/03/2024;05/03/2024;;Nguyễn Văn An;037099000111
Tổng cộng: 7 hồ sơ;;;;;;
`)
	r := mustIngest(t, w, p, pipeline.FileOptions{})
	if r.Read != 7 || r.Loaded != 1 || r.Rejected != 5 || r.Duplicate != 1 || r.Skipped != 1 {
		t.Fatalf("got %+v", r)
	}
	want := map[int64]string{
		3: "missing_code", 4: "bad_date:received_at", 5: "completed_before_received",
		6: "bad_channel", 7: "bad_date:completed_at",
	}
	rows, err := w.DB().Query(`SELECT source_row, reason_code, column_name, reason, raw_row::VARCHAR FROM rejects ORDER BY source_row`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var row int64
		var code, col, reason, raw string
		if err := rows.Scan(&row, &code, &col, &reason, &raw); err != nil {
			t.Fatal(err)
		}
		if want[row] != code {
			t.Errorf("row %d: code %q, want %q", row, code, want[row])
		}
		if reason == "" || col == "" {
			t.Errorf("row %d: reason %q column %q: both must be said", row, reason, col)
		}
		for _, pii := range []string{"Nguyễn", "Trần", "Lê Văn", "Phạm", "Hoàng", "Vũ", "037099"} {
			if strings.Contains(raw, pii) {
				t.Errorf("row %d: raw row keeps personal data %q: %s", row, pii, raw)
			}
		}
	}
	w.Close()
	// Nothing personal anywhere in the warehouse file.
	b, err := os.ReadFile(filepath.Clean(w.Path()))
	if err != nil {
		t.Fatal(err)
	}
	for _, pii := range []string{"Nguyễn Văn An", "037099000111", "Phạm Thị Dung", "Gấm"} {
		if strings.Contains(string(b), pii) {
			t.Errorf("the warehouse file contains %q", pii)
		}
	}
}

// A dossier not accepted yet, or refused at intake, has no receipt date as
// a rule (the national portal's export lists them): it is left out and
// said so, not rejected as an error to fix. Another status without a
// receipt date is still rejected.
func TestNotAcceptedDossiersAreLeftOutNotRejected(t *testing.T) {
	w := mustOpen(t)
	p := writeFile(t, t.TempDir(), "dvc.csv", `Mã hồ sơ,Ngày nộp,Ngày tiếp nhận,Ngày hẹn trả,Trạng thái hồ sơ,Kênh nộp
H09.01-240301-0001,01/03/2024 07:55,01/03/2024 08:10,04/03/2024 17:00,Đang xử lý,Trực tuyến
H09.01-240301-0002,01/03/2024 21:00,,,Mới đăng ký,Trực tuyến
H09.01-240301-0003,01/03/2024 22:00,,,Không được tiếp nhận,Ứng dụng VNeID
H09.01-240301-0004,01/03/2024 23:00,,,3,Trực tuyến
H09.01-240301-0005,01/03/2024 23:30,,,Đang xử lý,Trực tuyến
`)
	r := mustIngest(t, w, p, pipeline.FileOptions{})
	if r.Read != 2 || r.Loaded != 1 || r.Rejected != 1 || r.NotAccepted != 3 || r.Skipped != 3 {
		t.Fatalf("got %+v", r)
	}
	if len(r.Rejects) != 1 || r.Rejects[0].Row != 6 || r.Rejects[0].Code != "missing_received" {
		t.Errorf("rejects %+v, want row 6 without a receipt date", r.Rejects)
	}
}

// A report printed page by page repeats its header and numbers its pages:
// those lines are skipped, not rejected, and the dossiers keep their rows.
func TestRepeatedHeadersAndPageNumbersAreSkipped(t *testing.T) {
	w := mustOpen(t)
	p := writeFile(t, t.TempDir(), "pages.csv", `Mã hồ sơ,Hình thức nộp,Ngày tiếp nhận,Ngày hẹn trả,Trạng thái
H05.01-240305-0001,Trực tiếp,05/03/2024 08:00,08/03/2024,Đang xử lý
Trang 1/2,,,,
MÃ HỒ SƠ ,Hình thức nộp,Ngày tiếp nhận,Ngày hẹn trả,Trạng thái
H05.01-240305-0002,Trực tuyến,05/03/2024 09:00,08/03/2024,Đang xử lý
,,,,
Page 2 of 2,,,,
H05.01-240305-0003,Trực tuyến,hôm qua,08/03/2024,Đang xử lý
`)
	r := mustIngest(t, w, p, pipeline.FileOptions{})
	if r.Read != 3 || r.Loaded != 2 || r.Rejected != 1 || r.Skipped != 4 {
		t.Fatalf("got %+v", r)
	}
	if len(r.Rejects) != 1 || r.Rejects[0].Row != 8 {
		t.Errorf("rejects %+v, want only row 8 (its receipt date)", r.Rejects)
	}
	var rows string
	if err := w.DB().QueryRow(`SELECT string_agg(source_row::VARCHAR, ' ' ORDER BY source_row) FROM dossiers`).Scan(&rows); err != nil || rows != "2 5" {
		t.Errorf("rows %q (%v), want 2 5", rows, err)
	}
}

// Vietnamese written decomposed (a base letter and its marks, as macOS and
// some web forms write it) is stored composed: the same sector from two
// wards' exports is one sector.
func TestDecomposedTextIsStoredComposed(t *testing.T) {
	w := mustOpen(t)
	dir := t.TempDir()
	body := `Mã hồ sơ,Hình thức nộp,Ngày tiếp nhận,Ngày hẹn trả,Lĩnh vực,Tên thủ tục
%s-240305-0001,Trực tuyến,05/03/2024 08:00,08/03/2024,Hộ tịch,Đăng ký khai sinh
%[1]s-240305-0002,Trực tiếp,05/03/2024 09:00,08/03/2024,Chứng thực,Chứng thực bản sao
`
	composed := writeFile(t, dir, "nfc.csv", fmt.Sprintf(body, "H05.01"))
	decomposed := writeFile(t, dir, "nfd.csv", norm.NFD.String(fmt.Sprintf(body, "H05.02")))
	for _, p := range []string{composed, decomposed} {
		if r := mustIngest(t, w, p, pipeline.FileOptions{}); r.Loaded != 2 {
			t.Fatalf("%s: %+v", p, r)
		}
	}
	var sectors, procedures int
	if err := w.DB().QueryRow(`SELECT count(DISTINCT sector), count(DISTINCT procedure_name) FROM dossiers`).Scan(&sectors, &procedures); err != nil {
		t.Fatal(err)
	}
	if sectors != 2 || procedures != 2 {
		t.Errorf("%d sectors and %d procedures, want 2 of each", sectors, procedures)
	}
}

// Report-like exports fill the dates a pending dossier lacks ("-",
// "Chưa có", a zero date): those dossiers load, and count as pending. They
// were rejected as unreadable dates, and the form lost its pending ones.
func TestNoDatePlaceholdersLeaveTheDateEmpty(t *testing.T) {
	w := mustOpen(t)
	p := writeFile(t, t.TempDir(), "pending.csv", `Mã hồ sơ,Hình thức nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Ngày trả kết quả,Trạng thái
H05.01-240305-0001,Trực tiếp,05/03/2024 08:00,08/03/2024,-,--,Đang xử lý
H05.01-240305-0002,Trực tuyến,05/03/2024 09:00,08/03/2024,Chưa có,Chưa trả,Đang xử lý
H05.01-240305-0003,Trực tuyến,05/03/2024 10:00,08/03/2024,0000-00-00 00:00:00,01/01/1900,Đang xử lý
H05.01-240305-0004,Trực tuyến,05/03/2024 11:00,08/03/2024,07/03/2024 16:00,-,Đã có kết quả
H05.01-240305-0005,Trực tuyến,05/03/2024 12:00,08/03/2024,-,-,Đã trả kết quả
H05.01-240305-0006,Trực tuyến,05/03/2024 13:00,08/03/2024,hôm qua,-,Đang xử lý
`)
	r := mustIngest(t, w, p, pipeline.FileOptions{})
	if r.Loaded != 4 || r.Rejected != 2 {
		t.Fatalf("got %+v", r)
	}
	codes := map[int64]string{}
	for _, rj := range r.Rejects {
		codes[rj.Row] = rj.Code
	}
	if codes[6] != "closed_without_date" || codes[7] != "bad_date:completed_at" {
		t.Errorf("rejects %v, want row 6 closed without a date, row 7 an unreadable date", codes)
	}
	var resolved, pending int
	if err := w.DB().QueryRow(`SELECT resolved_total, pending_total FROM report_form('2024-03-01', '2024-03-31')`).Scan(&resolved, &pending); err != nil {
		t.Fatal(err)
	}
	if resolved != 1 || pending != 3 {
		t.Errorf("resolved %d, pending %d; want 1 and 3", resolved, pending)
	}
}

func TestMissingRequiredColumnFailsWithOneActionableLine(t *testing.T) {
	w := mustOpen(t)
	p := writeFile(t, t.TempDir(), "nocode.csv", "Thủ tục,Ngày tiếp nhận,Trạng thái\nKhai sinh,01/03/2024,Đang xử lý\n")
	_, err := pipeline.File(context.Background(), w, p, pipeline.FileOptions{Hasher: testHasher})
	if err == nil {
		t.Fatal("want an error")
	}
	msg := err.Error()
	for _, want := range []string{"nocode.csv", "dossier_code", `"Thủ tục"`, "--map dossier_code="} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error must be one line: %q", msg)
	}
	// A failed file leaves no load of rows, only its refusal, recorded.
	if n := queryInt(t, w.DB(), `SELECT count(*) FROM loads WHERE status <> 'refused' OR rows_read <> 0 OR reason <> 'no column for dossier_code'`); n != 0 {
		t.Fatalf("a failed file must leave no load: %d", n)
	}
	if n := queryInt(t, w.DB(), `SELECT count(*) FROM loads`); n != 1 {
		t.Fatalf("a failed file must be recorded as refused: %d loads", n)
	}
}

func TestExplicitMapAndWardFlag(t *testing.T) {
	w := mustOpen(t)
	p := writeFile(t, t.TempDir(), "odd.csv", "Số BN|Nhận lúc|Hạn\n0001|2024-03-01 08:00|2024-03-05\n0002|2024-03-02|2024-03-06\n")
	r := mustIngest(t, w, p, pipeline.FileOptions{Ward: "X01", Map: map[string]string{"dossier_code": "Số BN", "received_at": "Nhận lúc", "due_at": "Hạn"}})
	if r.Loaded != 2 {
		t.Fatalf("%+v", r)
	}
	if n := queryInt(t, w.DB(), `SELECT count(*) FROM dossiers WHERE ward_code = 'X01' AND channel = 'direct'`); n != 2 {
		t.Fatalf("ward from --ward, channel null = direct: %d", n)
	}
}

// The typing pass reads dates and categories with what the file's first
// rows show; texts first seen further down are read afterwards, once each.
// Either way a cell must come out the same as the full parser reads it.
func TestTextsBeyondTheSampleReadTheSame(t *testing.T) {
	w := mustOpen(t)
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Mã đơn vị,Kênh,Trạng thái,Ngày tiếp nhận,Hạn trả,Ngày có kết quả,Lệ phí\n")
	n := 0
	row := func(channel, status, received, due, done, fee string) {
		n++
		fmt.Fprintf(&b, "H%06d,000.01.01.H01,%s,%s,%s,%s,%s,%s\n", n, channel, status, received, due, done, fee)
	}
	for i := 0; i < 5000; i++ { // more than the sample
		row("Trực tiếp", "Đang xử lý", "02/01/2024 08:00:00", "10/01/2024 17:00:00", "", "0")
	}
	row(" Trực tuyến ", "Đã trả kết quả", "2024-01-03", "2024-01-09", "05/01/2024 09:30", "50.000 đ") // other styles
	row("Bưu điện", "đã hoàn thành", "ngày 4 tháng 1 năm 2024", "  ", "45296", "miễn phí")            // Excel serial, words, blank due
	row("Fax", "Đang xử lý", "04/01/2024 08:00:00", "", "", "")                                       // unknown channel: rejected
	row("Trực tiếp", "không rõ", "32/01/2024", "", "", "abc")                                         // bad receipt date: rejected
	p := writeFile(t, t.TempDir(), "late.csv", b.String())
	r := mustIngest(t, w, p, pipeline.FileOptions{})
	if r.Read != 5004 || r.Loaded != 5002 || r.Rejected != 2 {
		t.Fatalf("got %+v", r)
	}
	type got struct {
		channel                  string
		status                   sql.NullInt64
		received, due, completed sql.NullTime
		fee                      sql.NullFloat64
	}
	read := func(code string) got {
		var g got
		if err := w.DB().QueryRow(`SELECT channel, status, received_at, due_at, completed_at, fee FROM dossiers WHERE dossier_code = ?`, code).
			Scan(&g.channel, &g.status, &g.received, &g.due, &g.completed, &g.fee); err != nil {
			t.Fatalf("%s: %v", code, err)
		}
		return g
	}
	day := func(s string) time.Time { d, _ := time.Parse("2006-01-02 15:04", s); return d }
	g := read("H005001")
	if g.channel != "online" || g.status.Int64 != 10 || !g.received.Time.Equal(day("2024-01-03 00:00")) ||
		!g.completed.Time.Equal(day("2024-01-05 09:30")) || g.fee.Float64 != 50000 {
		t.Errorf("H005001: %+v", g)
	}
	g = read("H005002")
	if g.channel != "postal" || g.status.Int64 != 9 || !g.received.Time.Equal(day("2024-01-04 00:00")) ||
		g.due.Valid || !g.completed.Time.Equal(day("2024-01-05 00:00")) || !g.fee.Valid || g.fee.Float64 != 0 {
		t.Errorf("H005002: %+v", g)
	}
	codes := map[int64]string{}
	rows, err := w.DB().Query(`SELECT source_row, reason_code, value FROM rejects`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var row int64
		var code, value string
		if err := rows.Scan(&row, &code, &value); err != nil {
			t.Fatal(err)
		}
		codes[row] = code + " " + value
	}
	if codes[5004] != "bad_channel Fax" || codes[5005] != "bad_date:received_at 32/01/2024" {
		t.Errorf("rejects: %v", codes)
	}
	// The unreadable status and fee of the rejected row are not warned of;
	// nothing else is unreadable.
	for _, wn := range r.Warnings {
		if wn.Code == "unreadable_value" {
			t.Errorf("warning: %+v", wn)
		}
	}
}

// Fees as exports write them are stored as ws_fee reads them, whether the
// typing pass reads them at once (whole numbers, in groups of thousands
// with dots or commas) or leaves them to the fix-up (words, decimals,
// currency signs). Many rows, so that every form is past the sample too.
func TestFeesReadAtOnceAsByTheFullParser(t *testing.T) {
	fees := []string{"6000", "50.000", "1.250.000", "50,000", "1,250,000", "50.000 đ", "miễn phí", "1.000,5",
		"12.34", "0", "", "50.00", "1.2345", "-50.000", "abc",
		"51.000,00", "51,000.00", "12,5", "1.234,567", "0,50", "1,234.5", "1.234.567,89", "1.2.3", "1,2,3", "007", "1.000.00",
		"6.000 đ", "51.000đ", "51.000 VNĐ", "51,000 VND", "5.000 đồng", "12,5 đ", "6.000 ₫", "6.000 đ/hồ sơ", "đ 6.000", "6000 vnđ"}
	var b strings.Builder
	b.WriteString("Mã hồ sơ,Mã đơn vị,Ngày tiếp nhận,Lệ phí\n")
	for i := 0; i < 6000; i++ {
		fmt.Fprintf(&b, "H01-240301-%05d,H01,01/03/2024 08:00,%q\n", i, fees[i%len(fees)])
	}
	p := filepath.Join(t.TempDir(), "fees.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	w := mustOpen(t)
	mustIngest(t, w, p, pipeline.FileOptions{})
	rows, err := w.DB().Query(`SELECT DISTINCT CAST(split_part(dossier_code, '-', 3) AS INTEGER) % ? AS k, fee FROM dossiers ORDER BY k`, len(fees))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := map[int]int{}
	for rows.Next() {
		var k int
		var got sql.NullFloat64
		if err := rows.Scan(&k, &got); err != nil {
			t.Fatal(err)
		}
		seen[k]++
		var want sql.NullFloat64
		if err := w.DB().QueryRow(`SELECT ws_fee(?)`, fees[k]).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("fee %q stored as %v, ws_fee reads %v", fees[k], got, want)
		}
	}
	if len(seen) != len(fees) {
		t.Errorf("%d fee forms stored, want %d", len(seen), len(fees))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("fee %q stored %d ways", fees[k], n)
		}
	}
}
