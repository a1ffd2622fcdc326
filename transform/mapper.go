package transform

import (
	"strings"
	"unicode"
)

// Row is one data row in staged form: the raw text of every StagedFields
// entry (applicant fields already hashed into ApplicantKey).
type Row struct {
	Line   int
	Values []string // len(StagedFields)
}

// Mapper turns the cells of a source row into a staged Row.
type Mapper struct {
	m        Mapping
	hasher   *Hasher
	srcIndex []int // per StagedFields entry: source column, or -1
	personal [5]int
}

// NewMapper builds a Mapper for a resolved Mapping.
func NewMapper(m Mapping, h *Hasher) *Mapper {
	mp := &Mapper{m: m, hasher: h, srcIndex: make([]int, len(StagedFields))}
	for i, f := range StagedFields {
		mp.srcIndex[i] = -1
		if c, ok := m.Columns[f]; ok {
			mp.srcIndex[i] = c
		}
	}
	for i, f := range []string{ApplicantID, ApplicantPhone, ApplicantEmail, ApplicantName, ApplicantAddr} {
		mp.personal[i] = -1
		if c, ok := m.Columns[f]; ok {
			mp.personal[i] = c
		}
	}
	return mp
}

// Mapping returns the mapping the Mapper applies.
func (mp *Mapper) Mapping() Mapping { return mp.m }

// IsBlank reports whether no cell of a row holds anything. Blank rows are
// dropped before staging; every other row is staged, and the load tells
// dossiers from title, subtotal and footer lines (ws_non_data in SQL).
func IsBlank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func (mp *Mapper) cell(cells []string, i int) string {
	if i < 0 || i >= len(cells) {
		return ""
	}
	c := strings.TrimFunc(cells[i], func(r rune) bool { return unicode.IsSpace(r) || r == '\u00a0' || r == '\ufeff' })
	// ="000123": how some systems keep Excel from eating leading zeros.
	if len(c) >= 3 && strings.HasPrefix(c, `="`) && strings.HasSuffix(c, `"`) {
		c = c[2 : len(c)-1]
	}
	// '000123: the same with a leading apostrophe.
	if len(c) >= 2 && c[0] == '\'' {
		c = c[1:]
	}
	return c
}

// Map stages one data row. values is reused when it has the right length.
func (mp *Mapper) Map(line int, cells []string, values []string) Row {
	if len(values) != len(StagedFields) {
		values = make([]string, len(StagedFields))
	}
	for i, c := range mp.srcIndex {
		values[i] = ""
		if c >= 0 {
			values[i] = mp.cell(cells, c)
		}
	}
	if mp.hasher != nil {
		p := mp.personal
		values[stagedApplicantKey] = mp.hasher.ApplicantKey(
			mp.cell(cells, p[0]), mp.cell(cells, p[1]), mp.cell(cells, p[2]), mp.cell(cells, p[3]))
	}
	values[stagedFirstCell] = ""
	for i := range cells {
		if c := mp.cell(cells, i); c != "" {
			values[stagedFirstCell] = c
			break
		}
	}
	return Row{Line: line, Values: values}
}

// SetFault marks the row as one its reader could not read as written
// (RowFault): the load rejects it with that code.
func (r Row) SetFault(code string) { r.Values[stagedRowFault] = code }
