package warehouse_test

import (
	"database/sql"
	"testing"
)

// The value parsers of sql/models/10_parse.sql, on a real DuckDB.

func TestParseTimestamp(t *testing.T) {
	w := mustOpen(t)
	cases := []struct{ in, want string }{
		{"15/03/2024", "2024-03-15 00:00:00"},
		{"15/03/2024 08:30", "2024-03-15 08:30:00"},
		{"15/3/2024 8:30:15", "2024-03-15 08:30:15"},
		{"15-03-2024 14:05", "2024-03-15 14:05:00"},
		{"15.03.2024 14h30", "2024-03-15 14:30:00"},
		{"15/03/2024 - 08:30", "2024-03-15 08:30:00"},
		{"15/03/2024 lúc 08:30", "2024-03-15 08:30:00"},
		{"15/03/2024 8h30 SA", "2024-03-15 08:30:00"},
		{"15/03/24", "2024-03-15 00:00:00"},
		{"3/15/2024 8:30 PM", "2024-03-15 20:30:00"},
		{"15/03/2024 02:30 CH", "2024-03-15 14:30:00"},
		{"08:30 15/03/2024", "2024-03-15 08:30:00"},
		{"08:30:05, ngày 15/03/2024", "2024-03-15 08:30:05"},
		{"2024-03-15", "2024-03-15 00:00:00"},
		{"2024/03/15 08:30", "2024-03-15 08:30:00"},
		{"2024-03-15T08:30:00", "2024-03-15 08:30:00"},
		{"2024-03-15 08:30:00.250", "2024-03-15 08:30:00.25"},
		{"2024-03-31T17:30:00Z", "2024-04-01 00:30:00"},
		{"2024-03-31T17:30:00.000+00:00", "2024-04-01 00:30:00"},
		{"2024-03-31T23:30:00+07:00", "2024-03-31 23:30:00"},
		{"2024-03-31 23:30:00+0700", "2024-03-31 23:30:00"},
		{"2024-03-31T10:30:00+07", "2024-03-31 10:30:00"},
		{"2024-03-31T12:00:00-05:00", "2024-04-01 00:00:00"},
		{"20240315083000", "2024-03-15 08:30:00"},
		{"202403150830", "2024-03-15 08:30:00"},
		{"20240315", "2024-03-15 00:00:00"},
		{"45366", "2024-03-15 00:00:00"},
		{"45366.75", "2024-03-15 18:00:00"},
		{"1710462600000", "2024-03-15 07:30:00"},
		{"1710462600", "2024-03-15 07:30:00"},
		{"/Date(1710462600000)/", "2024-03-15 07:30:00"},
		{"ngày 15 tháng 3 năm 2024", "2024-03-15 00:00:00"},
		{"15-Mar-2024", "2024-03-15 00:00:00"},
		{"  15/03/2024  ", "2024-03-15 00:00:00"},
		{"2024-03-31T17:30:00+14:00", "2024-03-31 10:30:00"},
		{"2024-03-31T17:30:00-12:00", "2024-04-01 12:30:00"},
		{"2024-03-31T17:30:00+05:30", "2024-03-31 19:00:00"},
		{"2024-03-31T17:30:00+99:00", ""},
		{"2024-03-31T17:30:00+14:30", ""},
		{"2024-03-31T17:30:00-15", ""},
		{"2024-03-31T17:30:00+05:75", ""},
		{"31/02/2024", ""},
		{"32/01/2024", ""},
		{"hôm qua", ""},
		{"1899-12-31", ""},
		{"12", ""},
		{"", ""},
	}
	// One query for every case: planning ws_ts costs far more than
	// running it on a cell.
	ins := make([]any, len(cases))
	for i, c := range cases {
		ins[i] = c.in
	}
	parsed := queryList[sql.NullTime](t, w.DB(), `SELECT ws_ts(v) FROM unnest(?::VARCHAR[]) WITH ORDINALITY AS u(v, i) ORDER BY i`, ins)
	if len(parsed) != len(cases) {
		t.Fatalf("%d results for %d cases", len(parsed), len(cases))
	}
	for i, c := range cases {
		got := parsed[i]
		s := ""
		if got.Valid {
			s = got.Time.Format("2006-01-02 15:04:05.999")
		}
		if s != c.want {
			t.Errorf("ws_ts(%q) = %q, want %q", c.in, s, c.want)
		}
	}
}

