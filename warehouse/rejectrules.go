package warehouse

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"wardstat/transform"
)

// RejectRule is one reason a load rejects a row: its code (stored in
// reject_rows), the field whose file column it names, its tests, and its
// words in Vietnamese and English. RejectRules is their one home: the check
// step's CASE (RejectCode), the typing pass's "may be rejected" test
// (Suspect), the merge's CASEs (RejectColumn, RejectValue), the view
// reject_reasons (sql/models/15_rejects.sql) and the command line's reject
// lines and summaries (cmd/wardstat) are made from it.
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
	// Reason is the reason (vi, en), as the view reject_reasons and the
	// command line both say it. In it {value} is the file's value quoted,
	// {date} a date, {cells} and {columns} the counts of a row with more
	// cells than its header, {kib} the size limit of a line in KiB, and
	// {column} where a line names the file's column (the view rejects
	// leaves it out: it has a column of its own).
	Reason [2]string
	// When is the check step's test of a row (SQL over stage_checked's
	// columns, sql/load/15_check.sql), tried in the order of RejectRules
	// once the row's reader found no fault; "" for a reader's fault.
	When string
	// Value is the SQL of the value a reject keeps (sql/load/20_merge.sql):
	// a cell only through ws_mask, never in clear; "" none.
	Value string
	// Suspect is the typing pass's test that the rule may reject a row
	// (warehouse/stage_query.go), over stage_typed's columns as it stores
	// them (before the status rules: completed_in, withdrawn_in): a row
	// none of these tests holds for keeps no text and is never checked.
	// nil for an unreadable date, which is a cell the pass left unread.
	Suspect func(typedColumns) []string
}

// typedColumns are the columns the typing pass stores (true) or leaves out
// (false: the file has no such field).
type typedColumns map[string]bool

// coalesce is the stored columns among names as a coalesce argument list
// ("NULL" when none is).
func (c typedColumns) coalesce(names ...string) string { return presentOf(c, names...) }

// beforeReceived is the test of each stored date column among names being
// before the receipt date.
func (c typedColumns) beforeReceived(names ...string) []string {
	var out []string
	for _, n := range names {
		if c[n] {
			out = append(out, n+"::DATE < received_at::DATE")
		}
	}
	return out
}

func test(sql string) func(typedColumns) []string {
	return func(typedColumns) []string { return []string{sql} }
}

const (
	badDateLabelVI = "ngày không đọc được"
	badDateLabelEN = "unreadable dates"
	badDateVI      = "; hãy ghi dạng dd/mm/yyyy [HH:MM] hoặc yyyy-mm-dd"
	badDateEN      = "; write it as dd/mm/yyyy [HH:MM] or yyyy-mm-dd"
)

// badDate is the rule of an unreadable date in field f: its typed column
// (as typed, before the status rules) and its words from the field table.
func badDate(f transform.Field) RejectRule {
	vi, en := f.Label[0], f.Label[1]
	when := fmt.Sprintf("%s IS NULL AND %s_raw IS NOT NULL", f.Typed[0].Name, f.Name)
	if f.Name == transform.ReceivedAt {
		when = "received_at IS NULL" // missing_received took the empty ones
	}
	return RejectRule{Code: "bad_date:" + f.Name, Field: f.Name, FieldName: f.Label, When: when,
		Value: fmt.Sprintf("ws_mask(%s, %s_raw)", sqlString(f.Name), f.Name), Label: [2]string{badDateLabelVI, badDateLabelEN},
		Reason: [2]string{"không đọc được " + vi + " {value}{column}" + badDateVI, "unreadable " + en + " {value}{column}" + badDateEN}}
}

// badDates are the rules of the date fields of a field table, in their
// RejectOrder (those without one last, in table order).
func badDates(table []transform.Field) []RejectRule {
	var dates []transform.Field
	for _, f := range table {
		if f.Kind == transform.KindDate {
			dates = append(dates, f)
		}
	}
	slices.SortStableFunc(dates, func(a, b transform.Field) int {
		return cmp.Compare(cmp.Or(a.RejectOrder, len(table)+1), cmp.Or(b.RejectOrder, len(table)+1))
	})
	out := make([]RejectRule, len(dates))
	for i, f := range dates {
		out[i] = badDate(f)
	}
	return out
}

// RejectRules are every reject a load can write, in the order the check
// step tests them (sql/load/15_check.sql).
var RejectRules = rejectRules(transform.FieldTable)

