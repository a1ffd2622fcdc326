//go:build duckdb_arrow

package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	flightfront "wardstat/flight"
	"wardstat/internal/testkit"
	"wardstat/warehouse"
)

const flightToken = "test-token-0123456789abcdef"

// startFlight runs `wardstat flight` in this process on a free loopback
// port and returns its address, its log and what stops it (as SIGTERM
// would) and returns its error.
func startFlight(t *testing.T, args ...string) (addr string, logs *testkit.LockedBuffer, stop func() error) {
	t.Helper()
	return startFlightWith(t, args, "--addr", "127.0.0.1:0")
}

// startFlightWith is startFlight with the flight command's own flags.
func startFlightWith(t *testing.T, args []string, flags ...string) (addr string, logs *testkit.LockedBuffer, stop func() error) {
	t.Helper()
	t.Setenv("WARDSTAT_FLIGHT_TOKEN", flightToken)
	ready := make(chan net.Addr, 1)
	onFlightReady = func(a net.Addr) { ready <- a }
	t.Cleanup(func() { onFlightReady = nil })
	logs = &testkit.LockedBuffer{}
	cmd := newRootCommand(io.Discard, logs)
	cmd.SetArgs(append(append(args, "flight"), flags...))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	select {
	case a := <-ready:
		addr = a.String()
	case err := <-done:
		cancel()
		t.Fatalf("wardstat flight ended: %v\n%s", err, logs)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("wardstat flight did not listen within 20 s")
	}
	var once sync.Once
	var stopErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(20 * time.Second):
				stopErr = errors.New("wardstat flight did not stop within 20 s")
			}
		})
		return stopErr
	}
	t.Cleanup(func() { stop() })
	return addr, logs, stop
}

