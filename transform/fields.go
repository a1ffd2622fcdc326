package transform

import (
	"cmp"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
)

// Kind is what a canonical field holds, which says how a load reads it.
type Kind uint8

const (
	// KindCode is a code (dossier, procedure, unit): one word, kept
	// cleaned (ws_c_pre).
	KindCode Kind = iota + 1
	// KindText is free text (a procedure's name, a sector), kept cleaned.
	KindText
	// KindName is a unit's name, resolved to its code through the registry.
	KindName
	// KindCategory is one of a few texts, read by a parser macro into
	// typed columns (an ENUM or a code).
	KindCategory
	// KindFlag is a yes/no cell (ws_bool), read as a category.
	KindFlag
	// KindFee is an amount of money (ws_fee_fast, then ws_fee).
	KindFee
	// KindDate is a timestamp, read by the fast styles of its sample,
	// then ws_ts_o; an unreadable one rejects its row (bad_date:<field>).
	KindDate
	// KindKey is the applicants' keyed hash (a UUID), made by the Mapper.
	KindKey
	// KindDerived is stored but never read from a file (due_source).
	KindDerived
)

// Typed is one typed column a field is read into in the load's typing
// pass (stage_typed): its name, its parser macro (a format of the text,
// %s) and its DuckDB type.
type Typed struct{ Name, Parse, Type string }

// Field is one canonical field of the dossier: everything a load, the
// readers' mapping and the command line need to know of it. Fields is the
// one list of them (FieldTable); StagedFields, DossierSchema and the warehouse's lists
// of text, category, date and lenient fields are made from it.
type Field struct {
	Name string
	Kind Kind
	// Staged: a file's cell of the field is staged as text (StagedFields).
	Staged bool
	// Stored: the dossiers table has the field as a column (DossierSchema),
	// of Arrow type Type, NULL allowed when Nullable.
	Stored   bool
	Type     arrow.DataType
	Nullable bool
	// Typed are the columns the typing pass reads a category, flag, fee or
	// date into; a date's Parse is its full parser (text, day-month order).
	Typed []Typed
	// Lenient: an unreadable cell is left empty with a warning
	// (unreadable_value), not a reject.
	Lenient bool
	// RejectOrder, for a date, is the place of its bad_date rule among the
	// others (the check step tests the lowest first: a row with two
	// unreadable dates is rejected for the first); 0 puts it after them.
	RejectOrder int
	// Label is the field's name in words (vi, en), as a message names it.
	Label [2]string
}

// Closed vocabularies, stored as ENUMs since schema 7 (a one-byte code is
// far cheaper to write than a text). They are spelled out rather than
// named: DuckDB 1.5 cannot replay an ALTER to a named type from its WAL.
// sql/migrations/007 spells them the same.
const (
	ChannelEnum     = "ENUM('online', 'direct', 'postal')"
	OnlineLevelEnum = "ENUM('full', 'partial', 'none')"
	DueSourceEnum   = "ENUM('export', 'catalogue')"
)

var (
	textType = arrow.BinaryTypes.String
	boolType = arrow.FixedWidthTypes.Boolean
)

// DateField is the row of a date field: typed as itself (col "") or, for a
// date the status rules settle, as col until they have.
func DateField(name, col string, nullable bool, order int, vi, en string) Field {
	return Field{Name: name, Kind: KindDate, Staged: true, Stored: true, Type: localTime, Nullable: nullable,
		Typed: []Typed{{Name: cmp.Or(col, name), Parse: "ws_ts_o(%s, %s)", Type: "TIMESTAMP"}}, RejectOrder: order, Label: [2]string{vi, en}}
}

func flagField(name, vi, en string) Field {
	return Field{Name: name, Kind: KindFlag, Staged: true, Stored: true, Type: boolType, Nullable: true,
		Typed: []Typed{{name, "ws_bool(%s)", "BOOLEAN"}}, Lenient: true, Label: [2]string{vi, en}}
}

