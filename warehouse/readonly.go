package warehouse

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"wardstat/internal/msg"
)

// DefaultMaxTempSize caps the temporary disk a read-only connection may
// spill to (the folder beside the warehouse, <file>.tmp).
const DefaultMaxTempSize = "1GB"

// ErrNotARead is a statement the read-only sandbox refuses: anything but a
// query (COPY, EXPORT, ATTACH, SET, PRAGMA, INSTALL, LOAD, CREATE, CALL,
// EXPLAIN …), more than one statement, or a function that changes the
// session or reads files. See StatementError for which.
var ErrNotARead = msg.Errorf("ở đây chỉ chạy được câu truy vấn chỉ đọc", "only a query that reads may run here")

// StatementError says why the sandbox refused a statement.
type StatementError struct {
	// Function is the refused function's name, "" when the statement itself
	// is not a query.
	Function string
	// Statements is how many statements the text held (when more than one).
	Statements int
	// Table is a table reference that names a file ("" when none).
	Table string
	// Unsplit is a text of several statements that could not be cut into
	// them with certainty (see CheckReads).
	Unsplit bool
}

func (e *StatementError) Error() string {
	switch {
	case e.Function != "":
		return fmt.Sprintf("%s: the function %s() is not allowed (it changes the session or reads files)", ErrNotARead, e.Function)
	case e.Table != "":
		return fmt.Sprintf("%s: the table %q names a file; only the warehouse's tables, views and the statement's own WITH names may be read", ErrNotARead, e.Table)
	case e.Statements > 1:
		return fmt.Sprintf("%s: %d statements given, one at a time", ErrNotARead, e.Statements)
	}
	return fmt.Sprintf("%s: SELECT, FROM, WITH, VALUES, DESCRIBE, SHOW or SUMMARIZE; COPY, EXPORT, ATTACH, SET, PRAGMA, INSTALL, LOAD, CREATE, CALL and EXPLAIN write or change the session", ErrNotARead)
}

func (e *StatementError) Unwrap() error { return ErrNotARead }

// Text is the refusal in lang ("en", else Vietnamese), for msg.Render.
func (e *StatementError) Text(lang string) string {
	if lang == "en" {
		return e.Error()
	}
	head := ErrNotARead.(msg.Localised).Text(lang)
	switch {
	case e.Function != "":
		return fmt.Sprintf("%s: không được dùng hàm %s() (nó thay đổi phiên làm việc hoặc đọc tệp)", head, e.Function)
	case e.Table != "":
		return fmt.Sprintf("%s: bảng %q là tên một tệp; chỉ đọc được các bảng, view của kho và các tên WITH của chính câu lệnh", head, e.Table)
	case e.Statements > 1:
		return fmt.Sprintf("%s: có %d câu lệnh, hãy chạy từng câu một", head, e.Statements)
	}
	return fmt.Sprintf("%s: SELECT, FROM, WITH, VALUES, DESCRIBE, SHOW hoặc SUMMARIZE; COPY, EXPORT, ATTACH, SET, PRAGMA, INSTALL, LOAD, CREATE, CALL và EXPLAIN ghi dữ liệu hoặc thay đổi phiên làm việc", head)
}

// refusedFunctions change the session (logging and profiling to a file,
// the parser), run SQL that the check cannot see, take raw pointers, or
// read files. DuckDB refuses the file readers anyway with external access
// off, except on its own files (the warehouse, its WAL, its temp folder),
// which are no business of an analyst either.
var refusedFunctions = map[string]bool{
	"enable_logging": true, "disable_logging": true, "truncate_duckdb_logs": true, "write_log": true,
	"enable_profiling": true, "disable_profiling": true,
	"enable_peg_parser": true, "disable_peg_parser": true,
	"checkpoint": true, "force_checkpoint": true,
	"query": true, "query_table": true, "json_execute_serialized_sql": true,
	"arrow_scan": true, "arrow_scan_dumb": true,
	"set_variable": true, "getenv": true,
	"read_csv": true, "read_csv_auto": true, "sniff_csv": true,
	"read_json": true, "read_json_auto": true, "read_json_objects": true, "read_json_objects_auto": true,
	"read_ndjson": true, "read_ndjson_auto": true, "read_ndjson_objects": true,
	"read_parquet": true, "parquet_scan": true, "parquet_metadata": true, "parquet_schema": true,
	"parquet_file_metadata": true, "parquet_kv_metadata": true, "parquet_full_metadata": true, "parquet_bloom_probe": true,
	"read_text": true, "read_blob": true, "read_duckdb": true, "glob": true,
	"duckdb_logs": true, "duckdb_logs_parsed": true,
}

