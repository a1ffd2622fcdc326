package report

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	"wardstat/internal/atomicfile"
)

// Nightly writes the month's report into dir as bao-cao-YYYY-MM.html and
// bieu06-YYYY-MM.xlsx (with the ward's code in the names for one ward),
// each replaced atomically. It returns the paths written.
func Nightly(ctx context.Context, db *sql.DB, dir string, opt Options) ([]string, error) {
	d, err := Gather(ctx, db, opt)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	suffix := opt.Month.Format("2006-01")
	if opt.Ward != "" {
		suffix = opt.Ward + "-" + suffix
	}
	var html, xlsx bytes.Buffer
	if err := WriteHTML(&html, d); err != nil {
		return nil, fmt.Errorf("html report: %w", err)
	}
	if err := WriteXLSX(&xlsx, d); err != nil {
		return nil, fmt.Errorf("xlsx report: %w", err)
	}
	var out []string
	for name, b := range map[string][]byte{"bao-cao-" + suffix + ".html": html.Bytes(), "bieu06-" + suffix + ".xlsx": xlsx.Bytes()} {
		p := filepath.Join(dir, name)
		if err := atomicfile.Write(p, b, 0o644); err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}
