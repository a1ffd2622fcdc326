package warehouse_test

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"wardstat/ingest"
	"wardstat/transform"
)

// The dossiers table has exactly the columns of the canonical Arrow schema
// (plus the warehouse's own bookkeeping), with matching types.
func TestDossiersTableIsTheCanonicalSchema(t *testing.T) {
	w := mustOpen(t)
	rows, err := w.DB().Query(`SELECT column_name, data_type FROM information_schema.columns
		WHERE table_name = 'dossiers' ORDER BY ordinal_position`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]string{}
	for rows.Next() {
		var n, ty string
		rows.Scan(&n, &ty)
		got[n] = ty
	}
	duck := map[arrow.Type]string{arrow.STRING: "VARCHAR", arrow.INT16: "SMALLINT", arrow.INT64: "BIGINT",
		arrow.TIMESTAMP: "TIMESTAMP", arrow.BOOL: "BOOLEAN", arrow.FLOAT64: "DOUBLE"}
	for _, f := range transform.DossierSchema.Fields() {
		if got[f.Name] != duck[f.Type.ID()] {
			t.Errorf("column %s: table has %q, schema says %s", f.Name, got[f.Name], f.Type)
		}
		delete(got, f.Name)
	}
	for n := range got {
		if n != "state_hash" && n != "first_load_id" {
			t.Errorf("column %s is not in the canonical schema", n)
		}
	}
}

// A dossier with no due date in its export gets one from the procedure
// catalogue, counted in working days from the day of receipt (the next day
// after 15:00), skipping weekends and holidays.
func TestDueDateFromCatalogue(t *testing.T) {
	w := mustOpen(t)
	if _, err := w.ImportProcedures(t.Context(), strings.NewReader("procedure_code,procedure_name,sector,working_days\n1.001193,Đăng ký khai sinh,Hộ tịch,1\n,Chứng thực bản sao,Chứng thực,0\n2.000001,Cấp phép,Xây dựng,3\n")); err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, t.TempDir(), "nodue.csv", `Mã hồ sơ,Mã TTHC,Tên thủ tục,Ngày tiếp nhận
H09-240426-0001,1.001193,Đăng ký khai sinh,25/04/2024 09:00
H09-240426-0002,1.001193,Đăng ký khai sinh,25/04/2024 15:30
H09-240426-0003,,Chứng thực bản sao,27/04/2024 08:00
H09-240426-0004,2.000001,Cấp phép,26/04/2024 10:00
H09-240426-0005,9.999,Không có trong danh mục,26/04/2024 10:00
`)
	mustIngest(t, w, p, ingest.FileOptions{})
	// 2024: Hùng Kings 18/04 (Thu); 30/04 (Tue) and 01/05 (Wed) off; 27-28/04 weekend.
	want := map[string]string{
		"H09-240426-0001": "2024-04-26 catalogue", // Thu 25 + 1 working day = Fri 26
		"H09-240426-0002": "2024-04-29 catalogue", // after 15:00: starts Fri 26, + 1 = Mon 29
		"H09-240426-0003": "2024-04-29 catalogue", // Saturday, 0 days: the next working day
		"H09-240426-0004": "2024-05-03 catalogue", // Fri 26 + 3: Mon 29, Thu 2, Fri 3
		"H09-240426-0005": " ",                    // unknown: never guessed
	}
	rows, err := w.DB().Query(`SELECT dossier_code, coalesce(strftime(due_at, '%Y-%m-%d'), '') || ' ' || coalesce(due_source, '') FROM dossiers`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var code, got string
		rows.Scan(&code, &got)
		if got != want[code] {
			t.Errorf("%s: due %q, want %q", code, got, want[code])
		}
	}
}
