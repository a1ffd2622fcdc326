package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"wardstat/ingest"
)

// viHelp is every command's help in Vietnamese, by command path (without
// "wardstat"); the English is in the command's own file. A flag with no
// entry here keeps its English usage (TestDefaultLanguageIsVietnamese
// finds it).
type helpText struct {
	short, long, example string
	flags                map[string]string
}

var viHelp = map[string]helpText{
	"": {
		short: "Thống kê cấp huyện về hồ sơ một cửa của xã, phường: từ bất kỳ tệp xuất nào đến biểu mẫu chính thức",
		long: `wardstat nạp các tệp xuất hồ sơ của hệ thống một cửa xã, phường (Excel, CSV
hoặc JSON, theo bố cục của bất kỳ nhà cung cấp nào) vào kho DuckDB và lập biểu
báo cáo định kỳ chính thức (Biểu 06, Thông tư 01/2020/TT-VPCP) cho bất kỳ xã,
phường, huyện hay kỳ báo cáo nào.

Bắt đầu với:
  wardstat demo                      tạo một huyện mẫu, nạp và in các biểu
  wardstat ingest --ward MÃ TỆP      nạp tệp xuất của một xã, phường
  wardstat report --from 2026-01-01 --to 2026-03-31
  wardstat sql "SELECT * FROM report_form('2026-01-01', '2026-03-31')"`,
		flags: map[string]string{
			"db":           "tệp kho dữ liệu (biến môi trường WARDSTAT_DB)",
			"lang":         "ngôn ngữ của nhãn và thông báo: vi hoặc en (biến môi trường WARDSTAT_LANG)",
			"verbose":      "ghi nhật ký việc đang làm",
			"pii-key-file": "tệp chứa khóa băm người nộp (mặc định: cạnh kho; WARDSTAT_PII_KEY được ưu tiên)",
		},
	},
	"help": {
		short: "Trợ giúp về một lệnh",
		long:  "Trợ giúp về bất kỳ lệnh nào: wardstat help [lệnh] cho biết đầy đủ cách dùng lệnh đó.",
	},
	"completion": {short: "Tạo tập lệnh tự hoàn thành cho trình shell đã chọn"},
	"backfill": {
		short: "Kéo lại một khoảng ngày từ một nguồn có URL nhận {from} và {to}",
		flags: map[string]string{
			"config": "tệp cấu hình", "from": "ngày đầu", "source": "nguồn cần kéo lại",
			"step-days": "số ngày mỗi yêu cầu", "to": "ngày cuối",
		},
	},
	"calendar": {
		short: "Lịch ngày làm việc: năm nào theo thông báo của Chính phủ, năm nào chỉ là ước đoán",
		long: `Lịch ngày làm việc dùng để tính ngày hẹn trả và thời gian giải quyết. Lịch có
các năm 2015-2035. Mỗi năm là một trong ba loại:
  announced  lịch nghỉ Chính phủ thông báo cho cán bộ, công chức (Tết, Giỗ Tổ
             Hùng Vương, 30/4-1/5, 2/9, Tết Dương lịch, các thứ Bảy làm bù),
             có sẵn trong wardstat kèm căn cứ (2015-2017, 2019-2026);
  imported   năm bạn đã nhập, thay cho thông báo hay quy tắc;
  rule       theo quy tắc của Bộ luật Lao động: chỉ là ước đoán, đến khi năm
             đó có thông báo.
Không có lệnh con thì liệt kê các năm và cho biết năm nào là ước đoán.`,
	},
	"calendar import": {
		short: "Thay nguyên năm của lịch bằng một tệp CSV (day,working,note)",
		long: `Thay mọi năm có ngày trong tệp CSV: năm đó được lập chỉ từ tệp (thứ Hai-thứ
Sáu làm việc, thứ Bảy-Chủ nhật nghỉ, trừ các ngày tệp ghi), thay cho thông báo
hay quy tắc của năm đó, không cộng thêm vào. Hãy ghi mọi ngày nghỉ (cả đợt
nghỉ, như thông báo) và mọi thứ Bảy làm bù (working 1), ví dụ
  day,working,note
  2027-02-04,0,Tết Nguyên đán
  2027-04-24,1,Làm bù cho ngày 30/04
Một lần hoán đổi vắt qua cuối năm (nghỉ thứ Hai 31/12, làm bù một thứ Bảy tháng
Giêng) chạm cả hai năm: hãy ghi đủ cả hai năm.
"wardstat calendar show NĂM" in một năm theo dạng này để sửa rồi nhập lại;
"wardstat calendar reset NĂM" huỷ một lần nhập.`,
	},
	"calendar show":  {short: "In các ngày nghỉ và ngày cuối tuần làm bù của một năm dưới dạng CSV của lịch"},
	"calendar reset": {short: "Huỷ một lần nhập: năm đó trở lại theo thông báo, hoặc theo ước đoán của quy tắc"},
	"check": {
		short: "Kiểm tra một tệp cấu hình, không cần mạng",
		long: `Kiểm tra một tệp cấu hình mà không dùng mạng hay kho dữ liệu, và in mọi lỗi
kèm số dòng. Các biến bí mật (token_env, pii_key_env) không cần đặt ở nơi chạy
check hay status: check ghi chú những biến chưa đặt; serve và run không chạy khi
thiếu chúng (run --source và backfill chỉ cần token của nguồn đó, run --job
không cần token nào).

Một cấu hình (YAML; khóa lạ là lỗi; đường dẫn tính từ thư mục của tệp):

  warehouse: wardstat.duckdb          # tệp DuckDB
  publish: published/wardstat.duckdb  # bản chỉ đọc cho người phân tích (mặc định này)
  # publish_group: analysts           # nhóm được đọc (quyền 0640); mặc định: nhóm của tiến trình nền
  units: units.csv                    # danh mục đơn vị, việc build nạp
  listen: 127.0.0.1:9464              # /healthz, /metrics, /runs
  timezone: Asia/Ho_Chi_Minh          # múi giờ của lịch chạy
  pii_key_env: WARDSTAT_PII_KEY       # nơi lấy khóa băm người nộp
  sources:
    - name: an-binh
      ward: 000.31.09.H26
      url: https://igate.example.vn/export?from={from}&to={to}
      token_env: ANBINH_TOKEN         # mã bearer, chỉ lấy từ biến môi trường
      window_days: 90                 # {from} = hôm nay - 90 ngày, {to} = hôm nay
      pagination: {type: page, param: page}   # hoặc {type: next, next_field: links.next}
      timeout: 60s
      retries: 3                      # số lần thử lại khi yêu cầu lỗi; 0: không thử lại
      max_bytes: 1073741824
      schedule: "0 1 * * *"           # cron; cho phép "CRON_TZ=… " hoặc trường giây
      freshness: {warn: 2d, error: 7d}
    - name: phu-my
      path: drop/phu-my/              # thư mục thả tệp: tệp đã nạp chuyển vào done/ hoặc failed/
      format: auto                    # auto | csv | xlsx | xls | json | html
      map: {received_at: "Ngày nhận HS"}
      settle: 5s                      # tệp thả vào phải ngừng lớn lên trong chừng này
      schedule: "*/15 * * * *"
  jobs:
    build:  {schedule: "30 2 * * *"}                  # danh mục đơn vị + công bố bản chụp
    export: {schedule: "0 3 * * *", out: parquet}     # các mart dạng Parquet
    report: {schedule: "0 6 * * *", out: reports}     # biểu dạng XLSX, độ mới của nguồn
  flight:                             # tùy chọn: Arrow Flight SQL trên bản chụp (wardstat flight --help)
    addr: 0.0.0.0:31337
    tokens_file: flight-tokens.txt    # các dòng tên:mã, chmod 600 (hoặc WARDSTAT_FLIGHT_TOKEN)
    tls_cert: tls/cert.pem
    tls_key: tls/key.pem
    statement_timeout: 5m
    max_rows: 10000000`,
		flags: map[string]string{"config": "tệp cấu hình"},
	},
	"demo": {
		short: "Tạo một huyện mẫu, nạp vào kho và in các biểu báo cáo",
		long: `Tạo một huyện mẫu như thật — mười hai xã, phường, hai năm hồ sơ do sáu hệ
thống khác nhau xuất (Excel có dòng tiêu đề và ô gộp, CSV dùng dấu chấm phẩy,
văn bản UTF-16, JSON của Cổng quốc gia, API NDJSON tiếng Anh theo giờ UTC), có
đợt giảm dịp Tết và vài dòng lỗi — nạp vào kho, in biểu của tháng đủ gần nhất
và từ đầu năm, chạy các kiểm tra dữ liệu, ghi các mart dạng Parquet và báo cáo
hằng đêm (HTML có biểu đồ, biểu XLSX).

Chạy hai lần trong cùng một ngày thì lần sau không nạp gì: mọi tệp đều được
nhận ra là đã nạp.`,
		flags: map[string]string{
			"dir": "nơi ghi các tệp xuất được tạo", "months": "số tháng dữ liệu",
			"out": "nơi ghi các mart Parquet", "reports": "nơi ghi báo cáo hằng đêm (HTML và XLSX)",
			"scale": "hệ số khối lượng (1: khoảng 90.000 hồ sơ)",
			"today": "tạo như thể hôm nay là ngày này, YYYY-MM-DD (để huyện mẫu luôn như nhau; mặc định: hôm nay)",
		},
	},
	"describe": {
		short: "Liệt kê các bảng, view và macro người phân tích truy vấn được, mỗi cái một câu",
		long: `Liệt kê mọi bảng, view và macro của kho cùng nội dung của chúng.
Với một TÊN, in thêm các cột của nó (hoặc tham số của macro).`,
		flags: map[string]string{"columns": "in các cột của mọi đối tượng"},
	},
	"export": {
		short: "Chạy các kiểm tra dữ liệu, rồi ghi các mart thành hồ dữ liệu Parquet cho bảng điều khiển",
		long: `Chạy các kiểm tra dữ liệu; nếu đạt, ghi mọi mart vào DIR dạng Parquet, mỗi
mart một thư mục chia theo tháng (chỉ ghi lại các tháng có dòng thay đổi, mỗi
tháng được thay trọn vẹn một lần), kèm mô tả lược đồ của mỗi mart. Một kiểm
tra dữ liệu không đạt sẽ dừng việc xuất và cho biết những dòng nào.`,
		flags: map[string]string{"out": "thư mục của hồ dữ liệu",
			"force": "ghi vào kho Parquet do một kho dữ liệu khác ghi: dữ liệu của kho này thay toàn bộ kho Parquet đó"},
	},
	"ingest": {
		short: "Nạp tệp xuất của xã, phường (" + ingest.FormatList() + ") vào kho",
		long: `Nạp tệp xuất của xã, phường vào kho, mỗi tệp một giao dịch.

Định dạng, bảng mã, dấu phân cách, trang tính và dòng tiêu đề được tự nhận ra;
tên cột được so với bộ từ vựng tiếng Việt (có hoặc không dấu), tên của Cổng
quốc gia và tên tiếng Anh. Dòng không tin được (không có mã hồ sơ, ngày không
đọc được, có kết quả trước khi tiếp nhận…) được đưa vào bảng rejects kèm số
dòng và lý do; các dòng khác vẫn được nạp. Nạp cùng một tệp hai lần với cùng
tuỳ chọn không thay đổi gì; với tuỳ chọn khác (--ward, --map, --format) tệp
được nạp lại và thay lần nạp trước: không hồ sơ nào bị đếm hai lần. Mỗi trang
tính ghi bằng --sheet là một lần nạp riêng. --reload nạp lại tệp theo ý muốn
(sau khi nhập danh mục đơn vị hay danh mục thủ tục). Sổ tính có hồ sơ ở nhiều
trang thì mọi trang có hồ sơ đều được nạp. Một thư mục thì nạp mọi tệp trong
đó; danh mục đơn vị, danh mục thủ tục hay lịch nằm trong đó được bỏ qua kèm
một ghi chú (hãy nhập bằng lệnh riêng của nó).

Đơn vị của mỗi dòng lấy từ cột đơn vị trong tệp, nếu không thì từ --ward, nếu
không nữa thì từ tiền tố của mã hồ sơ (000.31.09.H26-221021-0012).

Họ tên, số giấy tờ, số điện thoại, thư điện tử và địa chỉ của người nộp không
bao giờ được lưu: chúng được thay bằng một mã băm có khóa (applicant_key).`,
		flags: map[string]string{
			"format": ingest.FormatChoices("hoặc"),
			"map":    "TRƯỜNG=CỘT: đọc TRƯỜNG từ CỘT của tệp (lặp lại được); các trường: ",
			"sheet":  "chỉ nạp trang tính này của sổ XLSX/XLS (mặc định: mọi trang có hồ sơ)",
			"reload": "nạp lại tệp dù đã nạp trước đây với cùng tuỳ chọn, thay lần nạp đó",
			"source": "tên nơi gửi tệp (lưu kèm mỗi lần nạp)",
			"ward":   "mã đơn vị cho các dòng mà tệp không ghi đơn vị",
		},
	},
	"procedures": {short: "Thay danh mục thủ tục (số ngày làm việc cho phép của mỗi thủ tục)"},
	"procedures import": {
		short: "Thay danh mục thủ tục (số ngày làm việc cho phép của mỗi thủ tục)",
		long: `Danh mục cho mỗi thủ tục số ngày làm việc được phép, để hồ sơ mà tệp xuất
thiếu ngày hẹn trả có ngày hẹn (tính từ ngày tiếp nhận, từ ngày hôm sau nếu
tiếp nhận từ 15:00 trở đi). Dòng tiêu đề CSV:
  procedure_code,procedure_name,sector,working_days
Hồ sơ khớp theo mã, nếu không thì theo tên. Các lần nạp sau khi nhập sẽ dùng nó.`,
	},
	"report": {
		short: "In biểu báo cáo chính thức của một kỳ",
		long: `In biểu báo cáo định kỳ (Biểu 06) cho một kỳ tính theo ngày giờ Việt Nam, kể
cả ngày đầu và ngày cuối, theo xã/phường, huyện hoặc tỉnh.

Mỗi số liệu theo quy tắc của biểu, xét từ các ngày của hồ sơ: kỳ trước chuyển
qua = tiếp nhận trước ngày đầu kỳ và còn mở vào ngày đó; mới = tiếp nhận trong
kỳ, theo hình thức nộp; đã giải quyết = có kết quả trong kỳ, trước hạn / đúng
hạn / quá hạn so với ngày hẹn; rút = rút hoặc dừng trong kỳ; đang giải quyết =
tiếp nhận đến cuối kỳ và còn mở vào cuối kỳ, quá hạn khi ngày hẹn trước cuối
kỳ. received_total = resolved_total + withdrawn + pending_total.

Không ghi kỳ thì lấy tháng đủ gần nhất. Kỳ nằm hẳn sau hôm nay bị từ chối; kỳ
kết thúc sau hôm nay được lập đến hôm nay: ngày cuối kỳ là hôm nay (tiêu đề ghi
đúng ngày, kèm một lưu ý), nên số liệu là số mà xã, phường đếm tay hôm nay.

--ward nhận mã đơn vị, viết hoa hay thường đều được (h01.01 là H01.01), hoặc
tên, có hay không dấu, có hay không "Phường"/"Xã" ("Phường Một", "phuong mot").
Mã hay tên không đơn vị nào có là lỗi, kèm các đơn vị gần giống nhất; tên mà
nhiều đơn vị cùng có là lỗi liệt kê các đơn vị đó (wardstat units list).
--ward không đi cùng --by district hay province.

--out không ghi đè lên thứ không phải tệp thường (màn hình, /dev/stdout, đường
ống, thư mục): lệnh từ chối; với liên kết, tệp mà nó trỏ tới được ghi.`,
		flags: map[string]string{
			"by":      "cấp: ward, district hoặc province",
			"format":  "table, csv, json hoặc xlsx (sổ tính Biểu 06; trên màn hình cần --out TỆP)",
			"from":    "ngày đầu kỳ, YYYY-MM-DD",
			"month":   "một tháng, YYYY-MM (thay cho --from/--to)",
			"nightly": "ghi báo cáo đầy đủ của tháng (HTML có biểu đồ và biểu XLSX) vào --out",
			"out":     "ghi vào tệp này thay vì ra màn hình (với --nightly: một thư mục)",
			"to":      "ngày cuối kỳ, YYYY-MM-DD (tính cả ngày này)",
			"ward":    "chỉ một xã, phường: mã (hoa hay thường) hoặc tên",
		},
	},
	"run": {
		short: "Chạy ngay một lần kéo hoặc một việc (hoặc cả đêm), cho cron hay systemd timer",
		long: `Chạy ngay việc mà tiến trình nền sẽ chạy theo lịch: một lần kéo của một nguồn
(--source), một việc (--job), hoặc không ghi gì thì cả đêm: mọi nguồn, rồi
build, export và report. Một nguồn lỗi không chặn các nguồn khác; mã thoát là
1 khi có việc lỗi. Mỗi lần chạy được ghi vào bảng job_runs.`,
		flags: map[string]string{"config": "tệp cấu hình", "job": "build, export hoặc report", "source": "tên một nguồn"},
	},
	"flight-worker": {
		short: "Chạy một câu lệnh Flight SQL (wardstat flight dùng)",
		long: `Chạy một câu lệnh Flight SQL đọc từ đầu vào chuẩn và ghi kết quả ra đầu ra
chuẩn thành luồng Arrow IPC, trong hộp cát và giới hạn bộ nhớ riêng. wardstat
flight khởi động lệnh này cho mỗi câu lệnh; không cần chạy trực tiếp.`,
		flags: map[string]string{"timeout": "dừng câu lệnh sau thời gian này", "max-temp": "dung lượng đĩa tạm tối đa"},
	},
	"flight": {
		short: "Phục vụ kho qua Arrow Flight SQL (chỉ đọc), cho DBeaver, ADBC và Grafana",
		long: `Phục vụ kho cho máy của người phân tích và các bảng điều khiển qua Arrow
Flight SQL (DBeaver và các công cụ JDBC với trình điều khiển Arrow Flight SQL
JDBC, Python và R với ADBC, Grafana, Superset), cho đến khi nhận SIGTERM hoặc
Ctrl-C: các câu lệnh đang chạy được chạy xong (--grace) rồi thoát với mã 0.

Khi tiến trình nền (hay một lần nạp) giữ kho, câu lệnh đọc bản công bố của nó,
mỗi bản mới được dùng ngay không cần khởi động lại (câu lệnh đang chạy kết thúc
trên bản nó bắt đầu); nếu không thì đọc kho mở chỉ đọc, chỉ trong lúc có câu
lệnh chạy. Mọi câu lệnh chạy trong hộp cát của wardstat sql: chỉ đọc, không
truy cập tệp, cấu hình bị khoá, mỗi yêu cầu một câu lệnh, giới hạn --timeout,
bộ nhớ và --max-temp; kết quả quá --max-rows dòng bị dừng, kèm lỗi.

Mọi lời gọi cần một mã truy cập: --tokens-file (mỗi dòng tên:mã, chỉ chủ tệp đọc
được) hoặc WARDSTAT_FLIGHT_TOKEN (tên env); máy khách gửi "authorization: Bearer
MÃ", hoặc đăng nhập với tên bất kỳ và mật khẩu là mã. Mỗi câu lệnh được ghi nhật
ký với tên của mã, thời gian và số dòng. Mã chỉ được đọc một lần, lúc khởi động:
hãy khởi động lại để thêm hay thu hồi một mã. Có --tls-cert và --tls-key thì
dùng TLS; nghe ra ngoài máy này mà không có TLS thì có cảnh báo.

Máy khách kết nối tới grpc://HOST:CỔNG, hoặc grpc+tls://HOST:CỔNG khi có TLS
(JDBC: jdbc:arrow-flight-sql://HOST:CỔNG?useEncryption=false, hoặc =true khi
có TLS).

wardstat serve khởi động cùng điểm truy cập này khi cấu hình có mục flight:.`,
		example: `  WARDSTAT_FLIGHT_TOKEN=$(openssl rand -hex 24) wardstat flight --addr 127.0.0.1:31337
  wardstat flight --addr 0.0.0.0:31337 --tokens-file tokens.txt --tls-cert cert.pem --tls-key key.pem`,
		flags: map[string]string{
			"addr":        "HOST:CỔNG để nghe",
			"tokens-file": "tệp các dòng tên:mã (quyền 0600); WARDSTAT_FLIGHT_TOKEN thêm một mã",
			"tls-cert":    "chứng chỉ TLS (PEM)",
			"tls-key":     "khoá riêng TLS (PEM)",
			"timeout":     "dừng câu lệnh chạy lâu hơn mức này",
			"max-rows":    "dừng kết quả quá số dòng này",
			"max-temp":    "dừng câu lệnh cần nhiều đĩa tạm hơn mức này",
			"grace":       "thời gian các câu lệnh đang chạy được chạy xong sau SIGTERM",
		},
	},
	"serve": {
		short: "Chạy lịch hằng đêm như một tiến trình nền",
		long: `Chạy việc kéo của mọi nguồn và các việc build, export, report theo lịch cron
của chúng, cho đến khi nhận SIGTERM hoặc Ctrl-C. Một lần chạy bị lỡ khi tiến
trình nền tắt sẽ chạy một lần lúc khởi động. Mỗi lần chạy được ghi vào bảng
job_runs.

Khi chạy, tiến trình nền giữ kho; người phân tích truy vấn bản chụp nó công bố
sau mỗi lần build (wardstat sql tự chuyển sang bản đó). HTTP ở địa chỉ listen:
/healthz, /metrics (Prometheus), /runs (JSON). Có mục flight: thì nó cũng phục
vụ bản chụp đó qua Arrow Flight SQL (xem wardstat flight --help), mỗi bản mới
được dùng ngay khi công bố. Nhật ký là các dòng JSON trên luồng lỗi chuẩn.`,
		flags: map[string]string{"config": "tệp cấu hình", "grace": "thời gian các việc đang chạy được phép hoàn tất sau SIGTERM trước khi bị huỷ"},
	},
	"sql": {
		short: "Truy vấn kho bằng SQL (chỉ đọc)",
		long: `Chạy một câu truy vấn trên kho, chỉ đọc: nó không thể thay đổi kho hay đọc tệp
bên ngoài. Câu truy vấn lấy từ đối số, từ --file, hoặc từ đầu vào chuẩn; nếu
không có gì trong số đó và đang ở màn hình, một dấu nhắc tương tác mở ra (câu
lệnh kết thúc bằng ';', phím mũi tên gọi lại ~/.wardstat_history, Ctrl-C dừng
câu lệnh đang chạy). Tệp đó giữ 1.000 câu lệnh cuối cùng dấu nhắc đã chạy, chỉ
bạn đọc được (quyền 0600), không giữ các câu bị từ chối; xoá tệp để quên chúng.

Chỉ câu lệnh đọc (SELECT, FROM, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE): COPY,
EXPORT, ATTACH, SET, PRAGMA, INSTALL, LOAD, CREATE, CALL và EXPLAIN bị từ chối.
Nhiều câu lệnh (ngăn bằng ';') đều được kiểm tra trước khi câu đầu chạy, rồi
kết quả hiện lần lượt theo thứ tự; với --format csv hoặc json (mỗi định dạng
giữ một kết quả) hãy chạy từng câu một. --format arrow ghi kết quả thành một
luồng Arrow IPC (pa.ipc.open_stream của pyarrow, read_arrow của DuckDB), không
bao giờ ra màn hình. Câu lệnh dừng sau --timeout và khi cần quá --max-temp đĩa
tạm cạnh kho. Kho chỉ mở khi câu lệnh chạy (các câu lệnh ghi cùng một lần dùng
chung một lần mở), nên một lần nạp có thể bắt đầu khi dấu nhắc đang chờ.

Bảng: dossiers, dossier_history, loads, rejects, units, statuses, job_runs.
View: dossier_versions, ward_month, mart_* (wardstat describe liệt kê tất cả).
View và macro: report_form(start, end), ward_month, dossier_days,
form_counts(start, end), unit_at(start, end). Kỳ chưa kết thúc được tính
đến hôm nay (wardstat_today(), như wardstat report); kỳ sau hôm nay không
có dòng nào.`,
		flags: map[string]string{
			"file":     "đọc câu truy vấn từ tệp này",
			"format":   "table, csv, json hoặc arrow (luồng Arrow IPC, cho tập lệnh)",
			"max-temp": "dừng câu lệnh cần nhiều đĩa tạm hơn mức này (ví dụ 500MB, 4GB)",
			"timeout":  "dừng câu lệnh chạy lâu hơn mức này",
		},
	},
	"status": {
		short: "Cho biết lần chạy gần nhất và độ mới của mỗi nguồn, và các lần chạy mới nhất",
		long: `Cho biết độ mới và lần chạy gần nhất của mỗi nguồn, rồi các lần chạy mới nhất
trong sổ chạy (job_runs), mới nhất trước: việc, nguồn, cách kích hoạt, lúc bắt
đầu, thời gian, trạng thái, số tệp, số dòng đã nạp và bị loại, lỗi.

Trạng thái và lỗi gần nhất của một nguồn là của lần chạy gần nhất (lỗi để trống
khi lần đó thành công hoặc không có gì mới); một lần lỗi cũ hơn hiện ở
last_failure, kèm thời điểm. Mức của nguồn theo tuổi của dữ liệu mới nhất: ok,
warn khi quá freshness.warn, error khi quá freshness.error hoặc khi chưa lần kéo
nào mang về dữ liệu.

status chỉ đọc: không bao giờ giữ kho để ghi, không cần token của nguồn nào, và
khi tiến trình nền (hay một lần chạy) đang giữ kho thì đọc bản công bố ở đường
dẫn publish: của cấu hình và nói rõ điều đó: các lần chạy sau bản công bố không
có trong đó. Một lần chạy sổ còn ghi running trong khi không tiến trình nào giữ
kho là đã bị dừng, và hiện là interrupted.

Không có --config thì đọc --db, liệt kê các nguồn sổ chạy đã kéo, xét độ mới
theo ngưỡng mặc định (warn 2 ngày, error 7 ngày).`,
		flags: map[string]string{"config": "tệp cấu hình", "runs": "số lần chạy mới nhất cần liệt kê (0: không liệt kê)"},
	},
	"units": {short: "Quản lý danh mục đơn vị (xã, phường, huyện, tỉnh theo thời gian)"},
	"units import": {
		short: "Thay danh mục đơn vị (xã, phường, huyện, tỉnh theo thời gian) bằng một tệp CSV",
		long: `Thay danh mục đơn vị bằng một tệp CSV có dòng tiêu đề
  code,name,district,province,valid_from,valid_to
Ngày ghi dạng YYYY-MM-DD; valid_from trống nghĩa là luôn luôn, valid_to trống
nghĩa là còn hiệu lực. Một xã, phường có thể có nhiều dòng theo thời gian (sau
sắp xếp năm 2025 xã, phường không còn huyện: để trống cột district).`,
	},
	"units list":   {short: "Liệt kê danh mục đơn vị"},
	"ward-reports": {short: "Nạp các biểu do xã, phường tự báo cáo, và đối chiếu với hồ sơ"},
	"ward-reports check": {
		short: "So mọi cột của biểu xã, phường tự báo cáo với hồ sơ và với chính nó",
		long: `So mọi cột của biểu mỗi xã, phường tự báo cáo (biểu nhập sau cùng của một đơn
vị và một kỳ) với số đếm từ hồ sơ của cùng đơn vị và kỳ (counted), mỗi số tổng
với tổng các phần của nó (parts: tiếp nhận = kỳ trước chuyển qua + mới trực
tuyến, trực tiếp, bưu chính; đã giải quyết = trước hạn + đúng hạn + quá hạn;
đang giải quyết = trong hạn + quá hạn) và tiếp nhận với đã giải quyết + rút/dừng
+ đang giải quyết (identity). Mỗi đơn vị, kỳ, phép so và cột lệch là một dòng,
kèm số báo cáo, số đúng ra, chênh lệch và ghi chú; đơn vị không có hồ sơ nào
trong kho là một dòng (no_dossiers); mỗi ô biểu để trống là một dòng (missing),
khác với chênh lệch. Biểu khớp chỉ được liệt kê với --all, khi đó mọi phép so
đều hiện. --format csv hoặc json cho các dòng đó cho chương trình
khác đọc.`,
		flags: map[string]string{"format": "table, csv hoặc json", "all": "liệt kê mọi phép so, cả các biểu và cột khớp"},
	},
	"ward-reports import": {
		short: "Nạp biểu do một xã, phường tự lập (CSV hoặc XLSX có các cột của biểu)",
		long: `Nạp các biểu do xã, phường tự điền: một tệp CSV hoặc XLSX có dòng tiêu đề ghi
các cột của biểu, bằng tiếng Anh (received_total, carried_over, new_online,
new_direct, new_postal, resolved_total, resolved_early, resolved_on_time,
resolved_late, withdrawn, pending_total, pending_in_time, pending_overdue) hoặc
tiếng Việt ("Tổng số tiếp nhận", "Kỳ trước chuyển qua", "Trực tuyến", "Trực
tiếp", "BCCI", "Đã giải quyết", "Trước hạn", "Đúng hạn", "Quá hạn đã giải
quyết", "Rút hồ sơ", "Đang giải quyết", "Trong hạn", "Quá hạn đang giải
quyết"), mỗi dòng một xã, phường và một kỳ, có các cột ward_code, period_start
và period_end, hoặc --ward, --from và --to. ward_code là mã đơn vị (hoa hay
thường đều được) hoặc tên xã, phường; mã kho không biết được cảnh báo. Tệp có
hai dòng cùng đơn vị và kỳ, hay có số âm, bị từ chối.

Sau đó: wardstat ward-reports check`,
		flags: map[string]string{
			"from": "ngày đầu kỳ, khi tệp không có", "to": "ngày cuối kỳ, khi tệp không có",
			"ward": "mã xã, phường, khi tệp không có cột đơn vị",
		},
	},
}

