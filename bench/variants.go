package bench

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2"
)

// CSVVariants are the bench's CSV as other ward systems write it: each is
// made from it by a DuckDB COPY (src is its first rows, as text). They hold
// the same dossiers, so every variant must give the same report form.
var CSVVariants = []struct{ Name, What, Copy string }{
	{"quoted-semicolon", "quoted, ';'-separated", `COPY (SELECT * FROM src) TO '%s' (HEADER, DELIMITER ';', FORCE_QUOTE *)`},
	{"padded", "text cells padded with spaces", `COPY (SELECT COLUMNS(c -> c NOT LIKE 'Ngày%%' AND c <> 'Lệ phí') || ' ', COLUMNS(c -> c LIKE 'Ngày%%' OR c = 'Lệ phí') FROM src) TO '%s' (HEADER)`},
	{"iso-dates", "ISO dates, date-only due dates", `COPY (SELECT * REPLACE (
		strftime(strptime("Ngày tiếp nhận", '%%d/%%m/%%Y %%H:%%M:%%S'), '%%Y-%%m-%%d %%H:%%M') AS "Ngày tiếp nhận",
		strftime(strptime("Ngày hẹn trả", '%%d/%%m/%%Y %%H:%%M:%%S'), '%%d/%%m/%%Y') AS "Ngày hẹn trả",
		strftime(strptime("Ngày có kết quả", '%%d/%%m/%%Y %%H:%%M:%%S'), '%%Y-%%m-%%d %%H:%%M') AS "Ngày có kết quả",
		strftime(strptime("Ngày trả kết quả", '%%d/%%m/%%Y %%H:%%M:%%S'), '%%Y-%%m-%%d %%H:%%M') AS "Ngày trả kết quả") FROM src) TO '%s' (HEADER)`},
	{"codes", "channel and status as codes", `COPY (SELECT * REPLACE (
		CASE "Hình thức nộp" WHEN 'Trực tiếp' THEN '1' WHEN 'Trực tuyến' THEN '2' ELSE '3' END AS "Hình thức nộp",
		CASE "Trạng thái" WHEN 'Đã trả kết quả' THEN '10' WHEN 'Đang giải quyết' THEN '4' ELSE '5' END AS "Trạng thái") FROM src) TO '%s' (HEADER)`},
	{"sorted", "sorted by channel and status (the first rows show one of each)", `COPY (SELECT * FROM src ORDER BY "Hình thức nộp" DESC, "Trạng thái", "Mã hồ sơ") TO '%s' (HEADER)`},
	{"by-date", "the resolved dossiers first, each part in date order (as an export by date: the pending ones are the newest)", `COPY (SELECT * FROM src
		ORDER BY "Trạng thái" <> 'Đã trả kết quả', strptime("Ngày tiếp nhận", '%%d/%%m/%%Y %%H:%%M:%%S')) TO '%s' (HEADER)`},
	{"fees-grouped", "fees in groups of thousands (\"51.000\")", `COPY (SELECT * REPLACE (replace(format('{:,}', "Lệ phí"::BIGINT), ',', '.') AS "Lệ phí") FROM src) TO '%s' (HEADER)`},
	{"no-unit", "no unit column (the ward from each dossier code)", `COPY (SELECT * EXCLUDE ("Mã đơn vị") FROM src) TO '%s' (HEADER)`},
	{"notes", "a notes column, a line break in one row of 100", `COPY (SELECT *, CASE WHEN hash("Mã hồ sơ") %% 100 = 0
		THEN 'Đã bổ sung giấy tờ.' || chr(10) || 'Hẹn trả lại sau.' ELSE 'Không' END AS "Ghi chú" FROM src) TO '%s' (HEADER)`},
	// Cliffs found in session 6: each took 17-52 s for 1 M rows, every row
	// left to the full parsers.
	{"fees-decimal", "fees with decimals, Vietnamese locale (\"51.000,00\")", `COPY (SELECT * REPLACE (replace(format('{:,}', "Lệ phí"::BIGINT), ',', '.') || ',00' AS "Lệ phí") FROM src) TO '%s' (HEADER, DELIMITER ';')`},
	{"fees-currency", "fees with their currency (\"6.000 đ\")", `COPY (SELECT * REPLACE (replace(format('{:,}', "Lệ phí"::BIGINT), ',', '.') || ' đ' AS "Lệ phí") FROM src) TO '%s' (HEADER)`},
	{"fees-free", "half the fees \"Miễn phí\"", `COPY (SELECT * REPLACE (CASE WHEN hash("Mã hồ sơ") %% 2 = 0 THEN 'Miễn phí' ELSE "Lệ phí" END AS "Lệ phí") FROM src) TO '%s' (HEADER)`},
	{"dates-sa-ch", "receipt times on a 12-hour clock, SA/CH", `COPY (SELECT * REPLACE (strftime(strptime("Ngày tiếp nhận", '%%d/%%m/%%Y %%H:%%M:%%S'), '%%d/%%m/%%Y %%I:%%M ')
		|| CASE WHEN hour(strptime("Ngày tiếp nhận", '%%d/%%m/%%Y %%H:%%M:%%S')) < 12 THEN 'SA' ELSE 'CH' END AS "Ngày tiếp nhận") FROM src) TO '%s' (HEADER)`},
	{"dates-two-digit-year", "receipt dates with two-digit years", `COPY (SELECT * REPLACE (strftime(strptime("Ngày tiếp nhận", '%%d/%%m/%%Y %%H:%%M:%%S'), '%%d/%%m/%%y') AS "Ngày tiếp nhận") FROM src) TO '%s' (HEADER)`},
	{"dates-dots", "receipt dates with dots", `COPY (SELECT * REPLACE (replace("Ngày tiếp nhận", '/', '.') AS "Ngày tiếp nhận") FROM src) TO '%s' (HEADER)`},
	{"dates-time-first", "receipt times before their dates", `COPY (SELECT * REPLACE (strftime(strptime("Ngày tiếp nhận", '%%d/%%m/%%Y %%H:%%M:%%S'), '%%H:%%M %%d/%%m/%%Y') AS "Ngày tiếp nhận") FROM src) TO '%s' (HEADER)`},
	{"dates-mixed", "half the receipt dates ISO, half dd/mm/yyyy", `COPY (SELECT * REPLACE (CASE WHEN hash("Mã hồ sơ") %% 2 = 0
		THEN strftime(strptime("Ngày tiếp nhận", '%%d/%%m/%%Y %%H:%%M:%%S'), '%%Y-%%m-%%d %%H:%%M:%%S') ELSE "Ngày tiếp nhận" END AS "Ngày tiếp nhận") FROM src) TO '%s' (HEADER)`},
	{"excel-codes", "codes written for Excel (=\"000.10.27.H37\")", `COPY (SELECT * REPLACE ('="' || "Mã hồ sơ" || '"' AS "Mã hồ sơ", '="' || "Mã đơn vị" || '"' AS "Mã đơn vị",
		'="' || "Số điện thoại" || '"' AS "Số điện thoại") FROM src) TO '%s' (HEADER)`},
	// Session 7: a style no fast format has, every date column (118 s for
	// 1 M rows before formats were made from the file's own texts).
	{"dates-milliseconds", "every date with milliseconds (\"15/03/2024 08:30:00.000\", as .NET writes it)", `COPY (SELECT COLUMNS(c -> c NOT LIKE 'Ngày%%'), COLUMNS(c -> c LIKE 'Ngày%%') || '.000' FROM src) TO '%s' (HEADER)`},
	{"dates-h", "receipt times as \"08h30\"", `COPY (SELECT * REPLACE (strftime(strptime("Ngày tiếp nhận", '%%d/%%m/%%Y %%H:%%M:%%S'), '%%d/%%m/%%Y %%Hh%%M') AS "Ngày tiếp nhận") FROM src) TO '%s' (HEADER)`},
	{"wide", "eight more columns, unmapped", `COPY (SELECT *, 'Ghi chú số ' || (hash("Mã hồ sơ") %% 1000)::VARCHAR AS "Ghi chú",
		'Cán bộ ' || (hash("Mã hồ sơ") %% 37)::VARCHAR AS "Cán bộ tiếp nhận", 'Phòng ' || (hash("Mã hồ sơ") %% 5)::VARCHAR AS "Phòng ban",
		(hash("Mã hồ sơ") %% 100)::VARCHAR AS "Số trang", 'x' AS "Cột 1", 'y' AS "Cột 2", '' AS "Cột 3",
		'Địa chỉ ' || (hash("Mã hồ sơ") %% 9999)::VARCHAR AS "Địa chỉ" FROM src) TO '%s' (HEADER)`},
}

