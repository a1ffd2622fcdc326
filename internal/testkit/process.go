package testkit

import (
	"errors"
	"os/exec"
	"syscall"
	"time"
)

// ErrStillRunning is a process that did not end on SIGTERM in the time given.
var ErrStillRunning = errors.New("did not stop on SIGTERM")

// Terminate sends c's process SIGTERM and waits up to within for it to
// end, returning c.Wait's error; a process still running then is killed
// (and waited for a few seconds more) and ErrStillRunning returned.
func Terminate(c *exec.Cmd, within time.Duration) error {
	c.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- c.Wait() }()
	select {
	case err := <-exited:
		return err
	case <-time.After(within):
		c.Process.Kill()
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
		}
		return ErrStillRunning
	}
}