// openReadOnly opens the warehouse for reading only: no migration, no file
// outside the warehouse (external access off, extensions neither installed
// nor loaded), memory and temporary disk capped, the configuration locked
// once the time zone is set.
func openReadOnly(ctx context.Context, path string, opt Options) (*Warehouse, error) {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if _, err := os.Stat(path); err != nil {
		if os.IsNotExist(err) {
			return nil, msg.Errorf("không có kho dữ liệu ở %s: %w; hãy nạp tệp xuất trước (wardstat ingest TỆP, hoặc wardstat demo), hoặc chỉ --db tới một kho",
				"there is no warehouse at %s: %w; load exports first (wardstat ingest FILE, or wardstat demo), or point --db at one", path, ErrNoWarehouse)
		}
		return nil, fmt.Errorf("opening warehouse %s: %w", path, err)
	}
	limit := opt.MemoryLimit
	if limit == "" {
		limit = DefaultMemoryLimit
	}
	maxTemp := opt.MaxTempSize
	if maxTemp == "" {
		maxTemp = DefaultMaxTempSize
	}
	params := []string{
		"access_mode=read_only",
		"enable_external_access=false",
		"autoinstall_known_extensions=false",
		"autoload_known_extensions=false",
		"allow_community_extensions=false",
		"memory_limit=" + url.QueryEscape(limit),
	}
	if opt.Threads > 0 {
		params = append(params, "threads="+strconv.Itoa(opt.Threads))
	}
	dsn := path + "?" + strings.Join(params, "&")
	// max_temp_directory_size given in the DSN shows in current_setting
	// but is not enforced (DuckDB 1.5.6: a DISTINCT spilled 180 MB past a
	// 16 MB cap); set after the open, it is.
	init := connInit(ctx, opt.Today,
		"SET GLOBAL TimeZone = 'Asia/Ho_Chi_Minh'",
		"SET GLOBAL max_temp_directory_size = '"+strings.ReplaceAll(maxTemp, "'", "")+"'",
		"SET lock_configuration = true")
	connector, err := duckdb.NewConnector(dsn, init)
	if err != nil {
		return nil, openError(path, err)
	}
	return &Warehouse{db: sql.OpenDB(connector), conn: connector, path: path, log: log, ronly: true}, nil
}

// QueryRead runs an analyst's statement after checking that it only reads:
// exactly one statement, a query by DuckDB's own parser (json_serialize_sql
// serialises only SELECT statements, and the prepared statement's type must
// say SELECT), calling none of refusedFunctions. The checks come before
// anything runs; the read-only open (no file access, locked configuration)
// stays the second wall. A refused statement is a *StatementError.
func (w *Warehouse) QueryRead(ctx context.Context, query string) (*sql.Rows, error) {
	if err := w.CheckRead(ctx, query); err != nil {
		return nil, err
	}
	return w.db.QueryContext(ctx, query)
}

// MaxQueryBytes caps the text of an analyst's statement: DuckDB's parser
// took 1.75 GB for a 200 MB text, so a longer one is refused unparsed.
const MaxQueryBytes = 1 << 20