// In a column's order of day and month (ws_ts_o), a cell is read that way
// or not at all; in a column that holds both orders, a cell that reads
// both ways is not read. Without a column (ws_ts), the cell decides.
func TestParseTimestampInTheColumnsOrder(t *testing.T) {
	w := mustOpen(t)
	cases := []struct{ in, order, want string }{
		{"03/04/2024", "d", "2024-04-03"}, {"03/04/2024", "m", "2024-03-04"}, {"03/04/2024", "x", ""},
		{"05/13/2024", "d", ""}, {"05/13/2024", "m", "2024-05-13"}, {"05/13/2024", "x", "2024-05-13"},
		{"13/05/2024", "d", "2024-05-13"}, {"13/05/2024", "m", ""}, {"13/05/2024", "x", "2024-05-13"},
		{"05/05/2024", "x", "2024-05-05"}, {"08:30 03/04/2024", "m", "2024-03-04"}, {"03/04/2024 08:30 PM", "d", "2024-04-03"},
		{"2024-03-04", "m", "2024-03-04"}, {"ngày 3 tháng 4 năm 2024", "m", "2024-04-03"}, {"45366", "x", "2024-03-15"},
	}
	ins, orders := make([]any, len(cases)), make([]any, len(cases))
	for i, c := range cases {
		ins[i], orders[i] = c.in, c.order
	}
	parsed := queryList[sql.NullTime](t, w.DB(), `SELECT ws_ts_o(v, o) FROM (SELECT unnest(?::VARCHAR[]) AS v, unnest(?::VARCHAR[]) AS o, generate_subscripts(?::VARCHAR[], 1) AS i) ORDER BY i`, ins, orders, ins)
	if len(parsed) != len(cases) {
		t.Fatalf("%d results for %d cases", len(parsed), len(cases))
	}
	for i, c := range cases {
		got := parsed[i]
		s := ""
		if got.Valid {
			s = got.Time.Format("2006-01-02")
		}
		if s != c.want {
			t.Errorf("ws_ts_o(%q, %q) = %q, want %q", c.in, c.order, s, c.want)
		}
	}
}

// A fee is one amount as its writer wrote it, or unknown: never a number
// made of what is left of the text.
func TestParseFee(t *testing.T) {
	w := mustOpen(t)
	cases := []struct {
		in   string
		want any // float64, or nil for unknown
	}{
		{"50.000", 50000.0}, {"50,000", 50000.0}, {"1.234,5", 1234.5}, {"50.000 đ", 50000.0}, {"đ 6.000", 6000.0},
		{"6.000 đ/hồ sơ", 6000.0}, {"0 đồng (miễn)", 0.0}, {"Miễn phí", 0.0}, {"5E+04", 50000.0}, {"1 234 567", 1234567.0},
		{"+5000", 5000.0}, {"999999999999999", 999999999999999.0},
		{"1e400", nil}, {"1e15", nil}, {"1000000000000000", nil}, {"99999999999999999999999999999", nil},
		{"-5000", nil}, {"-50.000", nil}, {"(1.000)", nil}, {"5000-", nil}, {"−5000", nil},
		{"#DIV/0!", nil}, {"#N/A", nil}, {"#VALUE!", nil}, {"#REF!", nil}, {"#NAME?", nil}, {"#NUM!", nil}, {"#NULL!", nil},
		{"NaN", nil}, {"inf", nil}, {"0x10", nil}, {"1_000", nil}, {"5.000đ - 10.000đ", nil}, {"12 5", nil}, {"abc", nil},
	}
	for _, c := range cases {
		var full, fast sql.NullFloat64
		if err := w.DB().QueryRow(`SELECT ws_fee(?), ws_fee_fast(?)`, c.in, c.in).Scan(&full, &fast); err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		var got any
		if full.Valid {
			got = full.Float64
		}
		if got != c.want {
			t.Errorf("ws_fee(%q) = %v, want %v", c.in, got, c.want)
		}
		if fast.Valid && (!full.Valid || fast.Float64 != full.Float64) {
			t.Errorf("ws_fee_fast(%q) = %v, ws_fee %v", c.in, fast.Float64, got)
		}
	}
}

