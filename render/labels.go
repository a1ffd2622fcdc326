package render

// labels are the table headers people read, by language. A column with no
// label shows its own name.
var labels = map[string]map[string]string{
	"vi": {
		"ward_code": "Mã đơn vị", "ward_name": "Tên đơn vị", "district": "Huyện", "province": "Tỉnh",
		"received_total": "Tổng tiếp nhận", "carried_over": "Kỳ trước chuyển qua",
		"new_online": "Mới: trực tuyến", "new_direct": "Mới: trực tiếp", "new_postal": "Mới: BCCI",
		"resolved_total": "Đã giải quyết", "resolved_early": "Trước hạn", "resolved_on_time": "Đúng hạn",
		"resolved_late": "Quá hạn", "withdrawn": "Rút/dừng", "pending_total": "Đang giải quyết",
		"pending_in_time": "Trong hạn", "pending_overdue": "Quá hạn (đang GQ)", "on_time_rate": "Tỷ lệ đúng hạn (%)",
		"month": "Tháng", "level": "Cấp", "name": "Tên",
		"period_start": "Từ ngày", "period_end": "Đến ngày", "check": "Kiểm tra", "form_column": "Cột",
		"reported": "Biểu báo", "expected": "Đúng ra", "difference": "Chênh", "note": "Ghi chú",
		"code": "Mã", "valid_from": "Hiệu lực từ", "valid_to": "Hiệu lực đến",
	},
	"en": {
		"ward_code": "Ward code", "ward_name": "Ward", "district": "District", "province": "Province",
		"received_total": "Received", "carried_over": "Carried over",
		"new_online": "New online", "new_direct": "New direct", "new_postal": "New postal",
		"resolved_total": "Resolved", "resolved_early": "Early", "resolved_on_time": "On time",
		"resolved_late": "Late", "withdrawn": "Withdrawn", "pending_total": "Pending",
		"pending_in_time": "In time", "pending_overdue": "Overdue", "on_time_rate": "On-time %",
		"month": "Month", "level": "Level", "name": "Name",
		"period_start": "From", "period_end": "To", "check": "Check", "form_column": "Column",
		"reported": "Reported", "expected": "Expected", "difference": "Difference", "note": "Note",
		"code": "Code", "valid_from": "Valid from", "valid_to": "Valid to",
	},
}

// Label returns a column's header in a language ("vi" or "en").
func Label(column, lang string) string {
	if l, ok := labels[lang][column]; ok {
		return l
	}
	return column
}
