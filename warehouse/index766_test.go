package warehouse_test

import (
	"fmt"
	"strings"
	"testing"

	"wardstat/pipeline"
)

// The 766 progress rule: more than one supplement request makes a dossier
// late, and every request the history holds counts, not only the one the
// last export shows. Ward X01, May 2024: 61 dossiers resolved, 49 on or
// before their due day, 12 after; two of the 49 had a second supplement
// request, seen in a later export. 49/61 = 80.33 % judged only the last
// request; the rule gives 47/61 = 77.05 %.
func TestIndex766CountsEverySupplementRequest(t *testing.T) {
	w := mustOpen(t)
	dir := t.TempDir()
	head := "Mã hồ sơ,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Ngày yêu cầu bổ sung,Ngày nhận bổ sung\n"
	var first, second strings.Builder
	first.WriteString(head)
	second.WriteString(head)
	for i := 1; i <= 61; i++ {
		done := "15/05/2024"
		if i > 49 {
			done = "24/05/2024" // late
		}
		req, ans := "", ""
		if i <= 2 {
			req, ans = "06/05/2024", "07/05/2024"
			fmt.Fprintf(&second, "X01-240502-%04d,02/05/2024,20/05/2024,%s,10/05/2024,13/05/2024\n", i, done)
		}
		fmt.Fprintf(&first, "X01-240502-%04d,02/05/2024,20/05/2024,%s,%s,%s\n", i, done, req, ans)
	}
	mustIngest(t, w, writeFile(t, dir, "x01-a.csv", first.String()), pipeline.FileOptions{})
	mustIngest(t, w, writeFile(t, dir, "x01-b.csv", second.String()), pipeline.FileOptions{})
	if got := queryRow(t, w, `SELECT progress_rate, progress_points FROM mart_index766 WHERE ward_code = 'X01' AND month = '2024-05'`); got != "77.05|15.41" {
		t.Errorf("progress: got %s, want 77.05|15.41 (47 of 61: two dossiers had two supplement requests)", got)
	}
}

