package warehouse_test

import (
	"testing"

	"wardstat/pipeline"
	"wardstat/warehouse"
)

// otherWard is the load's code_in_other_ward warning (zero when none).
func otherWard(r warehouse.LoadResult) warehouse.Warning {
	for _, wn := range r.Warnings {
		if wn.Code == "code_in_other_ward" {
			return wn
		}
	}
	return warehouse.Warning{}
}

// The check for a code stored under another ward takes its stored side
// from the merge's match: it must still see a same-code dossier of
// another ward that the same night's file adds or changes, one put back
// by a replaced load, and never one of the same ward.
func TestOtherWardTwinsOfTonight(t *testing.T) {
	head := "Mã hồ sơ,Mã đơn vị,Ngày tiếp nhận,Ngày có kết quả\n"
	type file struct {
		name, body string
		opt        pipeline.FileOptions
	}
	tests := []struct {
		name    string
		before  []file
		tonight file
		count   int64
		wards   []string // the example is one of these
	}{
		{"two new dossiers of one code in two wards, one file", nil,
			file{"n.csv", head + "HS-1,A01,01/10/2026 08:00,\nHS-1,A02,02/10/2026 08:00,\nHS-2,A01,02/10/2026 08:00,\n", pipeline.FileOptions{}},
			1, []string{"A01", "A02"}},
		{"a new dossier, its code's dossier of another ward changed tonight",
			[]file{{"a.csv", head + "HS-1,A01,01/10/2026 08:00,\n", pipeline.FileOptions{}}},
			file{"n.csv", head + "HS-1,A01,01/10/2026 08:00,05/10/2026 10:00\nHS-1,A02,02/10/2026 08:00,\n", pipeline.FileOptions{}},
			1, []string{"A01"}},
		{"a new dossier, its code's dossier of another ward unchanged tonight",
			[]file{{"a.csv", head + "HS-1,A01,01/10/2026 08:00,\n", pipeline.FileOptions{}}},
			file{"n.csv", head + "HS-1,A01,01/10/2026 08:00,\nHS-1,A02,02/10/2026 08:00,\n", pipeline.FileOptions{}},
			1, []string{"A01"}},
		{"a new dossier, its code stored under another ward",
			[]file{{"a.csv", head + "HS-1,A01,01/10/2026 08:00,\nHS-2,A01,01/10/2026 08:00,\n", pipeline.FileOptions{}}},
			file{"n.csv", head + "HS-1,A03,02/10/2026 08:00,\nHS-3,A03,02/10/2026 08:00,\n", pipeline.FileOptions{}},
			1, []string{"A01"}},
		{"a changed dossier and a repeated new one, each in its own ward",
			[]file{{"a.csv", head + "HS-1,A01,01/10/2026 08:00,\n", pipeline.FileOptions{}}},
			file{"n.csv", head + "HS-1,A01,01/10/2026 08:00,05/10/2026 10:00\nHS-2,A01,02/10/2026 08:00,\nHS-2,A01,02/10/2026 08:00,06/10/2026 10:00\n", pipeline.FileOptions{}},
			0, nil},
		{"a state put back by the replaced load, under another ward",
			[]file{
				{"g.csv", "Mã hồ sơ,Ngày tiếp nhận,Ngày có kết quả\nHS-1,01/10/2026 08:00,\n", pipeline.FileOptions{Ward: "A01"}},
				{"f.csv", "Mã hồ sơ,Ngày tiếp nhận,Ngày có kết quả\nHS-1,01/10/2026 08:00,05/10/2026 10:00\n", pipeline.FileOptions{Ward: "A01"}},
			},
			file{"f.csv", "Mã hồ sơ,Ngày tiếp nhận,Ngày có kết quả\nHS-1,01/10/2026 08:00,05/10/2026 10:00\n", pipeline.FileOptions{Ward: "A02"}},
			1, []string{"A01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := mustOpen(t)
			dir := t.TempDir()
			for _, f := range tt.before {
				mustIngest(t, w, writeFile(t, dir, f.name, f.body), f.opt)
			}
			r := mustIngest(t, w, writeFile(t, dir, tt.tonight.name, tt.tonight.body), tt.tonight.opt)
			wn := otherWard(r)
			if wn.Count != tt.count {
				t.Fatalf("code_in_other_ward count %d, want %d: %+v", wn.Count, tt.count, r.Warnings)
			}
			ok := tt.count == 0
			for _, ward := range tt.wards {
				ok = ok || wn.Example == ward
			}
			if !ok {
				t.Errorf("code_in_other_ward names %q, want one of %v", wn.Example, tt.wards)
			}
		})
	}
}