// VariantPath is where a variant of n rows is kept in dir.
func VariantPath(dir, name string, n int) string {
	return filepath.Join(dir, fmt.Sprintf("variant-%s-%d.csv", name, n))
}

// WriteCSVVariants writes the variants of a generated CSV that are missing
// from dir, each of its first n rows.
func WriteCSVVariants(ctx context.Context, csvPath, dir string, n int) error {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE TEMP TABLE src AS SELECT * FROM read_csv('%s', header = true, all_varchar = true) LIMIT %d`, csvPath, n)); err != nil {
		return err
	}
	for _, v := range CSVVariants {
		p := VariantPath(dir, v.Name, n)
		if _, err := os.Stat(p); err == nil {
			continue
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(v.Copy, p+".tmp")); err != nil {
			return fmt.Errorf("variant %s: %w", v.Name, err)
		}
		if err := os.Rename(p+".tmp", p); err != nil {
			return err
		}
	}
	return nil
}

// WriteReexport writes the CSV at src again with, in every nth data row
// that holds a dossier in progress ("Đang giải quyết"), the status moved to
// "Chờ bổ sung" (awaiting documents): the next night's full export of a
// ward system, in which few dossiers changed. It returns how many did.
func WriteReexport(src, dst string, n int) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.Create(dst + ".tmp")
	if err != nil {
		return 0, err
	}
	defer out.Close()
	r := bufio.NewReaderSize(in, 1<<20)
	w := bufio.NewWriterSize(out, 1<<20)
	var changed int64
	for i := 0; ; i++ {
		line, err := r.ReadString('\n')
		if i > 0 && i%n == 0 && strings.Contains(line, ",Đang giải quyết,") {
			line = strings.Replace(line, ",Đang giải quyết,", ",Chờ bổ sung,", 1)
			changed++
		}
		w.WriteString(line)
		if err == io.EOF {
			break
		}
		if err != nil {
			return changed, err
		}
	}
	if err := w.Flush(); err != nil {
		return changed, err
	}
	if err := out.Close(); err != nil {
		return changed, err
	}
	return changed, os.Rename(dst+".tmp", dst)
}
