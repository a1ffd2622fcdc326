// Package demo generates a realistic demo district: a unit registry and two
// years of dossier exports from twelve wards whose systems come from
// different vendors (Excel with title rows and merged headers, semicolon and
// UTF-16 CSV, the national portal's JSON, an English NDJSON API in UTC),
// with seasonal volume, the Tết dip, a growing online share, a few bad rows,
// and an earlier export of some wards that a later one updates.
package demo

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// File is one generated export.
type File struct {
	Path   string
	Ward   string // the --ward to ingest it with ("" when the file names its ward)
	Source string // the vendor style
	Pulled time.Time
}

// Manifest lists what Generate wrote, in the order to ingest it.
type Manifest struct {
	Units string
	Files []File
	// Dossiers is how many distinct dossiers the exports hold (bad rows included).
	Dossiers int
}

// Options tune the demo.
type Options struct {
	Now    time.Time // the pull time of the latest exports (Vietnam local)
	Months int       // history length; default 24
	Seed   uint64
	// Scale multiplies daily volume; default 1 (about 90,000 dossiers).
	Scale float64
}

type ward struct {
	code, name, district, province string
	vendor                         vendor
	perDay                         float64
}

var wardNames = []struct{ name, district string }{
	{"Xã Gia Hòa", "Huyện Gia Viễn"}, {"Xã Gia Hưng", "Huyện Gia Viễn"}, {"Xã Gia Phong", "Huyện Gia Viễn"},
	{"Thị trấn Me", "Huyện Gia Viễn"}, {"Xã Gia Thịnh", "Huyện Gia Viễn"}, {"Xã Gia Vân", "Huyện Gia Viễn"},
	{"Phường Nam Bình", "Thành phố Hoa Lư"}, {"Phường Ninh Khánh", "Thành phố Hoa Lư"},
	{"Phường Đông Thành", "Thành phố Hoa Lư"}, {"Phường Tân Thành", "Thành phố Hoa Lư"},
	{"Xã Ninh Nhất", "Thành phố Hoa Lư"}, {"Xã Ninh Phúc", "Thành phố Hoa Lư"},
}

// Generate writes the demo district into dir.
func Generate(dir string, opt Options) (Manifest, error) {
	if opt.Months <= 0 {
		opt.Months = 24
	}
	if opt.Scale <= 0 {
		opt.Scale = 1
	}
	if opt.Seed == 0 {
		opt.Seed = 2026
	}
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Manifest{}, err
	}
	var wards []ward
	vendors := allVendors()
	for i, wn := range wardNames {
		wards = append(wards, ward{
			code:     fmt.Sprintf("000.%02d.27.H37", 11+i),
			name:     wn.name,
			district: wn.district,
			province: "Tỉnh Ninh Bình",
			vendor:   vendors[i%len(vendors)],
			perDay:   (7 + rng.Float64()*16) * opt.Scale,
		})
	}
	m := Manifest{Units: filepath.Join(dir, "units.csv")}
	if err := writeUnits(m.Units, wards); err != nil {
		return m, err
	}
	now := opt.Now
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -opt.Months, 0)
	cal := &calendar{}
	for i, w := range wards {
		ds := simulate(rng, cal, w, start, now)
		m.Dossiers += len(ds)
		if i%6 == 0 || i%6 == 3 {
			// An export pulled five weeks ago, then today's: the second updates the first.
			earlier := now.AddDate(0, 0, -35)
			f, err := w.vendor.write(dir, w, snapshot(ds, earlier), earlier, rng)
			if err != nil {
				return m, err
			}
			m.Files = append(m.Files, f)
		}
		f, err := w.vendor.write(dir, w, snapshot(ds, now), now, rng)
		if err != nil {
			return m, err
		}
		m.Files = append(m.Files, f)
	}
	sort.SliceStable(m.Files, func(i, j int) bool { return m.Files[i].Pulled.Before(m.Files[j].Pulled) })
	return m, nil
}

func writeUnits(path string, wards []ward) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	fmt.Fprintln(f, "code,name,district,province,valid_from,valid_to")
	for _, w := range wards {
		fmt.Fprintf(f, "%s,%s,%s,%s,2020-01-01,\n", w.code, w.name, w.district, w.province)
	}
	return f.Close()
}

type procedure struct {
	code, name, sector string
	days               int // allowed working days
	fee                int
	online             string // full | partial | none
}