// The supplement wait moves the due day in working days, as deadlines are
// counted. X02: due Wednesday 12/06/2024, a request on Friday 07/06
// answered on Monday 10/06: one working day, so the due day becomes
// Thursday 13/06 and a result on Friday 14/06 is late (three calendar days
// made it Saturday 15/06, in time).
//
// Open dossiers at a month's end follow the same rules. X03: a dossier due
// after July with two requests is late at 31/07, one with none is in time
// (the form: both in time). X04: a dossier due 10/07 waiting since 05/07
// for the applicant's supplement has its clock stopped, so it is in time
// at 31/07 (the form: overdue).
func TestIndex766SupplementWaitInWorkingDays(t *testing.T) {
	w := mustOpen(t)
	dir := t.TempDir()
	head := "Mã hồ sơ,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Ngày yêu cầu bổ sung,Ngày nhận bổ sung\n"
	mustIngest(t, w, writeFile(t, dir, "a.csv", head+
		"X02-240603-0001,03/06/2024,12/06/2024,14/06/2024,07/06/2024,10/06/2024\n"+
		"X03-240701-0001,01/07/2024,15/08/2024,,03/07/2024,05/07/2024\n"+
		"X03-240701-0002,01/07/2024,15/08/2024,,,\n"+
		"X04-240701-0001,01/07/2024,10/07/2024,,05/07/2024,\n"), pipeline.FileOptions{})
	mustIngest(t, w, writeFile(t, dir, "b.csv", head+
		"X03-240701-0001,01/07/2024,15/08/2024,,10/07/2024,12/07/2024\n"), pipeline.FileOptions{})
	got := queryRow(t, w, `SELECT ward_code, month, progress_rate FROM mart_index766
		WHERE (ward_code, month) IN (('X02', '2024-06'), ('X03', '2024-07'), ('X04', '2024-07')) ORDER BY ward_code`)
	want := "X02|2024-06|0\nX03|2024-07|50\nX04|2024-07|100"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// A part whose inputs the export does not have is unknown (NULL, with a
// note), never 0, and the points possible leave it out. X05's export has a
// fee column but no paid-online, digitised or apology column: its online
// payment share was 0 (0 of 10 points, 42 possible) and its apology
// coverage 0 %. X06's export has the columns, with the yes cells marked
// and the others blank: its figures stay 25 % and 0 %. X07's export has no
// fee column, and its note says so.
func TestIndex766UnknownPartsAreNull(t *testing.T) {
	w := mustOpen(t)
	dir := t.TempDir()
	mustIngest(t, w, writeFile(t, dir, "x05.csv", "Mã hồ sơ,Hình thức nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Lệ phí\n"+
		"X05-240801-0001,Trực tuyến,01/08/2024,06/08/2024,05/08/2024,50.000\n"+
		"X05-240801-0002,Trực tiếp,01/08/2024,06/08/2024,05/08/2024,50.000\n"+
		"X05-240801-0003,Trực tiếp,01/08/2024,06/08/2024,09/08/2024,50.000\n"+
		"X05-240801-0004,Trực tiếp,01/08/2024,06/08/2024,09/08/2024,50.000\n"), pipeline.FileOptions{})
	mustIngest(t, w, writeFile(t, dir, "x06.csv", "Mã hồ sơ,Hình thức nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Lệ phí,Thanh toán trực tuyến,Số hóa,Thư xin lỗi\n"+
		"X06-240801-0001,Trực tuyến,01/08/2024,06/08/2024,05/08/2024,50.000,x,x,\n"+
		"X06-240801-0002,Trực tiếp,01/08/2024,06/08/2024,05/08/2024,50.000,,,\n"+
		"X06-240801-0003,Trực tiếp,01/08/2024,06/08/2024,09/08/2024,50.000,,x,\n"+
		"X06-240801-0004,Trực tiếp,01/08/2024,06/08/2024,09/08/2024,50.000,,,\n"), pipeline.FileOptions{})
	mustIngest(t, w, writeFile(t, dir, "x07.csv", "Mã hồ sơ,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả\n"+
		"X07-240801-0001,01/08/2024,06/08/2024,05/08/2024\n"), pipeline.FileOptions{})
	cases := []struct{ name, query, want string }{
		{"index parts", `SELECT ward_code, progress_rate, online_share, coalesce(online_payment_share::VARCHAR, 'NULL'), coalesce(online_payment_points::VARCHAR, 'NULL'),
			coalesce(digitisation_share::VARCHAR, 'NULL'), points, points_possible
			FROM mart_index766 WHERE month = '2024-08' ORDER BY ward_code`,
			"X05|50|25|NULL|NULL|NULL|16|32\nX06|50|25|25.0|2.5|50.0|32.25|64\nX07|100|0|NULL|NULL|NULL|20|32"},
		{"index notes", `SELECT ward_code, note_en FROM mart_index766 WHERE month = '2024-08' ORDER BY ward_code`,
			"X05|online payment: the export has no paid-online column; digitisation: the export has no digitised column\nX06|NULL\n" +
				"X07|online payment: the export has no fee column; digitisation: the export has no digitised column"},
		{"apology", `SELECT ward_code, late, with_apology, without_apology, apology_unknown, coalesce(coverage::VARCHAR, 'NULL'), coalesce(note_en, '-')
			FROM mart_apology WHERE month = '2024-08' AND ward_code < 'X07' ORDER BY ward_code`,
			"X05|2|0|0|2|NULL|the export has no apology-letter column\nX06|2|0|2|0|0.0|-"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := queryRow(t, w, c.query); got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

// A late dossier whose export has an apology-letter column ("Thư xin
// lỗi") but leaves its cell blank is stored NULL in dossiers, which the
// marts count as "no" (DESIGN.md: a blank in a column the export has is a
// no). dossier_flags gives every dossier's flags by that rule, and
// mart_apology's counts are its counts: false is without_apology, NULL
// (no such column) is apology_unknown; the same for paid online and
// digitised against mart_index766.
func TestDossierFlagsAgreeWithTheMarts(t *testing.T) {
	w := mustOpen(t)
	dir := t.TempDir()
	mustIngest(t, w, writeFile(t, dir, "x05.csv", "Mã hồ sơ,Hình thức nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Lệ phí\n"+
		"X05-240801-0001,Trực tuyến,01/08/2024,06/08/2024,05/08/2024,50.000\n"+
		"X05-240801-0003,Trực tiếp,01/08/2024,06/08/2024,09/08/2024,50.000\n"), pipeline.FileOptions{})
	mustIngest(t, w, writeFile(t, dir, "x06.csv", "Mã hồ sơ,Hình thức nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Lệ phí,Thanh toán trực tuyến,Số hóa,Thư xin lỗi\n"+
		"X06-240801-0001,Trực tuyến,01/08/2024,06/08/2024,05/08/2024,50.000,x,x,\n"+
		"X06-240801-0002,Trực tiếp,01/08/2024,06/08/2024,05/08/2024,50.000,,,\n"+
		"X06-240801-0003,Trực tiếp,01/08/2024,06/08/2024,09/08/2024,50.000,,x,x\n"+
		"X06-240801-0004,Trực tiếp,01/08/2024,06/08/2024,09/08/2024,50.000,,,\n"), pipeline.FileOptions{})
	got := queryRow(t, w, `SELECT dossier_code, coalesce(apology_issued::VARCHAR, 'NULL'), coalesce(paid_online::VARCHAR, 'NULL'), coalesce(digitised::VARCHAR, 'NULL')
		FROM dossier_flags ORDER BY dossier_code`)
	want := "X05-240801-0001|NULL|NULL|NULL\nX05-240801-0003|NULL|NULL|NULL\n" +
		"X06-240801-0001|false|true|true\nX06-240801-0002|false|false|false\nX06-240801-0003|true|false|true\nX06-240801-0004|false|false|false"
	if got != want {
		t.Errorf("dossier_flags:\n%s\nwant\n%s", got, want)
	}
	// The mart's counts are the flags' counts, ward by ward.
	got = queryRow(t, w, `SELECT m.ward_code, m.with_apology = f.yes AND m.without_apology = f.no AND m.apology_unknown = f.unknown, m.without_apology
		FROM mart_apology m JOIN (
			SELECT g.ward_code, count(*) FILTER (WHERE g.apology_issued) AS yes, count(*) FILTER (WHERE NOT g.apology_issued) AS no,
			       count(*) FILTER (WHERE g.apology_issued IS NULL) AS unknown
			FROM dossier_flags g JOIN dossier_facts d USING (ward_code, dossier_code)
			WHERE d.completed_day > d.due_day GROUP BY ALL) f USING (ward_code)
		WHERE m.month = '2024-08' ORDER BY 1`)
	if got != "X05|true|0\nX06|true|1" {
		t.Errorf("mart_apology against dossier_flags (ward, agrees, without_apology):\n%s", got)
	}
}
