// Package bench generates the benchmark inputs, deterministically, and
// holds the cases `make bench` measures against their floors.
package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/xuri/excelize/v2"
)

// Header of the generated exports (Vietnamese, as ward systems write it).
var Header = []string{"Mã hồ sơ", "Mã đơn vị", "Tên thủ tục", "Lĩnh vực", "Hình thức nộp", "Ngày nộp", "Ngày tiếp nhận",
	"Ngày hẹn trả", "Ngày có kết quả", "Ngày trả kết quả", "Trạng thái", "Chủ hồ sơ", "Số điện thoại", "Lệ phí"}

// FloorColumns are the same columns typed, for DuckDB's own reader.
const FloorColumns = `{'ma_ho_so': 'VARCHAR', 'ma_don_vi': 'VARCHAR', 'ten_thu_tuc': 'VARCHAR', 'linh_vuc': 'VARCHAR',
 'hinh_thuc_nop': 'VARCHAR', 'ngay_nop': 'TIMESTAMP', 'ngay_tiep_nhan': 'TIMESTAMP', 'ngay_hen_tra': 'TIMESTAMP',
 'ngay_co_ket_qua': 'TIMESTAMP', 'ngay_tra_ket_qua': 'TIMESTAMP', 'trang_thai': 'VARCHAR', 'chu_ho_so': 'VARCHAR',
 'so_dien_thoai': 'VARCHAR', 'le_phi': 'BIGINT'}`

var (
	procs    = []string{"Chứng thực bản sao từ bản chính", "Đăng ký khai sinh", "Đăng ký kết hôn", "Cấp Giấy xác nhận tình trạng hôn nhân", "Đăng ký khai tử", "Chứng thực chữ ký trong giấy tờ, văn bản", "Đăng ký biến động quyền sử dụng đất", "Cấp giấy phép xây dựng nhà ở riêng lẻ"}
	sectors  = []string{"Chứng thực", "Hộ tịch", "Hộ tịch", "Hộ tịch", "Hộ tịch", "Chứng thực", "Đất đai", "Xây dựng"}
	channels = []string{"Trực tiếp", "Trực tiếp", "Trực tuyến", "Trực tuyến", "Bưu chính công ích"}
	statuses = []string{"Đã trả kết quả", "Đã trả kết quả", "Đã trả kết quả", "Đang giải quyết", "Chờ bổ sung"}
	names    = []string{"Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em", "Vũ Thị Gấm"}
)

// Row is one generated dossier's cells, in Header order.
func Row(rng *rand.Rand, i int, ward string, base time.Time) []string {
	day := base.Add(time.Duration(i%5_000_000) * 37 * time.Second)
	received := day.Add(time.Duration(rng.IntN(3600)) * time.Second)
	p := rng.IntN(len(procs))
	due := received.AddDate(0, 0, 1+rng.IntN(10))
	status := statuses[rng.IntN(len(statuses))]
	completed, returned := "", ""
	if status == "Đã trả kết quả" {
		c := received.Add(time.Duration(rng.IntN(240)) * time.Hour)
		completed = c.Format("02/01/2006 15:04:05")
		returned = c.Add(time.Duration(rng.IntN(48)) * time.Hour).Format("02/01/2006 15:04:05")
	}
	ch := channels[rng.IntN(len(channels))]
	submitted := ""
	if ch == "Trực tuyến" {
		submitted = received.Add(-time.Duration(rng.IntN(7200)) * time.Second).Format("02/01/2006 15:04:05")
	}
	return []string{
		Code(ward, i), ward, procs[p], sectors[p], ch, submitted,
		received.Format("02/01/2006 15:04:05"), due.Format("02/01/2006 15:04:05"), completed, returned, status,
		names[rng.IntN(len(names))], fmt.Sprintf("09%08d", rng.IntN(100_000_000)), fmt.Sprint(1000 * rng.IntN(60)),
	}
}

// Base is the first generated receipt time.
var Base = time.Date(2021, 1, 1, 7, 30, 0, 0, time.UTC)

var base = Base

// Code is the dossier code of generated row i (a function of i alone, so
// that SQL can make the same codes: see SQLCode).
func Code(ward string, i int) string {
	return fmt.Sprintf("%s-%s-%07d", ward, Base.Add(time.Duration(i%5_000_000)*37*time.Second).Format("060102"), i)
}

// SQLCode is Code in DuckDB SQL over an integer column i. The number is
// printf's %07d, as Code's: lpad would cut a number of eight digits or more
// to its first seven (at 100 M rows, 1,159 codes made twice).
const SQLCode = `printf('000.%02d.27.H37', 10 + i % 40) || '-' || strftime(TIMESTAMP '2021-01-01 07:30:00' + to_seconds((i % 5000000) * 37), '%y%m%d') || '-' || printf('%07d', i)`

