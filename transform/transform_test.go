package transform

import (
	"errors"
	"strings"
	"testing"
)

func TestHeaderKeyFolds(t *testing.T) {
	for _, in := range []string{"Ngày Tiếp Nhận", "ngay_tiep_nhan", "NgayTiepNhan", "NGÀY TIẾP NHẬN", " Ngày tiếp-nhận "} {
		if got := HeaderKey(in); got != "ngaytiepnhan" {
			t.Errorf("HeaderKey(%q) = %q", in, got)
		}
	}
	if got := HeaderKey("Đơn vị"); got != "donvi" {
		t.Errorf("đ: %q", got)
	}
}

func TestMatchHeaderVocabulary(t *testing.T) {
	cases := map[string]string{
		"Mã hồ sơ": DossierCode, "SỐ HỒ SƠ": DossierCode, "MaHoSo": DossierCode, "dossier_code": DossierCode,
		"dossierCode": DossierCode, "Số biên nhận": DossierCode, "Ma ho so": DossierCode,
		"Ngày tiếp nhận (dd/mm/yyyy)": ReceivedAt, "Ngày tiếp nhận hồ sơ": ReceivedAt, "NgayTiepNhan": ReceivedAt,
		"receivedAt": ReceivedAt, "Received Date": ReceivedAt, "hoSo.ngayTiepNhan": ReceivedAt,
		"Ngày hẹn trả": DueAt, "Hạn xử lý": DueAt, "NgayHenTra": DueAt, "deadline": DueAt,
		"Ngày có kết quả": CompletedAt, "Ngày kết thúc xử lý": CompletedAt, "NgayKetThucXuLy": CompletedAt, "Ngày hoàn thành": CompletedAt,
		"Ngày trả kết quả": ReturnedAt, "NgayTra": ReturnedAt,
		"Hình thức nộp": Channel, "KenhThucHien": Channel, "Kênh thực hiện": Channel,
		"Trạng thái": Status, "TrangThaiHoSo": Status, "Tình trạng hồ sơ": Status, "status.code": Status,
		"Mã đơn vị": WardCode, "MaDonVi": WardCode, "Đơn vị": WardName,
		"Tên thủ tục": ProcedureName, "TenTTHC": ProcedureName, "Mã TTHC": ProcedureCode, "procedure.code": ProcedureCode,
		"Lĩnh vực": Sector, "Lệ phí": Fee, "Số hóa": Digitised, "Thanh toán trực tuyến": PaidOnline, "Thư xin lỗi": ApologyIssued,
		"Chủ hồ sơ": ApplicantName, "Số CCCD": ApplicantID, "Mã định danh cá nhân": ApplicantID, "SoDienThoai": ApplicantPhone,
		"applicant.fullName": ApplicantName, "Địa chỉ": ApplicantAddr,
		"STT": "", "Ghi chú": "", "procedure.name": ProcedureName,
		"applyMethod.name": Channel, "applyMethod.id": Channel, "dossierStatus.name": Status, "agency.name": WardName,
		"agency.code": WardCode, "applicant.data.fullname": ApplicantName,
	}
	for h, want := range cases {
		if got, _ := MatchHeader(h); got != want {
			t.Errorf("MatchHeader(%q) = %q, want %q", h, got, want)
		}
	}
}

func TestFindHeaderUnderTitlesAndMergedCells(t *testing.T) {
	rows := [][]string{
		{"UBND XÃ AN BÌNH"},
		{"DANH SÁCH HỒ SƠ"},
		{},
		{"STT", "Mã hồ sơ", "Ngày", "", "", "Trạng thái"},
		{"", "", "Tiếp nhận", "Hẹn trả", "Có kết quả", ""},
		{"(1)", "(2)", "(3)", "(4)", "(5)", "(6)"},
		{"1", "X-240101-0001", "01/01/2024", "03/01/2024", "", "Đang xử lý"},
	}
	headers, consumed, ok := FindHeader(rows)
	if !ok || consumed != 6 {
		t.Fatalf("consumed %d ok %v headers %q", consumed, ok, headers)
	}
	m, err := Resolve(headers, nil)
	if err != nil {
		t.Fatal(err)
	}
	for f, col := range map[string]int{DossierCode: 1, ReceivedAt: 2, DueAt: 3, CompletedAt: 4, Status: 5} {
		if m.Columns[f] != col {
			t.Errorf("%s at %d, want %d (headers %q)", f, m.Columns[f], col, headers)
		}
	}
}

func TestResolvePrefersEarlierAliasAndOverrides(t *testing.T) {
	m, err := Resolve([]string{"Mã hồ sơ quốc gia", "Mã hồ sơ", "Ngày nhận", "Ngày tiếp nhận"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Columns[DossierCode] != 1 || m.Columns[ReceivedAt] != 3 {
		t.Fatalf("%v", m.Columns)
	}
	m, err = Resolve([]string{"Mã hồ sơ", "Ngày nhận", "Ngày tiếp nhận"}, map[string]string{ReceivedAt: "Ngày nhận"})
	if err != nil || m.Columns[ReceivedAt] != 1 {
		t.Fatalf("override: %v %v", m.Columns, err)
	}
	_, err = Resolve([]string{"A", "B"}, nil)
	var missing *MissingColumnError
	if !errors.As(err, &missing) || !strings.Contains(err.Error(), `"A", "B"`) {
		t.Fatalf("missing column error: %v", err)
	}
	if _, err := Resolve([]string{"Mã hồ sơ", "Ngày nhận"}, map[string]string{"recieved": "Ngày nhận"}); err == nil || !strings.Contains(err.Error(), "not a field") {
		t.Fatalf("unknown field: %v", err)
	}
}

func TestApplicantKey(t *testing.T) {
	h := NewHasher([]byte("k1"))
	a := h.ApplicantKey("037 123 456 789", "", "", "Nguyễn Văn A")
	b := h.ApplicantKey("037123456789", "0912", "", "khác")
	if a == "" || a != b {
		t.Fatalf("the same ID must give the same key: %q %q", a, b)
	}
	if h.ApplicantKey("", "+84 912 345 678", "", "") != h.ApplicantKey("", "0912345678", "", "") {
		t.Fatal("phone prefixes must fold")
	}
	if h.ApplicantKey("", "", "", "NGUYỄN  VĂN A") != h.ApplicantKey("", "", "", "nguyễn văn a") {
		t.Fatal("names must fold case and spaces")
	}
	if strings.Contains(a, "037123456789") || len(a) != 2*KeyBytes {
		t.Fatalf("key must be an opaque hex digest: %q", a)
	}
	if NewHasher([]byte("k2")).ApplicantKey("037123456789", "", "", "") == a {
		t.Fatal("another key must give another hash")
	}
	if h.ApplicantKey("", "", "", "") != "" {
		t.Fatal("no identity, no key")
	}
}

func FuzzFindHeader(f *testing.F) {
	f.Add("Mã hồ sơ|Ngày tiếp nhận\nX|01/01/2024")
	f.Add("a\n\nb|c|d\n(1)|(2)|(3)")
	f.Fuzz(func(t *testing.T, s string) {
		var rows [][]string
		for _, line := range strings.Split(s, "\n") {
			rows = append(rows, strings.Split(line, "|"))
		}
		headers, consumed, ok := FindHeader(rows)
		if ok && (consumed < 1 || consumed > len(rows) || len(headers) == 0) {
			t.Fatalf("consumed %d of %d", consumed, len(rows))
		}
		if ok {
			_, _ = Resolve(headers, nil)
		}
	})
}
