//go:build duckdb_arrow

package flight

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow/flight"
	pb "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// A result travels as Flight data: each Arrow IPC message (the schema
// first, then the batches) is one FlightData, its flatbuffer metadata the
// header and its buffers the body. A worker's IPC stream is cut into its
// messages and forwarded as they are, never decoded and encoded again; a
// statement run in the server is encoded once (recordSink).

// piece is one FlightData of a result and the rows it holds (0 for the
// schema and dictionaries), or the error that ends the result.
type piece struct {
	fd   *flight.FlightData
	rows int64
	err  error
	// body, when set, is fd's body from bodies: given back once gRPC has
	// written it (pooledData), unless a shared run keeps the piece.
	body *[]byte
}

// size is the piece's bytes, kept for the followers of a run.
func (p piece) size() int64 { return int64(len(p.fd.DataHeader) + len(p.fd.DataBody)) }

// service is flightsql's Flight service with its DoGet of statements
// and prepared statements replaced: their results are written to the
// stream as Flight data (results.go); the catalogs and everything else
// go to flightsql's.
type service struct {
	flight.FlightServer
	s *server
}

// DoGet runs a statement's or a prepared statement's ticket.
func (v service) DoGet(tkt *flight.Ticket, stream flight.FlightService_DoGetServer) error {
	g := v.s.startGet(stream.Context(), tkt.GetTicket())
	defer v.s.endGet(g)
	stream = getStream{stream, g.ctx}
	var anycmd anypb.Any
	if proto.Unmarshal(tkt.GetTicket(), &anycmd) == nil {
		if cmd, err := anycmd.UnmarshalNew(); err == nil {
			switch cmd := cmd.(type) {
			case *pb.TicketStatementQuery:
				// Checked again: a ticket is the client's to forge.
				return v.s.send(stream, "statement", string(cmd.GetStatementHandle()), nil)
			case *pb.CommandPreparedStatementQuery:
				query, params, err := v.s.bound(stream.Context(), cmd.GetPreparedStatementHandle())
				if err != nil {
					return err
				}
				return v.s.send(stream, "prepared", query, params)
			}
		}
	}
	return v.FlightServer.DoGet(tkt, stream)
}