// FieldTable is the canonical fields, in the order of StagedFields and of
// the dossiers table (DossierSchema: the state hash hashes its columns
// in this order, so a stored field is added at the end).
var FieldTable = []Field{
	{Name: WardCode, Kind: KindCode, Staged: true, Stored: true, Type: textType, Label: [2]string{"mã đơn vị", "unit code"}},
	{Name: WardName, Kind: KindName, Staged: true, Label: [2]string{"tên đơn vị", "unit name"}},
	{Name: DossierCode, Kind: KindCode, Staged: true, Stored: true, Type: textType, Label: [2]string{"mã hồ sơ", "dossier code"}},
	{Name: ProcedureCode, Kind: KindCode, Staged: true, Stored: true, Type: textType, Nullable: true, Label: [2]string{"mã thủ tục", "procedure code"}},
	{Name: ProcedureName, Kind: KindText, Staged: true, Stored: true, Type: textType, Nullable: true, Label: [2]string{"tên thủ tục", "procedure name"}},
	{Name: Sector, Kind: KindText, Staged: true, Stored: true, Type: textType, Nullable: true, Label: [2]string{"lĩnh vực", "sector"}},
	{Name: Channel, Kind: KindCategory, Staged: true, Stored: true, Type: vocabulary, // online | direct | postal
		Typed: []Typed{{"channel", "ws_channel(%s)", ChannelEnum}, {"channel_level", "ws_online_level(%s)", OnlineLevelEnum}},
		Label: [2]string{"hình thức nộp", "channel"}},
	{Name: OnlineLevel, Kind: KindCategory, Staged: true, Stored: true, Type: vocabulary, Nullable: true, // full | partial | none
		Typed: []Typed{{"online_level_in", "ws_online_level(%s)", OnlineLevelEnum}}, Lenient: true, Label: [2]string{"mức độ trực tuyến", "online level"}},
	{Name: Status, Kind: KindCategory, Staged: true, Stored: true, Type: arrow.PrimitiveTypes.Int16, Nullable: true,
		Typed: []Typed{{"status", "ws_status(%s)", "SMALLINT"}}, Lenient: true, Label: [2]string{"trạng thái", "status"}},
	DateField(SubmittedAt, "", true, 6, "ngày nộp", "submission date"),
	DateField(ReceivedAt, "", false, 1, "ngày tiếp nhận", "receipt date"),
	DateField(DueAt, "", true, 2, "ngày hẹn trả", "due date"),
	{Name: DueSource, Kind: KindDerived, Stored: true, Type: vocabulary, Nullable: true, // export | catalogue
		Typed: []Typed{{"due_source_in", "", DueSourceEnum}}, Label: [2]string{"nguồn ngày hẹn trả", "due date source"}},
	DateField(CompletedAt, "completed_in", true, 3, "ngày có kết quả", "completion date"),
	DateField(ReturnedAt, "", true, 5, "ngày trả kết quả", "return date"),
	DateField(WithdrawnAt, "withdrawn_in", true, 4, "ngày rút/dừng", "withdrawal date"),
	DateField(SupplementRequestedAt, "", true, 7, "ngày yêu cầu bổ sung", "supplement request date"),
	DateField(SupplementReceivedAt, "", true, 8, "ngày nhận bổ sung", "supplement date"),
	flagField(ApologyIssued, "thư xin lỗi", "apology issued"),
	flagField(PaidOnline, "thanh toán trực tuyến", "paid online"),
	{Name: Fee, Kind: KindFee, Staged: true, Stored: true, Type: arrow.PrimitiveTypes.Float64, Nullable: true,
		Typed: []Typed{{"fee", "ws_fee(%s)", "DOUBLE"}}, Lenient: true, Label: [2]string{"lệ phí", "fee"}},
	flagField(Digitised, "số hoá", "digitised"),
	{Name: ApplicantKey, Kind: KindKey, Staged: true, Stored: true, Type: key128, Nullable: true,
		Typed: []Typed{{"applicant_key", "nullif(%s, '')::UUID", "UUID"}}, Label: [2]string{"khoá người nộp", "applicant key"}},
}

// FieldOf is the row of a canonical field.
func FieldOf(name string) (Field, bool) {
	i := slices.IndexFunc(FieldTable, func(f Field) bool { return f.Name == name })
	if i < 0 {
		return Field{}, false
	}
	return FieldTable[i], true
}

// KindOf is the kind of a canonical field (0 for none).
func KindOf(name string) Kind {
	for _, f := range FieldTable {
		if f.Name == name {
			return f.Kind
		}
	}
	return 0
}

// FieldsOf are the names of the fields of the given kinds, in table order.
func FieldsOf(fields []Field, kinds ...Kind) []string {
	var out []string
	for _, f := range fields {
		if slices.Contains(kinds, f.Kind) {
			out = append(out, f.Name)
		}
	}
	return out
}

// DateFields are the staged fields that hold timestamps, in table order.
func DateFields(fields []Field) []string { return FieldsOf(fields, KindDate) }

// StagedFieldsOf is StagedFields of a field table: its staged fields, then
// FirstCell and RowFault.
func StagedFieldsOf(fields []Field) []string {
	var out []string
	for _, f := range fields {
		if f.Staged {
			out = append(out, f.Name)
		}
	}
	return append(out, FirstCell, RowFault)
}

// dossierSchema is DossierSchema of a field table: its stored fields,
// then LoadID and SourceRow.
func dossierSchema(fields []Field) *arrow.Schema {
	var out []arrow.Field
	for _, f := range fields {
		if f.Stored {
			out = append(out, arrow.Field{Name: f.Name, Type: f.Type, Nullable: f.Nullable})
		}
	}
	out = append(out, arrow.Field{Name: LoadID, Type: arrow.PrimitiveTypes.Int64}, arrow.Field{Name: SourceRow, Type: arrow.PrimitiveTypes.Int64})
	return arrow.NewSchema(out, nil)
}
