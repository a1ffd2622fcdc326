package demo

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

// vendor writes one ward's export in one vendor's style.
type vendor struct {
	name  string
	write func(dir string, w ward, rows []state, pulled time.Time, rng *rand.Rand) (File, error)
}

func allVendors() []vendor {
	return []vendor{
		{"igate-xlsx", writeTitledXLSX},
		{"excel-vn-csv", writeSemicolonCSV},
		{"dvcqg-json", writePortalJSON},
		{"api-ndjson", writeEnglishNDJSON},
		{"utf16-tsv", writeUTF16TSV},
		{"merged-xlsx", writeMergedXLSX},
	}
}

func slug(w ward) string {
	return strings.ReplaceAll(w.code, ".", "")
}

func fileName(dir string, w ward, vendor string, pulled time.Time, ext string) string {
	return filepath.Join(dir, fmt.Sprintf("%s_%s_%s.%s", slug(w), vendor, pulled.Format("20060102"), ext))
}

func dmy(t time.Time, withTime bool) string {
	if t.IsZero() {
		return ""
	}
	if withTime {
		return t.Format("02/01/2006 15:04")
	}
	return t.Format("02/01/2006")
}

var channelVN = map[string]string{"online": "Trực tuyến", "direct": "Trực tiếp", "postal": "Qua dịch vụ bưu chính công ích"}

var statusVN = map[int]string{3: "Từ chối tiếp nhận", 4: "Đang giải quyết", 5: "Chờ bổ sung", 7: "Rút hồ sơ", 9: "Đã có kết quả", 10: "Đã trả kết quả"}

// applyDefect spoils one value the way real exports are spoiled.
func applyDefect(s state, code, received, completed, channel *string) {
	switch s.bad {
	case "bad_date":
		*received = "31/02/" + s.received.Format("2006")
	case "completed_before_received":
		if !s.completed.IsZero() {
			*completed = dmy(s.received.AddDate(0, 0, -3), true)
		}
	case "missing_code":
		*code = ""
	case "bad_channel":
		*channel = "Fax"
	}
}

// writeTitledXLSX: a one-stop system's Excel export with title rows above
// the header, real date cells, and a total line below.
func writeTitledXLSX(dir string, w ward, rows []state, pulled time.Time, _ *rand.Rand) (File, error) {
	path := fileName(dir, w, "igate", pulled, "xlsx")
	f := excelize.NewFile()
	defer f.Close()
	sheet := "DanhSachHoSo"
	f.SetSheetName("Sheet1", sheet)
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return File{}, err
	}
	dateStyle, _ := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("dd/mm/yyyy hh:mm")})
	put := func(r int, vals ...any) error {
		cell, _ := excelize.CoordinatesToCellName(1, r)
		return sw.SetRow(cell, vals)
	}
	_ = put(1, "UBND "+strings.ToUpper(w.name))
	_ = put(2, "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ")
	_ = put(4, "DANH SÁCH HỒ SƠ TIẾP NHẬN")
	_ = put(5, fmt.Sprintf("(Dữ liệu trích xuất ngày %s)", pulled.Format("02/01/2006")))
	_ = put(7, "STT", "Mã hồ sơ", "Mã đơn vị", "Tên thủ tục hành chính", "Lĩnh vực", "Chủ hồ sơ", "Số điện thoại",
		"Hình thức nộp", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày có kết quả", "Ngày trả kết quả", "Trạng thái", "Lệ phí")
	r := 8
	for i, s := range rows {
		code, received, completed, channel := s.code, "", "", channelVN[s.channel]
		applyDefect(s, &code, &received, &completed, &channel)
		cell := func(t time.Time) any {
			if t.IsZero() {
				return nil
			}
			return excelize.Cell{StyleID: dateStyle, Value: t}
		}
		var rec, comp any = cell(s.received), cell(s.completed)
		if s.status == 7 {
			comp = cell(s.withdrawn) // the end of processing, whatever the outcome
		}
		if received != "" {
			rec = received
		}
		if completed != "" {
			comp = completed
		}
		fee := any(nil)
		if s.proc.fee > 0 {
			fee = s.proc.fee
		}
		if err := put(r, i+1, code, w.code, s.proc.name, s.proc.sector, s.applicant.name, s.applicant.phone,
			channel, rec, cell(s.due), comp, cell(s.returned), statusVN[s.status], fee); err != nil {
			return File{}, err
		}
		r++
	}
	_ = put(r, "Tổng số: "+fmt.Sprint(len(rows))+" hồ sơ")
	_ = put(r+2, "", "", "", "", "", "", "", "", "", "Người lập biểu")
	if err := sw.Flush(); err != nil {
		return File{}, err
	}
	return File{Path: path, Source: "igate-xlsx", Pulled: pulled}, f.SaveAs(path)
}

