//go:build duckdb_arrow

package flight

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"wardstat/internal/msg"
	"wardstat/warehouse"
)

// server is the Flight SQL service: every call authenticated (auth.go),
// every statement checked by the sandbox, every result streamed from
// DuckDB's Arrow interface.
type server struct {
	flightsql.BaseServer
	src Source
	o   Options
	log *slog.Logger
	// bodies are the buffers of batches read from workers (codec.go).
	bodies bodies

	// base ends every query when the drain after ctx's end runs out.
	base       context.Context
	cancelBase context.CancelFunc

	mu       sync.Mutex
	prepared map[string]*prepared
	runs     map[string]*sharedRun // the statements running, by shareKey
	gets     map[*runningGet]bool  // the DoGets running (CancelFlightInfo)

	slots   chan struct{}  // one per worker running (Options.Workers)
	workers sync.WaitGroup // the workers started and not yet waited

	spareMu   sync.Mutex
	spare     *proc // a worker waiting for the next statement (spare.go)
	refilling bool  // a spare is starting
	spareStop bool
}

// prepared is a prepared statement: its text and its bound parameters.
type prepared struct {
	query   string
	token   string
	params  []any
	nparams int // how many parameters the statement has; -1 unknown
}

// maxPrepared bounds the prepared statements kept (clients that never
// close theirs).
const maxPrepared = 10_000

// BuiltIn says whether this wardstat can serve Flight SQL.
const BuiltIn = true

