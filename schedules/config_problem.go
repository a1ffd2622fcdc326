package schedules

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"

	"wardstat/ingest"
)

// Problem is one thing wrong in a configuration, with where it is.
type Problem struct {
	Line    int
	Column  int
	Path    string // YAML path, e.g. $.sources[1].schedule
	Message string
	// VI is Message in Vietnamese ("" when there is none: the YAML
	// parser's own messages stay English).
	VI string
}

// Text is the problem in lang ("en", else Vietnamese).
func (p Problem) Text(lang string) string {
	if lang == "en" {
		return p.String()
	}
	q := p
	if p.VI != "" {
		q.Message = p.VI
	}
	s := q.String()
	if p.Line > 0 {
		s = "dòng" + strings.TrimPrefix(s, "line")
	}
	return s
}

func (p Problem) String() string {
	if p.Path == "$" || p.Path == "" {
		if p.Line > 0 {
			return fmt.Sprintf("line %d: %s", p.Line, p.Message)
		}
		return p.Message
	}
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", p.Line, strings.TrimPrefix(p.Path, "$."), p.Message)
	}
	return fmt.Sprintf("%s: %s", strings.TrimPrefix(p.Path, "$."), p.Message)
}

// ConfigError lists every problem of a configuration file.
type ConfigError struct {
	File     string
	Problems []Problem
}

func (e *ConfigError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = e.File + ": " + p.String()
	}
	return strings.Join(lines, "\n")
}

// Text is the error in lang ("en", else Vietnamese), for msg.Render.
func (e *ConfigError) Text(lang string) string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = e.File + ": " + p.Text(lang)
	}
	return strings.Join(lines, "\n")
}

var positionRE = regexp.MustCompile(`^\[(\d+):(\d+)\]\s*(.*)`)

var quotedRE = regexp.MustCompile(`"([^"]+)"`)

func decodeProblem(err error, data []byte) Problem {
	msg := yaml.FormatError(err, false, false)
	first := strings.SplitN(msg, "\n", 2)[0]
	if m := positionRE.FindStringSubmatch(first); m != nil {
		var line, col int
		fmt.Sscanf(m[1], "%d", &line)
		fmt.Sscanf(m[2], "%d", &col)
		return Problem{Line: line, Column: col, Path: "$", Message: m[3], VI: viDecode(m[3])}
	}
	// A value our own types refused carries no position: find its text.
	p := Problem{Path: "$", Message: first, VI: viDecode(first)}
	if m := quotedRE.FindStringSubmatch(first); m != nil {
		for i, line := range strings.Split(string(data), "\n") {
			if strings.Contains(line, m[1]) {
				p.Line = i + 1
				break
			}
		}
	}
	return p
}

// locate fills in each problem's line from its YAML path.
func locate(data []byte, problems []Problem) {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return
	}
	for i := range problems {
		for path := problems[i].Path; path != "" && path != "$"; path = parentPath(path) {
			p, err := yaml.PathString(path)
			if err != nil {
				break
			}
			node, err := p.FilterFile(file)
			if err != nil || node == nil {
				continue
			}
			if tk := node.GetToken(); tk != nil && tk.Position != nil {
				problems[i].Line, problems[i].Column = tk.Position.Line, tk.Position.Column
				break
			}
		}
	}
}

func parentPath(p string) string {
	if i := strings.LastIndexAny(p, ".["); i > 0 {
		return p[:i]
	}
	return ""
}

// viProblems are Validate's problems in Vietnamese, by their English format.
var viProblems = map[string]string{
	"unknown time zone %q (use an IANA name such as Asia/Ho_Chi_Minh)": "không có múi giờ %q (hãy dùng tên IANA như Asia/Ho_Chi_Minh)",
	"%q: use vi or en":       "%q: hãy dùng vi hoặc en",
	"no unit registry at %s": "không có danh mục đơn vị ở %s",
	"%q is not a group of this machine (see /etc/group)":                  "%q không phải một nhóm của máy này (xem /etc/group)",
	"the environment variable %s is not set":                              "chưa đặt biến môi trường %s",
	"no sources: list at least one ward system to pull from":              "không có nguồn nào: hãy ghi ít nhất một hệ thống của xã, phường để kéo dữ liệu",
	"a source needs a name":                                               "nguồn cần có tên (name)",
	"%q: use letters, digits, '.', '_' and '-'":                           "%q: hãy dùng chữ cái, chữ số, '.', '_' và '-'",
	"%q is used by an earlier source":                                     "%q đã được một nguồn trước dùng",
	"give either url (an HTTP export) or path (a drop folder or file)":    "hãy ghi url (tệp xuất qua HTTP) hoặc path (thư mục thả tệp hoặc một tệp)",
	"give either url or path, not both":                                   "hãy ghi url hoặc path, không ghi cả hai",
	"%q: only http:// and https:// URLs are pulled":                       "%q: chỉ kéo được URL http:// và https://",
	"a token only makes sense with url":                                   "mã truy cập (token) chỉ dùng với url",
	"a source needs a schedule (a cron expression such as \"0 1 * * *\")": "nguồn cần lịch chạy (schedule, một biểu thức cron như \"0 1 * * *\")",
	"%q is not a cron expression: %v":                                     "%q không phải biểu thức cron: %v",
	"%q: use " + ingest.FormatChoices("or"):                               "%q: hãy dùng " + ingest.FormatChoices("hoặc"),
	"%d: use 0 to 20":                                                     "%d: hãy dùng từ 0 đến 20",
	"error (%s) must not be shorter than warn (%s)":                       "error (%s) không được ngắn hơn warn (%s)",
	"pagination only makes sense with url":                                "pagination chỉ dùng với url",
	"%q: use page or next":                                                "%q: hãy dùng page hoặc next",
	"%q is not a field":                                                   "%q không phải một trường",
	"a job needs a schedule":                                              "việc cần có lịch chạy (schedule)",
}

// viDecode says a decoding problem in Vietnamese where it is one of ours
// or a common one of the YAML parser; "" otherwise (it stays English).
func viDecode(m string) string {
	for en, vi := range map[string]string{
		"is not a duration (write 90s, 30m, 48h or 7d)": "không phải một khoảng thời gian (hãy ghi 90s, 30m, 48h hoặc 7d)",
		"unknown field": "khóa lạ",
	} {
		if strings.Contains(m, en) {
			return strings.Replace(m, en, vi, 1)
		}
	}
	return ""
}