func ptr[T any](v T) *T { return &v }

// writeSemicolonCSV: a CSV saved by a Vietnamese-locale Excel: semicolons,
// a UTF-8 BOM, headers without diacritics, dd/mm/yyyy HH:MM dates, the ward
// only in the dossier code's prefix.
func writeSemicolonCSV(dir string, w ward, rows []state, pulled time.Time, _ *rand.Rand) (File, error) {
	path := fileName(dir, w, "motcua", pulled, "csv")
	f, err := os.Create(path)
	if err != nil {
		return File{}, err
	}
	b := bufio.NewWriter(f)
	b.WriteString("\ufeff")
	b.WriteString("So ho so;Ma TTHC;Thu tuc;Linh vuc;Nguoi nop;CCCD;Hinh thuc;Ngay nhan;Han xu ly;Ngay hoan thanh;Ngay tra;Tinh trang;Thu xin loi\n")
	channel := map[string]string{"online": "Truc tuyen", "direct": "Truc tiep", "postal": "BCCI"}
	status := map[int]string{3: "Tu choi tiep nhan", 4: "Dang xu ly", 5: "Cho bo sung", 7: "Rut ho so", 9: "Da xu ly xong", 10: "Da tra ket qua"}
	for i, s := range rows {
		code, received, completed, ch := s.code, dmy(s.received, true), dmy(s.completed, true), channel[s.channel]
		if s.status == 7 {
			completed = dmy(s.withdrawn, true)
		}
		applyDefect(s, &code, &received, &completed, &ch)
		apology := ""
		if s.apology && !s.completed.IsZero() {
			apology = "x"
		}
		fmt.Fprintf(b, "%s;%s;%s;%s;%s;%s;%s;%s;%s;%s;%s;%s;%s\n", code, s.proc.code, csvQuote(s.proc.name, ';'), s.proc.sector,
			s.applicant.name, s.applicant.id, ch, received, dmy(s.due, true), completed, dmy(s.returned, true), status[s.status], apology)
		if i == 10 {
			// The same dossier twice, as exports that page badly repeat a row.
			fmt.Fprintf(b, "%s;%s;%s;%s;%s;%s;%s;%s;%s;%s;%s;%s;%s\n", code, s.proc.code, csvQuote(s.proc.name, ';'), s.proc.sector,
				s.applicant.name, s.applicant.id, ch, received, dmy(s.due, true), completed, dmy(s.returned, true), status[s.status], apology)
		}
	}
	if err := b.Flush(); err != nil {
		return File{}, err
	}
	return File{Path: path, Source: "excel-vn-csv", Pulled: pulled}, f.Close()
}

