package warehouse

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"

	"wardstat/internal/msg"
)

// warehouseIDName is the meta row holding the warehouse's own random id,
// made once: a lake's manifest names the warehouse that wrote it.
const warehouseIDName = "warehouse_id"

// WarehouseID is the warehouse's id (meta 'warehouse_id'), made on first
// use: 128 random bits, hex. A copy of the warehouse file has the same id.
func (w *Warehouse) WarehouseID(ctx context.Context) (string, error) {
	var id string
	err := w.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = ?`, warehouseIDName).Scan(&id)
	if err == nil || !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	if _, err := w.db.ExecContext(ctx, `INSERT INTO meta VALUES (?, ?) ON CONFLICT DO NOTHING`, warehouseIDName, hex.EncodeToString(b)); err != nil {
		return "", err
	}
	err = w.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = ?`, warehouseIDName).Scan(&id)
	return id, err
}

type forceLakeKey struct{}

// ForceLakeOwner lets ExportLake (and CheckLakeOwner) under ctx write a
// lake another warehouse wrote: the lake is then this warehouse's, the
// other's partitions removed (export --force).
func ForceLakeOwner(ctx context.Context) context.Context {
	return context.WithValue(ctx, forceLakeKey{}, true)
}

// CheckLakeOwner says whether this warehouse may write the lake at dir:
// a folder with no manifest, or whose manifest names this warehouse or
// none (written before the id was recorded), unless ctx is
// ForceLakeOwner's. An export into another node's lake would delete that
// node's partitions. It returns this warehouse's id.
func (w *Warehouse) CheckLakeOwner(ctx context.Context, dir string) (string, error) {
	id, err := w.WarehouseID(ctx)
	if err != nil {
		return "", err
	}
	m, err := readLakeManifest(filepath.Join(dir, "_manifest.json"))
	if err != nil && !os.IsNotExist(err) {
		return id, nil // a corrupt manifest: the export rewrites the lake, as before
	}
	if m.WarehouseID != "" && m.WarehouseID != id && ctx.Value(forceLakeKey{}) == nil {
		return id, msg.Errorf("%s là kho Parquet của một kho dữ liệu khác (mã %s; kho này %s): ghi vào sẽ xóa dữ liệu của nút đó; hãy chọn thư mục khác cho --out, hoặc thêm --force để kho này thay toàn bộ kho Parquet đó",
			"%s is the lake of another warehouse (id %s; this one is %s): writing it would delete that node's data; choose another --out folder, or add --force to replace that whole lake with this warehouse's", dir, m.WarehouseID, id)
	}
	return id, nil
}