// rejectRules are the rules of a field table: its unreadable dates
// between the missing receipt date and the unknown channel.
func rejectRules(table []transform.Field) []RejectRule {
	return slices.Concat(rowRules[:2], badDates(table), rowRules[2:], faultRules)
}

// rowRules are the rules of what a row says (but its dates' texts).
var rowRules = []RejectRule{
	{Code: "missing_code", When: "dossier_code IS NULL", Field: "dossier_code", Label: [2]string{"không có mã hồ sơ", "no dossier code"},
		Reason:  [2]string{"không có mã hồ sơ{column}", "no dossier code{column}"},
		Suspect: test("dossier_code IS NULL")},
	{Code: "missing_received", When: "received_at IS NULL AND received_at_raw IS NULL", Field: "received_at", Label: [2]string{"không có ngày tiếp nhận", "no receipt date"},
		Reason:  [2]string{"không có ngày tiếp nhận{column}", "no receipt date{column}"},
		Suspect: test("received_at IS NULL")},
	{Code: "bad_channel", When: "channel IS NULL", Value: "ws_mask('channel', channel_raw)", Field: "channel", Label: [2]string{"hình thức nộp không rõ", "unknown channels"},
		Reason: [2]string{"không rõ hình thức nộp {value}{column}; cần trực tuyến / trực tiếp / bưu chính hoặc 2 / 1 / 3",
			"unknown channel {value}{column}; expected online / direct / postal or 2 / 1 / 3"},
		Suspect: test("channel IS NULL")},
	{Code: "no_ward", When: "ward IS NULL", Value: "ws_mask('dossier_code', dossier_code)", Field: "dossier_code",
		Reason: [2]string{"không biết hồ sơ thuộc đơn vị nào (tệp không có cột đơn vị, mã hồ sơ không có tiền tố đơn vị); nạp lại với --ward MÃ",
			"cannot tell the ward (no unit column, no unit prefix in the dossier code); ingest with --ward CODE"},
		// The ward's name is read after the pass (fixUp): a row without a
		// code or a fallback may be one.
		Suspect: func(c typedColumns) []string {
			if c[transform.WardCode] {
				return []string{"coalesce(ward_code, ward_fallback) IS NULL"}
			}
			return []string{"ward_fallback IS NULL"}
		}},
	{Code: "closed_without_date", When: "(status IN (7, 8) AND withdrawn_at IS NULL) OR (status IN (9, 10) AND completed_at IS NULL)", Value: "status_text", Field: "status", Label: [2]string{"đã kết thúc mà không có ngày", "closed without a date"},
		Reason: [2]string{"trạng thái {value}{column} cho biết hồ sơ đã kết thúc nhưng dòng không có ngày có kết quả / ngày trả / ngày rút, nên không kỳ nào tính được; hãy xuất kèm ngày đó, hoặc chỉ cột bằng --map completed_at=… / --map withdrawn_at=…",
			"the status {value}{column} says the dossier is closed but the row has no completion, return or withdrawal date, so no period can count it; export that date, or name its column with --map completed_at=… / --map withdrawn_at=…"},
		// As the status rules will settle the dates (15_check.sql).
		Suspect: func(c typedColumns) []string {
			if !c[transform.Status] {
				return nil
			}
			return []string{fmt.Sprintf("(status IN (7, 8) AND coalesce(%s) IS NULL)", c.coalesce("withdrawn_in", "completed_in", "returned_at")),
				fmt.Sprintf("(status IN (9, 10) AND coalesce(%s) IS NULL)", c.coalesce("completed_in", "returned_at"))}
		}},
	{Code: "completed_before_received", When: "completed_at::DATE < received_at::DATE", Value: "strftime(completed_at, '%d/%m/%Y')", Field: "completed_at",
		Reason: [2]string{"ngày có kết quả {date}{column} trước ngày tiếp nhận", "completed on {date}, before it was received{column}"},
		// A returned result is a completed one (the status rules).
		Suspect: func(c typedColumns) []string { return c.beforeReceived("completed_in", "returned_at") }},
	{Code: "withdrawn_before_received", When: "withdrawn_at::DATE < received_at::DATE", Value: "strftime(withdrawn_at, '%d/%m/%Y')", Field: "withdrawn_at",
		Reason:  [2]string{"ngày rút/dừng {date}{column} trước ngày tiếp nhận", "withdrawn on {date}, before it was received{column}"},
		Suspect: func(c typedColumns) []string { return c.beforeReceived("withdrawn_in") }},
	{Code: "due_before_received", When: "due_at::DATE < received_at::DATE", Value: "strftime(due_at, '%d/%m/%Y')", Field: "due_at",
		Reason:  [2]string{"ngày hẹn trả {date}{column} trước ngày tiếp nhận", "due on {date}, before it was received{column}"},
		Suspect: func(c typedColumns) []string { return c.beforeReceived("due_at") }},
}

