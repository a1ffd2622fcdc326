package warehouse

import (
	"context"
	_ "embed"
	"io"
	"strings"

	"github.com/gocarina/gocsv"

	"wardstat/internal/msg"
)

// Procedure is one row of the procedure catalogue CSV.
type Procedure struct {
	Code        string `csv:"procedure_code"`
	Name        string `csv:"procedure_name"`
	Sector      string `csv:"sector"`
	WorkingDays int    `csv:"working_days"`
}

// ImportProcedures replaces the procedure catalogue from a CSV with the
// header procedure_code,procedure_name,sector,working_days.
func (w *Warehouse) ImportProcedures(ctx context.Context, r io.Reader) (int, error) {
	var ps []Procedure
	if err := gocsv.Unmarshal(r, &ps); err != nil {
		return 0, msg.Errorf("đọc danh mục thủ tục (cần các cột procedure_code,procedure_name,sector,working_days): %w", "reading the procedure catalogue (expected the columns procedure_code,procedure_name,sector,working_days): %w", err)
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM procedures`); err != nil {
		return 0, err
	}
	for i, p := range ps {
		if strings.TrimSpace(p.Code) == "" && strings.TrimSpace(p.Name) == "" {
			return 0, msg.Errorf("danh mục thủ tục, dòng %d: cần procedure_code hoặc procedure_name", "procedure catalogue, row %d: give procedure_code or procedure_name", i+2)
		}
		if p.WorkingDays < 0 || p.WorkingDays > 365 {
			return 0, msg.Errorf("danh mục thủ tục, dòng %d, cột working_days: %d không phải số ngày làm việc", "procedure catalogue, row %d, column working_days: %d is not a number of working days", i+2, p.WorkingDays)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO procedures VALUES (nullif(?, ''), nullif(?, ''), nullif(?, ''), ?)`,
			strings.TrimSpace(p.Code), strings.TrimSpace(p.Name), strings.TrimSpace(p.Sector), p.WorkingDays); err != nil {
			return 0, err
		}
	}
	return len(ps), tx.Commit()
}