// SQLWard is the ward of row i in SQL.
const SQLWard = `printf('000.%02d.27.H37', 10 + i % 40)`

// WardOf is the ward of generated row i.
func WardOf(i int) string { return wardOf(i) }

func wardOf(i int) string { return fmt.Sprintf("000.%02d.27.H37", 10+i%40) }

// WriteCSVRange writes rows [from, to) with their own seed: the
// incremental night's file, whose first rows change dossiers of the base.
func WriteCSVRange(path string, from, to int, seed uint64) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	rng := rand.New(rand.NewPCG(seed, 9))
	fmt.Fprintln(w, joinCSV(Header))
	for i := from; i < to; i++ {
		fmt.Fprintln(w, joinCSV(Row(rng, i, wardOf(i), base)))
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	st, _ := f.Stat()
	return st.Size(), nil
}

func joinCSV(cells []string) string {
	out := make([]byte, 0, 256)
	for j, c := range cells {
		if j > 0 {
			out = append(out, ',')
		}
		if needsQuote(c) {
			out = append(append(append(out, '"'), c...), '"')
		} else {
			out = append(out, c...)
		}
	}
	return string(out)
}

// WriteCSV writes n rows (plus the header) and returns the file size.
func WriteCSV(path string, n int, seed uint64) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(seed, 1))
	writeLine := func(cells []string) {
		for j, c := range cells {
			if j > 0 {
				w.WriteByte(',')
			}
			if needsQuote(c) {
				w.WriteByte('"')
				w.WriteString(c)
				w.WriteByte('"')
			} else {
				w.WriteString(c)
			}
		}
		w.WriteByte('\n')
	}
	writeLine(Header)
	for i := 0; i < n; i++ {
		writeLine(Row(rng, i, wardOf(i), base))
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func needsQuote(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ',' || s[i] == '"' || s[i] == '\n' {
			return true
		}
	}
	return false
}

// WriteJSON writes n objects as a JSON array with the national portal's keys.
func WriteJSON(path string, n int, seed uint64) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(seed, 2))
	keys := []string{"MaHoSo", "MaDonVi", "TenTTHC", "TenLinhVuc", "KenhThucHien", "NgayNopHoSo", "NgayTiepNhan", "NgayHenTra",
		"NgayKetThucXuLy", "NgayTra", "TrangThaiHoSo", "ChuHoSo", "SoDienThoai", "LePhi"}
	stamp := func(s string) any {
		if s == "" {
			return nil
		}
		t, _ := time.Parse("02/01/2006 15:04:05", s)
		return t.Format("20060102150405")
	}
	w.WriteString("[\n")
	for i := 0; i < n; i++ {
		r := Row(rng, i, wardOf(i), base)
		ch := map[string]int{"Trực tiếp": 1, "Trực tuyến": 2, "Bưu chính công ích": 3}[r[4]]
		st := map[string]int{"Đã trả kết quả": 10, "Đang giải quyết": 4, "Chờ bổ sung": 5}[r[10]]
		vals := []any{r[0], r[1], r[2], r[3], ch, stamp(r[5]), stamp(r[6]), stamp(r[7]), stamp(r[8]), stamp(r[9]), st, r[11], r[12], r[13]}
		w.WriteByte('{')
		for j, k := range keys {
			if j > 0 {
				w.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			vb, _ := json.Marshal(vals[j])
			w.Write(kb)
			w.WriteByte(':')
			w.Write(vb)
		}
		w.WriteByte('}')
		if i < n-1 {
			w.WriteByte(',')
		}
		w.WriteByte('\n')
	}
	w.WriteString("]\n")
	if err := w.Flush(); err != nil {
		return 0, err
	}
	st, _ := f.Stat()
	return st.Size(), nil
}

// WriteXLSX writes n rows under two title rows, dates as date cells.
func WriteXLSX(path string, n int, seed uint64) (int64, error) {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return 0, err
	}
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 22})
	sw.SetRow("A1", []any{"DANH SÁCH HỒ SƠ"})
	hdr := make([]any, len(Header))
	for i, h := range Header {
		hdr[i] = h
	}
	sw.SetRow("A3", hdr)
	rng := rand.New(rand.NewPCG(seed, 3))
	row := make([]any, len(Header))
	for i := 0; i < n; i++ {
		r := Row(rng, i, wardOf(i), base)
		for j, c := range r {
			row[j] = c
			if j >= 5 && j <= 9 && c != "" {
				t, _ := time.Parse("02/01/2006 15:04:05", c)
				row[j] = excelize.Cell{StyleID: style, Value: t}
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+4)
		if err := sw.SetRow(cell, row); err != nil {
			return 0, err
		}
	}
	if err := sw.Flush(); err != nil {
		return 0, err
	}
	if err := f.SaveAs(path); err != nil {
		return 0, err
	}
	st, _ := os.Stat(path)
	return st.Size(), nil
}
