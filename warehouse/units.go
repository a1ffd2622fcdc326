package warehouse

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gocarina/gocsv"

	"wardstat/internal/msg"
)

// Unit is one row of the unit registry: a ward over a span of time.
type Unit struct {
	Code      string `csv:"code"`
	Name      string `csv:"name"`
	District  string `csv:"district"`
	Province  string `csv:"province"`
	ValidFrom string `csv:"valid_from"` // yyyy-mm-dd, empty: always
	ValidTo   string `csv:"valid_to"`   // yyyy-mm-dd, empty: still valid
}

// ReadUnits parses a registry CSV with the header
// code,name,district,province,valid_from,valid_to.
func ReadUnits(r io.Reader) ([]Unit, error) {
	var units []Unit
	if err := gocsv.Unmarshal(r, &units); err != nil {
		return nil, msg.Errorf("đọc danh mục đơn vị (cần các cột code,name,district,province,valid_from,valid_to): %w", "reading the unit registry (expected the columns code,name,district,province,valid_from,valid_to): %w", err)
	}
	for i, u := range units {
		row := i + 2
		if strings.TrimSpace(u.Code) == "" || strings.TrimSpace(u.Name) == "" {
			return nil, msg.Errorf("danh mục đơn vị, dòng %d: cần có code và name", "unit registry, row %d: code and name are required", row)
		}
		for _, d := range []struct{ col, v string }{{"valid_from", u.ValidFrom}, {"valid_to", u.ValidTo}} {
			if d.v == "" {
				continue
			}
			if _, err := time.Parse(time.DateOnly, d.v); err != nil {
				return nil, msg.Errorf("danh mục đơn vị, dòng %d, cột %s: %q không phải ngày dạng yyyy-mm-dd", "unit registry, row %d, column %s: %q is not a yyyy-mm-dd date", row, d.col, d.v)
			}
		}
	}
	return units, nil
}

// ReplaceUnits makes the registry exactly these units, in one transaction.
func (w *Warehouse) ReplaceUnits(ctx context.Context, units []Unit) error {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM units`); err != nil {
		return fmt.Errorf("replacing units: %w", err)
	}
	for _, u := range units {
		if _, err := tx.ExecContext(ctx, `INSERT INTO units VALUES (?, ?, nullif(?, ''), nullif(?, ''), nullif(?, '')::DATE, nullif(?, '')::DATE)`,
			strings.TrimSpace(u.Code), strings.TrimSpace(u.Name), strings.TrimSpace(u.District), strings.TrimSpace(u.Province), u.ValidFrom, u.ValidTo); err != nil {
			return fmt.Errorf("unit %s: %w", u.Code, err)
		}
	}
	return tx.Commit()
}
