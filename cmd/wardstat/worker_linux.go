//go:build linux

package main

import (
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// workerStack is a worker's thread stack size. A thread's stack (8 MB by
// default, from RLIMIT_STACK) is counted whole by RLIMIT_DATA though
// little of it is used: a worker's sixteen threads would take 128 MB of
// its data limit. glibc reads the default once, when the process starts,
// so the worker sets it and starts itself again.
const workerStack = 2 << 20

// workerStackEnv marks the worker started again with small stacks.
const workerStackEnv = "WARDSTAT_WORKER_STACK"

// smallStacks starts the process again with workerStack stacks, once; it
// returns only when that cannot be done (or is done).
func smallStacks() {
	var lim unix.Rlimit
	if os.Getenv(workerStackEnv) != "" || unix.Getrlimit(unix.RLIMIT_STACK, &lim) != nil ||
		(lim.Cur != unix.RLIM_INFINITY && lim.Cur <= workerStack) {
		return
	}
	lim.Cur = workerStack
	if unix.Setrlimit(unix.RLIMIT_STACK, &lim) != nil {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	syscall.Exec(exe, os.Args, append(os.Environ(), workerStackEnv+"="+strconv.Itoa(os.Getppid())))
}

// dieWithServer asks the kernel to kill the worker when the server ends.
// The server asks it too (flight's Pdeathsig), but the setting belongs to
// the thread that made it, and smallStacks' exec may run on another one.
func dieWithServer() {
	unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0, 0, 0)
	if p := os.Getenv(workerStackEnv); p != "" && p != strconv.Itoa(os.Getppid()) {
		os.Exit(1) // the server ended before the setting was made
	}
}
