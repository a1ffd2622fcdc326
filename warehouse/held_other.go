//go:build !linux

package warehouse

import (
	"context"
	"io"
	"os"
	"runtime"
)

// heldFD cannot find the process's own descriptors without /proc: -1.
func heldFD(path string) int { return -1 }

// copyLive copies the live warehouse file at src into dst. On Unix a
// child process copies (closing a descriptor of our own would drop
// DuckDB's locks); elsewhere locks belong to a handle, and an open of our
// own drops nothing.
func copyLive(ctx context.Context, src string, dst *os.File) error {
	if runtime.GOOS != "windows" {
		return copyInChild(ctx, src, dst)
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(dst, f)
	return err
}