// CheckParse is the part of QueryRead's check made from DuckDB's parse
// tree alone (one statement, a query, no refused function, no file as a
// table), which runs nothing of the statement.
func (w *Warehouse) CheckParse(ctx context.Context, query string) error {
	if len(query) > MaxQueryBytes {
		return msg.Errorf("câu lệnh dài %d byte, quá %d", "the statement is %d bytes, more than %d", len(query), MaxQueryBytes)
	}
	var tree string
	if err := w.db.QueryRowContext(ctx, `SELECT json_serialize_sql(?::VARCHAR)::VARCHAR`, query).Scan(&tree); err != nil {
		return fmt.Errorf("checking the statement: %w", err)
	}
	var parsed struct {
		Error        bool              `json:"error"`
		ErrorType    string            `json:"error_type"`
		ErrorMessage string            `json:"error_message"`
		Statements   []json.RawMessage `json:"statements"`
	}
	dec := json.NewDecoder(strings.NewReader(tree))
	dec.UseNumber()
	if err := dec.Decode(&parsed); err != nil {
		return fmt.Errorf("checking the statement: %w", err)
	}
	if parsed.Error {
		if parsed.ErrorType == "not implemented" {
			return &StatementError{}
		}
		return fmt.Errorf("%s error: %s", parsed.ErrorType, parsed.ErrorMessage)
	}
	if len(parsed.Statements) != 1 {
		if len(parsed.Statements) == 0 {
			return msg.Errorf("câu lệnh trống", "the statement is empty")
		}
		return &StatementError{Statements: len(parsed.Statements)}
	}
	var node any
	dec = json.NewDecoder(strings.NewReader(string(parsed.Statements[0])))
	dec.UseNumber()
	if err := dec.Decode(&node); err != nil {
		return fmt.Errorf("checking the statement: %w", err)
	}
	if names := refusedIn(node); len(names) > 0 {
		return &StatementError{Function: names[0]}
	}
	if name := fileTableIn(node); name != "" {
		return &StatementError{Table: name}
	}
	return nil
}

// CheckRead refuses what CheckParse refuses, then a statement DuckDB does
// not prepare as a query. Preparing folds constant expressions, which can
// be a statement's whole work (length(repeat('x', 1000000000))): a server
// that runs statements in other processes checks with CheckParse alone.
func (w *Warehouse) CheckRead(ctx context.Context, query string) error {
	if err := w.CheckParse(ctx, query); err != nil {
		return err
	}
	// The prepared statement's own type, from a statement known to be one
	// query: preparing runs nothing.
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*duckdb.Conn)
		if !ok {
			return fmt.Errorf("checking the statement: unexpected driver %T", dc)
		}
		st, err := c.PrepareContext(ctx, query)
		if err != nil {
			return err
		}
		defer st.Close()
		s, ok := st.(*duckdb.Stmt)
		if !ok {
			return fmt.Errorf("checking the statement: unexpected statement %T", st)
		}
		typ, err := s.StatementType()
		if err != nil {
			return err
		}
		if typ != duckdb.STATEMENT_TYPE_SELECT {
			return &StatementError{}
		}
		return nil
	})
}

// refusedIn lists the refused functions a parsed statement calls, at any depth
// (table functions, scalar functions, inside subqueries and CTEs).
func refusedIn(node any) []string {
	seen := map[string]bool{}
	var walk func(any)
	walk = func(n any) {
		switch x := n.(type) {
		case map[string]any:
			for k, v := range x {
				if k == "function_name" {
					if name, ok := v.(string); ok && refusedFunctions[strings.ToLower(name)] {
						seen[strings.ToLower(name)] = true
					}
				}
				walk(v)
			}
		case []any:
			for _, v := range x {
				walk(v)
			}
		}
	}
	walk(node)
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// fileTableIn is the first table reference of a parsed statement that
// names a file, "" when none. DuckDB reads a table name it does not know
// as a file when the name looks like one (a replacement scan: FROM
// 'x.csv', FROM '<the warehouse>.duckdb'), whatever function is refused,
// and has no setting to turn that off. No table, view or WITH name of the
// warehouse holds a dot, a slash, a backslash, a colon, a glob character
// or a tilde; a file path, an extension or a URL does.
func fileTableIn(node any) string {
	found := ""
	var walk func(any)
	walk = func(n any) {
		if found != "" {
			return
		}
		switch x := n.(type) {
		case map[string]any:
			if x["type"] == "BASE_TABLE" {
				if name, ok := x["table_name"].(string); ok && strings.ContainsAny(name, "./\\:*?~[") {
					found = name
					return
				}
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(x[k])
			}
		case []any:
			for _, v := range x {
				walk(v)
			}
		}
	}
	walk(node)
	return found
}