// faultTest is the test of a row its reader could not read as written
// (transform.RowFault): the check step's first, and one the typing pass
// keeps the text of.
const faultTest = "row_fault IS NOT NULL"

// faultRules are the faults of a row its reader could not read as written
// (ingest.Fault*): the check step passes them on (faultTest).
var faultRules = []RejectRule{
	{Code: "unclosed_quote",
		Reason: [2]string{"ngoặc kép không đóng: một ô mở dấu \" ở dòng này mà không đóng trong vài dòng (hoặc có dấu \" lạc trong ô); dòng này không được đọc, các dòng sau vẫn được đọc; hãy sửa dấu ngoặc kép",
			"unclosed quote: a cell opens a quote (\") on this line that does not close within a few lines (or holds a stray quote); this line was not read, the lines after it were; fix its quotes"}},
	{Code: "too_long", Label: [2]string{"dòng quá dài", "lines too long"},
		Reason: [2]string{"dòng (hoặc một ô của dòng) dài quá {kib} KiB: không được đọc, các dòng sau vẫn được đọc",
			"the line (or one of its cells) is over {kib} KiB: it was not read, the lines after it were"}},
	{Code: "extra_cells", Value: "split_part(row_fault, ':', 2) || '/' || split_part(row_fault, ':', 3)", // counts, never a cell
		Reason: [2]string{"dòng có {cells} ô, nhiều hơn {columns} cột của dòng tiêu đề: có lẽ một ô chứa dấu phân cách mà không đặt trong ngoặc kép (họ tên, địa chỉ có dấu phẩy); dòng này không được đọc, các dòng sau vẫn được đọc; hãy đặt ô đó trong ngoặc kép",
			"the row has {cells} cells, more than the {columns} columns of the header: a cell probably holds the delimiter unquoted (a name or an address with a comma); this line was not read, the lines after it were; quote that cell"}},
	{Code: "missing_cells", Value: "split_part(row_fault, ':', 2) || '/' || split_part(row_fault, ':', 3)", // counts, never a cell
		Reason: [2]string{"dòng có {cells} ô, ít hơn {columns} cột của dòng tiêu đề: có lẽ một ô bị bỏ sót và các ô sau nó lệch sang cột khác; dòng này không được đọc, các dòng sau vẫn được đọc; hãy thêm ô trống còn thiếu",
			"the row has {cells} cells, fewer than the {columns} columns of the header: a cell was probably left out and the cells after it slid into other columns; this line was not read, the lines after it were; add the missing empty cell"}},
	{Code: "bad_encoding", Label: [2]string{"sai mã hoá", "not UTF-8"},
		Reason: [2]string{"dòng có byte không đúng mã hoá UTF-8 của tệp: không được đọc; hãy sửa các ký tự đó hoặc lưu lại tệp dạng UTF-8",
			"the row holds bytes that are not UTF-8, the file's encoding: it was not read; fix those characters or save the file again as UTF-8"}},
}

// RecordLimitKiB is the size limit of a line or record a reader reads, in
// KiB ({kib} in a reason; ingest.MaxRecordBytes, MaxCSVLineBytes).
const RecordLimitKiB = (MaxCSVLineBytes - 64) >> 10

// suspectTests is the typing pass's test that a row may be rejected, from
// RejectRules, over the columns stage_typed stores.
func suspectTests(c typedColumns) []string {
	out := []string{faultTest}
	for _, r := range RejectRules {
		if r.Suspect != nil {
			out = append(out, r.Suspect(c)...)
		}
	}
	return out
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
	return fillPlaceholders(r.Reason[lang], values)
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
	b.WriteString("WHEN " + faultTest + " THEN split_part(row_fault, ':', 1)")
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
// RejectRules: (reason_code, reason_vi, reason_en), {column} left out and
// {kib} filled in.
func rejectReasonsValues() string {
	rows := make([]string, len(RejectRules))
	for i, r := range RejectRules {
		fixed := strings.NewReplacer("{column}", "", "{kib}", fmt.Sprint(RecordLimitKiB))
		vi := fixed.Replace(r.Reason[0])
		en := fixed.Replace(r.Reason[1])
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
