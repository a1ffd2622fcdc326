package warehouse_test

import (
	"database/sql"
	"testing"
)

// A ward renamed when its district was abolished (1/7/2025: the new row
// has no district) is shown, for a period holding both rows, with the
// name and district of its latest row together: taking each column's
// latest non-NULL value alone paired the new name with the old district.
func TestUnitAtTakesTheWholeLatestRow(t *testing.T) {
	w := mustOpen(t)
	dir := t.TempDir()
	mustUnits(t, w, writeFile(t, dir, "units.csv", `code,name,district,province,valid_from,valid_to
H01.01,Xã Cũ,Huyện Cũ,Tỉnh Một,,2025-06-30
H01.01,Phường Mới,,Tỉnh Một,2025-07-01,
`))
	var name string
	var district sql.NullString
	if err := w.DB().QueryRow(`SELECT name, district FROM unit_at('2025-01-01', '2025-12-31') WHERE code = 'H01.01'`).Scan(&name, &district); err != nil {
		t.Fatal(err)
	}
	if name != "Phường Mới" || district.Valid {
		t.Errorf("unit_at over both rows = %q, %v; want the latest row whole: Phường Mới, no district", name, district)
	}
	if err := w.DB().QueryRow(`SELECT name, district FROM unit_at('2025-01-01', '2025-03-31') WHERE code = 'H01.01'`).Scan(&name, &district); err != nil {
		t.Fatal(err)
	}
	if name != "Xã Cũ" || district.String != "Huyện Cũ" {
		t.Errorf("unit_at before the change = %q, %v; want Xã Cũ, Huyện Cũ", name, district)
	}
}
