package transform

import (
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// The lists made from FieldTable are the hand-written ones they replaced,
// pinned once: the staged fields in their order, and the dossier schema
// (its column order is the state hash's).
func TestFieldTableMakesTheHandLists(t *testing.T) {
	staged := []string{
		WardCode, WardName, DossierCode, ProcedureCode, ProcedureName, Sector,
		Channel, OnlineLevel, Status,
		SubmittedAt, ReceivedAt, DueAt, CompletedAt, ReturnedAt, WithdrawnAt,
		SupplementRequestedAt, SupplementReceivedAt,
		ApologyIssued, PaidOnline, Fee, Digitised, ApplicantKey, FirstCell, RowFault,
	}
	if !slices.Equal(StagedFields, staged) {
		t.Errorf("StagedFields = %v\nwant %v", StagedFields, staged)
	}
	localTime := &arrow.TimestampType{Unit: arrow.Microsecond}
	vocabulary := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Uint8, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: WardCode, Type: arrow.BinaryTypes.String},
		{Name: DossierCode, Type: arrow.BinaryTypes.String},
		{Name: ProcedureCode, Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: ProcedureName, Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: Sector, Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: Channel, Type: vocabulary},
		{Name: OnlineLevel, Type: vocabulary, Nullable: true},
		{Name: Status, Type: arrow.PrimitiveTypes.Int16, Nullable: true},
		{Name: SubmittedAt, Type: localTime, Nullable: true},
		{Name: ReceivedAt, Type: localTime},
		{Name: DueAt, Type: localTime, Nullable: true},
		{Name: DueSource, Type: vocabulary, Nullable: true},
		{Name: CompletedAt, Type: localTime, Nullable: true},
		{Name: ReturnedAt, Type: localTime, Nullable: true},
		{Name: WithdrawnAt, Type: localTime, Nullable: true},
		{Name: SupplementRequestedAt, Type: localTime, Nullable: true},
		{Name: SupplementReceivedAt, Type: localTime, Nullable: true},
		{Name: ApologyIssued, Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: PaidOnline, Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: Fee, Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: Digitised, Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: ApplicantKey, Type: &arrow.FixedSizeBinaryType{ByteWidth: 16}, Nullable: true},
		{Name: LoadID, Type: arrow.PrimitiveTypes.Int64},
		{Name: SourceRow, Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	if !DossierSchema.Equal(schema) {
		t.Errorf("DossierSchema = %v\nwant %v", DossierSchema, schema)
	}
	dates := []string{SubmittedAt, ReceivedAt, DueAt, CompletedAt, ReturnedAt, WithdrawnAt, SupplementRequestedAt, SupplementReceivedAt}
	if got := DateFields(FieldTable); !slices.Equal(got, dates) {
		t.Errorf("DateFields = %v, want %v", got, dates)
	}
}

// A date field added to the table is staged, and stored as a nullable
// timestamp before LoadID, with nothing else to write.
func TestFieldTableNewDateIsStagedAndStored(t *testing.T) {
	table := append(slices.Clip(FieldTable), DateField("reviewed_at", "", true, 0, "ngày thẩm định", "review date"))
	if got := StagedFieldsOf(table); !slices.Contains(got, "reviewed_at") || got[len(got)-3] != "reviewed_at" {
		t.Errorf("staged fields %v: reviewed_at is not staged before first_cell", got)
	}
	s := dossierSchema(table)
	i := s.FieldIndices("reviewed_at")
	if len(i) != 1 || !arrow.TypeEqual(s.Field(i[0]).Type, localTime) || !s.Field(i[0]).Nullable || s.Field(i[0]+1).Name != LoadID {
		t.Errorf("schema %v: reviewed_at is not a nullable timestamp before load_id", s)
	}
	if got := DateFields(table); got[len(got)-1] != "reviewed_at" {
		t.Errorf("DateFields = %v", got)
	}
}