// Serve serves Flight SQL on o.Addr until ctx ends, then stops taking
// calls and lets running queries finish for o.Grace (cancelling them
// after), and returns nil.
func Serve(ctx context.Context, src Source, o Options) error {
	o.defaults()
	if o.Tokens.Len() == 0 {
		return msg.Errorf("chưa có mã truy cập nào: hãy ghi %s (mỗi dòng tên:mã, chmod 600) hoặc đặt biến %s; không có mã thì không có dữ liệu",
			"no token is configured: give %s (one name:token a line, chmod 600) or set %s; no token, no data", o.setting("tokens_file"), TokenEnv)
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return msg.Errorf("hãy ghi cả %s và %s, hoặc không ghi cả hai", "give both %s and %s, or neither", o.setting("tls_cert"), o.setting("tls_key"))
	}
	s := &server{src: src, o: o, log: o.Logger, prepared: map[string]*prepared{}, runs: map[string]*sharedRun{}}
	if o.Workers != nil {
		s.slots = make(chan struct{}, o.Workers.Max)
	}
	g := &gate{tokens: o.Tokens, lang: o.Lang, log: o.Logger}
	s.base, s.cancelBase = context.WithCancel(context.Background())
	defer s.cancelBase()
	s.Alloc = memory.DefaultAllocator
	for id, v := range sqlInfo() {
		if err := s.RegisterSqlInfo(flightsql.SqlInfo(id), v); err != nil {
			return err
		}
	}
	// Fewer, larger writes to the socket (gRPC's own buffer is 32 KiB);
	// shared: the buffer is let go while a connection is idle.
	// A batch's body is not copied to be marshalled (dataCodec).
	opts := []grpc.ServerOption{grpc.WriteBufferSize(256 << 10), grpc.SharedWriteBuffer(true),
		grpc.ForceServerCodecV2(newDataCodec())}
	if o.TLSCert != "" {
		creds, err := credentials.NewServerTLSFromFile(o.TLSCert, o.TLSKey)
		if err != nil {
			return msg.Errorf("chứng chỉ TLS (%s, %s): %w", "TLS certificate (%s, %s): %w", o.setting("tls_cert"), o.setting("tls_key"), err)
		}
		opts = append(opts, grpc.Creds(creds))
	}
	srv := flight.NewServerWithMiddleware([]flight.ServerMiddleware{{Unary: g.unaryAuth, Stream: g.streamAuth}}, opts...)
	srv.RegisterFlightService(service{FlightServer: flightsql.NewFlightServer(s), s: s})
	lis := o.Listener
	if lis == nil {
		var err error
		if lis, err = net.Listen("tcp", o.Addr); err != nil {
			return msg.Errorf("không nghe được ở %s: %w", "cannot listen on %s: %w", o.Addr, err)
		}
	}
	srv.InitListener(lis)
	addr := lis.Addr().String()
	if o.TLSCert == "" && !isLoopback(addr) {
		s.log.Warn(msg.Render(msg.Errorf(
			"Flight SQL nghe ở %s, ngoài máy này, KHÔNG có TLS: mã truy cập và dữ liệu đi qua mạng không mã hóa; hãy ghi %s và %s, hoặc chỉ nghe ở 127.0.0.1",
			"Flight SQL listens on %s, beyond this machine, WITHOUT TLS: tokens and data cross the network unencrypted; give %s and %s, or listen on 127.0.0.1 only", addr, o.setting("tls_cert"), o.setting("tls_key")), o.Lang),
			"addr", addr)
	}
	s.log.Info("flight sql listening", "addr", addr, "tls", o.TLSCert != "", "tokens", o.Tokens.Len(),
		"statement_timeout", o.StatementTimeout.String(), "max_rows", o.MaxRows)
	if o.Ready != nil {
		o.Ready(lis.Addr())
	}
	if o.Workers != nil {
		defer s.dropSpare()
		s.workers.Add(1)
		go func() {
			defer s.workers.Done()
			s.refill()
		}()
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	s.log.Info("flight sql draining", "grace", o.Grace.String())
	stopped := make(chan struct{})
	go func() { srv.Shutdown(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(o.Grace):
		s.log.Warn("flight sql: queries still running after the grace period were cancelled", "grace", o.Grace.String())
		s.cancelBase()
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
		}
	}
	<-served
	s.cancelBase() // ends any worker still running (SIGTERM, then SIGKILL)
	if s.o.Workers != nil {
		s.dropSpare()
	}
	waitGroup(&s.workers, 15*time.Second)
	s.log.Info("flight sql stopped")
	return nil
}

// errTooManyRows ends a result past MaxRows.
type errTooManyRows struct{ max int64 }

func (e errTooManyRows) Error() string { return fmt.Sprintf("more than %d rows", e.max) }

// query runs one checked statement and gives its result as pieces
// (results.go): DuckDB's Arrow record batches go to the client as they
// come, never row by row through Go values. The statement keeps the
// warehouse it began on to its end.
func (s *server) query(ctx context.Context, kind, query string, args []any) (<-chan piece, error) {
	began := time.Now()
	qctx, cancel := context.WithTimeout(ctx, s.o.StatementTimeout)
	stop := context.AfterFunc(s.base, cancel)
	finishKind := kind
	finish := func(rows int64, err error) error {
		stop()
		if err != nil {
			err = s.explain(ctx, qctx, err)
		}
		cancel()
		s.logQuery(ctx, finishKind, query, began, rows, err)
		return err
	}
	for attempt := 0; ; attempt++ {
		w, release, err := s.src.Acquire(qctx)
		if err != nil {
			return nil, finish(0, err)
		}
		if err := s.checkStatement(qctx, w, query); err != nil {
			release()
			return nil, finish(0, err)
		}
		var run *sharedRun
		key := shareKey(w, query, args)
		if attempt == 0 {
			f, leader := s.join(key)
			if !leader {
				release()
				finishKind = kind + " (shared)"
				ch, err, ok := s.follow(ctx, qctx, f, finish)
				if ok {
					return ch, err
				}
				finishKind = kind
				continue
			}
			run = f
		}
		ch := make(chan piece, 2)
		go func() {
			k := &sink{ctx: qctx, ch: ch, run: run}
			var err error
			if s.o.Workers != nil && workerPath(w) != "" {
				err = s.streamWorker(qctx, w, query, args, k)
			} else {
				err = s.stream(qctx, w, query, args, k)
			}
			release()
			_, tooMany := err.(errTooManyRows)
			err = finish(k.rows, err)
			if run != nil {
				s.land(key, run, k.said, err, tooMany)
			}
			if err != nil {
				select {
				case ch <- piece{err: err}:
				case <-ctx.Done():
				}
			}
			close(ch)
		}()
		return ch, nil
	}
}

// GetFlightInfoStatement checks the statement (a refusal comes here, at
// Execute) and gives a ticket holding its text.
func (s *server) GetFlightInfoStatement(ctx context.Context, cmd flightsql.StatementQuery, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	if err := s.check(ctx, cmd.GetQuery()); err != nil {
		return nil, err
	}
	tkt, err := flightsql.CreateStatementQueryTicket([]byte(cmd.GetQuery()))
	if err != nil {
		return nil, err
	}
	return &flight.FlightInfo{
		Endpoint:         []*flight.FlightEndpoint{{Ticket: &flight.Ticket{Ticket: tkt}}},
		FlightDescriptor: desc,
		TotalRecords:     -1,
		TotalBytes:       -1,
	}, nil
}

// check runs the sandbox's check of a statement without running it.
func (s *server) check(ctx context.Context, query string) error {
	qctx, cancel := context.WithTimeout(ctx, s.o.StatementTimeout)
	defer cancel()
	w, release, err := s.src.Acquire(qctx)
	if err != nil {
		err = s.explain(ctx, qctx, err)
		s.logQuery(ctx, "check", query, time.Now(), 0, err)
		return err
	}
	defer release()
	if err := s.checkStatement(qctx, w, query); err != nil {
		err = s.explain(ctx, qctx, err)
		s.logQuery(ctx, "check", query, time.Now(), 0, err)
		return err
	}
	return nil
}

// CreatePreparedStatement checks the statement and says its parameters.
func (s *server) CreatePreparedStatement(ctx context.Context, req flightsql.ActionCreatePreparedStatementRequest) (res flightsql.ActionCreatePreparedStatementResult, err error) {
	query := req.GetQuery()
	qctx, cancel := context.WithTimeout(ctx, s.o.StatementTimeout)
	defer cancel()
	w, release, err := s.src.Acquire(qctx)
	if err != nil {
		return res, s.explain(ctx, qctx, err)
	}
	defer release()
	if err := s.checkStatement(qctx, w, query); err != nil {
		err = s.explain(ctx, qctx, err)
		s.logQuery(ctx, "prepare", query, time.Now(), 0, err)
		return res, err
	}
	var params, ds *arrow.Schema
	if s.o.Workers != nil && workerPath(w) != "" {
		params, ds, err = s.describeInWorker(qctx, w, query)
	} else {
		params, err = paramSchema(qctx, w, query)
		if err == nil {
			ds = resultSchema(qctx, w, query, len(params.Fields()))
		}
	}
	if err != nil {
		err = s.explain(ctx, qctx, err)
		s.logQuery(ctx, "prepare", query, time.Now(), 0, err)
		return res, err
	}
	handle := make([]byte, 16)
	rand.Read(handle)
	s.mu.Lock()
	if len(s.prepared) >= maxPrepared {
		s.mu.Unlock()
		return res, status.Error(codes.ResourceExhausted, msg.Render(msg.Errorf(
			"đã có %d câu lệnh chuẩn bị chưa đóng; hãy đóng bớt", "%d prepared statements are open; close some", maxPrepared), s.o.Lang))
	}
	nparams := -1
	if params != nil {
		nparams = len(params.Fields())
	}
	s.prepared[string(handle)] = &prepared{query: query, token: tokenName(ctx), nparams: nparams}
	s.mu.Unlock()
	res.Handle = handle
	res.ParameterSchema = params
	res.DatasetSchema = ds
	return res, nil
}

// paramSchema is the Arrow schema of a statement's parameters, from
// DuckDB's prepared statement (a type DuckDB cannot tell is text).
func paramSchema(ctx context.Context, w *warehouse.Warehouse, query string) (*arrow.Schema, error) {
	conn, err := w.DB().Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var fields []arrow.Field
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*duckdb.Conn)
		if !ok {
			return fmt.Errorf("unexpected driver %T", dc)
		}
		st, err := c.PrepareContext(ctx, query)
		if err != nil {
			return err
		}
		defer st.Close()
		ds := st.(*duckdb.Stmt)
		for i := 1; i <= ds.NumInput(); i++ {
			typ, _ := ds.ParamType(i)
			name, _ := ds.ParamName(i)
			if name == "" {
				name = fmt.Sprintf("parameter_%d", i)
			}
			fields = append(fields, arrow.Field{Name: name, Type: arrowTypeOf(typ), Nullable: true})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return arrow.NewSchema(fields, nil), nil
}

// arrowTypeOf is the Arrow type a client is asked to bind for a DuckDB
// parameter type.
func arrowTypeOf(t duckdb.Type) arrow.DataType {
	switch t {
	case duckdb.TYPE_BOOLEAN:
		return arrow.FixedWidthTypes.Boolean
	case duckdb.TYPE_TINYINT, duckdb.TYPE_SMALLINT, duckdb.TYPE_INTEGER:
		return arrow.PrimitiveTypes.Int32
	case duckdb.TYPE_BIGINT, duckdb.TYPE_UTINYINT, duckdb.TYPE_USMALLINT, duckdb.TYPE_UINTEGER:
		return arrow.PrimitiveTypes.Int64
	case duckdb.TYPE_FLOAT, duckdb.TYPE_DOUBLE, duckdb.TYPE_DECIMAL:
		return arrow.PrimitiveTypes.Float64
	}
	// Dates and times are said as text ('2026-10-01'), which every client
	// can bind (arrow-go's database/sql driver binds no date) and DuckDB
	// casts; a client that sends a date32 or a timestamp is understood too.
	return arrow.BinaryTypes.String
}

// ClosePreparedStatement forgets a prepared statement.
func (s *server) ClosePreparedStatement(ctx context.Context, req flightsql.ActionClosePreparedStatementRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.prepared, string(req.GetPreparedStatementHandle()))
	return nil
}

