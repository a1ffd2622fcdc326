package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"
)

// WriteHTML writes the report as one self-contained page: no script, no
// font or stylesheet from elsewhere; charts are inline SVG.
func WriteHTML(w io.Writer, d *Data) error {
	l := labels(d.Opt.Lang)
	total := Total(d.Form, l["grand_total"])
	online := total.NewOnline + total.NewDirect + total.NewPostal
	page := map[string]any{
		"L": l, "D": d, "Total": total,
		"YTD":      Total(d.YearToDate, l["grand_total"]),
		"Subtitle": fmt.Sprintf(l["subtitle"], d.From.Format("01/2006"), d.Opt.Now.Format("02/01/2006 15:04")),
		"Period":   period(l, d),
		"OnlinePct": func() string {
			if online == 0 {
				return "–"
			}
			return fmt.Sprintf("%.1f%%", 100*float64(total.NewOnline)/float64(online))
		}(),
		"RateChart":    template.HTML(lineChart(d.Trend)),
		"ChannelChart": template.HTML(channelChart(d.Trend, l)),
		"RankChart":    template.HTML(rankChart(d.Form)),
		"RankTitle":    fmt.Sprintf(l["chart_rank"], d.From.Format("01/2006")),
		"Stale":        staleSources(d.Opt.Sources),
	}
	return pageTemplate.Execute(w, page)
}

func staleSources(s []SourceStatus) []SourceStatus {
	var out []SourceStatus
	for _, x := range s {
		if x.Level != "ok" {
			out = append(out, x)
		}
	}
	return out
}

