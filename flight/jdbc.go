//go:build duckdb_arrow

package flight

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"wardstat/internal/msg"
)

// The calls JDBC tools (DBeaver) make beyond the catalog: the types
// (getTypeInfo), the foreign keys (none: an empty result of the right
// schema), and writes, refused in the user's words.

// xdbcType is one row of GetXdbcTypeInfo: a DuckDB type a result gives.
type xdbcType struct {
	name              string
	dataType, sqlType int32 // XDBC (JDBC) codes; sqlType DATETIME for dates
	subcode           *int32
	size              *int32
	prefix, suffix    *string
	caseSensitive     bool
	searchable        int32
	unsigned          *bool
}

func i32(v int32) *int32   { return &v }
func str(v string) *string { return &v }
func boolp(v bool) *bool   { return &v }

// xdbcTypes are the DuckDB types a wardstat result has, in XDBC's order
// of data_type.
var xdbcTypes = []xdbcType{
	{name: "TINYINT", dataType: -6, sqlType: -6, size: i32(3), searchable: 2, unsigned: boolp(false)},
	{name: "BIGINT", dataType: -5, sqlType: -5, size: i32(19), searchable: 2, unsigned: boolp(false)},
	{name: "BLOB", dataType: -3, sqlType: -3, prefix: str("'"), suffix: str("'::BLOB"), searchable: 2},
	{name: "BOOLEAN", dataType: -7, sqlType: -7, size: i32(1), searchable: 2},
	{name: "DECIMAL", dataType: 3, sqlType: 3, size: i32(38), searchable: 2, unsigned: boolp(false)},
	{name: "INTEGER", dataType: 4, sqlType: 4, size: i32(10), searchable: 2, unsigned: boolp(false)},
	{name: "SMALLINT", dataType: 5, sqlType: 5, size: i32(5), searchable: 2, unsigned: boolp(false)},
	{name: "FLOAT", dataType: 7, sqlType: 7, size: i32(24), searchable: 2, unsigned: boolp(false)},
	{name: "DOUBLE", dataType: 8, sqlType: 8, size: i32(53), searchable: 2, unsigned: boolp(false)},
	{name: "VARCHAR", dataType: 12, sqlType: 12, prefix: str("'"), suffix: str("'"), caseSensitive: true, searchable: 3},
	{name: "DATE", dataType: 91, sqlType: 9, subcode: i32(1), size: i32(10), prefix: str("DATE '"), suffix: str("'"), searchable: 2},
	{name: "TIME", dataType: 92, sqlType: 9, subcode: i32(2), size: i32(15), prefix: str("TIME '"), suffix: str("'"), searchable: 2},
	{name: "TIMESTAMP", dataType: 93, sqlType: 9, subcode: i32(3), size: i32(26), prefix: str("TIMESTAMP '"), suffix: str("'"), searchable: 2},
	{name: "TIMESTAMP WITH TIME ZONE", dataType: 93, sqlType: 9, subcode: i32(3), size: i32(32), prefix: str("TIMESTAMPTZ '"), suffix: str("'"), searchable: 2},
}

func (s *server) GetFlightInfoXdbcTypeInfo(_ context.Context, _ flightsql.GetXdbcTypeInfo, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.infoFor(desc, schema_ref.XdbcTypeInfo), nil
}

// DoGetXdbcTypeInfo lists the types (all, or those of one data_type).
func (s *server) DoGetXdbcTypeInfo(_ context.Context, cmd flightsql.GetXdbcTypeInfo) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	var rows [][]any
	for _, t := range xdbcTypes {
		if dt := cmd.GetDataType(); dt != nil && *dt != t.dataType {
			continue
		}
		rows = append(rows, []any{t.name, t.dataType, t.size, t.prefix, t.suffix, nil,
			int32(1), t.caseSensitive, t.searchable, t.unsigned, false, boolp(false), t.name,
			nil, nil, t.sqlType, t.subcode, nil, nil})
	}
	return s.records(schema_ref.XdbcTypeInfo, rows)
}

// The warehouse declares no foreign keys: each answer is empty.
func (s *server) GetFlightInfoImportedKeys(_ context.Context, _ flightsql.TableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.infoFor(desc, schema_ref.ImportedKeys), nil
}

func (s *server) DoGetImportedKeys(context.Context, flightsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return s.records(schema_ref.ImportedKeys, nil)
}

func (s *server) GetFlightInfoExportedKeys(_ context.Context, _ flightsql.TableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.infoFor(desc, schema_ref.ExportedKeys), nil
}

func (s *server) DoGetExportedKeys(context.Context, flightsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return s.records(schema_ref.ExportedKeys, nil)
}

func (s *server) GetFlightInfoCrossReference(_ context.Context, _ flightsql.CrossTableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.infoFor(desc, schema_ref.CrossReference), nil
}

func (s *server) DoGetCrossReference(context.Context, flightsql.CrossTableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return s.records(schema_ref.CrossReference, nil)
}

// errReadOnly refuses a write (ExecuteUpdate, a prepared update, ADBC's
// ingest).
func (s *server) errReadOnly() error {
	return status.Error(codes.PermissionDenied, msg.Render(msg.Errorf(
		"kho chỉ đọc qua Flight SQL: không ghi, không cập nhật, không nạp bảng nào; hãy chạy câu lệnh đọc (SELECT) bằng ExecuteQuery",
		"the warehouse is read-only over Flight SQL: nothing is written, updated or ingested; run a statement that reads (SELECT) with ExecuteQuery"), s.o.Lang))
}

func (s *server) DoPutCommandStatementUpdate(context.Context, flightsql.StatementUpdate) (int64, error) {
	return 0, s.errReadOnly()
}

func (s *server) DoPutPreparedStatementUpdate(context.Context, flightsql.PreparedStatementUpdate, flight.MessageReader) (int64, error) {
	return 0, s.errReadOnly()
}

func (s *server) DoPutCommandStatementIngest(context.Context, flightsql.StatementIngest, flight.MessageReader) (int64, error) {
	return 0, s.errReadOnly()
}
