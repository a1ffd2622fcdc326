// Package transform turns what a ward's export says into wardstat's
// canonical dossier: it finds the header row, maps each source column to a
// canonical field through the alias vocabulary, and replaces personal data by
// a keyed hash before anything is stored. Value parsing (dates, channels,
// statuses) runs in SQL, in sql/models/10_parse.sql, so that DuckDB does it
// vectorised for every format alike.
package transform

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// Field names of the canonical dossier, as the warehouse exposes them.
const (
	WardCode              = "ward_code"
	DossierCode           = "dossier_code"
	ProcedureCode         = "procedure_code"
	ProcedureName         = "procedure_name"
	Sector                = "sector"
	Channel               = "channel"
	OnlineLevel           = "online_level"
	Status                = "status"
	SubmittedAt           = "submitted_at"
	ReceivedAt            = "received_at"
	DueAt                 = "due_at"
	DueSource             = "due_source"
	CompletedAt           = "completed_at"
	ReturnedAt            = "returned_at"
	WithdrawnAt           = "withdrawn_at"
	SupplementRequestedAt = "supplement_requested_at"
	SupplementReceivedAt  = "supplement_received_at"
	ApologyIssued         = "apology_issued"
	PaidOnline            = "paid_online"
	Fee                   = "fee"
	Digitised             = "digitised"
	ApplicantKey          = "applicant_key"
	LoadID                = "load_id"
	SourceRow             = "source_row"
)

// Source-only fields: read from a file but never stored as such.
const (
	// WardName is a unit's name, resolved to its code through the registry.
	WardName = "ward_name"
	// Applicant fields are personal data: they only feed ApplicantKey.
	ApplicantName  = "applicant_name"
	ApplicantID    = "applicant_id"
	ApplicantPhone = "applicant_phone"
	ApplicantEmail = "applicant_email"
	ApplicantAddr  = "applicant_address"
)

var (
	localTime = &arrow.TimestampType{Unit: arrow.Microsecond} // no zone: Vietnam local time
	// vocabulary is a column of a few fixed texts (an ENUM in DuckDB).
	vocabulary = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Uint8, ValueType: arrow.BinaryTypes.String}
	// key128 is a 128-bit keyed hash (a UUID in DuckDB).
	key128 = &arrow.FixedSizeBinaryType{ByteWidth: 16}
)

// DossierSchema is the canonical dossier, defined once: every reader's rows
// end up in this shape, and the warehouse's dossiers table has exactly these
// columns (checked by a test). Timestamps are Vietnam local time. Made from
// FieldTable: its stored fields, then LoadID and SourceRow.
var DossierSchema = dossierSchema(FieldTable)

// FirstCell is a staged pseudo-field: the row's first non-empty cell,
// which tells a total or footer line ("Tổng số: 1.234 hồ sơ") from a dossier.
const FirstCell = "first_cell"

// RowFault is a staged pseudo-field: why a row could not be read as it
// was written (a quote that never closes, a line over the size limit,
// bytes not of the file's encoding), set by the reader. The load rejects
// such a row with that code, whatever its cells say.
const RowFault = "row_fault"

// StagedFields are the fields a load stages as raw text, in this order:
// every canonical field a file can carry (applicant fields are staged only
// as ApplicantKey, already hashed), WardName, FirstCell and RowFault. Made
// from FieldTable (its staged fields, in its order).
var StagedFields = StagedFieldsOf(FieldTable)

// Staged positions of the fields the Mapper fills itself.
var (
	stagedApplicantKey = indexOf(StagedFields, ApplicantKey)
	stagedFirstCell    = indexOf(StagedFields, FirstCell)
	stagedRowFault     = indexOf(StagedFields, RowFault)
)

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	panic("transform: no staged field " + s)
}

// IsPersonal reports whether a field holds personal data, which never leaves
// memory in clear.
func IsPersonal(field string) bool {
	switch field {
	case ApplicantName, ApplicantID, ApplicantPhone, ApplicantEmail, ApplicantAddr:
		return true
	}
	return false
}