var procedures = []procedure{
	{"1.001193", "Đăng ký khai sinh", "Hộ tịch", 1, 0, "full"},
	{"1.000894", "Đăng ký kết hôn", "Hộ tịch", 5, 0, "partial"},
	{"1.004873", "Cấp Giấy xác nhận tình trạng hôn nhân", "Hộ tịch", 3, 3000, "full"},
	{"1.000656", "Đăng ký khai tử", "Hộ tịch", 1, 0, "full"},
	{"2.000635", "Cấp bản sao trích lục hộ tịch", "Hộ tịch", 1, 8000, "full"},
	{"2.000815", "Chứng thực bản sao từ bản chính", "Chứng thực", 1, 2000, "partial"},
	{"2.000884", "Chứng thực chữ ký trong giấy tờ, văn bản", "Chứng thực", 1, 10000, "none"},
	{"2.001035", "Chứng thực hợp đồng, giao dịch liên quan đến tài sản", "Chứng thực", 2, 50000, "none"},
	{"1.001776", "Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hàng tháng", "Bảo trợ xã hội", 15, 0, "partial"},
	{"1.003554", "Đăng ký biến động quyền sử dụng đất", "Đất đai", 10, 30000, "partial"},
	{"1.009994", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "Xây dựng", 15, 75000, "partial"},
	{"1.010832", "Hòa giải tranh chấp đất đai", "Đất đai", 45, 0, "none"},
}

// procedure weights: certifications and civil status dominate a ward desk.
var procWeights = []float64{14, 5, 8, 3, 6, 30, 12, 5, 3, 6, 3, 1}

type dossier struct {
	code      string
	proc      procedure
	channel   string
	submitted time.Time
	received  time.Time
	due       time.Time
	completed time.Time
	returned  time.Time
	withdrawn time.Time
	suppReq   time.Time
	suppRec   time.Time
	refused   bool // refused at intake: excluded from the form
	apology   bool
	paid      bool
	digitised bool
	applicant person
	bad       string // a deliberate defect, written by the vendor
}

type person struct{ name, id, phone, address string }

var (
	familyNames = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đinh", "Bùi", "Đỗ", "Ngô"}
	middleNames = []string{"Văn", "Thị", "Minh", "Thu", "Đức", "Ngọc", "Quang", "Thanh"}
	givenNames  = []string{"An", "Bình", "Chi", "Dũng", "Hà", "Hải", "Hương", "Lan", "Long", "Mai", "Nam", "Phúc", "Quân", "Tâm", "Trang", "Tuấn"}
)

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func weighted(rng *rand.Rand, w []float64) int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	r := rng.Float64() * total
	for i, x := range w {
		if r < x {
			return i
		}
		r -= x
	}
	return len(w) - 1
}

