package warehouse

import (
	"fmt"
	"strings"
)

// RejectRule is one reason a load rejects a row: its code (stored in
// reject_rows), the field whose file column it names, and its words in
// Vietnamese and English. RejectRules is their one home: the view
// reject_reasons is made from it (sql/models/15_rejects.sql), and the
// command line's reject lines and summaries read it (cmd/wardstat).
type RejectRule struct {
	// Code is stored in reject_rows.reason_code; bad_date:<field> for a
	// date field, the reader's fault (ingest.Fault*) for a row read badly.
	Code string
	// Field is the canonical field whose file column the reject names ("":
	// none).
	Field string
	// FieldName is the field's name in words (vi, en), for an unreadable
	// date.
	FieldName [2]string
	// Label is the reason in a few words (vi, en), for a load whose rows
	// were all rejected; "" when the code has none of its own.
	Label [2]string
	// Reason is the reason in full (vi, en). In it {value} is the file's
	// value quoted, {date} a date, {cells} and {columns} the counts of a
	// row with more cells than its header, and {column} where a line
	// names the file's column (the view rejects leaves it out: it has a
	// column of its own).
	Reason [2]string
	// When is the check step's test of a row (SQL over stage_checked's
	// columns, sql/load/15_check.sql), tried in the order of RejectRules
	// once the row's reader found no fault; "" for a reader's fault.
	When string
	// Value is the SQL of the value a reject keeps (sql/load/20_merge.sql):
	// a cell only through ws_mask, never in clear; "" none.
	Value string
	// Line, when set, is the command line's wording (vi, en), which says
	// the same more briefly or in its own terms (the size limit in KiB:
	// {kib}); else the command line says Reason.
	Line [2]string
}

const (
	badDateLabelVI = "ngày không đọc được"
	badDateLabelEN = "unreadable dates"
	badDateVI      = "; hãy ghi dạng dd/mm/yyyy [HH:MM] hoặc yyyy-mm-dd"
	badDateEN      = "; write it as dd/mm/yyyy [HH:MM] or yyyy-mm-dd"
)

// badDate is the rule of an unreadable date in field f, named (vi, en).
func badDate(f, vi, en string) RejectRule {
	typed := f
	switch f {
	case "completed_at", "withdrawn_at":
		typed = strings.TrimSuffix(f, "_at") + "_in" // as typed, before the status rules
	}
	when := fmt.Sprintf("%s IS NULL AND %s_raw IS NOT NULL", typed, f)
	if f == "received_at" {
		when = "received_at IS NULL" // missing_received took the empty ones
	}
	return RejectRule{Code: "bad_date:" + f, Field: f, FieldName: [2]string{vi, en}, When: when,
		Value: fmt.Sprintf("ws_mask(%s, %s_raw)", sqlString(f), f), Label: [2]string{badDateLabelVI, badDateLabelEN},
		Reason: [2]string{"không đọc được " + vi + " {value}{column}" + badDateVI, "unreadable " + en + " {value}{column}" + badDateEN}}
}

