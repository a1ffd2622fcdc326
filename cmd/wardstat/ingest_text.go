package main

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"wardstat/ingest"
	"wardstat/pipeline"
	"wardstat/warehouse"
)

// catalogueText says that a file is a reference table, not an export, and
// how to import it.
func catalogueText(a *app, path string, c *ingest.Catalogue, named bool) string {
	what := map[string][2]string{
		"units":      {"danh mục đơn vị", "the unit registry"},
		"procedures": {"danh mục thủ tục", "the procedure catalogue"},
		"calendar":   {"lịch ngày làm việc", "the working-day calendar"},
	}[c.Kind]
	head := a.t("bỏ qua", "left out")
	if named {
		head = a.t("KHÔNG NẠP", "NOT LOADED")
	}
	return fmt.Sprintf(a.t("%s: tệp này là %s, không phải tệp xuất hồ sơ; nhập bằng: %s %s %s",
		"%s: this file is %s, not a dossier export; import it with: %s %s %s"), head, a.t(what[0], what[1]), a.self(), c.Command, path)
}

// nothingLoadedText is the line for a file read with every row rejected:
// what (nothing loaded), why (the commonest reason), what to run.
func nothingLoadedText(a *app, fr pipeline.FileResult, opt pipeline.FileOptions) string {
	r := fr.Result
	counts := map[string]int{}
	top := ""
	for _, rj := range r.Rejects {
		code, _, _ := strings.Cut(rj.Code, ":")
		if counts[code]++; top == "" || counts[code] > counts[top] {
			top = code
		}
	}
	head := fmt.Sprintf(a.t("KHÔNG NẠP ĐƯỢC GÌ: cả %d dòng đọc được đều bị loại", "NOTHING LOADED: all %d rows read were rejected"), r.Read)
	if top == "no_ward" && opt.Ward == "" {
		// The command to run: this one's options, with --ward.
		cmd := []string{a.self()}
		if db := a.dbPath; db != defaultDBPath() {
			cmd = append(cmd, "--db", shellQuote(db))
		}
		cmd = append(cmd, "ingest", "--ward", a.t("MÃ_ĐƠN_VỊ", "UNIT_CODE"))
		if f := strings.ToLower(opt.Format); f != "" && f != "auto" {
			cmd = append(cmd, "--format", f)
		}
		if fr.Sheet != "" {
			cmd = append(cmd, "--sheet", shellQuote(fr.Sheet))
		}
		fields := make([]string, 0, len(opt.Map))
		for k := range opt.Map {
			fields = append(fields, k)
		}
		sort.Strings(fields)
		for _, k := range fields {
			cmd = append(cmd, "--map", shellQuote(k+"="+opt.Map[k]))
		}
		cmd = append(cmd, shellQuote(strings.TrimSuffix(fr.Path, "#"+fr.Sheet)))
		return head + fmt.Sprintf(a.t(" (tệp không có cột đơn vị, mã hồ sơ không có tiền tố đơn vị); hãy nạp lại với mã đơn vị của tệp: %s",
			" (no unit column, no unit prefix in the dossier codes); load it again with the file's unit code: %s"), strings.Join(cmd, " "))
	}
	why := ""
	if l, ok := warehouse.RejectLabel(top); ok {
		why = " (" + a.t("phần lớn: ", "most: ") + a.t(l[0], l[1]) + ")"
	}
	return head + why + fmt.Sprintf(a.t("; sửa tệp hoặc chỉ cột bằng --map TRƯỜNG=CỘT rồi nạp lại (SELECT * FROM rejects WHERE load_id = %d)",
		"; fix the file, or name its columns with --map FIELD=COLUMN, and load it again (SELECT * FROM rejects WHERE load_id = %d)"), r.LoadID)
}

// shellQuote quotes a word for the shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r == '/' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func errorText(a *app, err error) string {
	if fe, ok := err.(*pipeline.FileError); ok {
		err = fe.Err
	}
	return errorLine(err, a.lang)
}

// progress returns a spinner with the load's step on a terminal, nil elsewhere.
func (a *app) progress(name string) *progressbar.ProgressBar {
	f, ok := a.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(a.stderr),
		progressbar.OptionSetDescription(name),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionSpinnerType(14),
	)
}