// simulate makes a ward's dossiers from start to now, with their whole future.
func simulate(rng *rand.Rand, cal *calendar, w ward, start, now time.Time) []dossier {
	var people []person
	for i := 0; i < 3000; i++ {
		people = append(people, person{
			name:    pick(rng, familyNames) + " " + pick(rng, middleNames) + " " + pick(rng, givenNames),
			id:      fmt.Sprintf("0%02d%09d", 37, rng.IntN(1_000_000_000)),
			phone:   fmt.Sprintf("09%08d", rng.IntN(100_000_000)),
			address: fmt.Sprintf("Thôn %d, %s", 1+rng.IntN(12), w.name),
		})
	}
	var out []dossier
	total := now.Sub(start).Hours() / 24
	for d := start; d.Before(now); d = d.AddDate(0, 0, 1) {
		if !cal.working(d) {
			continue
		}
		progress := d.Sub(start).Hours() / 24 / total
		seasonal := 1 + 0.12*float64(int(d.Month())%4-1) // small within-year swings
		mean := w.perDay * tetFactor(d) * seasonal
		n := poisson(rng, mean)
		onlineShare := 0.18 + 0.40*progress
		for i := 0; i < n; i++ {
			p := procedures[weighted(rng, procWeights)]
			ds := dossier{proc: p, applicant: people[int(float64(len(people))*rng.Float64()*rng.Float64())]}
			r := rng.Float64()
			switch {
			case r < 0.03:
				ds.channel = "postal"
			case r < 0.03+onlineShare && p.online != "none":
				ds.channel = "online"
			default:
				ds.channel = "direct"
			}
			minute := 7*60 + 30 + rng.IntN(9*60)
			ds.received = d.Add(time.Duration(minute) * time.Minute)
			if ds.received.After(now) {
				continue
			}
			if ds.channel == "online" {
				ds.submitted = ds.received.Add(-time.Duration(30+rng.IntN(3000)) * time.Minute)
				ds.paid = p.fee > 0 && rng.Float64() < 0.6
			}
			ds.code = fmt.Sprintf("%s-%s-%04d", w.code, d.Format("060102"), i+1)
			startDay := ds.received
			if ds.received.Hour() >= 15 {
				startDay = ds.received.AddDate(0, 0, 1)
			}
			ds.due = cal.addWorkingDays(startDay, p.days)
			ds.due = time.Date(ds.due.Year(), ds.due.Month(), ds.due.Day(), 16, 30, 0, 0, time.UTC)
			ds.digitised = rng.Float64() < 0.55+0.35*progress
			outcome := rng.Float64()
			workDays := 0
			switch {
			case outcome < 0.006:
				ds.refused = true
				out = append(out, ds)
				continue
			case outcome < 0.016:
				ds.withdrawn = cal.addWorkingDays(ds.received, rng.IntN(p.days+1)).Add(time.Duration(8+rng.IntN(8)) * time.Hour)
				out = append(out, ds)
				continue
			case outcome < 0.05:
				workDays = p.days + 1 + rng.IntN(6) // late
				ds.apology = rng.Float64() < 0.7
			case outcome < 0.50:
				workDays = p.days // on the due day
			default:
				if p.days > 0 {
					workDays = rng.IntN(p.days) // early
				}
			}
			if p.days >= 5 && rng.Float64() < 0.08 {
				ds.suppReq = cal.addWorkingDays(ds.received, 1).Add(9 * time.Hour)
				ds.suppRec = cal.addWorkingDays(ds.suppReq, 2+rng.IntN(5)).Add(10 * time.Hour)
			}
			doneDay := cal.addWorkingDays(startDay, workDays)
			ds.completed = time.Date(doneDay.Year(), doneDay.Month(), doneDay.Day(), 8+rng.IntN(9), rng.IntN(60), 0, 0, time.UTC)
			if ds.completed.Before(ds.received) {
				ds.completed = ds.received.Add(time.Duration(20+rng.IntN(120)) * time.Minute)
			}
			ret := cal.addWorkingDays(ds.completed, rng.IntN(3))
			ds.returned = time.Date(ret.Year(), ret.Month(), ret.Day(), 8+rng.IntN(9), rng.IntN(60), 0, 0, time.UTC)
			if ds.returned.Before(ds.completed) {
				ds.returned = ds.completed.Add(time.Hour)
			}
			out = append(out, ds)
		}
	}
	// A few deliberate defects, as real exports have.
	for _, bad := range []string{"bad_date", "completed_before_received", "missing_code", "bad_channel"} {
		i := rng.IntN(len(out))
		out[i].bad = bad
	}
	return out
}

func poisson(rng *rand.Rand, mean float64) int {
	// Normal approximation is fine for a demo; clamp at zero.
	n := int(mean + rng.NormFloat64()*sqrt(mean) + 0.5)
	if n < 0 {
		return 0
	}
	return n
}

func sqrt(x float64) float64 {
	if x <= 0 {
		return 0
	}
	z := x
	for i := 0; i < 20; i++ {
		z = (z + x/z) / 2
	}
	return z
}

// state is a dossier as an export pulled at one moment shows it.
type state struct {
	dossier
	status int
}

// snapshot returns the dossiers as a pull at time t sees them: only those
// received by then, with what had happened by then.
func snapshot(ds []dossier, t time.Time) []state {
	var out []state
	for _, d := range ds {
		if d.received.After(t) {
			continue
		}
		s := state{dossier: d}
		if d.completed.After(t) {
			s.completed = time.Time{}
		}
		if d.returned.After(t) {
			s.returned = time.Time{}
		}
		if d.withdrawn.After(t) {
			s.withdrawn = time.Time{}
		}
		if d.suppReq.After(t) {
			s.suppReq = time.Time{}
		}
		if d.suppRec.After(t) {
			s.suppRec = time.Time{}
		}
		switch {
		case d.refused:
			s.status = 3
		case !s.withdrawn.IsZero():
			s.status = 7
		case !s.returned.IsZero():
			s.status = 10
		case !s.completed.IsZero():
			s.status = 9
		case !s.suppReq.IsZero() && s.suppRec.IsZero():
			s.status = 5
		default:
			s.status = 4
		}
		out = append(out, s)
	}
	return out
}