// RejectRules are every reject a load can write, in the order the check
// step tests them (sql/load/15_check.sql).
var RejectRules = []RejectRule{
	{Code: "missing_code", When: "dossier_code IS NULL", Field: "dossier_code", Label: [2]string{"không có mã hồ sơ", "no dossier code"},
		Reason: [2]string{"không có mã hồ sơ: không phân biệt được dòng này với các dòng khác", "no dossier code: the row cannot be told apart from others"},
		Line:   [2]string{"không có mã hồ sơ{column}", "no dossier code{column}"}},
	{Code: "missing_received", When: "received_at IS NULL AND received_at_raw IS NULL", Field: "received_at", Label: [2]string{"không có ngày tiếp nhận", "no receipt date"},
		Reason: [2]string{"không có ngày tiếp nhận: không xếp được dòng vào kỳ nào", "no receipt date: the row cannot be placed in any period"},
		Line:   [2]string{"không có ngày tiếp nhận{column}", "no receipt date{column}"}},
	badDate("received_at", "ngày tiếp nhận", "receipt date"),
	badDate("due_at", "ngày hẹn trả", "due date"),
	badDate("completed_at", "ngày có kết quả", "completion date"),
	badDate("withdrawn_at", "ngày rút/dừng", "withdrawal date"),
	badDate("returned_at", "ngày trả kết quả", "return date"),
	badDate("submitted_at", "ngày nộp", "submission date"),
	badDate("supplement_requested_at", "ngày yêu cầu bổ sung", "supplement request date"),
	badDate("supplement_received_at", "ngày nhận bổ sung", "supplement date"),
	{Code: "bad_channel", When: "channel IS NULL", Value: "ws_mask('channel', channel_raw)", Field: "channel", Label: [2]string{"hình thức nộp không rõ", "unknown channels"},
		Reason: [2]string{"không rõ hình thức nộp {value}{column}; cần trực tuyến / trực tiếp / bưu chính hoặc 2 / 1 / 3",
			"unknown channel {value}{column}; expected online / direct / postal (trực tuyến / trực tiếp / bưu chính) or 2 / 1 / 3"},
		Line: [2]string{"", "unknown channel {value}{column}; expected online / direct / postal or 2 / 1 / 3"}},
	{Code: "no_ward", When: "ward IS NULL", Value: "ws_mask('dossier_code', dossier_code)", Field: "dossier_code",
		Reason: [2]string{"không biết hồ sơ thuộc đơn vị nào: tệp không có cột đơn vị và mã hồ sơ không có tiền tố đơn vị; hãy nạp lại với --ward MÃ",
			"cannot tell the ward: the file has no unit column and the dossier code has no unit prefix; ingest it with --ward CODE"},
		Line: [2]string{"không biết hồ sơ thuộc đơn vị nào (tệp không có cột đơn vị, mã hồ sơ không có tiền tố đơn vị); nạp lại với --ward MÃ",
			"cannot tell the ward (no unit column, no unit prefix in the dossier code); ingest with --ward CODE"}},
	{Code: "closed_without_date", When: "(status IN (7, 8) AND withdrawn_at IS NULL) OR (status IN (9, 10) AND completed_at IS NULL)", Value: "status_text", Field: "status", Label: [2]string{"đã kết thúc mà không có ngày", "closed without a date"},
		Reason: [2]string{"trạng thái {value}{column} cho biết hồ sơ đã kết thúc nhưng dòng không có ngày có kết quả, ngày trả hay ngày rút, nên không kỳ nào tính được; hãy xuất kèm ngày đó, hoặc chỉ cột bằng --map completed_at=... / --map withdrawn_at=...",
			"the status {value}{column} says the dossier is closed but the row has no completion, return or withdrawal date, so no period can count it; export that date, or name its column with --map completed_at=... / --map withdrawn_at=..."},
		Line: [2]string{"trạng thái {value}{column} cho biết hồ sơ đã kết thúc nhưng dòng không có ngày có kết quả / ngày trả / ngày rút, nên không kỳ nào tính được; hãy xuất kèm ngày đó, hoặc chỉ cột bằng --map completed_at=… / --map withdrawn_at=…",
			"the status {value}{column} says the dossier is closed but the row has no completion, return or withdrawal date, so no period can count it; export that date, or name its column with --map completed_at=… / --map withdrawn_at=…"}},
	{Code: "completed_before_received", When: "completed_at::DATE < received_at::DATE", Value: "strftime(completed_at, '%d/%m/%Y')", Field: "completed_at",
		Reason: [2]string{"ngày có kết quả {date}{column} trước ngày tiếp nhận", "completed on {date}, before it was received{column}"}},
	{Code: "withdrawn_before_received", When: "withdrawn_at::DATE < received_at::DATE", Value: "strftime(withdrawn_at, '%d/%m/%Y')", Field: "withdrawn_at",
		Reason: [2]string{"ngày rút/dừng {date}{column} trước ngày tiếp nhận", "withdrawn on {date}, before it was received{column}"}},
	{Code: "due_before_received", When: "due_at::DATE < received_at::DATE", Value: "strftime(due_at, '%d/%m/%Y')", Field: "due_at",
		Reason: [2]string{"ngày hẹn trả {date}{column} trước ngày tiếp nhận", "due on {date}, before it was received{column}"}},
	// The faults of a row its reader could not read as written
	// (ingest.Fault*): the check step passes them on.
	{Code: "unclosed_quote",
		Reason: [2]string{"ngoặc kép không đóng: một ô mở dấu \" ở dòng này mà không đóng trong vài dòng (hoặc có dấu \" lạc trong ô); dòng này không được đọc, các dòng sau vẫn được đọc; hãy sửa dấu ngoặc kép",
			"unclosed quote: a cell opens a quote on this line that does not close within a few lines (or holds a stray quote); this line was not read, the lines after it were; fix its quotes"},
		Line: [2]string{"", "unclosed quote: a cell opens a quote (\") on this line that does not close within a few lines (or holds a stray quote); this line was not read, the lines after it were; fix its quotes"}},
	{Code: "too_long", Label: [2]string{"dòng quá dài", "lines too long"},
		Reason: [2]string{"dòng (hoặc một ô của dòng) quá giới hạn kích thước: không được đọc, các dòng sau vẫn được đọc",
			"the line (or one of its cells) is over the size limit: it was not read, the lines after it were"},
		Line: [2]string{"dòng (hoặc một ô của dòng) dài quá {kib} KiB: không được đọc, các dòng sau vẫn được đọc",
			"the line (or one of its cells) is over {kib} KiB: it was not read, the lines after it were"}},
	{Code: "extra_cells", Value: "split_part(row_fault, ':', 2) || '/' || split_part(row_fault, ':', 3)", // counts, never a cell
		Reason: [2]string{"dòng có {cells} ô, nhiều hơn {columns} cột của dòng tiêu đề: có lẽ một ô chứa dấu phân cách mà không đặt trong ngoặc kép (họ tên, địa chỉ có dấu phẩy); dòng này không được đọc, các dòng sau vẫn được đọc; hãy đặt ô đó trong ngoặc kép",
			"the row has {cells} cells, more than the {columns} columns of the header: a cell probably holds the delimiter unquoted (a name or an address with a comma); this line was not read, the lines after it were; quote that cell"}},
	{Code: "bad_encoding", Label: [2]string{"sai mã hoá", "not UTF-8"},
		Reason: [2]string{"dòng có byte không đúng mã hoá UTF-8 của tệp: không được đọc; hãy sửa các ký tự đó hoặc lưu lại tệp dạng UTF-8",
			"the row holds bytes that are not UTF-8, the file's encoding: it was not read; fix those characters or save the file again as UTF-8"}},
}