// A date cell that says there is no date is empty, not unreadable; a date
// is a date; a spreadsheet's error ("#N/A") is no value, so unreadable.
func TestNoDateTexts(t *testing.T) {
	w := mustOpen(t)
	for _, c := range []struct {
		in   string
		none bool
	}{
		{"-", true}, {"--", true}, {"—", true}, {"N/A", true}, {"#N/A", false}, {"#NULL!", false}, {"#DIV/0!", false}, {"null", true}, {"Chưa có", true},
		{"Chưa có kết quả", true}, {"Đang xử lý", true}, {"0", true}, {"0000-00-00 00:00:00", true}, {"00/00/0000", true},
		{"01/01/1900", true}, {"1/1/0001 12:00:00 AM", true}, {"0001-01-01T00:00:00", true}, {"1900-01-01 00:00:00.000", true},
		{"05/03/2024", false}, {"01/01/2024", false}, {"2024-01-01", false}, {"45366", false}, {"1710462600000", false},
		{"15/03/2024 08:30 SA", false}, {"ngày 15 tháng 3 năm 2024", false}, {"01/01/1990", false},
		{"hôm qua", false}, {"Mar 15, 2024", false}, {"…", true}, {"Không có", true}, {"NA", true},
	} {
		var none bool
		if err := w.DB().QueryRow(`SELECT ws_no_date(?)`, c.in).Scan(&none); err != nil {
			t.Fatal(err)
		}
		if none != c.none {
			t.Errorf("ws_no_date(%q) = %v, want %v", c.in, none, c.none)
		}
	}
}

