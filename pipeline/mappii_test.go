package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wardstat/internal/msg"
	"wardstat/pipeline"
	"wardstat/transform"
	"wardstat/warehouse"
)

// TestMapRefusesPersonalColumns: --map onto a column wardstat knows holds
// applicants' identities (a name, an ID number), for a field kept as
// text, is refused in one line, and nothing of the file is stored; the
// same columns mapped onto the applicant's fields still load (hashed).
func TestMapRefusesPersonalColumns(t *testing.T) {
	data := missingHeader + "\n" +
		"000.31.09.H26-261001-0001,000.31.09.H26,01/10/2026 08:00,05/10/2026,03/10/2026,Trực tiếp,Hộ tịch,Khai sinh,Ngô Bá Khá,0987654321,001203000001\n"
	p := filepath.Join(t.TempDir(), "pii.csv")
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, m := range []map[string]string{
		{"sector": "Chủ hồ sơ", "procedure_name": "Số CCCD"},
		{"procedure_name": "Số điện thoại"},
		{"sector": "Chủ hồ sơ"},
	} {
		dbPath := filepath.Join(t.TempDir(), "w.duckdb")
		w, err := warehouse.Open(context.Background(), dbPath, warehouse.Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = pipeline.File(context.Background(), w, p, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("k")), Map: m})
		var me *msg.Error
		if err == nil || !errors.As(err, &me) || !strings.Contains(me.Text("en"), "personal data") || !strings.Contains(me.Text("vi"), "dữ liệu cá nhân") || strings.Contains(me.Text("vi"), "\n") {
			t.Errorf("--map %v: %v; want a refusal naming personal data, in vi and en", m, err)
		}
		var n int
		if err := w.DB().QueryRow(`SELECT count(*) FROM dossiers`).Scan(&n); err != nil || n != 0 {
			t.Errorf("--map %v: %d dossiers stored (%v)", m, n, err)
		}
		if _, err := w.DB().Exec("CHECKPOINT"); err != nil {
			t.Fatal(err)
		}
		w.Close()
		files, _ := filepath.Glob(dbPath + "*")
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil {
				for _, s := range []string{"Ngô Bá Khá", "001203000001", "0987654321"} {
					if bytes.Contains(b, []byte(s)) {
						t.Errorf("--map %v: %s holds %q in clear", m, filepath.Base(f), s)
					}
				}
			}
		}
	}
	w := openWarehouse(t)
	res, err := pipeline.File(context.Background(), w, p, pipeline.FileOptions{Hasher: transform.NewHasher([]byte("k")),
		Map: map[string]string{"applicant_name": "Chủ hồ sơ", "applicant_id": "Số CCCD"}})
	if err != nil || res.Result.Loaded != 1 {
		t.Fatalf("--map onto the applicant's fields: %v", err)
	}
}