// RejectRuleOf is the rule of a reject code.
func RejectRuleOf(code string) (RejectRule, bool) {
	for _, r := range RejectRules {
		if r.Code == code {
			return r, true
		}
	}
	return RejectRule{}, false
}

// RejectLabel is the few words (vi, en) of a reject code, or of the family
// of codes before its ':' (bad_date); false when it has none.
func RejectLabel(code string) ([2]string, bool) {
	for _, r := range RejectRules {
		if family, _, _ := strings.Cut(r.Code, ":"); (r.Code == code || family == code) && r.Label[0] != "" {
			return r.Label, true
		}
	}
	return [2]string{}, false
}

// Text is the rule's line in a language (0 vi, 1 en) with its placeholders
// replaced by values; a placeholder without one is left out.
func (r RejectRule) Text(lang int, values map[string]string) string {
	t := r.Line[lang]
	if t == "" {
		t = r.Reason[lang]
	}
	return fillPlaceholders(t, values)
}

func fillPlaceholders(t string, values map[string]string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(t, '{')
		j := strings.IndexByte(t[max(i, 0):], '}')
		if i < 0 || j < 0 {
			b.WriteString(t)
			return b.String()
		}
		b.WriteString(t[:i])
		b.WriteString(values[t[i+1:i+j]])
		t = t[i+j+1:]
	}
}

// RejectCode is the check step's CASE arms giving a row's reject code
// (sql/load/15_check.sql): a reader's fault first (its code before the
// ':' of "extra_cells:<cells>:<columns>"), then each rule's test in order.
func (loadTemplate) RejectCode() string {
	var b strings.Builder
	b.WriteString("WHEN row_fault IS NOT NULL THEN split_part(row_fault, ':', 1)")
	for _, r := range RejectRules {
		if r.When != "" {
			fmt.Fprintf(&b, "\n        WHEN %s THEN %s", r.When, sqlString(r.Code))
		}
	}
	return b.String()
}

// RejectColumn is the CASE giving a reject's column: the file's header of
// its rule's field (sql/load/20_merge.sql).
func (t loadTemplate) RejectColumn() string {
	return t.rejectCase(func(r RejectRule) string {
		if r.Field == "" {
			return ""
		}
		return t.Header(r.Field)
	})
}

// RejectValue is the CASE giving the value a reject keeps (Value).
func (t loadTemplate) RejectValue() string {
	return t.rejectCase(func(r RejectRule) string { return r.Value })
}

func (loadTemplate) rejectCase(then func(RejectRule) string) string {
	var b strings.Builder
	b.WriteString("CASE reject_code")
	for _, r := range RejectRules {
		if v := then(r); v != "" {
			fmt.Fprintf(&b, "\n        WHEN %s THEN %s", sqlString(r.Code), v)
		}
	}
	b.WriteString("\n    END")
	return b.String()
}

// rejectReasonsValues are the rows of the view reject_reasons, made from
// RejectRules: (reason_code, reason_vi, reason_en), {column} left out.
func rejectReasonsValues() string {
	rows := make([]string, len(RejectRules))
	for i, r := range RejectRules {
		vi := strings.ReplaceAll(r.Reason[0], "{column}", "")
		en := strings.ReplaceAll(r.Reason[1], "{column}", "")
		rows[i] = "(" + sqlString(r.Code) + ", " + sqlString(vi) + ", " + sqlString(en) + ")"
	}
	return strings.Join(rows, ",\n    ")
}

// rejectReasonsMark is where sql/models/15_rejects.sql takes the rows of
// reject_reasons (rejectReasonsValues).
const rejectReasonsMark = "/* RejectRules */"

// modelText is a model's SQL as it runs: the reject rules put in.
func modelText(text string) string {
	return strings.Replace(text, rejectReasonsMark, rejectReasonsValues(), 1)
}
