package transform

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// aliases is the header vocabulary: for each field, the names ward systems
// give its column, in Vietnamese with and without diacritics, in the national
// portal's sync vocabulary and in English. Order matters: when a file has two
// columns for one field, the one earlier in the list wins. Matching ignores
// case, diacritics, spaces and punctuation (see HeaderKey).
var aliases = map[string][]string{
	DossierCode: {
		"application code", "application id", "application number", "application no", "case code", "case number", "record id", "receipt number", "receipt no",
		"Mã hồ sơ", "Số hồ sơ", "Mã HS", "Số HS", "MaHoSo", "SoHoSo", "Mã số hồ sơ", "Số biên nhận",
		"Mã biên nhận", "Số phiếu", "Số phiếu tiếp nhận", "Số phiếu hẹn", "Mã hồ sơ một cửa",
		"Mã hồ sơ quốc gia", "Mã hồ sơ DVCQG", "dossier code", "dossier no", "dossier number",
		"dossier id", "dossier", "file code", "record code", "code", "nationCode", "ho so",
	},
	WardCode: {
		"commune code", "commune id", "Mã xã/phường", "Mã đơn vị hành chính", "administrative unit code",
		"Mã đơn vị", "Mã ĐV", "Mã định danh đơn vị", "Mã định danh", "Mã xã", "Mã phường",
		"Mã phường xã", "Mã xã phường", "Mã cơ quan", "Mã đơn vị xử lý", "Mã đơn vị tiếp nhận",
		"Mã ĐVHC", "MaDonVi", "MaCoQuan", "MaDonViXuLy", "unit code", "ward code", "unit id",
		"ward id", "agency code", "agency id", "org code", "organization code",
	},
	WardName: {
		"commune", "commune name", "Tên xã", "Tên phường", "Tên xã/phường", "Tên cơ quan", "Đơn vị giải quyết",
		"Đơn vị", "Tên đơn vị", "Phường/Xã", "Xã/Phường", "Phường", "Xã", "Cơ quan",
		"Cơ quan giải quyết", "Cơ quan thực hiện", "Đơn vị xử lý", "Đơn vị tiếp nhận", "DonViXuLy",
		"TenDonVi", "CoQuanChuTri", "ward", "ward name", "unit", "unit name", "agency", "agency name",
	},
	ProcedureCode: {
		"Mã thủ tục", "Mã TTHC", "MaTTHC", "Mã thủ tục hành chính", "Mã TT", "procedure code",
		"procedure id", "service code",
	},
	ProcedureName: {
		"Tên thủ tục", "Tên TTHC", "TenTTHC", "Thủ tục", "TTHC", "Thủ tục hành chính",
		"Tên thủ tục hành chính", "Tên dịch vụ công", "procedure", "procedure name", "service name",
		"service",
	},
	Sector: {
		"Lĩnh vực", "Tên lĩnh vực", "TenLinhVuc", "LinhVuc", "sector", "sector name", "field name",
		"Mã lĩnh vực", "MaLinhVuc", "sector code",
	},
	Channel: {
		"receive channel", "Hình thức tiếp nhận hồ sơ", "Loại hình nộp", "Cách thức nộp", "apply method", "applyMethod",
		"Hình thức nộp", "Hình thức nộp hồ sơ", "Hình thức tiếp nhận", "Kênh thực hiện", "Kênh nộp",
		"Kênh tiếp nhận", "Kênh", "KenhThucHien", "Nguồn hồ sơ", "Nơi nộp", "Hình thức", "Phương thức nộp",
		"channel", "submission channel", "apply method", "apply channel", "receiving channel",
		"source channel", "submission method",
	},
	OnlineLevel: {
		"Mức độ", "Mức độ DVC", "Mức độ dịch vụ", "Mức độ DVCTT", "Loại dịch vụ công", "Loại DVC",
		"Dịch vụ công trực tuyến", "DVC trực tuyến", "MucDo", "MucDoDVC", "online level",
		"service level", "level",
	},
	Status: {
		"Trạng thái", "Tình trạng", "Trạng thái hồ sơ", "Tình trạng hồ sơ", "Trạng thái xử lý",
		"Tình trạng xử lý", "TrangThai", "TrangThaiHoSo", "status", "state", "dossier status",
		"status name", "status code", "status label",
	},
	SubmittedAt: {
		"date submitted", "submission time", "created at", "created date", "Ngày tạo",
		"Ngày nộp", "Ngày nộp hồ sơ", "Thời gian nộp", "Thời điểm nộp", "Ngày đăng ký", "NgayNop",
		"NgayNopHoSo", "submitted at", "submitted", "submit date", "submission date", "submitted date",
		"applied date", "applied at", "filed at", "filing date",
	},
	ReceivedAt: {
		"date received", "reception date", "receiving date", "received on", "received time", "accepted on", "Ngày nhận HS", "Thời gian nhận",
		"Ngày tiếp nhận", "Ngày tiếp nhận hồ sơ", "Ngày nhận", "Ngày nhận hồ sơ", "Thời gian tiếp nhận",
		"Thời điểm tiếp nhận", "Ngày TN", "Ngày tiếp nhận HS", "Tiếp nhận", "NgayTiepNhan",
		"received at", "received", "received date", "receive date", "receipt date", "accepted at",
		"accepted date", "acceptance date", "intake date",
	},
	DueAt: {
		"date due", "due on", "due time", "deadline date", "Ngày phải trả", "Hạn trả KQ", "Thời hạn trả kết quả",
		"Ngày hẹn trả", "Ngày hẹn trả kết quả", "Hạn xử lý", "Hạn giải quyết", "Hạn trả",
		"Hạn trả kết quả", "Ngày hẹn", "Hẹn trả", "Thời hạn giải quyết", "Thời hạn xử lý",
		"Ngày hết hạn", "Hạn hoàn thành", "NgayHenTra", "HanXuLy", "HanGiaiQuyet", "due at", "due",
		"due date", "deadline", "appointment date", "appointment", "expected date",
	},
	CompletedAt: {
		"date completed", "completed on", "completion time", "finished on", "date resolved", "Ngày duyệt kết quả", "Ngày ký kết quả",
		"Ngày có kết quả", "Ngày kết thúc xử lý", "Ngày hoàn thành", "Ngày hoàn thành xử lý",
		"Ngày kết thúc", "Ngày xử lý xong", "Ngày giải quyết xong", "Ngày giải quyết",
		"Thời gian hoàn thành", "Thời điểm hoàn thành", "Ngày xong", "NgayKetThucXuLy",
		"NgayCoKetQua", "NgayHoanThanh", "completed at", "completed", "completion date",
		"completed date", "finished at", "finish date", "finished date", "resolved at",
		"resolved date", "result date", "end date",
	},
	ReturnedAt: {
		"date returned", "returned on", "Ngày trả thực tế", "Ngày giao kết quả",
		"Ngày trả kết quả", "Ngày trả", "Ngày trả KQ", "Ngày trả kết quả thực tế",
		"Thời gian trả kết quả", "Ngày trả hồ sơ", "NgayTra", "NgayTraKetQua", "returned at",
		"returned", "return date", "returned date", "delivered at", "delivery date",
	},
	WithdrawnAt: {
		"date withdrawn", "withdrawn on", "Ngày công dân rút",
		"Ngày rút", "Ngày rút hồ sơ", "Ngày dừng xử lý", "Ngày dừng", "Ngày hủy", "Ngày hủy hồ sơ",
		"Ngày từ chối", "NgayRut", "NgayRutHoSo", "NgayDungXuLy", "withdrawn at", "withdrawn",
		"withdrawal date", "withdrawn date", "cancelled at", "canceled at", "stopped at",
	},
	SupplementRequestedAt: {
		"Ngày yêu cầu bổ sung", "Ngày YCBS", "Ngày đề nghị bổ sung", "NgayYeuCauBoSung",
		"supplement requested at", "supplement request date", "supplement requested",
	},
	SupplementReceivedAt: {
		"Ngày nhận bổ sung", "Ngày bổ sung", "Ngày nộp bổ sung", "Ngày tiếp nhận bổ sung",
		"NgayBoSung", "NgayNhanBoSung", "supplement received at", "supplement date",
		"supplement received",
	},
	ApologyIssued: {
		"Thư xin lỗi", "Phiếu xin lỗi", "Có thư xin lỗi", "Văn bản xin lỗi", "Xin lỗi", "ThuXinLoi",
		"apology", "apology issued", "apology letter",
	},
	PaidOnline: {
		"Thanh toán trực tuyến", "Thanh toán online", "TT trực tuyến", "Đã thanh toán trực tuyến",
		"Thanh toán qua DVC", "ThanhToanTrucTuyen", "paid online", "online payment", "online paid",
	},
	Fee: {
		"Phí, lệ phí", "Phí lệ phí", "Lệ phí", "Phí", "Số tiền", "Tổng phí", "Số tiền phí",
		"LePhi", "PhiLePhi", "fee", "fees", "fee amount", "amount",
	},
	Digitised: {
		"Số hóa", "Đã số hóa", "Số hóa hồ sơ", "SoHoa", "digitised", "digitized", "is digitized",
		"is digitised",
	},
	ApplicantName: {
		"Chủ hồ sơ", "Người nộp", "Người nộp hồ sơ", "Họ tên", "Họ và tên", "Tên người nộp",
		"Họ tên người nộp", "Tên chủ hồ sơ", "Người đứng tên", "Người yêu cầu", "Công dân",
		"Tổ chức, cá nhân", "Tổ chức/cá nhân", "Tên tổ chức, cá nhân", "ChuHoSo", "TenNguoiNop",
		"applicant", "applicant name", "full name", "citizen name", "owner name", "owner",
	},
	ApplicantID: {
		"Số CCCD", "CCCD", "CMND", "Số CMND", "Số CMND/CCCD", "CMND/CCCD", "Số giấy tờ",
		"Số giấy tờ tùy thân", "Số định danh", "Số định danh cá nhân", "Mã định danh cá nhân",
		"SoCMND", "SoCCCD", "SoGiayTo", "SoGiayToChuHoSo", "SoDinhDanh", "id number",
		"identity number", "citizen id", "national id", "personal id", "identification",
	},
	ApplicantPhone: {
		"Số điện thoại", "Điện thoại", "SĐT", "ĐT", "Điện thoại liên hệ", "SoDienThoai",
		"phone", "phone number", "mobile", "tel", "telephone",
	},
	ApplicantEmail: {"Email", "Thư điện tử", "E-mail", "applicant email"},
	ApplicantAddr: {
		"Địa chỉ", "Địa chỉ thường trú", "Địa chỉ liên hệ", "Nơi cư trú", "DiaChi",
		"DiaChiThuongTru", "address", "applicant address",
	},
}

