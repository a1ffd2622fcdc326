//go:build duckdb_arrow

package flight

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"wardstat/internal/msg"
	"wardstat/warehouse"
)

// sqlInfo is what GetSqlInfo says of the endpoint.
func sqlInfo() map[uint32]any {
	return map[uint32]any{
		uint32(flightsql.SqlInfoFlightSqlServerName):             "wardstat",
		uint32(flightsql.SqlInfoFlightSqlServerVersion):          "DuckDB " + duckdbVersion,
		uint32(flightsql.SqlInfoFlightSqlServerArrowVersion):     arrow.PkgVersion,
		uint32(flightsql.SqlInfoFlightSqlServerReadOnly):         true,
		uint32(flightsql.SqlInfoFlightSqlServerSql):              true,
		uint32(flightsql.SqlInfoFlightSqlServerSubstrait):        false,
		uint32(flightsql.SqlInfoFlightSqlServerTransaction):      int32(flightsql.SqlTransactionNone),
		uint32(flightsql.SqlInfoFlightSqlServerCancel):           false,
		uint32(flightsql.SqlInfoFlightSqlServerStatementTimeout): int32(0),
		uint32(flightsql.SqlInfoDDLCatalog):                      false,
		uint32(flightsql.SqlInfoDDLSchema):                       false,
		uint32(flightsql.SqlInfoDDLTable):                        false,
		uint32(flightsql.SqlInfoIdentifierCase):                  int64(flightsql.SqlCaseSensitivityCaseInsensitive),
		uint32(flightsql.SqlInfoIdentifierQuoteChar):             `"`,
		uint32(flightsql.SqlInfoQuotedIdentifierCase):            int64(flightsql.SqlCaseSensitivityCaseInsensitive),
		uint32(flightsql.SqlInfoAllTablesAreASelectable):         true,
		uint32(flightsql.SqlInfoNullOrdering):                    int64(flightsql.SqlNullOrderingSortAtEnd),
		uint32(flightsql.SqlInfoTransactionsSupported):           false,
	}
}

// duckdbVersion is the DuckDB library's version, for GetSqlInfo.
const duckdbVersion = "1.5"

// records streams rows (from database/sql, small metadata results) as
// one record of schema.
func (s *server) records(schema *arrow.Schema, rows [][]any) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for _, row := range rows {
		for i, v := range row {
			if isNil(v) {
				b.Field(i).AppendNull()
				continue
			}
			switch fb := b.Field(i).(type) {
			case *array.StringBuilder:
				if p, ok := v.(*string); ok {
					v = *p
				}
				fb.Append(v.(string))
			case *array.Int32Builder:
				if p, ok := v.(*int32); ok {
					v = *p
				}
				fb.Append(v.(int32))
			case *array.BooleanBuilder:
				if p, ok := v.(*bool); ok {
					v = *p
				}
				fb.Append(v.(bool))
			case *array.BinaryBuilder:
				fb.Append(v.([]byte))
			default:
				return nil, nil, fmt.Errorf("metadata: no builder for %T", fb)
			}
		}
	}
	rec := b.NewRecordBatch()
	ch := make(chan flight.StreamChunk, 1)
	ch <- flight.StreamChunk{Data: rec}
	close(ch)
	return schema, ch, nil
}

// isNil says v is nil or a nil pointer (a NULL of records).
func isNil(v any) bool {
	switch p := v.(type) {
	case nil:
		return true
	case *int32:
		return p == nil
	case *bool:
		return p == nil
	case *string:
		return p == nil
	}
	return false
}

