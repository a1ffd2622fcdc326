package transform

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"wardstat/internal/msg"
)

// Mapping says which source column feeds which field.
type Mapping struct {
	// Headers are the file's column names, as combined from one or two header rows.
	Headers []string
	// Columns maps a field to its column index in Headers.
	Columns map[string]int
	// Unused lists the headers that feed no field (personal-looking ones included).
	Unused []string
}

// Column returns the source header of a field, or "".
func (m Mapping) Column(field string) string {
	if i, ok := m.Columns[field]; ok {
		return m.Headers[i]
	}
	return ""
}

// SourceMap returns source header -> field, for the load's lineage.
func (m Mapping) SourceMap() map[string]string {
	out := make(map[string]string, len(m.Columns))
	for f, i := range m.Columns {
		out[m.Headers[i]] = f
	}
	return out
}

// MissingColumnError says that a file lacks a column wardstat cannot do without.
type MissingColumnError struct {
	Field string
	Found []string
}

func (e *MissingColumnError) Error() string { return e.Text("en") }

// Text is the error in lang ("en", else Vietnamese), for msg.Render.
func (e *MissingColumnError) Text(lang string) string {
	found := make([]string, 0, len(e.Found))
	// Cells are quoted as they are only from a row that names two fields
	// (a header row, as FindHeader takes one); from another (the first
	// row, taken as the header when --map names the columns) only those
	// the vocabulary knows: the others may be an applicant's.
	inHeader := ScoreHeader(e.Found) >= 2
	var h *Hasher
	for _, c := range e.Found {
		if strings.TrimSpace(c) != "" {
			found = append(found, fmt.Sprintf("%q", h.MaskHeaderCell(c, inHeader)))
		}
	}
	if lang != "en" {
		var vi []string // the first two Vietnamese names of the field
		for _, a := range aliases[e.Field] {
			if len(vi) < 2 && strings.IndexFunc(a, func(r rune) bool { return r > 127 }) >= 0 {
				vi = append(vi, a)
			}
		}
		if len(vi) == 0 {
			vi = aliases[e.Field][:2]
		}
		return fmt.Sprintf("không có cột cho %s (%s); các cột tìm thấy là %s; "+
			"hãy chỉ cột chứa nó bằng --map %s=\"<cột>\"",
			e.Field, strings.Join(vi, " / "), strings.Join(found, ", "), e.Field)
	}
	return fmt.Sprintf("no column for %s (%s); the columns found are %s; "+
		"name the one that holds it with --map %s=\"<column>\"",
		e.Field, strings.Join(aliases[e.Field][:2], " / "), strings.Join(found, ", "), e.Field)
}

// RequiredFields must each have a column.
var RequiredFields = []string{DossierCode, ReceivedAt}

// Resolve maps headers to fields. overrides maps a field to a header the
// user named (--map field=header); it wins over the vocabulary. A header
// that names an unknown field or a missing column is an error.
func Resolve(headers []string, overrides map[string]string) (Mapping, error) {
	m := Mapping{Headers: headers, Columns: map[string]int{}}
	taken := map[int]bool{}
	for field, header := range overrides {
		if !knownField(field) {
			return m, msg.Errorf("--map %s=%q: %q không phải một trường; các trường là %s", "--map %s=%q: %q is not a field; fields are %s", field, header, field, strings.Join(Fields(), ", "))
		}
		i := indexOfHeader(headers, header)
		if i < 0 {
			return m, msg.Errorf("--map %s=%q: tệp không có cột %q", "--map %s=%q: the file has no column %q", field, header, header)
		}
		if pf, _ := MatchHeader(headers[i]); IsPersonal(pf) && !IsPersonal(field) {
			// The column holds applicants' identities, which are only ever
			// hashed: mapped onto a field kept as text, they were stored
			// in clear.
			return m, msg.Errorf("--map %s=%q: cột %q chứa dữ liệu cá nhân (%s), wardstat không lưu nó dạng chữ vào trường %s; hãy chọn cột khác cho %s",
				"--map %s=%q: the column %q holds personal data (%s), which wardstat never stores as text in the field %s; map another column to %s",
				field, header, header, pf, field, field)
		}
		m.Columns[field] = i
		taken[i] = true
	}
	best := map[string]int{}
	for i, h := range headers {
		if taken[i] || strings.TrimSpace(h) == "" {
			continue
		}
		field, rank := MatchHeader(h)
		if field == "" {
			continue
		}
		if _, overridden := overrides[field]; overridden {
			continue
		}
		if j, ok := m.Columns[field]; !ok || rank < best[field] {
			_ = j
			m.Columns[field] = i
			best[field] = rank
		}
	}
	used := map[int]bool{}
	for _, i := range m.Columns {
		used[i] = true
	}
	for i, h := range headers {
		if !used[i] && strings.TrimSpace(h) != "" {
			m.Unused = append(m.Unused, h)
		}
	}
	for _, f := range RequiredFields {
		if _, ok := m.Columns[f]; !ok {
			return m, &MissingColumnError{Field: f, Found: headers}
		}
	}
	return m, nil
}

