package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"wardstat/internal/msg"
)

// unplacedWards are the ward codes of the dossiers in the files of the
// partitions with no province code (province=__HIVE_DEFAULT_PARTITION__):
// for them the province cannot tell two lakes apart.
func unplacedWards(ctx context.Context, db *sql.DB, files []string) ([]string, error) {
	var list []string
	for _, f := range files {
		if strings.Contains(f, "province="+noProvince) {
			list = append(list, f)
		}
	}
	if len(list) == 0 {
		return nil, nil
	}
	rows, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT DISTINCT ward_code FROM read_parquet(%s) WHERE ward_code IS NOT NULL ORDER BY 1`, fileList(list)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	sort.Strings(out)
	return out, rows.Err()
}

// lakesOverlap refuses two lakes whose dossiers a federation would count
// twice: the same folder (links resolved), the same warehouse's lake (a
// copy), a province both hold, or a ward with no province code both hold.
func lakesOverlap(a, b LakeInfo) error {
	switch {
	case a.Real != "" && a.Real == b.Real:
		return msg.Errorf("kho Parquet %q và %q là cùng một thư mục (%s): hồ sơ sẽ bị đếm hai lần; hãy gỡ một kho (wardstat lake detach TÊN)",
			"lakes %q and %q are the same folder (%s): their dossiers would be counted twice; detach one (wardstat lake detach NAME)", a.Name, b.Name, a.Real)
	case a.WarehouseID != "" && a.WarehouseID == b.WarehouseID:
		return msg.Errorf("kho Parquet %q (%s) và %q (%s) do cùng một kho dữ liệu ghi (mã %s, một bản chép): hồ sơ sẽ bị đếm hai lần; hãy gỡ một kho (wardstat lake detach TÊN)",
			"lakes %q (%s) and %q (%s) were written by the same warehouse (id %s, a copy): their dossiers would be counted twice; detach one (wardstat lake detach NAME)",
			a.Name, a.Dir, b.Name, b.Dir, a.WarehouseID)
	}
	for _, p := range a.Provinces {
		if p != noProvince && contains(b.Provinces, p) {
			return msg.Errorf("kho Parquet %q và %q cùng có tỉnh %s: hồ sơ sẽ bị đếm hai lần; hãy gỡ một kho (wardstat lake detach TÊN)",
				"lakes %q and %q both hold province %s: its dossiers would be counted twice; detach one (wardstat lake detach NAME)", a.Name, b.Name, p)
		}
	}
	for _, c := range a.UnplacedWards {
		if j := sort.SearchStrings(b.UnplacedWards, c); j < len(b.UnplacedWards) && b.UnplacedWards[j] == c {
			return msg.Errorf("kho Parquet %q và %q cùng có xã %s (mã không có tỉnh): hồ sơ sẽ bị đếm hai lần; hãy gỡ một kho (wardstat lake detach TÊN)",
				"lakes %q and %q both hold ward %s (a code with no province): its dossiers would be counted twice; detach one (wardstat lake detach NAME)", a.Name, b.Name, c)
		}
	}
	return nil
}

// attachOverlaps refuses to attach the lake info when a federation of it
// and the lakes already attached under other names would count dossiers
// twice (lakesOverlap). An attached lake that cannot be read now is left
// to the federation's open, which refuses it by name.
func (w *Warehouse) attachOverlaps(ctx context.Context, info LakeInfo) error {
	lakes, err := w.Lakes(ctx)
	if err != nil {
		return err
	}
	for _, l := range lakes {
		if l.Name == info.Name {
			continue
		}
		other, err := CheckLake(ctx, l)
		if err != nil {
			continue
		}
		if err := lakesOverlap(other, info); err != nil {
			return err
		}
	}
	return nil
}
