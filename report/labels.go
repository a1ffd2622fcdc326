package report

var vi = map[string]string{
	"sheet_form": "Biểu 06", "sheet_trend": "Xu hướng", "sheet_index": "Chỉ số 766", "sheet_anomalies": "Bất thường", "sheet_sources": "Nguồn dữ liệu",
	"issuer": "ỦY BAN NHÂN DÂN", "form_no": "Biểu số 06 (TT 01/2020/TT-VPCP)",
	"form_title": "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
	"period":     "Kỳ báo cáo: từ ngày %s đến ngày %s",
	"as_of":      "Kỳ báo cáo chưa kết thúc: số liệu tính đến hết ngày %s",
	"no":         "STT", "unit": "Đơn vị", "unit_code": "Mã đơn vị",
	"g_received": "Số hồ sơ nhận giải quyết", "total": "Tổng số", "carried_over": "Kỳ trước chuyển qua", "new": "Mới tiếp nhận",
	"online": "Trực tuyến", "direct": "Trực tiếp", "postal": "Dịch vụ BCCI",
	"g_resolved": "Số hồ sơ đã giải quyết", "early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn",
	"withdrawn": "Rút / dừng xử lý", "g_pending": "Số hồ sơ đang giải quyết", "in_time": "Trong hạn", "overdue": "Quá hạn",
	"rate": "Tỷ lệ đúng hạn (%)", "grand_total": "Tổng cộng", "month": "Tháng",
	"received_total": "Tổng tiếp nhận", "resolved_total": "Đã giải quyết", "pending_total": "Đang giải quyết",
	"progress": "Tiến độ (%)", "online_share": "Tỷ lệ trực tuyến (%)", "payment_share": "Thanh toán trực tuyến (%)",
	"digitisation": "Số hóa (%)", "points": "Điểm", "points_possible": "Điểm tối đa tính được", "index_note": "Thành phần không tính được",
	"reason": "Lý do", "source": "Nguồn", "freshness": "Độ mới", "last_new_data": "Dữ liệu mới gần nhất", "last_status": "Lần chạy cuối", "last_error": "Lỗi",
	"title":        "Báo cáo tình hình giải quyết hồ sơ",
	"subtitle":     "Tháng %s · lập lúc %s",
	"kpi_received": "Hồ sơ tiếp nhận", "kpi_resolved": "Đã giải quyết", "kpi_rate": "Tỷ lệ đúng hạn", "kpi_overdue": "Đang quá hạn",
	"kpi_online":    "Nộp trực tuyến",
	"chart_rate":    "Tỷ lệ đúng hạn 13 tháng qua (%)",
	"chart_channel": "Hồ sơ mới theo kênh",
	"chart_rank":    "Xếp hạng tỷ lệ đúng hạn tháng %s",
	"form_heading":  "Biểu 06: tình hình giải quyết hồ sơ tháng",
	"ytd_heading":   "Từ đầu năm",
	"anomalies":     "Bất thường cần xem", "no_anomalies": "Không có đơn vị nào ra khỏi mức thường thấy.", "anomalies_partial": "Tháng chưa kết thúc: bất thường chỉ xét trên tháng trọn vẹn.",
	"sources": "Nguồn dữ liệu", "stale": "chưa có dữ liệu mới",
	"index_heading": "Các thành phần Chỉ số phục vụ (QĐ 766) tính được từ hồ sơ",
	"footer":        "wardstat · số liệu tính theo quy tắc của Biểu 06 (TT 01/2020/TT-VPCP), theo ngày giờ Việt Nam",
}

var en = map[string]string{
	"sheet_form": "Form 06", "sheet_trend": "Trend", "sheet_index": "Index 766", "sheet_anomalies": "Anomalies", "sheet_sources": "Sources",
	"issuer": "PEOPLE'S COMMITTEE", "form_no": "Form 06 (Circular 01/2020/TT-VPCP)",
	"form_title": "ADMINISTRATIVE PROCEDURES HANDLED",
	"period":     "Period: %s to %s",
	"as_of":      "The period has not ended: figures as of %s",
	"no":         "No.", "unit": "Unit", "unit_code": "Unit code",
	"g_received": "Dossiers to handle", "total": "Total", "carried_over": "Carried over", "new": "New",
	"online": "Online", "direct": "Direct", "postal": "Postal",
	"g_resolved": "Resolved", "early": "Early", "on_time": "On time", "late": "Late",
	"withdrawn": "Withdrawn / stopped", "g_pending": "Pending", "in_time": "In time", "overdue": "Overdue",
	"rate": "On-time rate (%)", "grand_total": "Total", "month": "Month",
	"received_total": "Received", "resolved_total": "Resolved", "pending_total": "Pending",
	"progress": "Progress (%)", "online_share": "Online share (%)", "payment_share": "Paid online (%)",
	"digitisation": "Digitised (%)", "points": "Points", "points_possible": "Points computable", "index_note": "Parts not computable",
	"reason": "Reason", "source": "Source", "freshness": "Freshness", "last_new_data": "Last new data", "last_status": "Last run", "last_error": "Error",
	"title":        "Dossier report",
	"subtitle":     "Month %s · made %s",
	"kpi_received": "Received", "kpi_resolved": "Resolved", "kpi_rate": "On-time rate", "kpi_overdue": "Overdue now",
	"kpi_online":    "Filed online",
	"chart_rate":    "On-time rate, last 13 months (%)",
	"chart_channel": "New dossiers by channel",
	"chart_rank":    "On-time rate by ward, %s",
	"form_heading":  "Form 06: the month",
	"ytd_heading":   "Year to date",
	"anomalies":     "Anomalies to look at", "no_anomalies": "No ward left its usual range.", "anomalies_partial": "The month has not ended: anomalies are judged on whole months only.",
	"sources": "Data sources", "stale": "no new data",
	"index_heading": "National service index (Decision 766) parts computable from dossiers",
	"footer":        "wardstat · figures by the rules of Form 06 (Circular 01/2020/TT-VPCP), in Vietnam time",
}

func labels(lang string) map[string]string {
	if lang == "en" {
		return en
	}
	return vi
}