func knownField(f string) bool {
	for _, k := range Fields() {
		if k == f {
			return true
		}
	}
	return false
}

func indexOfHeader(headers []string, h string) int {
	for i, x := range headers {
		if x == h {
			return i
		}
	}
	key := HeaderKey(h)
	for i, x := range headers {
		if HeaderKey(x) == key {
			return i
		}
	}
	return -1
}

// ScoreHeader counts the distinct fields a row's cells name: a header row
// scores high, a title or data row scores 0 or 1.
func ScoreHeader(cells []string) int {
	seen := map[string]bool{}
	for _, c := range cells {
		if len(c) > 80 {
			continue
		}
		if f, _ := MatchHeader(c); f != "" {
			seen[f] = true
		}
	}
	return len(seen)
}

// HeaderScanRows is how many rows from the top are searched for the header.
const HeaderScanRows = 40

// FindHeader picks the header among the first rows of a sheet or CSV: the
// row naming most fields, combined with the row below it when that row holds
// sub-headers under merged cells ("Ngày" over "Tiếp nhận | Hẹn trả"). It
// returns the combined headers and how many rows they take from the top
// (the data starts after them), or ok=false when no row names two fields.
func FindHeader(rows [][]string) (headers []string, consumed int, ok bool) {
	bestRow, bestScore := -1, 1
	for i, r := range rows {
		if i >= HeaderScanRows {
			break
		}
		if s := ScoreHeader(r); s > bestScore {
			bestRow, bestScore = i, s
		}
	}
	if bestRow < 0 {
		return nil, 0, false
	}
	headers = trimCells(rows[bestRow])
	consumed = bestRow + 1
	if bestRow+1 < len(rows) {
		combined := combineHeaderRows(rows[bestRow], rows[bestRow+1])
		if ScoreHeader(combined) > bestScore {
			headers, consumed = combined, bestRow+2
		}
	}
	// A row of column numbers ("(1) (2) (3)" or "1 2 3") under the header.
	if consumed < len(rows) && isColumnNumberRow(rows[consumed]) {
		consumed++
	}
	return headers, consumed, true
}

func trimCells(r []string) []string {
	out := make([]string, len(r))
	for i, c := range r {
		out[i] = strings.Join(strings.Fields(c), " ")
	}
	return out
}

// combineHeaderRows joins a parent header row (merged cells leave blanks to
// the right of their text) with the sub-header row below it.
func combineHeaderRows(parent, child []string) []string {
	n := len(parent)
	if len(child) > n {
		n = len(child)
	}
	out := make([]string, n)
	last := ""
	for i := 0; i < n; i++ {
		p, c := "", ""
		if i < len(parent) {
			p = strings.TrimSpace(parent[i])
		}
		if i < len(child) {
			c = strings.TrimSpace(child[i])
		}
		if p != "" {
			last = p
		}
		switch {
		case c == "":
			out[i] = p
		case p == "" && last != "":
			out[i] = last + " " + c
		case p == "":
			out[i] = c
		default:
			out[i] = p + " " + c
		}
		// A sub-header that names a field by itself keeps its own name.
		if c != "" {
			if f, _ := MatchHeader(out[i]); f == "" {
				if f2, _ := MatchHeader(c); f2 != "" {
					out[i] = c
				}
			}
		}
		out[i] = strings.Join(strings.Fields(out[i]), " ")
	}
	return out
}

var columnNumber = regexp.MustCompile(`^\(?[0-9]{1,2}\)?$|^\([a-zA-Z]\)$`)

func isColumnNumberRow(r []string) bool {
	n := 0
	for _, c := range r {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if !columnNumber.MatchString(c) {
			return false
		}
		n++
	}
	return n >= 3
}

// SortedFields returns a mapping's fields in canonical order, for display.
func (m Mapping) SortedFields() []string {
	order := map[string]int{}
	for i, f := range Fields() {
		order[f] = i
	}
	out := make([]string, 0, len(m.Columns))
	for f := range m.Columns {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return order[out[i]] < order[out[j]] })
	return out
}
