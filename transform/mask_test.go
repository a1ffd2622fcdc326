package transform

import (
	"regexp"
	"strings"
	"testing"
)

// TestMaskCellKeepsOnlyWhatIsShapedLikeItsField: the clerk's values stay
// readable, and every personal text that slides into a column is masked.
func TestMaskCellKeepsOnlyWhatIsShapedLikeItsField(t *testing.T) {
	kept := []struct{ field, text string }{
		{ReceivedAt, "31/02/2025"}, {ReceivedAt, "2024-13-45"}, {DueAt, "15/03/2024 08:30"},
		{CompletedAt, "08h30 15/03/2024"}, {CompletedAt, "2024-03-15T08:30:00+07:00"}, {ReceivedAt, "45366.5"},
		{ReceivedAt, "ngày 15 tháng 3 năm 2024"}, {ReceivedAt, "15/03/2024 08:30:00.000 SA"}, {ReceivedAt, "20240315083000"},
		{Channel, "Fax"}, {Channel, "BCCI"}, {Channel, "2"}, {Channel, "Trực tuyến (toàn trình)"}, {Channel, "mức độ 4"},
		{Channel, "Ứng dụng VNeID"}, {Channel, "Nộp trực tiếp"}, {Channel, "Truc tuyen"}, {Status, "Đã trả kết quả"},
		{Status, "10"}, {Status, "Đang giải quyết"}, {Status, "Rút hồ sơ"}, {Status, "Hủy"}, {Status, "finished"},
		{Fee, "50.000"}, {Fee, "6.000 đ"}, {Fee, "Miễn phí"}, {Fee, "(1.000)"}, {Fee, "1e400"},
		{DossierCode, "000.31.09.H26-221021-0012"}, {DossierCode, "G09.20-20260609-0092637"}, {DossierCode, "HS001"},
		{ProcedureName, "Đăng ký khai sinh"}, {ProcedureName, "Chứng thực bản sao từ bản chính (Nghị định 23/2015/NĐ-CP)"},
		{Sector, "Hộ tịch"}, {WardName, "Phường An Bình"}, {ApologyIssued, "x"}, {PaidOnline, "Có"},
	}
	for _, c := range kept {
		if got := NewHasher([]byte("k")).MaskCell(c.field, c.text); got != c.text {
			t.Errorf("%s %q: masked as %q, want it kept", c.field, c.text, got)
		}
	}
	masked := []struct{ field, text string }{
		{ReceivedAt, "Nguyễn Văn An"}, {ReceivedAt, "001099012345"}, {ReceivedAt, "0912345678"}, {ReceivedAt, "0912 345 678"},
		{ReceivedAt, "an.nguyen@example.vn"}, {ReceivedAt, "12 Lê Lợi, Phường 1"},
		{Status, "001099012345"}, {Status, "Nguyễn Quang Huy"}, {Status, "Đỗ Thị Lý"}, {Status, "Đặng Huy"}, {Status, "Hồ Thu Lý"},
		{Channel, "an.nguyen@example.vn"}, {Channel, "Trần Thị Tuyến"}, {Channel, "Tài Tiệp"}, {Channel, "+84 912 345 678"},
		{Fee, "0912345678"}, {Fee, "001.099.012.345"}, {Fee, "Lê Văn Tám"},
		{DossierCode, "Nguyễn Văn An"}, {DossierCode, "001099012345"}, {DossierCode, "0912345678"}, {DossierCode, "a@b.vn"},
		{ProcedureName, "Nguyễn Văn An, 001099012345, 0912345678, 12 Lê Lợi"}, {ProcedureName, "gọi 0912.345.678"},
		{ProcedureName, "a,b,c,d"}, {ProcedureName, "Đăng ký\nNguyễn Văn An"}, {Sector, "x@y.vn"},
		{ApplicantName, "Hộ tịch"}, {ApplicantID, "1"}, {FirstCell, "Tổng"},
	}
	shape := regexp.MustCompile(`^‹(text|number|email) \d+ #[0-9a-f]{8}›$`)
	for _, c := range masked {
		got := NewHasher([]byte("k")).MaskCell(c.field, c.text)
		if !shape.MatchString(got) {
			t.Errorf("%s %q: kept as %q, want a mask", c.field, c.text, got)
		}
	}
	h := NewHasher([]byte("k"))
	if a, b := h.Mask("Nguyễn Văn An"), h.Mask("Nguyễn Văn An"); a != b || a != "‹text 13 #"+a[len("‹text 13 #"):] {
		t.Errorf("a mask is its kind, length and a stable hash: %q %q", a, b)
	}
	if NewHasher([]byte("other")).Mask("Nguyễn Văn An") == h.Mask("Nguyễn Văn An") {
		t.Error("the mask's hash must depend on the key")
	}
	if got := (*Hasher)(nil).Mask("0912345678"); got != "‹number 10›" {
		t.Errorf("without a key: %q", got)
	}
	if got := h.Mask("a@b.vn"); !strings.HasPrefix(got, "‹email 6 #") {
		t.Errorf("email kind: %q", got)
	}
}

func TestMaskHeaderCell(t *testing.T) {
	h := NewHasher([]byte("k"))
	for _, c := range []struct {
		cell     string
		inHeader bool
		kept     bool
	}{
		{"Mã hồ sơ", false, true}, {"Họ và tên", false, true}, {"Ngày tiếp nhận", false, true},
		{"Nguyễn Văn An", false, false}, {"001099012345", false, false}, {"Ghi chú", false, false},
		{"Ghi chú", true, true}, {"an@x.vn", true, false}, {"0912345678", true, false},
	} {
		got := h.MaskHeaderCell(c.cell, c.inHeader)
		if (got == c.cell) != c.kept {
			t.Errorf("%q (header row %v): %q", c.cell, c.inHeader, got)
		}
	}
}

// FuzzMaskCell: whatever the text and the field, MaskCell gives the text
// itself only when it is shaped like the field (never with an '@', never a
// personal field's), else a mask that holds nothing of the text.
func FuzzMaskCell(f *testing.F) {
	for _, s := range []string{"31/02/2025", "Nguyễn Văn An", "001099012345", "a@b.vn", "Trực tuyến", "0912 345 678", "50.000 đ", "H26-240301-0001", "Đỗ Thị Lý", "ngày 1 tháng 2 năm 2024", "\n", "‹text 3›"} {
		f.Add(ReceivedAt, s)
		f.Add(Status, s)
		f.Add(ProcedureName, s)
	}
	mask := regexp.MustCompile(`^‹(text|number|email) \d+ #[0-9a-f]{8}›$`)
	f.Fuzz(func(t *testing.T, field, text string) {
		h := NewHasher([]byte("fuzz"))
		got := h.MaskCell(field, text)
		if got == text {
			if text != "" && (strings.ContainsRune(text, '@') || IsPersonal(field) || !ShapedLike(field, text)) {
				t.Fatalf("%s %q kept", field, text)
			}
			return
		}
		if !mask.MatchString(got) {
			t.Fatalf("%s %q: %q is neither the text nor a mask", field, text, got)
		}
	})
}
