//go:build !linux

package warehouse

import "context"

// publishFile copies the whole live file: the clone and the spare's
// delta need Linux's FICLONE, open file description locks and
// RENAME_EXCHANGE (publish_linux.go).
func publishFile(ctx context.Context, src, dest string, gid int) (Published, error) {
	return publishCopy(ctx, src, dest, gid)
}