func TestParseChannelStatusAndFlags(t *testing.T) {
	w := mustOpen(t)
	text := []struct{ fn, in, want string }{
		{"ws_channel", "", "direct"},
		{"ws_channel", "1", "direct"},
		{"ws_channel", "2", "online"},
		{"ws_channel", "3", "postal"},
		{"ws_channel", "Trực tuyến", "online"},
		{"ws_channel", "Trực tuyến (toàn trình)", "online"},
		{"ws_channel", "Dịch vụ công mức độ 4", "online"},
		{"ws_channel", "mức độ 3", "online"},
		{"ws_channel", "Nộp qua Cổng DVC quốc gia", "online"},
		{"ws_channel", "ONLINE", "online"},
		{"ws_channel", "BCCI", "postal"},
		{"ws_channel", "Bưu điện", "postal"},
		{"ws_channel", "Qua dịch vụ bưu chính công ích", "postal"},
		{"ws_channel", "POSTAL", "postal"},
		// An e-mail address or service is no channel (it was postal: "mail").
		{"ws_channel", "an.nguyen@gmail.com", ""},
		{"ws_channel", "Hotmail", ""},
		{"ws_channel", "gmail", ""},
		{"ws_channel", "E-mail", ""},
		{"ws_channel", "x@mail.vn", ""},
		{"ws_channel", "By mail", "postal"},
		{"ws_channel", "Nộp trực tiếp", "direct"},
		{"ws_channel", "Tại bộ phận một cửa", "direct"},
		{"ws_channel", "truc tiep", "direct"},
		{"ws_channel", "Fax", ""},
		// The national e-ID app takes some procedures' dossiers online.
		{"ws_channel", "Ứng dụng VNeID", "online"},
		{"ws_channel", "VNeID", "online"},
		{"ws_channel", "Ứng dụng di động", "online"},
		{"ws_online_level", "Toàn trình", "full"},
		{"ws_online_level", "Trực tuyến một phần", "partial"},
		{"ws_online_level", "Mức độ 4", "full"},
		{"ws_online_level", "Mức độ 2", "none"},
		{"ws_online_level", "partial", "partial"},
	}
	for _, c := range text {
		var got sql.NullString
		if err := w.DB().QueryRow(`SELECT `+c.fn+`(?)`, c.in).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got.String != c.want {
			t.Errorf("%s(%q) = %q, want %q", c.fn, c.in, got.String, c.want)
		}
	}
	status := []struct {
		in   string
		want int64 // -1: unknown
	}{
		{"0", 0}, {"10", 10}, {"4", 4}, {"11", -1},
		{"Đã trả kết quả", 10}, {"Đã trả kết quả đúng hạn", 10}, {"Chờ trả kết quả", 9},
		{"Đã có kết quả", 9}, {"Hoàn thành", 9}, {"Đang giải quyết", 4}, {"Đang xử lý", 4},
		{"Chờ bổ sung", 5}, {"Yêu cầu bổ sung hồ sơ", 5}, {"Chờ nộp phí", 6},
		{"Rút hồ sơ", 7}, {"Công dân rút hồ sơ", 7}, {"Dừng xử lý", 8}, {"Từ chối giải quyết", 8},
		{"Từ chối tiếp nhận", 3}, {"Chờ tiếp nhận", 1}, {"Mới tiếp nhận", 2}, {"Đã tiếp nhận", 2},
		{"Chuyển xử lý", 0}, {"WITHDRAWN", 7}, {"COMPLETED", 9}, {"RETURNED", 10}, {"PROCESSING", 4},
		{"da tra ket qua", 10}, {"???", -1},
		// The national portal's own labels (its status catalogue, 1-10).
		{"Mới đăng ký", 1}, {"Được tiếp nhận", 2}, {"Không được tiếp nhận", 3}, {"Đang xử lý", 4},
		{"Yêu cầu bổ sung giấy tờ", 5}, {"Yêu cầu thực hiện nghĩa vụ tài chính", 6},
		{"Công dân yêu cầu rút hồ sơ", 7}, {"Dừng xử lý", 8}, {"Đã xử lý xong", 9},
	}
	for _, c := range status {
		var got sql.NullInt64
		if err := w.DB().QueryRow(`SELECT ws_status(?)`, c.in).Scan(&got); err != nil {
			t.Fatal(err)
		}
		g := int64(-1)
		if got.Valid {
			g = got.Int64
		}
		if g != c.want {
			t.Errorf("ws_status(%q) = %d, want %d", c.in, g, c.want)
		}
	}
	bools := []struct {
		in   string
		want string
	}{{"x", "true"}, {"Có", "true"}, {"1", "true"}, {"TRUE", "true"}, {"Đã số hóa", "true"}, {"✓", "true"},
		{"Không", "false"}, {"0", "false"}, {"chưa", "false"}, {"", "null"}, {"?", "null"}}
	for _, c := range bools {
		var got sql.NullBool
		if err := w.DB().QueryRow(`SELECT ws_bool(?)`, c.in).Scan(&got); err != nil {
			t.Fatal(err)
		}
		g := "null"
		if got.Valid {
			g = map[bool]string{true: "true", false: "false"}[got.Bool]
		}
		if g != c.want {
			t.Errorf("ws_bool(%q) = %s, want %s", c.in, g, c.want)
		}
	}
	fees := []struct {
		in   string
		want float64 // -1: NULL
	}{{"50.000", 50000}, {"50,000", 50000}, {"50.000 đ", 50000}, {"1.234.567", 1234567}, {"1,234,567", 1234567},
		{"1.234,5", 1234.5}, {"50000.0", 50000}, {"Miễn phí", 0}, {"", -1}, {"abc", -1}, {"8000", 8000}}
	for _, c := range fees {
		var got sql.NullFloat64
		if err := w.DB().QueryRow(`SELECT ws_fee(?)`, c.in).Scan(&got); err != nil {
			t.Fatal(err)
		}
		g := -1.0
		if got.Valid {
			g = got.Float64
		}
		if g != c.want {
			t.Errorf("ws_fee(%q) = %v, want %v", c.in, g, c.want)
		}
	}
	var prefix sql.NullString
	for in, want := range map[string]string{
		"000.31.09.H26-221021-0012": "000.31.09.H26", "H56.14-240823-0001": "H56.14",
		"G09.20-20260609-0092637": "G09.20", "12345": "",
		"ABC-123-210101-0001": "ABC-123", "x-2101011-1": "", "x-210101-": "", "-210101-1": "", "ĐN-210101-01": "ĐN",
	} {
		if err := w.DB().QueryRow(`SELECT ws_dossier_prefix(?)`, in).Scan(&prefix); err != nil {
			t.Fatal(err)
		}
		if prefix.String != want {
			t.Errorf("ws_dossier_prefix(%q) = %q, want %q", in, prefix.String, want)
		}
	}
}