// metaRows runs one of the endpoint's own metadata queries (not an
// analyst's: its text is fixed, the client's values are parameters) and
// returns its rows as strings.
func (s *server) metaRows(ctx context.Context, query string, args ...any) ([][]string, *warehouse.Warehouse, func(), error) {
	qctx, cancel := context.WithTimeout(ctx, s.o.StatementTimeout)
	w, release, err := s.src.Acquire(qctx)
	if err != nil {
		cancel()
		return nil, nil, nil, s.explain(ctx, qctx, err)
	}
	done := func() { release(); cancel() }
	rows, err := w.DB().QueryContext(qctx, query, args...)
	if err != nil {
		done()
		return nil, nil, nil, s.explain(ctx, qctx, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			done()
			return nil, nil, nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		done()
		return nil, nil, nil, s.explain(ctx, qctx, err)
	}
	return out, w, done, nil
}

func (s *server) infoFor(desc *flight.FlightDescriptor, schema *arrow.Schema) *flight.FlightInfo {
	return &flight.FlightInfo{
		Endpoint:         []*flight.FlightEndpoint{{Ticket: &flight.Ticket{Ticket: desc.Cmd}}},
		FlightDescriptor: desc,
		Schema:           flight.SerializeSchema(schema, memory.DefaultAllocator),
		TotalRecords:     -1,
		TotalBytes:       -1,
	}
}

// userCatalogs leaves out DuckDB's own catalogs.
const userCatalogs = `catalog_name NOT IN ('system', 'temp')`

func (s *server) GetFlightInfoCatalogs(_ context.Context, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.infoFor(desc, schema_ref.Catalogs), nil
}

func (s *server) DoGetCatalogs(ctx context.Context) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	rows, _, done, err := s.metaRows(ctx, `SELECT DISTINCT catalog_name FROM information_schema.schemata WHERE `+userCatalogs+` ORDER BY 1`)
	if err != nil {
		return nil, nil, err
	}
	defer done()
	return s.records(schema_ref.Catalogs, anyRows(rows))
}

func (s *server) GetFlightInfoSchemas(_ context.Context, _ flightsql.GetDBSchemas, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.infoFor(desc, schema_ref.DBSchemas), nil
}

func (s *server) DoGetDBSchemas(ctx context.Context, cmd flightsql.GetDBSchemas) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	q := `SELECT catalog_name, schema_name FROM information_schema.schemata WHERE ` + userCatalogs
	var args []any
	if c := cmd.GetCatalog(); c != nil {
		q += ` AND catalog_name = ?`
		args = append(args, *c)
	}
	if p := cmd.GetDBSchemaFilterPattern(); p != nil {
		q += ` AND schema_name LIKE ?`
		args = append(args, *p)
	}
	rows, _, done, err := s.metaRows(ctx, q+` ORDER BY 1, 2`, args...)
	if err != nil {
		return nil, nil, err
	}
	defer done()
	return s.records(schema_ref.DBSchemas, anyRows(rows))
}

func (s *server) GetFlightInfoTables(_ context.Context, cmd flightsql.GetTables, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	if cmd.GetIncludeSchema() {
		return s.infoFor(desc, schema_ref.TablesWithIncludedSchema), nil
	}
	return s.infoFor(desc, schema_ref.Tables), nil
}

// DoGetTables lists the tables and views, with each one's Arrow schema
// when asked (DuckDB's own, from an empty scan of it).
func (s *server) DoGetTables(ctx context.Context, cmd flightsql.GetTables) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	q := `SELECT table_catalog, table_schema, table_name,
		CASE table_type WHEN 'BASE TABLE' THEN 'TABLE' WHEN 'LOCAL TEMPORARY' THEN 'TEMPORARY TABLE' ELSE table_type END
		FROM information_schema.tables WHERE table_catalog NOT IN ('system', 'temp')`
	var args []any
	if c := cmd.GetCatalog(); c != nil {
		q += ` AND table_catalog = ?`
		args = append(args, *c)
	}
	if p := cmd.GetDBSchemaFilterPattern(); p != nil {
		q += ` AND table_schema LIKE ?`
		args = append(args, *p)
	}
	if p := cmd.GetTableNameFilterPattern(); p != nil {
		q += ` AND table_name LIKE ?`
		args = append(args, *p)
	}
	rows, w, done, err := s.metaRows(ctx, q+` ORDER BY 1, 2, 3`, args...)
	if err != nil {
		return nil, nil, err
	}
	defer done()
	if types := cmd.GetTableTypes(); len(types) > 0 {
		keep := rows[:0]
		for _, r := range rows {
			for _, t := range types {
				if strings.EqualFold(t, r[3]) {
					keep = append(keep, r)
					break
				}
			}
		}
		rows = keep
	}
	if !cmd.GetIncludeSchema() {
		return s.records(schema_ref.Tables, anyRows(rows))
	}
	qctx, cancel := context.WithTimeout(ctx, s.o.StatementTimeout)
	defer cancel()
	out := make([][]any, 0, len(rows))
	for _, r := range rows {
		sch, err := tableSchema(qctx, w, r[0], r[1], r[2])
		if err != nil {
			return nil, nil, s.explain(ctx, qctx, err)
		}
		out = append(out, []any{r[0], r[1], r[2], r[3], flight.SerializeSchema(sch, memory.DefaultAllocator)})
	}
	return s.records(schema_ref.TablesWithIncludedSchema, out)
}

