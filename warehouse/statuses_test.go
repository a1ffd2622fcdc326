package warehouse_test

import (
	"testing"

	"wardstat/pipeline"
)

// Which statuses count is the status catalogue's to say (statuses.counted),
// for the load (a dossier of an uncounted status without a receipt date is
// left out, not rejected) and for every figure (dossier_days,
// dossier_facts): a catalogue that counts status 3 makes the load reject
// such a dossier and the figures count one that has a receipt date.
func TestCountedStatusesComeFromTheCatalogue(t *testing.T) {
	csv := `Mã hồ sơ,Ngày nộp,Ngày tiếp nhận,Ngày hẹn trả,Trạng thái hồ sơ,Kênh nộp
H09.01-240301-0001,01/03/2024 07:55,01/03/2024 08:10,04/03/2024 17:00,Đang xử lý,Trực tuyến
H09.01-240301-0002,01/03/2024 21:00,02/03/2024 08:00,05/03/2024 17:00,Không được tiếp nhận,Trực tuyến
H09.01-240301-0003,01/03/2024 22:00,,,Không được tiếp nhận,Ứng dụng VNeID
H09.01-240301-0004,01/03/2024 23:00,,,1,Trực tuyến
`
	for _, tc := range []struct {
		name                           string
		update                         string
		notAccepted, rejected, counted int64
	}{
		{"as shipped", "", 2, 0, 1},
		{"status 3 counted", "UPDATE statuses SET counted = true WHERE status = 3", 1, 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := mustOpen(t)
			if tc.update != "" {
				if _, err := w.DB().Exec(tc.update); err != nil {
					t.Fatal(err)
				}
			}
			r := mustIngest(t, w, writeFile(t, t.TempDir(), "dvc.csv", csv), pipeline.FileOptions{})
			if r.NotAccepted != tc.notAccepted || r.Rejected != tc.rejected {
				t.Errorf("left out %d, rejected %d; want %d, %d", r.NotAccepted, r.Rejected, tc.notAccepted, tc.rejected)
			}
			for _, view := range []string{"dossier_days", "dossier_facts"} {
				var n int64
				if err := w.DB().QueryRow("SELECT count(*) FROM " + view).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != tc.counted {
					t.Errorf("%s counts %d dossiers, want %d", view, n, tc.counted)
				}
			}
		})
	}
}