// aliasIndex maps a HeaderKey to its field and priority (lower wins).
var aliasIndex = func() map[string]fieldRank {
	idx := make(map[string]fieldRank)
	for field, names := range aliases {
		for i, name := range names {
			key := HeaderKey(name)
			if prev, ok := idx[key]; ok {
				if prev.field != field {
					panic("transform: alias " + name + " names both " + prev.field + " and " + field)
				}
				continue // the same name spelled again: keep its first rank
			}
			idx[key] = fieldRank{field: field, rank: i}
		}
		// The canonical name itself, in any case or punctuation, always matches.
		idx[HeaderKey(field)] = fieldRank{field: field, rank: -1}
	}
	return idx
}()

type fieldRank struct {
	field string
	rank  int
}

// HeaderKey folds a header for matching (Fold), keeping letters and digits
// only. "Ngày Tiếp Nhận", "ngay_tiep_nhan" and "NgayTiepNhan" all become
// "ngaytiepnhan".
func HeaderKey(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if f, ok := foldRune(r); ok && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(f)
		}
	}
	return b.String()
}

// MatchHeader returns the field a header names, or "" when it names none.
// A header that does not match as it is is tried again without a
// parenthesised note ("Ngày tiếp nhận (dd/mm/yyyy)") and without a trailing
// "hồ sơ" / "HS".
func MatchHeader(header string) (field string, rank int) {
	for _, candidate := range headerVariants(header) {
		if fr, ok := aliasIndex[HeaderKey(candidate)]; ok {
			return fr.field, fr.rank
		}
	}
	// An API's nested label or id: "applyMethod.name", "dossierStatus.id".
	// The parent names the field; a label is preferred over an id or code.
	if i := strings.LastIndex(header, "."); i > 0 {
		parent, last := header[:i], HeaderKey(header[i+1:])
		penalty := -1
		switch last {
		case "name", "ten", "label", "title", "text", "value", "description":
			penalty = 1000
		case "id", "code", "ma", "key":
			penalty = 2000
		}
		if penalty > 0 {
			if f, r := MatchHeader(parent); f != "" && f != DossierCode {
				return f, r + penalty
			}
		}
	}
	return "", 0
}

