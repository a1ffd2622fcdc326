package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"wardstat/flight"
)

// A writer (a load) that finds readers holding the warehouse says so in a
// marker file beside it, holding its PID, until it has the lock or gives
// up: the Flight server then starts no new statement on the live
// warehouse, so that the readers' opening closes and the writer gets in.

// writerWaitingPath is the marker of a writer waiting for db.
func writerWaitingPath(db string) string { return db + ".writer-waiting" }

// markWriterWaiting writes the marker; the result removes it.
func markWriterWaiting(db string) func() {
	path := writerWaitingPath(db)
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return func() {}
	}
	return func() { os.Remove(path) }
}

// writerWaiting is the PID of a live process waiting to write db; a
// marker of a process that is gone is ignored.
func writerWaiting(db string) (int, bool) {
	b, err := os.ReadFile(writerWaitingPath(db))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return 0, false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return 0, false
	}
	if err := p.Signal(syscall.Signal(0)); err != nil && !strings.Contains(err.Error(), "not permitted") {
		return 0, false
	}
	return pid, true
}

// writerWaitBound is how long a new statement waits for a waiting writer
// (a load) to finish before it is refused: the Flight queue's timeout.
var writerWaitBound = flight.DefaultQueueTimeout

// waitForWriter holds a new statement on the live warehouse while a writer
// waits for it, up to writerWaitBound; then the statement is refused as
// Unavailable.
func (a *app) waitForWriter(ctx context.Context) error {
	if _, ok := writerWaiting(a.dbPath); !ok {
		return nil
	}
	deadline := time.Now().Add(writerWaitBound)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if _, ok := writerWaiting(a.dbPath); !ok {
			return nil
		}
	}
	return status.Error(codes.Unavailable, a.t("một lần nạp đang chạy trên kho; hãy chạy lại sau một phút",
		"a load is running on the warehouse; retry in a minute"))
}
