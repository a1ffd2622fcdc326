package warehouse

import (
	"errors"
	"path/filepath"
	"strings"

	"wardstat/internal/msg"
)

// LakeReadError names the lake whose file a query over a federation of
// lakes could not read — a file corrupted inside, its footer intact
// (DuckDB: "ZSTD Decompression failure") — and says what to do, with
// DuckDB's first line after it. Any other error is returned as it is.
func LakeReadError(lakes []Lake, err error) error {
	if err == nil || errors.Is(err, ErrBadLake) {
		return err
	}
	text := err.Error()
	for _, l := range lakes {
		if l.Dir == "" || !strings.Contains(text, filepath.Clean(l.Dir)+string(filepath.Separator)) {
			continue
		}
		return msg.Errorf("kho Parquet %q (%s): một tệp hỏng, không đọc được; hãy chép lại kho từ nút đó hoặc chạy lại wardstat export ở đó: %s: %w",
			"lake %q (%s): a file is corrupt and cannot be read; copy the lake again from its node or run wardstat export there again: %s: %w",
			l.Name, l.Dir, strings.TrimSpace(firstLine(text)), ErrBadLake)
	}
	return err
}