// tableSchema is the Arrow schema a table's or view's rows have as a
// result streams them (DuckDB's, ENUMs as text: plainSchema), each
// column with Flight SQL's column metadata (its catalog, schema, table
// and DuckDB type name: ADBC's GetObjects gives it as xdbc_type_name).
func tableSchema(ctx context.Context, w *warehouse.Warehouse, catalog, schema, table string) (*arrow.Schema, error) {
	sch, err := emptySchema(ctx, w, fmt.Sprintf(`SELECT * FROM %s.%s.%s LIMIT 0`, ident(catalog), ident(schema), ident(table)), nil)
	if err != nil {
		return nil, err
	}
	if plain := plainSchema(sch); plain != nil {
		sch = plain
	}
	rows, err := w.DB().QueryContext(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_catalog = ? AND table_schema = ? AND table_name = ? ORDER BY ordinal_position`, catalog, schema, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	typeNames := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, err
		}
		if strings.HasPrefix(typ, "ENUM(") {
			typ = "VARCHAR" // it arrives as text
		}
		typeNames[name] = typ
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	fields := sch.Fields()
	for i, f := range fields {
		b := flightsql.NewColumnMetadataBuilder().CatalogName(catalog).SchemaName(schema).TableName(table).IsReadOnly(true)
		if t, ok := typeNames[f.Name]; ok {
			b.TypeName(t)
		}
		fields[i].Metadata = b.Metadata()
	}
	md := sch.Metadata()
	return arrow.NewSchema(fields, &md), nil
}

// resultSchema is the Arrow schema a checked statement's result will have
// as streamed (ENUMs as text), from an empty run of it with its
// parameters NULL; nil when it cannot be had so (DESCRIBE, SHOW…).
func resultSchema(ctx context.Context, w *warehouse.Warehouse, query string, params int) *arrow.Schema {
	// The wrapped text is checked as any statement is, whatever the
	// statement it wraps passed.
	wrapped := "SELECT * FROM (" + query + "\n) LIMIT 0"
	if err := w.CheckRead(ctx, wrapped); err != nil {
		return nil
	}
	sch, err := emptySchema(ctx, w, wrapped, make([]any, params))
	if err != nil {
		return nil
	}
	if plain := plainSchema(sch); plain != nil {
		return plain
	}
	return sch
}

// emptySchema runs a statement that gives no rows for its schema.
func emptySchema(ctx context.Context, w *warehouse.Warehouse, query string, args []any) (*arrow.Schema, error) {
	conn, err := w.DB().Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var sch *arrow.Schema
	err = conn.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		rdr, err := ar.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rdr.Release()
		sch = rdr.Schema()
		return nil
	})
	return sch, err
}

// ident quotes an identifier for DuckDB.
func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func (s *server) GetFlightInfoTableTypes(_ context.Context, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.infoFor(desc, schema_ref.TableTypes), nil
}

func (s *server) DoGetTableTypes(ctx context.Context) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return s.records(schema_ref.TableTypes, [][]any{{"TABLE"}, {"VIEW"}})
}

func (s *server) GetFlightInfoPrimaryKeys(_ context.Context, _ flightsql.TableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.infoFor(desc, schema_ref.PrimaryKeys), nil
}

// DoGetPrimaryKeys lists a table's primary key columns, in key order.
func (s *server) DoGetPrimaryKeys(ctx context.Context, ref flightsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	q := `SELECT database_name, schema_name, table_name, unnest(constraint_column_names) AS column_name,
		unnest(range(1, len(constraint_column_names) + 1))::VARCHAR AS key_sequence, constraint_name
		FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' AND table_name = ?`
	args := []any{ref.Table}
	if ref.Catalog != nil {
		q += ` AND database_name = ?`
		args = append(args, *ref.Catalog)
	}
	if ref.DBSchema != nil {
		q += ` AND schema_name = ?`
		args = append(args, *ref.DBSchema)
	}
	rows, _, done, err := s.metaRows(ctx, q+` ORDER BY 1, 2, 3, 5`, args...)
	if err != nil {
		return nil, nil, err
	}
	defer done()
	out := make([][]any, 0, len(rows))
	for _, r := range rows {
		var seq int32
		fmt.Sscanf(r[4], "%d", &seq)
		out = append(out, []any{r[0], r[1], r[2], r[3], seq, r[5]})
	}
	return s.records(schema_ref.PrimaryKeys, out)
}

func anyRows(rows [][]string) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = make([]any, len(r))
		for j, v := range r {
			out[i][j] = v
		}
	}
	return out
}

