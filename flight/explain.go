//go:build duckdb_arrow

package flight

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"wardstat/internal/msg"
	"wardstat/warehouse"
)

// explain turns a query's error into a gRPC status the client shows, in
// the server's language: the sandbox's refusals and limits in the words
// of `wardstat sql`, the statement timeout and max_rows in the endpoint's.
func (s *server) explain(ctx, qctx context.Context, err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	var many errTooManyRows
	var busy errBusy
	switch {
	case errors.As(err, &busy):
		return s.errWorkersBusy(busy)
	case errors.As(err, &many):
		return status.Error(codes.ResourceExhausted, msg.Render(msg.Errorf(
			"kết quả có hơn %d dòng (%s) nên đã dừng sau %d dòng đầu; hãy thu hẹp câu lệnh (WHERE, LIMIT, GROUP BY) hoặc dùng wardstat export",
			"the result has more than %d rows (%s) and was stopped after the first %d; narrow the statement (WHERE, LIMIT, GROUP BY) or use wardstat export", many.max, s.o.setting("max_rows"), many.max), s.o.Lang))
	case s.base.Err() != nil:
		return status.Error(codes.Unavailable, msg.Render(msg.Errorf(
			"máy chủ đang dừng nên câu lệnh đã bị hủy; hãy chạy lại sau ít phút", "the server is stopping and the statement was cancelled; run it again in a few minutes"), s.o.Lang))
	case errors.Is(qctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		return status.Error(codes.DeadlineExceeded, msg.Render(msg.Errorf(
			"câu lệnh chạy quá %s (%s) nên đã bị dừng; hãy thu hẹp nó (WHERE, LIMIT)",
			"the statement ran longer than %s (%s) and was stopped; narrow it (WHERE, LIMIT)", s.o.StatementTimeout, s.o.setting("statement_timeout")), s.o.Lang))
	case ctx.Err() != nil:
		return status.Error(codes.Canceled, msg.Render(msg.Errorf("câu lệnh đã bị hủy", "the statement was cancelled"), s.o.Lang))
	case errors.Is(err, errNoSnapshot):
		return status.Error(codes.Unavailable, msg.Render(err, s.o.Lang))
	case OutOfMemory(err.Error()):
		return s.errMemory()
	}
	code := codes.InvalidArgument
	if errors.Is(err, warehouse.ErrNotARead) {
		code = codes.PermissionDenied
	}
	if errors.Is(err, warehouse.ErrLocked) || errors.Is(err, warehouse.ErrNoWarehouse) {
		code = codes.Unavailable
	}
	if s.o.Explain != nil {
		err = s.o.Explain(err)
	}
	return status.Error(code, msg.Render(err, s.o.Lang))
}

// errMemory: a statement needed more memory than the endpoint gives one,
// in Flight SQL's words (a worker's limit when statements run in workers).
func (s *server) errMemory() error {
	if s.o.Workers != nil && s.o.Workers.DataLimit > 0 {
		return s.errWorkerMemory()
	}
	return status.Error(codes.ResourceExhausted, msg.Render(msg.Errorf(
		"câu lệnh cần nhiều bộ nhớ hơn máy chủ Flight SQL dành cho nó nên đã bị dừng; hãy thu hẹp nó (WHERE, LIMIT, giá trị nhỏ hơn) hoặc chạy lại khi máy chủ bớt bận",
		"the statement needed more memory than the Flight SQL server gives it and was stopped; narrow it (WHERE, LIMIT, smaller values) or run it again when the server is less busy"), s.o.Lang))
}

// logQuery logs a query with its token's name (never the token), its
// duration and rows; the text is logged as a hash and a length, as an
// analyst may have typed anything into it.
func (s *server) logQuery(ctx context.Context, kind, query string, began time.Time, rows int64, err error) {
	sum := sha256.Sum256([]byte(query))
	attrs := []any{"token", tokenName(ctx), "kind", kind, "ms", sinceMS(began), "rows", max(rows, 0),
		"query_sha256", hex.EncodeToString(sum[:6]), "query_bytes", len(query), "peer", peerAddr(ctx)}
	if err != nil {
		st, _ := status.FromError(err)
		s.log.Info("query failed", append(attrs, "code", st.Code().String(), "error", logText(st.Message()))...)
		return
	}
	s.log.Info("query", attrs...)
}