// lookup is a prepared statement of the calling token.
func (s *server) lookup(ctx context.Context, handle []byte) (*prepared, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.prepared[string(handle)]
	if !ok || p.token != tokenName(ctx) {
		return nil, status.Error(codes.NotFound, msg.Render(msg.Errorf(
			"không có câu lệnh chuẩn bị này (đã đóng, hoặc máy chủ đã khởi động lại); hãy chuẩn bị lại",
			"no such prepared statement (closed, or the server restarted); prepare it again"), s.o.Lang))
	}
	return p, nil
}

// DoPutPreparedStatementQuery binds the parameters a client sends: one
// row; more rows (a batch of parameter sets) are refused, never cut to
// the first.
func (s *server) DoPutPreparedStatementQuery(ctx context.Context, cmd flightsql.PreparedStatementQuery, rdr flight.MessageReader, _ flight.MetadataWriter) ([]byte, error) {
	p, err := s.lookup(ctx, cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, err
	}
	var params []any
	var rows int64
	for rdr.Next() {
		rec := rdr.RecordBatch()
		rows += rec.NumRows()
		if params == nil && rec.NumRows() > 0 {
			params = make([]any, rec.NumCols())
			for i, col := range rec.Columns() {
				params[i] = goValue(col, 0)
			}
		}
	}
	if err := rdr.Err(); err != nil {
		return nil, err
	}
	if rows > 1 {
		return nil, status.Error(codes.InvalidArgument, msg.Render(msg.Errorf(
			"máy khách gửi %d bộ tham số cho một câu lệnh; mỗi lần chạy chỉ nhận một bộ (một dòng): hãy chạy câu lệnh một lần cho mỗi bộ, hoặc gộp chúng vào câu lệnh (IN, VALUES)",
			"the client sent %d sets of parameters for one statement; each run takes one set (one row): run the statement once a set, or put them in the statement (IN, VALUES)",
			rows), s.o.Lang))
	}
	if err := s.paramCount(p, len(params)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	p.params = params
	s.mu.Unlock()
	return cmd.GetPreparedStatementHandle(), nil
}

// GetFlightInfoPreparedStatement gives the ticket of a prepared statement.
func (s *server) GetFlightInfoPreparedStatement(ctx context.Context, cmd flightsql.PreparedStatementQuery, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	if _, err := s.lookup(ctx, cmd.GetPreparedStatementHandle()); err != nil {
		return nil, err
	}
	return &flight.FlightInfo{
		Endpoint:         []*flight.FlightEndpoint{{Ticket: &flight.Ticket{Ticket: desc.Cmd}}},
		FlightDescriptor: desc,
		TotalRecords:     -1,
		TotalBytes:       -1,
	}, nil
}

// bound is a prepared statement of the calling token with its
// parameters, checked against their count.
func (s *server) bound(ctx context.Context, handle []byte) (string, []any, error) {
	p, err := s.lookup(ctx, handle)
	if err != nil {
		return "", nil, err
	}
	s.mu.Lock()
	query, params := p.query, p.params
	s.mu.Unlock()
	if err := s.paramCount(p, len(params)); err != nil {
		return "", nil, err
	}
	return query, params, nil
}

// paramCount refuses n values for a statement with another number of
// parameters, saying how many it needs.
func (s *server) paramCount(p *prepared, n int) error {
	if p.nparams < 0 || n == p.nparams {
		return nil
	}
	return status.Error(codes.InvalidArgument, msg.Render(msg.Errorf(
		"câu lệnh có %d tham số (dấu ?) nhưng máy khách gửi %d giá trị; hãy gửi đúng %d giá trị, một cột cho mỗi tham số",
		"the statement has %d parameters (? marks) but the client sent %d values; send exactly %d, one column a parameter",
		p.nparams, n, p.nparams), s.o.Lang))
}
