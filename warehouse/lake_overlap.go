package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"wardstat/internal/msg"
)

// wardsIn are the ward codes of the lake's dossiers in the partitions of
// province p (province=p/…; noProvince for the codes with none), read
// from those files' ward_code column once and kept: two lakes sharing a
// province are told apart by their wards, never by the province folder.
func (l *LakeInfo) wardsIn(ctx context.Context, db *sql.DB, p string) ([]string, error) {
	if w, ok := l.wards[p]; ok {
		return w, nil
	}
	var list []string
	for _, f := range l.Files["dossiers"] {
		if rel, err := filepath.Rel(filepath.Join(l.Dir, "dossiers"), f); err == nil && strings.HasPrefix(filepath.ToSlash(rel), "province="+p+"/") {
			list = append(list, f)
		}
	}
	var out []string
	if len(list) > 0 {
		rows, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT DISTINCT ward_code FROM read_parquet(%s) WHERE ward_code IS NOT NULL`, fileList(list)))
		if err != nil {
			return nil, msg.Errorf("kho Parquet %q (%s): không đọc được mã xã của tỉnh %s (%s); hãy chạy lại wardstat export ở nút đó hoặc chép lại cả kho: %w",
				"lake %q (%s): cannot read the ward codes of province %s (%s); run wardstat export again on that node or copy the whole lake again: %w",
				l.Name, l.Dir, p, strings.TrimSpace(firstLine(err.Error())), ErrBadLake)
		}
		defer rows.Close()
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	if l.wards == nil {
		l.wards = map[string][]string{}
	}
	l.wards[p] = out
	return out, nil
}

// lakesOverlap refuses two lakes whose dossiers a federation would count
// twice: the same folder (links resolved), the same warehouse's lake (a
// copy), or a ward both hold (a dossier is its ward's code and its own,
// so no dossier is in two lakes unless its ward is). Two nodes of one
// province (two districts' nodes) share its province= folders and
// federate when their wards differ: only the provinces both hold are
// read, ward_code alone.
func lakesOverlap(ctx context.Context, db *sql.DB, a, b *LakeInfo) error {
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
		if !contains(b.Provinces, p) {
			continue
		}
		wa, err := a.wardsIn(ctx, db, p)
		if err != nil {
			return err
		}
		wb, err := b.wardsIn(ctx, db, p)
		if err != nil {
			return err
		}
		var both []string
		for _, c := range wa {
			if j := sort.SearchStrings(wb, c); j < len(wb) && wb[j] == c {
				both = append(both, c)
			}
		}
		if len(both) == 0 {
			continue
		}
		var more any = ""
		if len(both) > 1 {
			more = msg.Errorf(" (và %d xã, phường khác)", " (and %d more wards)", len(both)-1)
		}
		return msg.Errorf("kho Parquet %q (%s) và %q (%s) cùng có hồ sơ của xã, phường %s%s: hồ sơ sẽ bị đếm hai lần; hãy gỡ một kho (wardstat lake detach TÊN), hoặc để mỗi xã, phường chỉ do một nút xuất",
			"lakes %q (%s) and %q (%s) both hold ward %s%s: its dossiers would be counted twice; detach one (wardstat lake detach NAME), or have each ward exported by one node only",
			a.Name, a.Dir, b.Name, b.Dir, both[0], more)
	}
	return nil
}

// attachOverlaps refuses to attach the lake info when a federation of it
// and the lakes already attached under other names would count dossiers
// twice (lakesOverlap), and returns those lakes as read. An attached lake
// that cannot be read now is left to the federation's open, which
// refuses it by name.
func (w *Warehouse) attachOverlaps(ctx context.Context, db *sql.DB, info *LakeInfo) ([]LakeInfo, error) {
	lakes, err := w.Lakes(ctx)
	if err != nil {
		return nil, err
	}
	var others []LakeInfo
	for _, l := range lakes {
		if l.Name == info.Name {
			continue
		}
		other, err := checkLakeOn(ctx, db, l, false)
		if err != nil {
			continue
		}
		if err := lakesOverlap(ctx, db, &other, info); err != nil {
			return nil, err
		}
		others = append(others, other)
	}
	return others, nil
}