func flightClient(t *testing.T, addr string) *flightsql.Client {
	t.Helper()
	c, err := flightsql.NewClient(addr, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func bearer(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

// flightRows runs a statement and returns its rows as texts (nil for NULL)
// and its column names.
func flightRows(ctx context.Context, c *flightsql.Client, query string) ([]string, [][]*string, error) {
	info, err := c.Execute(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	return readInfo(ctx, c, info)
}

func readInfo(ctx context.Context, c *flightsql.Client, info *flight.FlightInfo) ([]string, [][]*string, error) {
	var names []string
	var rows [][]*string
	for _, ep := range info.Endpoint {
		rdr, err := c.DoGet(ctx, ep.Ticket)
		if err != nil {
			return nil, nil, err
		}
		for _, f := range rdr.Schema().Fields() {
			names = append(names, f.Name)
		}
		for rdr.Next() {
			rows = append(rows, recordTexts(rdr.RecordBatch())...)
		}
		err = rdr.Err()
		rdr.Release()
		if err != nil {
			return names, rows, err
		}
	}
	return names, rows, nil
}

func recordTexts(rec arrow.RecordBatch) [][]*string {
	var rows [][]*string
	for i := 0; i < int(rec.NumRows()); i++ {
		row := make([]*string, rec.NumCols())
		for j, col := range rec.Columns() {
			if !col.IsNull(i) {
				v := col.ValueStr(i)
				row[j] = &v
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func codeOf(err error) codes.Code {
	st, _ := status.FromError(err)
	return st.Code()
}

// TestFlightNeedsAToken: no token, a wrong one, or a wrong password get
// nothing, not even GetSqlInfo or the catalogs; a bearer token, or the
// token as a basic-auth password, get data; the log names the token,
// never says it.
func TestFlightNeedsAToken(t *testing.T) {
	db, _ := handcountWarehouse(t)
	addr, logs, _ := startFlight(t, "--db", db, "--lang", "en")
	c := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for name, cctx := range map[string]context.Context{
		"no token":    ctx,
		"wrong token": bearer(ctx, "not-the-token-0123456789"),
		"empty":       bearer(ctx, ""),
		"basic wrong": metadata.AppendToOutgoingContext(ctx, "authorization", "Basic dXNlcjp3cm9uZw=="),
	} {
		if _, err := c.GetSqlInfo(cctx, []flightsql.SqlInfo{flightsql.SqlInfoFlightSqlServerName}); codeOf(err) != codes.Unauthenticated {
			t.Errorf("%s: GetSqlInfo: %v", name, err)
		}
		if _, err := c.GetCatalogs(cctx); codeOf(err) != codes.Unauthenticated {
			t.Errorf("%s: GetCatalogs: %v", name, err)
		}
		if _, _, err := flightRows(cctx, c, "SELECT count(*) FROM dossiers"); codeOf(err) != codes.Unauthenticated || !strings.Contains(err.Error(), "a valid token is needed") {
			t.Errorf("%s: a query: %v", name, err)
		}
		// A ticket made up by the client is no way round.
		tkt, _ := flightsql.CreateStatementQueryTicket([]byte("SELECT count(*) FROM dossiers"))
		if rdr, err := c.DoGet(cctx, &flight.Ticket{Ticket: tkt}); err == nil {
			rdr.Next()
			err = rdr.Err()
			if codeOf(err) != codes.Unauthenticated {
				t.Errorf("%s: DoGet: %v", name, err)
			}
		} else if codeOf(err) != codes.Unauthenticated {
			t.Errorf("%s: DoGet: %v", name, err)
		}
	}
	_, rows, err := flightRows(bearer(ctx, flightToken), c, "SELECT count(*) FROM dossiers")
	if err != nil || len(rows) != 1 || *rows[0][0] != "14" {
		t.Fatalf("with the token: %v %v", rows, err)
	}
	authed, err := c.Client.AuthenticateBasicToken(ctx, "anyone", flightToken)
	if err != nil {
		t.Fatalf("basic auth with the token as password: %v", err)
	}
	if _, rows, err := flightRows(authed, c, "SELECT count(*) FROM dossiers"); err != nil || *rows[0][0] != "14" {
		t.Fatalf("after basic auth: %v %v", rows, err)
	}
	if _, err := c.Client.AuthenticateBasicToken(ctx, "anyone", "wrong-password-0123456"); codeOf(err) != codes.Unauthenticated {
		t.Errorf("basic auth with a wrong password: %v", err)
	}
	log := logs.String()
	if strings.Contains(log, flightToken) {
		t.Errorf("the log holds the token:\n%s", log)
	}
	if !regexp.MustCompile(`msg=query token=env kind=statement ms=\d+ rows=1 `).MatchString(log) {
		t.Errorf("no query logged with its token's name, duration and rows:\n%s", log)
	}
}

// TestFlightFormEqualsReport: the form for a period over Flight SQL, as
// a statement and as a prepared statement with the period as parameters,
// equals `wardstat report --format json` for that period.
func TestFlightFormEqualsReport(t *testing.T) {
	db, _ := handcountWarehouse(t)
	var want []map[string]any
	out := mustRun(t, "--db", db, "--lang", "en", "report", "--from", "2024-01-01", "--to", "2024-03-31", "--format", "json")
	if err := json.Unmarshal([]byte(out), &want); err != nil || len(want) != 2 {
		t.Fatalf("report json: %v\n%s", err, out)
	}
	addr, _, _ := startFlight(t, "--db", db, "--lang", "en")
	c := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ctx = bearer(ctx, flightToken)
	compare := func(how string, names []string, rows [][]*string) {
		t.Helper()
		if len(rows) != len(want) {
			t.Fatalf("%s: %d rows, the report has %d", how, len(rows), len(want))
		}
		for i, w := range want {
			got := map[string]*string{}
			for j, n := range names {
				got[n] = rows[i][j]
			}
			for k, v := range w {
				g, ok := got[k]
				if !ok {
					t.Errorf("%s: no column %s", how, k)
					continue
				}
				if !sameValue(v, g) {
					t.Errorf("%s: row %d %s: Flight %v, report %v", how, i, k, deref(g), v)
				}
			}
		}
	}
	names, rows, err := flightRows(ctx, c, "SELECT * FROM report_form(DATE '2024-01-01', DATE '2024-03-31') ORDER BY ward_code")
	if err != nil {
		t.Fatal(err)
	}
	compare("statement", names, rows)
	// Every column type of the dossiers streams (ENUMs, UUIDs, timestamps).
	names, rows, err = flightRows(ctx, c, "SELECT * FROM dossiers")
	if err != nil || len(rows) != 14 || len(names) < 20 {
		t.Fatalf("SELECT * FROM dossiers: %d rows, %d columns, %v", len(rows), len(names), err)
	}
	// An ENUM comes as its labels (a JDBC client shows a dictionary's
	// indices), in one type whatever the batch.
	info, err := c.Execute(ctx, "SELECT channel, count(*) AS n FROM dossiers GROUP BY ALL ORDER BY channel")
	if err != nil {
		t.Fatal(err)
	}
	rdr, err := c.DoGet(ctx, info.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	if typ := rdr.Schema().Field(0).Type; typ.ID() != arrow.STRING {
		t.Errorf("channel comes as %s", typ)
	}
	var channels []string
	for rdr.Next() {
		for _, r := range recordTexts(rdr.RecordBatch()) {
			channels = append(channels, *r[0]+"="+*r[1])
		}
	}
	rdr.Release()
	if strings.Join(channels, " ") != "online=3 direct=9 postal=2" {
		t.Errorf("channels: %v", channels)
	}

	stmt, err := c.Prepare(ctx, "SELECT * FROM report_form(?::DATE, ?::DATE) ORDER BY ward_code")
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close(ctx)
	if ps := stmt.ParameterSchema(); ps == nil || len(ps.Fields()) != 2 {
		t.Fatalf("parameter schema: %v", ps)
	}
	if ds := stmt.DatasetSchema(); ds == nil || len(ds.FieldIndices("on_time_rate")) != 1 || ds.Field(0).Name != "ward_code" {
		t.Errorf("dataset schema: %v", ds)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{
		{Name: "from", Type: arrow.FixedWidthTypes.Date32}, {Name: "to", Type: arrow.BinaryTypes.String}}, nil))
	defer b.Release()
	b.Field(0).(*array.Date32Builder).Append(arrow.Date32FromTime(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)))
	b.Field(1).(*array.StringBuilder).Append("2024-03-31")
	params := b.NewRecordBatch()
	defer params.Release()
	stmt.SetParameters(params)
	info, err = stmt.Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names, rows, err = readInfo(ctx, c, info)
	if err != nil {
		t.Fatal(err)
	}
	compare("prepared", names, rows)
}

func deref(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// sameValue compares a report JSON value with a Flight value's text.
func sameValue(want any, got *string) bool {
	if want == nil || got == nil {
		return want == nil && got == nil
	}
	switch w := want.(type) {
	case float64:
		g, err := strconv.ParseFloat(*got, 64)
		return err == nil && g == w
	case string:
		return w == *got
	}
	return fmt.Sprint(want) == *got
}

// TestFlightSandbox: every attack on wardstat sql's sandbox, sent through
// a Flight SQL client, is refused with wardstat sql's words, in the
// server's language, and no file beside the warehouse or outside it is
// made or changed; what reads still reads. A result past --max-rows ends
// with an error, not silently.
func TestFlightSandbox(t *testing.T) {
	db, _ := handcountWarehouse(t)
	dir := filepath.Dir(db)
	outside := t.TempDir()
	if err := os.MkdirAll(db+".tmp", 0o755); err != nil {
		t.Fatal(err)
	}
	before := filesUnder(t, dir, outside)
	for _, lang := range []string{"en", "vi"} {
		addr, _, stop := startFlight(t, "--db", db, "--lang", lang, "--max-rows", "5000")
		c := flightClient(t, addr)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		ctx = bearer(ctx, flightToken)
		for _, tc := range sqlAttacks(db, outside) {
			if tc.lang != lang {
				continue
			}
			_, _, err := flightRows(ctx, c, tc.query)
			want := flightWords(tc.want) // the analyst sent it over Flight SQL
			if strings.Contains(tc.query, ";") {
				// One statement a request: several are refused whole.
				want = "are refused"
			}
			if codeOf(err) != codes.PermissionDenied || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "wardstat sql") {
				t.Errorf("%s: %v", tc.query, err)
			}
		}
		if lang == "en" {
			_, rows, err := flightRows(ctx, c, "SELECT count(*) AS n FROM dossiers")
			if err != nil || *rows[0][0] != "14" {
				t.Errorf("a read after the attacks: %v %v", rows, err)
			}
			_, rows, err = flightRows(ctx, c, "SELECT * FROM range(100000)")
			if codeOf(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "more than 5000 rows (--max-rows)") || len(rows) != 5000 {
				t.Errorf("past --max-rows: %d rows, %v", len(rows), err)
			}
		}
		cancel()
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}
	if d := diffFiles(before, filesUnder(t, dir, outside)); len(d) > 0 {
		t.Errorf("the Flight endpoint made or changed files: %v", d)
	}
}

// TestFlightStatementTimeout: a runaway statement stops at the timeout
// with DeadlineExceeded and one line, and the endpoint answers the next.
func TestFlightStatementTimeout(t *testing.T) {
	db, _ := handcountWarehouse(t)
	addr, _, _ := startFlight(t, "--db", db, "--lang", "en", "--timeout", "2s")
	c := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ctx = bearer(ctx, flightToken)
	began := time.Now()
	_, _, err := flightRows(ctx, c, strings.TrimSuffix(runaway, ";\r"))
	if codeOf(err) != codes.DeadlineExceeded || !strings.Contains(err.Error(), "ran longer than 2s (--timeout)") {
		t.Errorf("runaway statement: %v", err)
	}
	if took := time.Since(began); took > 7*time.Second {
		t.Errorf("the runaway statement stopped after %v", took)
	}
	if _, rows, err := flightRows(ctx, c, "SELECT count(*) FROM dossiers"); err != nil || *rows[0][0] != "14" {
		t.Errorf("the next statement: %v %v", rows, err)
	}
}

// TestFlightMetadata: what DBeaver and ADBC ask before a query.
func TestFlightMetadata(t *testing.T) {
	db, _ := handcountWarehouse(t)
	addr, _, _ := startFlight(t, "--db", db, "--lang", "en")
	c := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ctx = bearer(ctx, flightToken)
	read := func(what string, info *flight.FlightInfo, err error) [][]*string {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		_, rows, err := readInfo(ctx, c, info)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return rows
	}
	info, err := c.GetSqlInfo(ctx, []flightsql.SqlInfo{flightsql.SqlInfoFlightSqlServerName, flightsql.SqlInfoFlightSqlServerReadOnly})
	if rows := read("GetSqlInfo", info, err); len(rows) != 2 {
		t.Errorf("GetSqlInfo: %d rows", len(rows))
	}
	info, err = c.GetCatalogs(ctx)
	if rows := read("GetCatalogs", info, err); len(rows) != 1 || *rows[0][0] != "w" {
		t.Errorf("GetCatalogs: %v", rows)
	}
	info, err = c.GetDBSchemas(ctx, &flightsql.GetDBSchemasOpts{})
	if rows := read("GetDBSchemas", info, err); len(rows) != 1 || *rows[0][1] != "main" {
		t.Errorf("GetDBSchemas: %v", rows)
	}
	info, err = c.GetTableTypes(ctx)
	if rows := read("GetTableTypes", info, err); len(rows) != 2 {
		t.Errorf("GetTableTypes: %v", rows)
	}
	name := "dossiers"
	info, err = c.GetTables(ctx, &flightsql.GetTablesOpts{TableNameFilterPattern: &name, IncludeSchema: true})
	if err != nil {
		t.Fatal(err)
	}
	rdr, err := c.DoGet(ctx, info.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	if !rdr.Next() || rdr.RecordBatch().NumRows() != 1 {
		t.Fatalf("GetTables: %v", rdr.Err())
	}
	rec := rdr.RecordBatch()
	if typ := rec.Column(3).ValueStr(0); typ != "TABLE" {
		t.Errorf("dossiers is a %s", typ)
	}
	sch, err := flight.DeserializeSchema(rec.Column(4).(*array.Binary).Value(0), memory.DefaultAllocator)
	if err != nil || len(sch.FieldIndices("received_at")) != 1 || len(sch.FieldIndices("dossier_code")) != 1 {
		t.Errorf("dossiers' schema: %v %v", sch, err)
	}
	// The table's schema is its results' (an ENUM as text), each column
	// with Flight SQL's column metadata (ADBC's xdbc_type_name).
	for _, col := range []string{"channel", "online_level", "due_source", "received_at"} {
		f, _ := sch.FieldsByName(col)
		info, err := c.Execute(ctx, "SELECT "+col+" FROM dossiers LIMIT 1")
		if err != nil || len(f) != 1 {
			t.Fatalf("%s: %v %v", col, f, err)
		}
		r, err := c.DoGet(ctx, info.Endpoint[0].Ticket)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Schema().Field(0).Type; !arrow.TypeEqual(got, f[0].Type) {
			t.Errorf("%s: the table's schema says %s, its results %s", col, f[0].Type, got)
		}
		r.Release()
		cm := flightsql.ColumnMetadata{Data: &f[0].Metadata}
		if tn, ok := cm.TypeName(); !ok || tn == "" {
			t.Errorf("%s: no Flight SQL type name in %v", col, f[0].Metadata)
		}
		if tn, ok := cm.TableName(); !ok || tn != "dossiers" {
			t.Errorf("%s: table name %q in %v", col, tn, f[0].Metadata)
		}
	}
	views := []string{"VIEW"}
	info, err = c.GetTables(ctx, &flightsql.GetTablesOpts{TableTypes: views})
	rows := read("GetTables views", info, err)
	found := false
	for _, r := range rows {
		found = found || *r[2] == "ward_month"
	}
	if !found {
		t.Errorf("the views do not list ward_month: %d views", len(rows))
	}
	info, err = c.GetPrimaryKeys(ctx, flightsql.TableRef{Table: "loads"})
	if rows := read("GetPrimaryKeys", info, err); len(rows) != 1 || *rows[0][3] != "load_id" || *rows[0][4] != "1" {
		t.Errorf("GetPrimaryKeys of loads: %v", rows)
	}
	sr, err := c.GetExecuteSchema(ctx, "SELECT ward_code, channel FROM dossiers")
	if err != nil {
		t.Fatal(err)
	}
	if sch, err := flight.DeserializeSchema(sr.GetSchema(), memory.DefaultAllocator); err != nil || sch.NumFields() != 2 || sch.Field(1).Type.ID() != arrow.STRING {
		t.Errorf("GetExecuteSchema: %v %v", sch, err)
	}
	if _, err := c.GetExecuteSchema(ctx, "COPY dossiers TO 'x.csv'"); codeOf(err) != codes.PermissionDenied {
		t.Errorf("GetExecuteSchema of a COPY: %v", err)
	}
}

// TestFlightReadsEachNewSnapshot: the endpoint of serve reads the
// published snapshot; a
// snapshot published while a query streams does not break it (it ends
// on the snapshot it began on, all its rows), and the next query reads
// the new one, without a restart.
func TestFlightReadsEachNewSnapshot(t *testing.T) {
	db, fx := handcountWarehouse(t)
	snap := publishedPath(db)
	publish := func() {
		t.Helper()
		w, err := warehouse.Open(context.Background(), db, warehouse.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if err := w.Publish(context.Background(), snap, -1); err != nil {
			t.Fatal(err)
		}
	}
	publish()
	// What serve does with a flight: section: the snapshot only.
	logs := &testkit.LockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	a := &app{stdout: io.Discard, stderr: logs, dbPath: db, lang: "en", log: log}
	set := flightSettings{timeout: time.Minute, maxRows: 1 << 40, maxTemp: "1GB", grace: 5 * time.Second}
	src := flightfront.Snapshot(snap, a.sandboxOptions())
	defer src.Close()
	ready := make(chan net.Addr, 1)
	onFlightReady = func(a net.Addr) { ready <- a }
	defer func() { onFlightReady = nil }()
	t.Setenv("WARDSTAT_FLIGHT_TOKEN", flightToken)
	set.addr = "127.0.0.1:0"
	sctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.serveFlight(sctx, set, src, log) }()
	defer func() {
		stop()
		select {
		case <-served:
		case <-time.After(20 * time.Second):
			t.Error("the endpoint did not stop")
		}
	}()
	var addr string
	select {
	case ad := <-ready:
		addr = ad.String()
	case err := <-served:
		t.Fatal(err)
	}
	c := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ctx = bearer(ctx, flightToken)

	// A long result, read slowly.
	const perDossier = 100_000
	info, err := c.Execute(ctx, fmt.Sprintf("SELECT d.dossier_code, r.range FROM dossiers d, range(%d) r", perDossier))
	if err != nil {
		t.Fatal(err)
	}
	rdr, err := c.DoGet(ctx, info.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	if !rdr.Next() {
		t.Fatal(rdr.Err())
	}
	n := rdr.RecordBatch().NumRows()
	// The night's load, then a new snapshot, while the query streams.
	mustRun(t, "--db", db, "ingest", filepath.Join(fx, "api-export.json"))
	publish()
	for rdr.Next() {
		n += rdr.RecordBatch().NumRows()
	}
	if err := rdr.Err(); err != nil || n != 14*perDossier {
		t.Fatalf("the query across a publish: %d rows, %v", n, err)
	}
	if _, rows, err := flightRows(ctx, c, "SELECT count(*) FROM dossiers"); err != nil || *rows[0][0] != "19" {
		t.Fatalf("the next query: %v %v", rows, err)
	}
}

// TestFlightSIGTERMDrains: SIGTERM lets a running query finish, with all
// its rows, and the process exits 0.
func TestFlightSIGTERMDrains(t *testing.T) {
	db, _ := handcountWarehouse(t)
	c := cli("--db", db, "--lang", "en", "flight", "--addr", "127.0.0.1:0")
	c.Env = append(c.Env, "WARDSTAT_FLIGHT_TOKEN="+flightToken)
	logs := &testkit.LockedBuffer{}
	c.Stderr = logs
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	addrRE := regexp.MustCompile(`msg="flight sql listening" addr=(\S+)`)
	var addr string
	for deadline := time.Now().Add(20 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("wardstat flight did not listen:\n%s", logs)
	}
	fc := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ctx = bearer(ctx, flightToken)
	const perDossier = 100_000
	info, err := fc.Execute(ctx, fmt.Sprintf("SELECT d.dossier_code, r.range FROM dossiers d, range(%d) r", perDossier))
	if err != nil {
		t.Fatal(err)
	}
	rdr, err := fc.DoGet(ctx, info.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	if !rdr.Next() {
		t.Fatal(rdr.Err())
	}
	n := rdr.RecordBatch().NumRows()
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	for rdr.Next() {
		n += rdr.RecordBatch().NumRows()
	}
	if err := rdr.Err(); err != nil || n != 14*perDossier {
		t.Fatalf("the query across SIGTERM: %d rows, %v", n, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- c.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("wardstat flight after SIGTERM: %v\n%s", err, logs)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("wardstat flight did not exit after SIGTERM:\n%s", logs)
	}
	if !strings.Contains(logs.String(), "flight sql stopped") {
		t.Errorf("no stop logged:\n%s", logs)
	}
}

// TestServeStartsTheFlightEndpoint: serve with a flight: section serves
// the snapshot it publishes over Flight SQL; `wardstat flight` beside it
// (the daemon holding the warehouse) reads the same snapshot; SIGTERM
// stops both parts of serve, exit 0.
func TestServeStartsTheFlightEndpoint(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "flight")
	dir := t.TempDir()
	drop := filepath.Join(dir, "drop")
	os.MkdirAll(drop, 0o755)
	os.WriteFile(filepath.Join(drop, "ward.csv"), []byte("Mã hồ sơ,Ngày tiếp nhận,Hình thức nộp\nH08.01-240301-0001,01/03/2024,Trực tiếp\nH08.01-240301-0002,01/03/2024,BCCI\n"), 0o644)
	tokens := filepath.Join(dir, "tokens.txt")
	os.WriteFile(tokens, []byte("# the district's analysts\nstats-office:"+flightToken+"\n"), 0o600)
	cfgPath := filepath.Join(dir, "wardstat.yml")
	os.WriteFile(cfgPath, []byte(`warehouse: w.duckdb
listen: 127.0.0.1:0
sources:
  - name: drop
    path: drop
    settle: 100ms
    schedule: "*/1 * * * * *"
jobs:
  build: {schedule: "*/1 * * * * *"}
flight:
  addr: 127.0.0.1:0
  tokens_file: tokens.txt
  statement_timeout: 1m
`), 0o644)
	c := cli("serve", "--config", cfgPath)
	logs := &testkit.LockedBuffer{}
	c.Stderr = logs
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	addrRE := regexp.MustCompile(`"msg":"flight sql listening"[^\n]*?"addr":"([^"]+)"`)
	var addr string
	for deadline := time.Now().Add(20 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("serve did not start the endpoint:\n%s", logs)
	}
	fc := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	ctx = bearer(ctx, flightToken)
	count := func(c *flightsql.Client) (string, error) {
		_, rows, err := flightRows(ctx, c, "SELECT count(*) FROM dossiers")
		if err != nil {
			return "", err
		}
		return *rows[0][0], nil
	}
	var n string
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if n, err = count(fc); err == nil && n == "2" {
			break
		}
	}
	if n != "2" {
		t.Fatalf("serve's endpoint: %q %v\n%s", n, err, logs)
	}
	if !strings.Contains(logs.String(), `"token":"stats-office"`) {
		t.Errorf("the query is not logged with its token's name:\n%s", logs)
	}
	// An analyst's own endpoint on the same warehouse reads the snapshot.
	addr2, _, stop2 := startFlight(t, "--db", filepath.Join(dir, "w.duckdb"), "--lang", "en")
	if n, err := count(flightClient(t, addr2)); err != nil || n != "2" {
		t.Errorf("wardstat flight beside the daemon: %q %v", n, err)
	}
	if err := stop2(); err != nil {
		t.Error(err)
	}
	c.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- c.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v\n%s", err, logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop on SIGTERM:\n%s", logs)
	}
	if !strings.Contains(logs.String(), "flight sql stopped") {
		t.Errorf("the endpoint did not stop:\n%s", logs)
	}
}

// TestFlightSharesIdenticalStatements: identical statements sent while
// one runs read its result instead of running again (twenty dashboards
// asking for one form cost one form), each whole; a different statement
// runs on its own.
func TestFlightSharesIdenticalStatements(t *testing.T) {
	db, _ := handcountWarehouse(t)
	addr, logs, _ := startFlight(t, "--db", db, "--lang", "en")
	c := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ctx = bearer(ctx, flightToken)
	const q = "SELECT r % 7 AS k, count(*) AS n FROM range(30000000) t(r) GROUP BY ALL ORDER BY k"
	var wg sync.WaitGroup
	results := make([]string, 6)
	errs := make([]error, 6)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			query := q
			if i == 5 {
				query = strings.Replace(q, "% 7", "% 5", 1)
			}
			_, rows, err := flightRows(ctx, c, query)
			errs[i] = err
			for _, r := range rows {
				results[i] += *r[0] + ":" + *r[1] + " "
			}
		}()
	}
	wg.Wait()
	for i := range results {
		if errs[i] != nil || len(strings.Fields(results[i])) != map[bool]int{true: 5, false: 7}[i == 5] {
			t.Fatalf("client %d: %q %v", i, results[i], errs[i])
		}
		if i < 5 && results[i] != results[0] {
			t.Errorf("client %d read %q, client 0 %q", i, results[i], results[0])
		}
	}
	shared := strings.Count(logs.String(), `kind="statement (shared)"`)
	if shared == 0 || shared > 4 {
		t.Errorf("%d of the 5 identical statements read another's run:\n%s", shared, logs)
	}
}

// startFlightProcess runs `wardstat flight` as its own process (main sets
// the sql command's data memory limit) and returns its address.
func startFlightProcess(t *testing.T, args ...string) (*exec.Cmd, string, *testkit.LockedBuffer) {
	t.Helper()
	return startFlightProcessWith(t, args)
}

// startFlightProcessWith is startFlightProcess with the flight command's
// own flags.
func startFlightProcessWith(t *testing.T, args []string, flags ...string) (*exec.Cmd, string, *testkit.LockedBuffer) {
	t.Helper()
	c := cli(append(append(args, "flight", "--addr", "127.0.0.1:0"), flags...)...)
	c.Env = append(c.Env, "WARDSTAT_FLIGHT_TOKEN="+flightToken)
	logs := &testkit.LockedBuffer{}
	c.Stderr = logs
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	addrRE := regexp.MustCompile(`msg="flight sql listening" addr=(\S+)`)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			return c, m[1], logs
		}
	}
	t.Fatalf("wardstat flight did not listen:\n%s", logs)
	return nil, "", nil
}

// TestFlightTLS: with a certificate the endpoint speaks TLS only, and
// says nothing of it on loopback; without one, beyond loopback, it warns.
func TestFlightTLS(t *testing.T) {
	db, _ := handcountWarehouse(t)
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "wardstat"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	addr, logs, stop := startFlightWith(t, []string{"--db", db, "--lang", "en"}, "--addr", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ctx = bearer(ctx, flightToken)
	tc, err := flightsql.NewClient(addr, nil, nil, grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, "localhost")))
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if _, rows, err := flightRows(ctx, tc, "SELECT count(*) FROM dossiers"); err != nil || *rows[0][0] != "14" {
		t.Fatalf("over TLS: %v %v", rows, err)
	}
	if _, _, err := flightRows(ctx, flightClient(t, addr), "SELECT count(*) FROM dossiers"); err == nil {
		t.Error("a plaintext client was answered by the TLS endpoint")
	}
	if strings.Contains(logs.String(), "WITHOUT TLS") {
		t.Errorf("a TLS endpoint warned of no TLS:\n%s", logs)
	}
	stop()
	_, logs, _ = startFlightWith(t, []string{"--db", db, "--lang", "en"}, "--addr", "0.0.0.0:0")
	if !strings.Contains(logs.String(), "beyond this machine, WITHOUT TLS") {
		t.Errorf("no warning for 0.0.0.0 without TLS:\n%s", logs)
	}
}
