//go:build duckdb_arrow

package flight

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"wardstat/internal/msg"
	"wardstat/warehouse"
)

// tail keeps the last bytes written to it (a worker's standard error).
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailBytes = 8 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailBytes {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailBytes:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// errBusy: every worker is busy and the queue's wait ran out.
type errBusy struct {
	max  int
	wait time.Duration
}

func (e errBusy) Error() string { return fmt.Sprintf("%d workers busy for %s", e.max, e.wait) }

// slot waits for a free worker, up to the queue's timeout.
func (s *server) slot(ctx context.Context) (release func(), err error) {
	t := time.NewTimer(s.o.Workers.QueueTimeout)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots }, nil
	case <-t.C:
		return nil, errBusy{s.o.Workers.Max, s.o.Workers.QueueTimeout}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// streamWorker is stream with the statement run by a worker: the
// worker's IPC messages go to the client as they come, as they are (the
// worker cuts its batches to max_rows, so none needs cutting here). The
// statement's timeout, its client's cancellation and the server's stop
// end the worker (SIGTERM, then SIGKILL after KillGrace), so a statement
// DuckDB cannot interrupt still ends on time.
func (s *server) streamWorker(ctx context.Context, w *warehouse.Warehouse, query string, args []any, k *sink) error {
	free, err := s.slot(ctx)
	if err != nil {
		return err
	}
	defer free()
	req, err := encodeRequest(w.Path(), query, args, false, s.o.MaxRows)
	if err != nil {
		return err
	}
	p, err := s.worker()
	if err != nil {
		return err
	}
	grace := s.o.Workers.KillGrace
	waited := false
	wait := func() error {
		if waited {
			return nil
		}
		waited = true
		return s.wait(p)
	}
	defer func() {
		if !waited {
			p.kill(grace)
			wait()
		}
	}()
	stop := context.AfterFunc(ctx, func() { p.kill(grace) })
	defer stop()
	// The request, then the end of the worker's input (a spare waits
	// for both).
	if _, err := p.stdin.Write(req); err != nil {
		p.stdin.Close()
		return s.workerError(ctx, wait(), p.stderr, err)
	}
	p.stdin.Close()
	stderr, stdout := p.stderr, p.stdout
	// A small buffer for the messages' metadata: a body larger than it is
	// read from the pipe straight into its own bytes.
	msgs := &ipcMessages{r: bufio.NewReaderSize(stdout, 64<<10), pool: &s.bodies}
	fd, info, rerr := msgs.next()
	if rerr == nil && info.kind != msgSchema {
		rerr = errors.New("the worker's result does not begin with its schema")
	}
	if rerr != nil {
		return s.workerError(ctx, wait(), stderr, rerr)
	}
	if err := k.put(fd, 0); err != nil {
		return err
	}
	for {
		fd, info, rerr = msgs.next()
		if rerr != nil {
			break
		}
		if k.rows+info.rows > s.o.MaxRows {
			return errTooManyRows{s.o.MaxRows}
		}
		if info.kind == msgRecordBatch && info.rows == 0 {
			continue
		}
		if err := k.putPiece(piece{fd: fd, rows: info.rows, body: msgs.body}); err != nil {
			return err
		}
	}
	if rerr == io.EOF {
		rerr = nil
	}
	if werr := wait(); werr != nil || rerr != nil {
		return s.workerError(ctx, werr, stderr, rerr)
	}
	return nil
}

// workerError is why a worker failed: its own line, else its death.
func (s *server) workerError(ctx context.Context, waitErr error, stderr *tail, readErr error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	text := stderr.String()
	if i := strings.LastIndex(text, workerPrefix); i >= 0 {
		line := strings.TrimSpace(text[i+len(workerPrefix):])
		if j := strings.IndexByte(line, '\n'); j >= 0 {
			line = line[:j]
		}
		kind, said, _ := strings.Cut(line, ":")
		said = strings.TrimSpace(said)
		switch kind {
		case WorkerMemory:
			return s.errWorkerMemory()
		case WorkerBigRow:
			return status.Error(codes.ResourceExhausted, msg.Render(msg.Errorf(
				"một dòng của kết quả lớn hơn 4 MiB, cỡ thông điệp lớn nhất máy khách Flight SQL nhận theo mặc định, nên không gửi; hãy chọn ít cột hơn hoặc cắt giá trị (left, substr)",
				"a row of the result is larger than 4 MiB, the largest message a Flight SQL client takes by default, and was not sent; select fewer columns or cut the values (left, substr)"), s.o.Lang))
		case WorkerRefused:
			return status.Error(codes.PermissionDenied, said)
		default:
			return status.Error(codes.InvalidArgument, said)
		}
	}
	var exit *exec.ExitError
	if errors.As(waitErr, &exit) {
		// Killed by the kernel (the OOM killer), or Go's own fatal out of
		// memory: the worker needed more memory than it may have.
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() ||
			strings.Contains(text, "out of memory") || strings.Contains(text, "pthread_create") ||
			strings.Contains(text, "cannot allocate memory") || strings.Contains(text, "bad_alloc") {
			return s.errWorkerMemory()
		}
	}
	s.log.Warn("flight sql: a worker ended unexpectedly", "wait", fmt.Sprint(waitErr), "read", fmt.Sprint(readErr))
	return status.Error(codes.Internal, msg.Render(msg.Errorf(
		"tiến trình chạy câu lệnh đã dừng bất thường (%v); hãy chạy lại, hoặc thu hẹp câu lệnh",
		"the process running the statement ended unexpectedly (%v); run it again, or narrow the statement", firstErr(waitErr, readErr)), s.o.Lang))
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// errWorkerMemory: a statement needed more memory than a worker has.
func (s *server) errWorkerMemory() error {
	return status.Error(codes.ResourceExhausted, msg.Render(msg.Errorf(
		"câu lệnh cần quá nhiều bộ nhớ (mỗi câu lệnh Flight SQL dùng tối đa %d MB) nên đã bị dừng; hãy thu hẹp nó (WHERE, LIMIT, giá trị nhỏ hơn)",
		"the statement needed more memory than a Flight SQL statement may use (%d MB) and was stopped; narrow it (WHERE, LIMIT, smaller values)",
		s.o.Workers.DataLimit>>20), s.o.Lang))
}

// errWorkersBusy is errBusy in the client's words.
func (s *server) errWorkersBusy(e errBusy) error {
	return status.Error(codes.ResourceExhausted, msg.Render(msg.Errorf(
		"máy chủ đang chạy %d câu lệnh (tối đa cùng lúc) và câu lệnh này đã chờ %s mà chưa đến lượt; hãy chạy lại sau ít phút",
		"the server is running %d statements (its most at once) and this one waited %s without its turn; run it again in a few minutes",
		e.max, e.wait), s.o.Lang))
}

// workerPath is the warehouse file a worker opens ("" when the opening
// has no file of its own, e.g. a federation of lakes: the statement runs
// in the server).
func workerPath(w *warehouse.Warehouse) string {
	p := w.Path()
	if p == "" || p == ":memory:" {
		return ""
	}
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// checkStatement is the sandbox's check of a statement in the server:
// with workers, the part made from the parse tree (preparing folds
// constants, which can be the statement's whole work), the worker
// checking it whole again before it runs.
func (s *server) checkStatement(ctx context.Context, w *warehouse.Warehouse, query string) error {
	if s.o.Workers != nil && workerPath(w) != "" {
		return w.CheckParse(ctx, query)
	}
	return w.CheckRead(ctx, query)
}

// describeInWorker is a prepared statement's parameters and result schema
// (nil when it cannot be known before it runs), from a worker: preparing
// folds constants and the result schema runs the statement with LIMIT 0,
// either of which can be the statement's whole work.
func (s *server) describeInWorker(ctx context.Context, w *warehouse.Warehouse, query string) (params, ds *arrow.Schema, err error) {
	free, err := s.slot(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer free()
	req, err := encodeRequest(w.Path(), query, nil, true, 0)
	if err != nil {
		return nil, nil, err
	}
	cmd := s.o.Workers.Command()
	cmd.Stdin = bytes.NewReader(req)
	stderr := &tail{}
	cmd.Stderr = stderr
	var stdout bytes.Buffer
	cmd.Stdout = &limitedWriter{w: &stdout, n: 16 << 20}
	dieWithParent(cmd)
	closeOnExec()
	s.workers.Add(1)
	defer s.workers.Done()
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	stop := context.AfterFunc(ctx, func() {
		cmd.Process.Signal(syscall.SIGTERM)
		time.AfterFunc(s.o.Workers.KillGrace, func() { cmd.Process.Kill() })
	})
	werr := cmd.Wait()
	stop()
	s.log.Info("flight sql worker", "pid", cmd.Process.Pid, "exit", cmd.ProcessState.ExitCode(), "peak_rss_mb", peakOf(stderr.String(), cmd.ProcessState))
	if werr != nil {
		return nil, nil, s.workerError(ctx, werr, stderr, nil)
	}
	rdr, err := ipc.NewReader(&stdout)
	if err != nil {
		return nil, nil, s.workerError(ctx, nil, stderr, err)
	}
	defer rdr.Release()
	sch := rdr.Schema()
	md := sch.Metadata()
	i := md.FindKey(resParams)
	if i < 0 {
		return nil, nil, s.workerError(ctx, nil, stderr, errors.New("no parameters in the worker's answer"))
	}
	raw, err := base64.StdEncoding.DecodeString(md.Values()[i])
	if err != nil {
		return nil, nil, err
	}
	if params, err = flight.DeserializeSchema(raw, memory.DefaultAllocator); err != nil {
		return nil, nil, err
	}
	if j := md.FindKey(resKnown); j >= 0 && md.Values()[j] == "1" {
		var keys, vals []string
		for k, key := range md.Keys() {
			if key != resParams && key != resKnown {
				keys, vals = append(keys, key), append(vals, md.Values()[k])
			}
		}
		rest := arrow.NewMetadata(keys, vals)
		ds = arrow.NewSchema(sch.Fields(), &rest)
	}
	return params, ds, nil
}

// limitedWriter keeps at most n bytes and fails past them.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if len(p) > l.n {
		return 0, errors.New("the worker's answer is too large")
	}
	l.n -= len(p)
	return l.w.Write(p)
}

// reqDescribe asks a worker for a statement's parameters and result
// schema (a prepared statement's), not its rows: the answer is a stream
// of no batches in the result's schema (none when it cannot be known
// before it runs, resKnown "0"), with the parameters' schema in resParams.
const (
	reqMaxRows  = "wardstat.max_rows"
	reqDescribe = "wardstat.describe"
	resParams   = "wardstat.params"
	resKnown    = "wardstat.known"
)