func printLoad(a *app, out io.Writer, fr pipeline.FileResult) { printLoadOf(a, out, fr, nil) }

// printLoadOf prints what became of one load; with a run, the wards
// missing from the registry are gathered for one note at the run's end.
func printLoadOf(a *app, out io.Writer, fr pipeline.FileResult, run *ingestRun) {
	r := fr.Result
	if p := r.AlreadyLoaded; p != nil {
		fmt.Fprintf(out, a.t("%s: đã nạp trước đây (lần nạp #%d, %s, %s); không có gì thay đổi (--reload để nạp lại)\n",
			"%s: already loaded (load #%d, %s, %s); nothing changed (--reload loads it again)\n"),
			fr.Path, p.LoadID, p.LoadedAt.Format("2006-01-02 15:04"), p.Path)
		return
	}
	fmt.Fprintf(out, a.t("%s [%s, lần nạp #%d]: đọc %d · nạp %d (mới %d, thay đổi %d) · loại %d",
		"%s [%s, load #%d]: read %d · loaded %d (new %d, changed %d) · rejected %d"),
		fr.Path, fr.Format, r.LoadID, r.Read, r.Loaded, r.New, r.Changed, r.Rejected)
	// Rows of dossiers stored in the same state are unchanged; only rows
	// the file holds twice are duplicates.
	if r.Unchanged > 0 {
		fmt.Fprintf(out, a.t(" · không đổi %d", " · unchanged %d"), r.Unchanged)
	}
	if r.Repeated > 0 {
		fmt.Fprintf(out, a.t(" · trùng %d", " · duplicate %d"), r.Repeated)
	}
	if n := r.Skipped - r.NotAccepted - int64(fr.Blank); n > 0 {
		fmt.Fprintf(out, a.t(" · bỏ qua %d dòng tiêu đề/tổng", " · skipped %d title/total rows"), n)
	}
	if fr.Blank > 0 {
		fmt.Fprintf(out, a.t(" · %d dòng trống", " · %d blank rows"), fr.Blank)
	}
	fmt.Fprintln(out)
	if len(r.Replaced) > 0 {
		ids := make([]string, len(r.Replaced))
		for i, id := range r.Replaced {
			ids[i] = "#" + strconv.FormatInt(id, 10)
		}
		gone := ""
		if r.Withdrawn > 0 {
			gone = fmt.Sprintf(a.t("; %s của lần đó không có trong lần này đã được bỏ khỏi kho", "; %s of that load that this one does not hold left the warehouse"), a.dossiers(r.Withdrawn))
		}
		fmt.Fprintf(out, "  %s: %s\n", a.t("lưu ý", "note"), fmt.Sprintf(a.t(
			"tệp này đã nạp trước đây (lần nạp %s): lần nạp này thay cho lần đó%s; không hồ sơ nào bị tính hai lần",
			"this file was loaded before (load %s): this load replaces it%s; no dossier is counted twice"),
			strings.Join(ids, ", "), gone))
	}
	for i, rj := range r.Rejects {
		if i == 5 {
			fmt.Fprintf(out, a.t("  … và %d dòng bị loại khác: SELECT * FROM rejects WHERE load_id = %d\n",
				"  … and %d more rejected rows: SELECT * FROM rejects WHERE load_id = %d\n"), r.Rejected-5, r.LoadID)
			break
		}
		fmt.Fprintf(out, "  %s %d: %s\n", a.t("dòng", "row"), rj.Row, rejectText(a, rj))
	}
	for _, d := range fr.DuplicateColumns {
		cols := make([]string, len(d.Columns))
		for i, c := range d.Columns {
			cols[i] = strconv.Itoa(c)
		}
		fmt.Fprintf(out, "  %s: %s\n", a.t("lưu ý", "note"), fmt.Sprintf(a.t(
			"cột %q có %d lần (cột thứ %s): đọc cột thứ %d, không đọc các cột kia; hãy kiểm tra tệp xuất",
			"the column %q appears %d times (columns %s): column %d is read, the others are not; check the export"),
			d.Header, len(d.Columns), strings.Join(cols, ", "), d.Columns[0]))
	}
	if r.NotAccepted > 0 {
		fmt.Fprintf(out, "  %s: %s\n", a.t("lưu ý", "note"), fmt.Sprintf(a.t(
			"%s chưa được tiếp nhận hoặc bị từ chối tiếp nhận (trạng thái 1, 3), không có ngày tiếp nhận: không tính vào biểu, như quy định",
			"%s not accepted yet or refused at intake (status 1, 3), without a receipt date: left out, as the form leaves them out"), a.dossiers(r.NotAccepted)))
	}
	// Many unknown wards (no registry imported yet) make one line, not one
	// each; in a run of several files, one line for the run (printUnknownWards).
	var unknown []warehouse.Warning
	for _, wn := range r.Warnings {
		if wn.Code == "unknown_ward" {
			unknown = append(unknown, wn)
		}
	}
	if run != nil {
		run.unknown = append(run.unknown, unknown...)
		unknown = nil
	}
	for _, wn := range r.Warnings {
		if wn.Code == "unknown_ward" && (run != nil || len(unknown) > 3) {
			continue
		}
		fmt.Fprintf(out, "  %s: %s\n", a.t("lưu ý", "note"), warningText(a, wn))
	}
	printUnknown(a, out, "  ", 3, unknown)
}