// viUsageTemplate is cobra's usage template (v1.10) in Vietnamese.
const viUsageTemplate = `Cách dùng:{{if .Runnable}}
  {{.UseLine | viFlagUsages}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} [lệnh]{{end}}{{if gt (len .Aliases) 0}}

Tên khác:
  {{.NameAndAliases}}{{end}}{{if .HasExample}}

Ví dụ:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}{{$cmds := .Commands}}

Các lệnh:{{range $cmds}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

Tuỳ chọn:
{{.LocalFlags.FlagUsages | viFlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableInheritedFlags}}

Tuỳ chọn chung:
{{.InheritedFlags.FlagUsages | viFlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableSubCommands}}

Dùng "{{.CommandPath}} [lệnh] --help" để xem thêm về một lệnh.{{end}}
`

func init() {
	cobra.AddTemplateFunc("viFlagUsages", func(s string) string {
		return strings.NewReplacer("(default ", "(mặc định ", "[flags]", "[tuỳ chọn]").Replace(s)
	})
}

// localiseHelp makes help speak the app's language: the English written in
// each command stays for --lang en; for vi, every command's texts, flags'
// usages and cobra's template are replaced when help is asked for (the
// language flag is parsed by then).
func (a *app) localiseHelp(root *cobra.Command) {
	defaultHelp := root.HelpFunc()
	root.SetHelpFunc(func(c *cobra.Command, args []string) {
		if a.lang != "en" {
			applyVietnamese(c.Root())
		}
		defaultHelp(c, args)
	})
}

// applyVietnamese puts the Vietnamese help of viHelp on every command.
func applyVietnamese(root *cobra.Command) {
	root.SetUsageTemplate(viUsageTemplate)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := strings.TrimPrefix(strings.TrimPrefix(c.CommandPath(), root.Name()), " ")
		if strings.HasPrefix(path, "completion ") {
			path = "completion"
		}
		h := viHelp[path]
		if h.short != "" {
			c.Short = h.short
		}
		if h.long != "" || c.Long != "" {
			c.Long = h.long
		}
		if h.example != "" {
			c.Example = h.example
		}
		visit := func(f *pflag.Flag) {
			if f.Name == "help" {
				f.Usage = "trợ giúp về lệnh " + c.Name()
				return
			}
			if u, ok := h.flags[f.Name]; ok && !strings.HasPrefix(f.Usage, u) {
				if f.Name == "map" {
					// The list of fields follows, as in English.
					if _, fields, ok := strings.Cut(f.Usage, "fields: "); ok {
						u += fields
					}
				}
				f.Usage = u
			}
		}
		c.LocalNonPersistentFlags().VisitAll(visit)
		c.PersistentFlags().VisitAll(visit)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
