package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"wardstat/pipeline"
	"wardstat/transform"
)

// TestBareCRInACellIsASpace: a CR alone inside an unquoted cell
// ("Hộ\rtịch") is read as a space by both readers: the sector is "Hộ
// tịch", the same as the next row's, not a sector of its own holding a
// control character that prints as nothing.
func TestBareCRInACellIsASpace(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cr.csv")
	if err := os.WriteFile(p, []byte("Mã hồ sơ,Mã đơn vị,Ngày tiếp nhận,Ngày hẹn trả,Hình thức nộp,Lĩnh vực,Tên thủ tục\n"+
		"000.31.09.H26-261002-0001,000.31.09.H26,02/10/2026 08:00,05/10/2026,Trực tiếp,Hộ\rtịch,Khai sinh\n"+
		"000.31.09.H26-261002-0002,000.31.09.H26,02/10/2026 08:00,05/10/2026,Trực tiếp,Hộ tịch,Khai sinh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, goReader := range []bool{false, true} {
		w := openWarehouse(t)
		res, err := pipeline.File(context.Background(), w, p, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("k")), GoReader: goReader})
		if err != nil {
			t.Fatal(err)
		}
		var sectors string
		var n int
		if err := w.DB().QueryRow(`SELECT string_agg(DISTINCT sector, '|'), count(*) FROM dossiers`).Scan(&sectors, &n); err != nil {
			t.Fatal(err)
		}
		if sectors != "Hộ tịch" || n != 2 || res.Result.Rejected != 0 {
			t.Errorf("our reader %v: sectors %q of %d dossiers, %d rejected; want \"Hộ tịch\" of 2", goReader, sectors, n, res.Result.Rejected)
		}
	}
}
