package flight

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill the worker when the server's
// thread that started it ends (with the server): no worker outlives it.
func dieWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