func headerVariants(h string) []string {
	out := []string{h}
	if i := strings.IndexAny(h, "(["); i > 0 {
		out = append(out, h[:i])
	}
	if i := strings.LastIndex(h, "."); i > 0 && i < len(h)-1 {
		// Nested JSON keys: "hoSo.ngayTiepNhan" -> "ngayTiepNhan"; but a bare
		// "code" or "name" says nothing without its parent.
		if last := HeaderKey(h[i+1:]); last != "code" && last != "name" && last != "id" && last != "ma" && last != "ten" {
			out = append(out, h[i+1:])
		}
	}
	key := HeaderKey(out[len(out)-1])
	for _, suffix := range []string{"hoso", "hs", "cuahoso"} {
		if strings.HasSuffix(key, suffix) && len(key) > len(suffix)+3 {
			out = append(out, key[:len(key)-len(suffix)])
		}
	}
	return out
}

// Fields lists every field the vocabulary knows, for help texts.
func Fields() []string {
	out := make([]string, 0, len(aliases))
	for _, f := range StagedFields {
		if f != ApplicantKey && f != FirstCell && f != RowFault {
			out = append(out, f)
		}
	}
	return append(out, ApplicantName, ApplicantID, ApplicantPhone, ApplicantEmail, ApplicantAddr)
}