// goValue is a parameter's value at row i, as the DuckDB driver binds it.
func goValue(col arrow.Array, i int) any {
	if col.IsNull(i) {
		return nil
	}
	switch a := col.(type) {
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.Int8:
		return int64(a.Value(i))
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Uint8:
		return int64(a.Value(i))
	case *array.Uint16:
		return int64(a.Value(i))
	case *array.Uint32:
		return int64(a.Value(i))
	case *array.Uint64:
		return a.Value(i)
	case *array.Float32:
		return float64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.Date32:
		return a.Value(i).ToTime().Format(time.DateOnly)
	case *array.Date64:
		return a.Value(i).ToTime().Format(time.DateOnly)
	case *array.Timestamp:
		typ := a.DataType().(*arrow.TimestampType)
		t := a.Value(i).ToTime(typ.Unit)
		if typ.TimeZone != "" {
			t = t.In(vietnam) // an instant: its date is Vietnam's (vietnamDates)
		}
		return t
	case *array.Binary:
		return a.Value(i)
	case *array.DenseUnion:
		child := a.Field(a.ChildID(i))
		return goValue(child, int(a.ValueOffset(i)))
	case *array.SparseUnion:
		return goValue(a.Field(a.ChildID(i)), i)
	}
	return col.ValueStr(i)
}

// GetSchemaStatement says a statement's result schema without running it
// (ADBC's ExecuteSchema).
func (s *server) GetSchemaStatement(ctx context.Context, cmd flightsql.StatementQuery, _ *flight.FlightDescriptor) (*flight.SchemaResult, error) {
	query := cmd.GetQuery()
	qctx, cancel := context.WithTimeout(ctx, s.o.StatementTimeout)
	defer cancel()
	w, release, err := s.src.Acquire(qctx)
	if err != nil {
		return nil, s.explain(ctx, qctx, err)
	}
	defer release()
	if err := s.checkStatement(qctx, w, query); err != nil {
		return nil, s.explain(ctx, qctx, err)
	}
	var sch *arrow.Schema
	if s.o.Workers != nil && workerPath(w) != "" {
		if _, sch, err = s.describeInWorker(qctx, w, query); err != nil {
			return nil, s.explain(ctx, qctx, err)
		}
	} else {
		sch = resultSchema(qctx, w, query, 0)
	}
	if sch == nil {
		return nil, status.Error(codes.Unimplemented, msg.Render(msg.Errorf(
			"không biết trước được lược đồ của câu lệnh này; hãy chạy nó", "this statement's schema cannot be known before it runs; run it"), s.o.Lang))
	}
	return &flight.SchemaResult{Schema: flight.SerializeSchema(sch, memory.DefaultAllocator)}, nil
}
