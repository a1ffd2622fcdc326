//go:build duckdb_arrow

package flight

import (
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// proc is a worker process, started and waiting for its request on its
// standard input.
type proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout io.ReadCloser
	stderr *tail

	once sync.Once
}

// spawn starts a worker. It is counted in s.workers until waited.
func (s *server) spawn() (*proc, error) {
	cmd := s.o.Workers.Command()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		stdin.Close()
		return nil, err
	}
	widePipe(stdout)
	p := &proc{cmd: cmd, stdin: stdin, stdout: stdout, stderr: &tail{}}
	cmd.Stderr = p.stderr
	dieWithParent(cmd)
	closeOnExec()
	s.workers.Add(1)
	if err := cmd.Start(); err != nil {
		s.workers.Done()
		return nil, err
	}
	s.log.Debug("flight sql worker started", "pid", cmd.Process.Pid)
	return p, nil
}

// kill ends the worker: SIGTERM, then SIGKILL after KillGrace.
func (p *proc) kill(grace time.Duration) {
	p.once.Do(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		time.AfterFunc(grace, func() { p.cmd.Process.Kill() })
	})
}

// wait reads the worker's output to its end, waits for it and logs its
// exit and peak memory.
func (s *server) wait(p *proc) error {
	defer s.workers.Done()
	io.Copy(io.Discard, p.stdout)
	err := p.cmd.Wait()
	s.log.Info("flight sql worker", "pid", p.cmd.Process.Pid, "exit", p.cmd.ProcessState.ExitCode(), "peak_rss_mb", peakOf(p.stderr.String(), p.cmd.ProcessState))
	return err
}

// A spare worker is started ahead of the next statement and waits for it
// (its start, the binary's loading and the Go runtime's, is then off the
// statement's time); each statement takes it and starts the next. A spare
// holds no warehouse open (it does not know the file yet) and no slot.

// worker gives a started worker for a statement: the spare when there is
// one.
func (s *server) worker() (*proc, error) {
	s.spareMu.Lock()
	p := s.spare
	s.spare = nil
	s.spareMu.Unlock()
	s.workers.Add(1)
	go func() {
		defer s.workers.Done()
		s.refill()
	}()
	if p != nil && exited(p.cmd) {
		// A spare that died waiting (killed, crashed): reaped and logged,
		// and the statement gets a fresh worker.
		s.log.Warn("flight sql: the spare worker had ended; starting another", "pid", p.cmd.Process.Pid)
		p.stdin.Close()
		s.wait(p)
		p = nil
	}
	if p != nil {
		return p, nil
	}
	return s.spawn()
}

// refill starts a spare when there is none (not once the server stops).
func (s *server) refill() {
	s.spareMu.Lock()
	busy := s.spareStop || s.spare != nil || s.refilling
	if !busy {
		s.refilling = true
	}
	s.spareMu.Unlock()
	if busy {
		return
	}
	p, err := s.spawn()
	s.spareMu.Lock()
	s.refilling = false
	if err == nil && s.spare == nil && !s.spareStop {
		s.spare, p = p, nil
	}
	s.spareMu.Unlock()
	if err != nil {
		s.log.Warn("flight sql: no spare worker", "err", err)
		return
	}
	if p != nil {
		p.stdin.Close()
		p.cmd.Process.Kill()
		s.wait(p)
	}
}

// dropSpare ends the spare and starts no other (the server stops).
func (s *server) dropSpare() {
	s.spareMu.Lock()
	p := s.spare
	s.spare, s.spareStop = nil, true
	s.spareMu.Unlock()
	if p != nil {
		p.stdin.Close()
		p.cmd.Process.Kill()
		s.wait(p)
	}
}