var funcs = template.FuncMap{
	"pct": func(valid bool, v float64) string {
		if !valid {
			return "–"
		}
		return fmt.Sprintf("%.2f", v)
	},
	"num": func(n int64) string { return thousands(n) },
	"add": func(a, b int) int { return a + b },
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

const (
	chartW = 640
	chartH = 220
	padL   = 44
	padB   = 28
	padT   = 12
	padR   = 26
)

// lineChart draws the on-time rate by month, with its points labelled.
func lineChart(points []MonthPoint) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="on-time rate">`, chartW, chartH)
	lo, hi := 100.0, 0.0
	for _, p := range points {
		if p.Rate.Valid {
			lo, hi = math.Min(lo, p.Rate.Float64), math.Max(hi, p.Rate.Float64)
		}
	}
	if lo > hi {
		b.WriteString(`<text x="50%" y="50%" text-anchor="middle">–</text></svg>`)
		return b.String()
	}
	lo, hi = math.Max(0, math.Floor(lo-2)), math.Min(100, math.Ceil(hi+1))
	if hi-lo < 4 {
		lo = math.Max(0, hi-4)
	}
	x := func(i int) float64 {
		if len(points) == 1 {
			return padL + (chartW-padL-padR)/2
		}
		return padL + float64(i)*float64(chartW-padL-padR)/float64(len(points)-1)
	}
	y := func(v float64) float64 { return padT + (hi-v)/(hi-lo)*float64(chartH-padT-padB) }
	for _, g := range gridLines(lo, hi) {
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/><text class="axis" x="%d" y="%.1f" text-anchor="end">%g</text>`,
			padL, chartW-padR, y(g), y(g), padL-6, y(g)+4, g)
	}
	var pts []string
	for i, p := range points {
		if p.Rate.Valid {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(p.Rate.Float64)))
		}
		fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="middle">%s</text>`, x(i), chartH-8, monthLabel(p.Month))
	}
	fmt.Fprintf(&b, `<polyline class="line" points="%s"/>`, strings.Join(pts, " "))
	for i, p := range points {
		if p.Rate.Valid {
			fmt.Fprintf(&b, `<circle class="dot" cx="%.1f" cy="%.1f" r="3.5"><title>%s: %.2f%%</title></circle>`, x(i), y(p.Rate.Float64), p.Month, p.Rate.Float64)
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func gridLines(lo, hi float64) []float64 {
	step := math.Max(1, math.Round((hi-lo)/4))
	var out []float64
	for g := math.Ceil(lo/step) * step; g <= hi; g += step {
		out = append(out, g)
	}
	return out
}

func monthLabel(m string) string {
	if len(m) == 7 {
		return m[5:] + "/" + m[2:4]
	}
	return m
}

// channelChart stacks new dossiers by channel for each month.
func channelChart(points []MonthPoint, l map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="channels">`, chartW, chartH+18)
	var max int64 = 1
	for _, p := range points {
		if t := p.Online + p.Direct + p.Postal; t > max {
			max = t
		}
	}
	n := len(points)
	if n == 0 {
		b.WriteString(`</svg>`)
		return b.String()
	}
	slot := float64(chartW-padL-padR) / float64(n)
	bw := slot * 0.7
	y := func(v int64) float64 { return float64(chartH-padB) - float64(v)/float64(max)*float64(chartH-padT-padB) }
	for _, g := range []int64{0, max / 2, max} {
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/><text class="axis" x="%d" y="%.1f" text-anchor="end">%s</text>`,
			padL, chartW-padR, y(g), y(g), padL-6, y(g)+4, thousands(g))
	}
	for i, p := range points {
		x0 := padL + float64(i)*slot + (slot-bw)/2
		base := int64(0)
		for _, part := range []struct {
			v   int64
			cls string
		}{{p.Direct, "direct"}, {p.Postal, "postal"}, {p.Online, "online"}} {
			top := base + part.v
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s %s: %s</title></rect>`,
				part.cls, x0, y(top), bw, y(base)-y(top), p.Month, l[part.cls], thousands(part.v))
			base = top
		}
		fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="middle">%s</text>`, x0+bw/2, chartH-8, monthLabel(p.Month))
	}
	lx := padL
	for _, k := range []string{"online", "direct", "postal"} {
		fmt.Fprintf(&b, `<rect class="%s" x="%d" y="%d" width="10" height="10"/><text class="axis" x="%d" y="%d">%s</text>`, k, lx, chartH+4, lx+14, chartH+13, l[k])
		lx += 130
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// rankChart ranks the wards by on-time rate, as horizontal bars.
func rankChart(rows []FormRow) string {
	rs := append([]FormRow(nil), rows...)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Rate.Float64 > rs[j].Rate.Float64 })
	h := 22*len(rs) + 10
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="ranking">`, chartW, h)
	lo := 100.0
	for _, r := range rs {
		if r.Rate.Valid {
			lo = math.Min(lo, r.Rate.Float64)
		}
	}
	lo = math.Max(0, math.Floor(lo-5))
	const nameW = 190
	for i, r := range rs {
		yy := 6 + i*22
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d" text-anchor="end">%s</text>`, nameW-8, yy+13, template.HTMLEscapeString(r.Name))
		if !r.Rate.Valid {
			continue
		}
		wdt := (r.Rate.Float64 - lo) / (100 - lo) * float64(chartW-nameW-60)
		cls := "bar"
		if r.Rate.Float64 < 95 {
			cls = "bar warn"
		}
		fmt.Fprintf(&b, `<rect class="%s" x="%d" y="%d" width="%.1f" height="16"/><text class="axis" x="%.1f" y="%d">%.2f%%</text>`,
			cls, nameW, yy, math.Max(1, wdt), float64(nameW)+wdt+6, yy+13, r.Rate.Float64)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

var pageTemplate = template.Must(template.New("page").Funcs(funcs).Parse(`<!doctype html>
<html lang="{{if eq .D.Opt.Lang "en"}}en{{else}}vi{{end}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.L.title}} {{.D.From.Format "01/2006"}}</title>
<style>
:root { --ink: #1f2933; --muted: #61707d; --line: #d9e2ec; --accent: #1c6fb5; --warn: #c2410c; --ok: #15803d; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: var(--ink); margin: 0; background: #f5f7fa; }
main { max-width: 980px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.5rem; margin: .2rem 0; } h2 { font-size: 1.1rem; margin: 1.6rem 0 .6rem; }
.sub { color: var(--muted); margin: 0 0 1rem; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
.kpi { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.kpi b { display: block; font-size: 1.5rem; } .kpi span { color: var(--muted); font-size: .85rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px; margin-top: 12px; }
.chart { width: 100%; height: auto; display: block; }
.chart .grid { stroke: var(--line); } .chart .axis { fill: var(--muted); font-size: 11px; }
.chart .line { fill: none; stroke: var(--accent); stroke-width: 2.5; } .chart .dot { fill: var(--accent); }
.chart .online { fill: #1c6fb5; } .chart .direct { fill: #9fb3c8; } .chart .postal { fill: #f0b429; }
.chart .bar { fill: var(--ok); } .chart .bar.warn { fill: var(--warn); }
.table { overflow-x: auto; } table { border-collapse: collapse; width: 100%; font-size: .85rem; background: #fff; }
th, td { border: 1px solid var(--line); padding: 4px 6px; text-align: right; white-space: nowrap; }
th { background: #eef4fb; text-align: center; } td.name { text-align: left; } tr.total td { font-weight: bold; background: #f8fafc; }
ul.alerts li { margin: .3rem 0; } .warn { color: var(--warn); }
footer { color: var(--muted); font-size: .8rem; margin: 2rem 0 1rem; }
</style>
</head>
<body><main>
<h1>{{.L.title}}</h1>
<p class="sub">{{.Subtitle}} · {{.Period}}</p>
<section class="kpis">
 <div class="kpi"><b>{{num .Total.Received}}</b><span>{{.L.kpi_received}}</span></div>
 <div class="kpi"><b>{{num .Total.Resolved}}</b><span>{{.L.kpi_resolved}}</span></div>
 <div class="kpi"><b>{{pct .Total.Rate.Valid .Total.Rate.Float64}}%</b><span>{{.L.kpi_rate}}</span></div>
 <div class="kpi"><b>{{num .Total.PendingOverdue}}</b><span>{{.L.kpi_overdue}}</span></div>
 <div class="kpi"><b>{{.OnlinePct}}</b><span>{{.L.kpi_online}}</span></div>
</section>
<h2>{{.L.chart_rate}}</h2><div class="card">{{.RateChart}}</div>
<h2>{{.L.chart_channel}}</h2><div class="card">{{.ChannelChart}}</div>
<h2>{{.RankTitle}}</h2><div class="card">{{.RankChart}}</div>
<h2>{{.L.anomalies}}</h2>
<div class="card">{{if .D.Partial}}<p>{{.L.anomalies_partial}}</p>{{else if .D.Anomalies}}<ul class="alerts">{{range .D.Anomalies}}<li><b>{{.Name}}</b>: {{.Reason}}</li>{{end}}</ul>{{else}}<p>{{.L.no_anomalies}}</p>{{end}}</div>
{{if .Stale}}<h2>{{.L.sources}}</h2><div class="card"><ul class="alerts">{{range .Stale}}<li class="warn"><b>{{.Source}}</b> ({{.Level}}): {{$.L.stale}}{{if .LastNewData}} {{.LastNewData.Format "02/01/2006"}}{{end}}{{if .LastError}} · {{.LastError}}{{end}}</li>{{end}}</ul></div>{{end}}
<h2>{{.L.form_heading}}</h2>
<div class="table"><table>
<tr><th rowspan="3">{{.L.no}}</th><th rowspan="3">{{.L.unit}}</th><th colspan="5">{{.L.g_received}}</th><th colspan="4">{{.L.g_resolved}}</th><th rowspan="3">{{.L.withdrawn}}</th><th colspan="3">{{.L.g_pending}}</th><th rowspan="3">{{.L.rate}}</th></tr>
<tr><th rowspan="2">{{.L.total}}</th><th rowspan="2">{{.L.carried_over}}</th><th colspan="3">{{.L.new}}</th><th rowspan="2">{{.L.total}}</th><th rowspan="2">{{.L.early}}</th><th rowspan="2">{{.L.on_time}}</th><th rowspan="2">{{.L.late}}</th><th rowspan="2">{{.L.total}}</th><th rowspan="2">{{.L.in_time}}</th><th rowspan="2">{{.L.overdue}}</th></tr>
<tr><th>{{.L.online}}</th><th>{{.L.direct}}</th><th>{{.L.postal}}</th></tr>
{{range $i, $r := .D.Form}}<tr><td>{{add $i 1}}</td><td class="name">{{$r.Name}}</td><td>{{num $r.Received}}</td><td>{{num $r.Carried}}</td><td>{{num $r.NewOnline}}</td><td>{{num $r.NewDirect}}</td><td>{{num $r.NewPostal}}</td><td>{{num $r.Resolved}}</td><td>{{num $r.Early}}</td><td>{{num $r.OnTime}}</td><td>{{num $r.Late}}</td><td>{{num $r.Withdrawn}}</td><td>{{num $r.Pending}}</td><td>{{num $r.PendingInTime}}</td><td>{{num $r.PendingOverdue}}</td><td>{{pct $r.Rate.Valid $r.Rate.Float64}}</td></tr>
{{end}}{{with .Total}}<tr class="total"><td></td><td class="name">{{.Name}}</td><td>{{num .Received}}</td><td>{{num .Carried}}</td><td>{{num .NewOnline}}</td><td>{{num .NewDirect}}</td><td>{{num .NewPostal}}</td><td>{{num .Resolved}}</td><td>{{num .Early}}</td><td>{{num .OnTime}}</td><td>{{num .Late}}</td><td>{{num .Withdrawn}}</td><td>{{num .Pending}}</td><td>{{num .PendingInTime}}</td><td>{{num .PendingOverdue}}</td><td>{{pct .Rate.Valid .Rate.Float64}}</td></tr>{{end}}
</table></div>
<h2>{{.L.ytd_heading}} ({{.D.YearFrom.Format "02/01/2006"}}–{{.D.To.Format "02/01/2006"}})</h2>
<div class="kpis">
 <div class="kpi"><b>{{num .YTD.Received}}</b><span>{{.L.kpi_received}}</span></div>
 <div class="kpi"><b>{{num .YTD.Resolved}}</b><span>{{.L.kpi_resolved}}</span></div>
 <div class="kpi"><b>{{pct .YTD.Rate.Valid .YTD.Rate.Float64}}%</b><span>{{.L.kpi_rate}}</span></div>
</div>
<h2>{{.L.index_heading}}</h2>
<div class="table"><table>
<tr><th>{{.L.unit}}</th><th>{{.L.progress}}</th><th>{{.L.online_share}}</th><th>{{.L.payment_share}}</th><th>{{.L.digitisation}}</th><th>{{.L.points}}</th><th>{{.L.points_possible}}</th><th>{{.L.index_note}}</th></tr>
{{range .D.Index}}<tr><td class="name">{{.Name}}</td><td>{{pct .Progress.Valid .Progress.Float64}}</td><td>{{pct .Online.Valid .Online.Float64}}</td><td>{{pct .Payment.Valid .Payment.Float64}}</td><td>{{pct .Digitised.Valid .Digitised.Float64}}</td><td>{{pct .Score.Valid .Score.Float64}}</td><td>{{.Possible}}</td><td class="name">{{.Note}}</td></tr>
{{end}}</table></div>
<footer>{{.L.footer}}</footer>
</main></body></html>
`))

// period is the report's period, with the as-of note when the month is
// not over.
func period(l map[string]string, d *Data) string {
	p := fmt.Sprintf(l["period"], d.From.Format("02/01/2006"), d.To.Format("02/01/2006"))
	if d.Partial {
		p += " · " + fmt.Sprintf(l["as_of"], d.To.Format("02/01/2006"))
	}
	return p
}