func csvQuote(s string, delim rune) string {
	if strings.ContainsAny(s, string(delim)+"\"\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// writePortalJSON: the national portal's sync vocabulary, wrapped in an API
// envelope; dates as yyyyMMddHHmmss, channel and status as codes.
func writePortalJSON(dir string, w ward, rows []state, pulled time.Time, _ *rand.Rand) (File, error) {
	path := fileName(dir, w, "dvcqg", pulled, "json")
	stamp := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.Format("20060102150405")
	}
	channel := map[string]int{"direct": 1, "online": 2, "postal": 3}
	var records []map[string]any
	for _, s := range rows {
		code, received, completed, ch := s.code, "", "", ""
		applyDefect(s, &code, &received, &completed, &ch)
		rec := map[string]any{
			"MaHoSo": code, "MaDonVi": w.code, "MaTTHC": s.proc.code, "TenTTHC": s.proc.name, "TenLinhVuc": s.proc.sector,
			"KenhThucHien": channel[s.channel], "ChuHoSo": s.applicant.name, "SoDienThoai": s.applicant.phone,
			"DiaChi":      s.applicant.address,
			"NgayNopHoSo": stamp(s.submitted), "NgayTiepNhan": stamp(s.received), "NgayHenTra": stamp(s.due),
			"NgayKetThucXuLy": stamp(s.completed), "NgayTra": stamp(s.returned), "TrangThaiHoSo": s.status,
			"ThanhToanTrucTuyen": map[bool]int{true: 1, false: 0}[s.paid],
			"LePhi":              s.proc.fee,
		}
		if s.status == 7 {
			rec["NgayKetThucXuLy"] = stamp(s.withdrawn)
		}
		if received != "" {
			rec["NgayTiepNhan"] = "20231345000000"
		}
		if completed != "" {
			rec["NgayKetThucXuLy"] = stamp(s.received.AddDate(0, 0, -3))
		}
		if ch != "" {
			rec["KenhThucHien"] = 9
		}
		if !s.suppReq.IsZero() {
			rec["NgayYeuCauBoSung"] = stamp(s.suppReq)
			rec["NgayNhanBoSung"] = stamp(s.suppRec)
		}
		records = append(records, rec)
	}
	body := map[string]any{"status": "success", "total": len(records), "data": map[string]any{"page": 1, "items": records}}
	b, err := json.Marshal(body)
	if err != nil {
		return File{}, err
	}
	return File{Path: path, Source: "dvcqg-json", Pulled: pulled}, os.WriteFile(path, b, 0o644)
}

// writeEnglishNDJSON: a newer API in English camelCase, one object per line,
// timestamps in UTC with a Z (a Vietnamese day starts at 17:00Z the day before).
func writeEnglishNDJSON(dir string, w ward, rows []state, pulled time.Time, _ *rand.Rand) (File, error) {
	path := fileName(dir, w, "api", pulled, "ndjson")
	f, err := os.Create(path)
	if err != nil {
		return File{}, err
	}
	b := bufio.NewWriter(f)
	utc := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.Add(-7 * time.Hour).Format("2006-01-02T15:04:05Z")
	}
	status := map[int]string{3: "REJECTED_AT_INTAKE", 4: "PROCESSING", 5: "AWAITING_SUPPLEMENT", 7: "WITHDRAWN", 9: "COMPLETED", 10: "RETURNED"}
	enc := json.NewEncoder(b)
	for _, s := range rows {
		code, received, completed, ch := s.code, "", "", strings.ToUpper(s.channel)
		applyDefect(s, &code, &received, &completed, &ch)
		rec := map[string]any{
			"dossierCode": code, "procedure": map[string]any{"code": s.proc.code, "name": s.proc.name},
			"sector": s.proc.sector, "channel": ch, "onlineLevel": s.proc.online,
			"applicant":   map[string]any{"fullName": s.applicant.name, "idNumber": s.applicant.id},
			"submittedAt": utc(s.submitted), "receivedAt": utc(s.received), "dueAt": utc(s.due),
			"completedAt": utc(s.completed), "returnedAt": utc(s.returned), "withdrawnAt": utc(s.withdrawn),
			"status": status[s.status], "digitized": s.digitised, "paidOnline": s.paid,
		}
		if received != "" {
			rec["receivedAt"] = "not recorded"
		}
		if completed != "" {
			rec["completedAt"] = utc(s.received.AddDate(0, 0, -3))
		}
		if err := enc.Encode(rec); err != nil {
			return File{}, err
		}
	}
	if err := b.Flush(); err != nil {
		return File{}, err
	}
	return File{Path: path, Source: "api-ndjson", Pulled: pulled}, f.Close()
}