// printUnknownWards says once, at a run's end, which wards of its loads
// are missing from the unit registry.
func (a *app) printUnknownWards(out io.Writer, run *ingestRun) {
	byCode := map[string]int{}
	var merged []warehouse.Warning
	for _, wn := range run.unknown {
		if i, ok := byCode[wn.Example]; ok {
			merged[i].Count += wn.Count
			continue
		}
		byCode[wn.Example] = len(merged)
		merged = append(merged, wn)
	}
	if len(merged) == 1 {
		fmt.Fprintf(out, "%s: %s\n", a.t("lưu ý", "note"), warningText(a, merged[0]))
		return
	}
	printUnknown(a, out, "", 1, merged)
}

// printUnknown is one line for the wards missing from the unit registry,
// when there are more than over (fewer are said one by one).
func printUnknown(a *app, out io.Writer, indent string, over int, unknown []warehouse.Warning) {
	if len(unknown) > over {
		var n int64
		codes := make([]string, 0, 3)
		for i, wn := range unknown {
			n += wn.Count
			if i < 3 {
				codes = append(codes, quoted(wn.Example))
			}
		}
		more := ""
		if len(unknown) > 3 {
			more = "…"
		}
		fmt.Fprintf(out, "%s%s: %s\n", indent, a.t("lưu ý", "note"), fmt.Sprintf(a.t(
			"%d đơn vị (%s) chưa có trong danh mục đơn vị: %s%s; vẫn được thống kê, nhưng chưa có tên, huyện, tỉnh (%s units import)",
			"%d wards (%s) are not in the unit registry: %s%s; their figures count, but they have no name, district or province (%s units import)"),
			len(unknown), a.dossiers(n), strings.Join(codes, ", "), more, a.self()))
	}
}

// rejectText is a reject's line, in the words of its rule
// (warehouse.RejectRules) with the file's value and column in it.
func rejectText(a *app, r warehouse.Reject) string {
	col := ""
	if r.Column != "" {
		col = fmt.Sprintf(a.t(" (cột %q)", " (column %q)"), quoted(r.Column))
	}
	lang := 0
	if a.lang == "en" {
		lang = 1
	}
	rule, ok := warehouse.RejectRuleOf(r.Code)
	if !ok {
		return a.t(r.Reason, r.ReasonEN) + col
	}
	r.Value = quoted(r.Value)
	if strings.HasPrefix(r.Code, "bad_date:") {
		if y, out := yearOutOfRange(r.Value); out {
			l := rule.FieldName
			return fmt.Sprintf(a.t("năm %d của %s %q%s nằm ngoài các năm wardstat đọc (%d–%d); hãy kiểm tra năm",
				"the year %d of the %s %q%s is outside the years wardstat reads (%d–%d); check the year"), y, a.t(l[0], l[1]), r.Value, col, firstYear, lastYear)
		}
	}
	cells, columns, _ := strings.Cut(r.Value, "/") // extra_cells: "<cells>/<columns>"
	return rule.Text(lang, map[string]string{
		"value": fmt.Sprintf("%q", r.Value), "date": r.Value, "column": col,
		"cells": cells, "columns": columns, "kib": strconv.Itoa(ingest.MaxRecordBytes >> 10),
	})
}

