//go:build !linux

package flight

import "os/exec"

// dieWithParent: only Linux kills a child with its parent (Pdeathsig);
// elsewhere the server's stop kills its workers itself.
func dieWithParent(*exec.Cmd) {}

// widePipe: the pipe keeps its size.
func widePipe(any) {}

// closeOnExec: elsewhere the server's files stay as they are.
func closeOnExec() {}

// exited: elsewhere a dead spare is found when its statement is sent.
func exited(*exec.Cmd) bool { return false }