// writeUTF16TSV: a tab-separated "Unicode text" export (UTF-16 with a BOM)
// with no unit column: it is ingested with --ward.
func writeUTF16TSV(dir string, w ward, rows []state, pulled time.Time, _ *rand.Rand) (File, error) {
	path := fileName(dir, w, "unicode", pulled, "txt")
	var sb strings.Builder
	sb.WriteString("Dossier No\tProcedure\tSector\tChannel\tReceived Date\tDue Date\tCompletion Date\tWithdrawal date\tStatus\tFee\tPhone\n")
	channel := map[string]string{"online": "Trực tuyến toàn trình", "direct": "Nộp trực tiếp", "postal": "Bưu điện"}
	iso := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format("2006-01-02 15:04:05")
	}
	for _, s := range rows {
		code, received, completed, ch := s.code, iso(s.received), iso(s.completed), channel[s.channel]
		applyDefect(s, &code, &received, &completed, &ch)
		if s.channel == "online" && s.proc.online == "partial" {
			ch = "Trực tuyến một phần"
		}
		fee := ""
		if s.proc.fee > 0 {
			fee = fmt.Sprintf("%d.%03d", s.proc.fee/1000, s.proc.fee%1000)
		}
		fmt.Fprintf(&sb, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", code, s.proc.name, s.proc.sector, ch, received,
			iso(s.due), completed, iso(s.withdrawn), statusVN[s.status], fee, s.applicant.phone)
	}
	u := utf16.Encode([]rune(sb.String()))
	buf := make([]byte, 2, 2+2*len(u))
	buf[0], buf[1] = 0xFF, 0xFE
	for _, c := range u {
		buf = append(buf, byte(c), byte(c>>8))
	}
	return File{Path: path, Ward: w.code, Source: "utf16-tsv", Pulled: pulled}, os.WriteFile(path, buf, 0o644)
}

// writeMergedXLSX: a hand-made report sheet: the ward by name, a two-row
// header with merged "Ngày" cells, a column-number row, dates as text.
func writeMergedXLSX(dir string, w ward, rows []state, pulled time.Time, _ *rand.Rand) (File, error) {
	path := fileName(dir, w, "baocao", pulled, "xlsx")
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Báo cáo"
	f.SetSheetName("Sheet1", sheet)
	f.NewSheet("Hướng dẫn")
	f.SetCellValue("Hướng dẫn", "A1", "Sheet này không chứa dữ liệu")
	set := func(cell string, v any) { f.SetCellValue(sheet, cell, v) }
	set("A1", "SỔ THEO DÕI HỒ SƠ")
	set("A3", "STT")
	set("B3", "Số hồ sơ")
	set("C3", "Đơn vị")
	set("D3", "Thủ tục")
	set("E3", "Kênh nộp")
	set("F3", "Ngày")
	set("F4", "Tiếp nhận")
	set("G4", "Hẹn trả")
	set("H4", "Hoàn thành")
	set("I4", "Rút hồ sơ")
	set("J3", "Ghi chú")
	f.MergeCell(sheet, "F3", "I3")
	for i, c := range []string{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J"} {
		set(c+"5", fmt.Sprintf("(%d)", i+1))
	}
	channel := map[string]string{"online": "DVC trực tuyến", "direct": "Tại bộ phận một cửa", "postal": "BCCI"}
	r := 6
	for i, s := range rows {
		code, received, completed, ch := s.code, dmy(s.received, false), dmy(s.completed, false), channel[s.channel]
		applyDefect(s, &code, &received, &completed, &ch)
		if s.refused {
			continue // this book lists only accepted dossiers
		}
		row := []any{i + 1, code, w.name, s.proc.name, ch, received, dmy(s.due, false), completed, dmy(s.withdrawn, false), ""}
		cell, _ := excelize.CoordinatesToCellName(1, r)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return File{}, err
		}
		r++
	}
	f.SetCellValue(sheet, fmt.Sprintf("A%d", r), "Cộng")
	f.SetCellValue(sheet, fmt.Sprintf("B%d", r), r-6)
	return File{Path: path, Source: "merged-xlsx", Pulled: pulled}, f.SaveAs(path)
}