// send runs a statement and writes its result to the client's stream.
func (s *server) send(stream flight.FlightService_DoGetServer, kind, query string, args []any) error {
	ch, err := s.query(stream.Context(), kind, query, args)
	if err != nil {
		return err
	}
	for p := range ch {
		if p.err != nil {
			return p.err
		}
		var err error
		if p.body != nil {
			err = stream.SendMsg(&pooledData{fd: p.fd, body: p.body, pool: &s.bodies})
		} else {
			err = stream.Send(p.fd)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// sink is where a run puts its pieces: the client's channel, the run's
// followers, the rows sent.
type sink struct {
	ctx  context.Context
	ch   chan<- piece
	run  *sharedRun
	said bool // the schema was sent
	rows int64
}

// put sends one piece, waiting for the client (a slow client holds back
// the run rather than filling memory).
func (k *sink) put(fd *flight.FlightData, rows int64) error {
	return k.putPiece(piece{fd: fd, rows: rows})
}

// putPiece is put of a piece whose body may be pooled.
func (k *sink) putPiece(p piece) error {
	if k.run.record(p) {
		p.body = nil // the followers read it after this client
	}
	select {
	case k.ch <- p:
		k.said = true
		k.rows += p.rows
		k.run.sent()
		return nil
	case <-k.ctx.Done():
		return k.ctx.Err()
	}
}

// recordSink is an ipc.PayloadWriter giving each message of an
// ipc.Writer to a sink as a FlightData of its own bytes.
type recordSink struct{ k *sink }

func (r recordSink) Start() error { return nil }
func (r recordSink) Close() error { return nil }

func (r recordSink) WritePayload(pl ipc.Payload) error {
	meta := pl.Meta()
	header := bytes.Clone(meta.Bytes())
	meta.Release()
	var body bytes.Buffer
	if err := pl.SerializeBody(&body); err != nil {
		return err
	}
	info, err := messageInfo(header)
	if err != nil {
		return err
	}
	return r.k.put(&flight.FlightData{DataHeader: header, DataBody: body.Bytes()}, info.rows)
}

// IPC message kinds (Message.fbs's MessageHeader).
const (
	msgSchema      = 1
	msgRecordBatch = 3
)

// msgInfo is what the server reads of an IPC message's metadata.
type msgInfo struct {
	kind    byte
	bodyLen int64
	rows    int64 // a record batch's length
}

// messageInfo reads an IPC message's kind, body length and, for a record
// batch, its rows from its flatbuffer metadata (Message.fbs: Message's
// fields version, header_type, header, bodyLength; RecordBatch's first
// field length).
func messageInfo(meta []byte) (info msgInfo, err error) {
	defer func() {
		if recover() != nil {
			err = errors.New("invalid IPC message metadata")
		}
	}()
	le := binary.LittleEndian
	// field is the position of a table's field i, 0 when absent.
	field := func(table uint32, i int) uint32 {
		vt := uint32(int64(table) - int64(int32(le.Uint32(meta[table:]))))
		if uint32(4+2*i) >= uint32(le.Uint16(meta[vt:])) {
			return 0
		}
		off := uint32(le.Uint16(meta[vt+4+2*uint32(i):]))
		if off == 0 {
			return 0
		}
		return table + off
	}
	msg := le.Uint32(meta)
	if p := field(msg, 1); p != 0 {
		info.kind = meta[p]
	}
	if p := field(msg, 3); p != 0 {
		info.bodyLen = int64(le.Uint64(meta[p:]))
	}
	if info.kind == msgRecordBatch {
		if p := field(msg, 2); p != 0 {
			batch := p + le.Uint32(meta[p:])
			if q := field(batch, 0); q != 0 {
				info.rows = int64(le.Uint64(meta[q:]))
			}
		}
	}
	if info.bodyLen < 0 || info.rows < 0 {
		return info, errors.New("invalid IPC message metadata")
	}
	return info, nil
}

// maxIPCMessage bounds one message from a worker (a batch is cut to about
// maxMessageBytes, a row to maxRowBytes): a larger length is a broken
// stream.
const maxIPCMessage = 1 << 30

// ipcMessages reads an Arrow IPC stream's messages as FlightData, their
// bytes as they are.
type ipcMessages struct {
	r   io.Reader
	hdr [4]byte
	// pool, when set, gives the bodies of pooledBody bytes or more; body
	// is the last message's (nil: not pooled).
	pool *bodies
	body *[]byte
}

// next is the stream's next message; io.EOF at its end.
func (m *ipcMessages) next() (*flight.FlightData, msgInfo, error) {
	var info msgInfo
	if _, err := io.ReadFull(m.r, m.hdr[:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // a stream ends with its end-of-stream marker
		}
		return nil, info, err
	}
	n := binary.LittleEndian.Uint32(m.hdr[:])
	if n == 0xFFFFFFFF { // continuation marker, then the length
		if _, err := io.ReadFull(m.r, m.hdr[:]); err != nil {
			return nil, info, io.ErrUnexpectedEOF
		}
		n = binary.LittleEndian.Uint32(m.hdr[:])
	}
	if n == 0 {
		return nil, info, io.EOF
	}
	if n < 8 || n > maxIPCMessage {
		return nil, info, fmt.Errorf("IPC message metadata of %d bytes", n)
	}
	meta := make([]byte, n)
	if _, err := io.ReadFull(m.r, meta); err != nil {
		return nil, info, io.ErrUnexpectedEOF
	}
	info, err := messageInfo(meta)
	if err != nil {
		return nil, info, err
	}
	if info.bodyLen > maxIPCMessage {
		return nil, info, fmt.Errorf("IPC message body of %d bytes", info.bodyLen)
	}
	var body []byte
	m.body = nil
	if m.pool != nil && info.bodyLen >= pooledBody {
		m.body = m.pool.get(int(info.bodyLen))
		body = *m.body
	} else {
		body = make([]byte, info.bodyLen)
	}
	if _, err := io.ReadFull(m.r, body); err != nil {
		return nil, info, io.ErrUnexpectedEOF
	}
	return &flight.FlightData{DataHeader: meta, DataBody: body}, info, nil
}

// runningGet is a DoGet running: its ticket, its token and what cancels
// it (CancelFlightInfo).
type runningGet struct {
	ticket string
	token  string
	ctx    context.Context
	cancel context.CancelFunc
}

// getStream is a DoGet's stream with a context CancelFlightInfo ends.
type getStream struct {
	flight.FlightService_DoGetServer
	ctx context.Context
}

func (g getStream) Context() context.Context { return g.ctx }

func (s *server) startGet(ctx context.Context, ticket []byte) *runningGet {
	cctx, cancel := context.WithCancel(ctx)
	g := &runningGet{ticket: string(ticket), token: tokenName(ctx), ctx: cctx, cancel: cancel}
	s.mu.Lock()
	if s.gets == nil {
		s.gets = map[*runningGet]bool{}
	}
	s.gets[g] = true
	s.mu.Unlock()
	return g
}

func (s *server) endGet(g *runningGet) {
	s.mu.Lock()
	delete(s.gets, g)
	s.mu.Unlock()
	g.cancel()
}

// CancelFlightInfo cancels the calling token's DoGets of the info's
// tickets: their statements stop (their workers end) and their clients
// get Canceled.
func (s *server) CancelFlightInfo(ctx context.Context, req *flight.CancelFlightInfoRequest) (flight.CancelFlightInfoResult, error) {
	tickets := map[string]bool{}
	for _, ep := range req.GetInfo().GetEndpoint() {
		tickets[string(ep.GetTicket().GetTicket())] = true
	}
	token := tokenName(ctx)
	n := 0
	s.mu.Lock()
	for g := range s.gets {
		if tickets[g.ticket] && g.token == token {
			g.cancel()
			n++
		}
	}
	s.mu.Unlock()
	if n == 0 {
		return flight.CancelFlightInfoResult{Status: flight.CancelStatusNotCancellable}, nil
	}
	return flight.CancelFlightInfoResult{Status: flight.CancelStatusCancelled}, nil
}