// The years a date may have (ws_ts_in_range in sql/models/10_parse.sql
// gives NULL outside them, and the row is rejected as an unreadable date).
const firstYear, lastYear = 1990, 2100

var fourDigits = regexp.MustCompile(`(?:^|\D)(\d{4})(?:\D|$)`)

// yearOutOfRange finds a four-digit year in a date's text outside the
// years read: "01/03/9999" is a date, only its year is wrong.
func yearOutOfRange(v string) (int, bool) {
	if strings.Contains(v, "‹") {
		// A masked cell ("‹text 15 #0068ef1b›"): its digits are a length
		// and a hash, no year.
		return 0, false
	}
	for _, m := range fourDigits.FindAllStringSubmatch(v, -1) {
		if y, err := strconv.Atoi(m[1]); err == nil && (y < firstYear || y > lastYear) {
			return y, true
		}
	}
	return 0, false
}

// quoted is a file's cell as a message quotes it: at most 80 characters,
// a control character shown as U+FFFD (a binary file's cell printed 40 KB).
func quoted(s string) string {
	out := make([]rune, 0, min(len(s), 81))
	for _, r := range s {
		if len(out) == 80 {
			return string(out) + "…"
		}
		if r < 0x20 || r == 0x7f {
			r = '\uFFFD'
		}
		out = append(out, r)
	}
	return string(out)
}

func warningText(a *app, w warehouse.Warning) string {
	w.Example = quoted(w.Example)
	switch w.Code {
	case "unreadable_value":
		rows := make([]string, len(w.Rows))
		for i, r := range w.Rows {
			rows[i] = strconv.FormatInt(r, 10)
		}
		if int64(len(rows)) < w.Count {
			rows = append(rows, "…")
		}
		return fmt.Sprintf(a.t("%d ô của cột %q không đọc được (ví dụ %q; dòng %s), được để trống",
			"%d cells of column %q could not be read (e.g. %q; rows %s) and were left empty"), w.Count, w.Column, w.Example, strings.Join(rows, ", "))
	case "code_in_other_ward":
		return fmt.Sprintf(a.t("%s của tệp đã có trong kho dưới đơn vị khác (như %s): mã hồ sơ là duy nhất, nên cùng một hồ sơ đang bị đếm hai lần; nếu tệp từng được nạp với --ward sai, hãy xem SELECT ward_code, count(*) FROM dossiers GROUP BY ALL",
			"%s of this file are already stored under another ward (such as %s): a dossier code is unique, so the same dossier now counts twice; if the file was once loaded with a wrong --ward, see SELECT ward_code, count(*) FROM dossiers GROUP BY ALL"), a.dossiers(w.Count), w.Example)
	case "older_state":
		return fmt.Sprintf(a.t("%s trong tệp còn mở nhưng kho đã có kết quả hoặc đã rút: tệp này cũ hơn lần nạp trước, nên trạng thái đã kết thúc được giữ nguyên",
			"%s are open in this file but already completed or withdrawn in the warehouse: this file is older than an earlier load, so the closed state is kept"), a.dossiers(w.Count))
	case "no_due_date":
		return fmt.Sprintf(a.t("%d hồ sơ đã giải quyết không có ngày hẹn trả: được tính vào tổng đã giải quyết nhưng không vào trước/đúng/quá hạn",
			"%d resolved dossiers have no due date: they count as resolved but in none of early / on time / late"), w.Count)
	case "unknown_ward":
		return fmt.Sprintf(a.t("đơn vị %s (%s) chưa có trong danh mục đơn vị: vẫn được thống kê, nhưng chưa có tên, huyện, tỉnh (%s units import)",
			"ward %s (%s) is not in the unit registry: its figures count, but it has no name, district or province (%s units import)"), w.Example, a.dossiers(w.Count), a.self())
	}
	return fmt.Sprintf("%s %s %d %s", w.Code, w.Column, w.Count, w.Example)
}
