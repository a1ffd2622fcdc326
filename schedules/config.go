// Package schedules runs wardstat unattended: it reads the YAML
// configuration, pulls each ward's export (HTTP or a drop folder) on its
// cron schedule, loads it, rebuilds and publishes what analysts read, and
// keeps a ledger of every run. See DESIGN.md for the catch-up rules and why
// analysts read a published snapshot.
package schedules

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"
	"github.com/robfig/cron/v3"

	"wardstat/ingest"
)

// Config is the whole configuration file.
type Config struct {
	// Warehouse is the DuckDB file (relative paths are relative to the config file).
	Warehouse string `yaml:"warehouse"`
	// Publish is the read-only snapshot analysts query while the daemon runs.
	// Default: published/<warehouse file name> beside the warehouse.
	Publish string `yaml:"publish"`
	// PublishGroup is the group whose members may read the snapshot (mode
	// 0640); default: the daemon's own group. The snapshot is never
	// readable by every user of the machine.
	PublishGroup string `yaml:"publish_group"`
	// Units is the unit registry CSV, imported before each build.
	Units string `yaml:"units"`
	// Listen is the daemon's HTTP address (health, metrics, runs).
	Listen string `yaml:"listen"`
	// Timezone of the cron schedules.
	Timezone string `yaml:"timezone"`
	// WorkDir holds downloads in progress. Default: .wardstat-work beside the warehouse.
	WorkDir string `yaml:"work_dir"`
	// PIIKeyEnv names the variable holding the applicant-hash key.
	PIIKeyEnv string `yaml:"pii_key_env"`
	// Lang of the reports: vi or en.
	Lang    string   `yaml:"lang"`
	Sources []Source `yaml:"sources"`
	Jobs    Jobs     `yaml:"jobs"`

	dir string // the config file's folder
	// missingSecrets are the secrets' variables that were not set when
	// the file was read by LoadConfigOffline (see MissingSecrets).
	missingSecrets []MissingSecret
}

// Source is one ward system to pull from.
type Source struct {
	Name string `yaml:"name"`
	Ward string `yaml:"ward"`
	// URL of an HTTP(S) export; {from} and {to} become the window's dates (YYYY-MM-DD).
	URL string `yaml:"url"`
	// Path of a drop folder or a file.
	Path string `yaml:"path"`
	// TokenEnv names the environment variable with a bearer token.
	TokenEnv string            `yaml:"token_env"`
	Headers  map[string]string `yaml:"headers"`
	Format   string            `yaml:"format"`
	Sheet    string            `yaml:"sheet"`
	// Map names the file's column for a field (field: column).
	Map      map[string]string `yaml:"map"`
	Schedule string            `yaml:"schedule"`
	// WindowDays is how far back {from} reaches from today.
	WindowDays int         `yaml:"window_days"`
	Pagination *Pagination `yaml:"pagination"`
	Timeout    Duration    `yaml:"timeout"`
	Retries    int         `yaml:"retries"`
	MaxBytes   int64       `yaml:"max_bytes"`
	// Settle is how long a dropped file must stop growing before it is loaded.
	Settle    Duration  `yaml:"settle"`
	Freshness Freshness `yaml:"freshness"`
	// DateParams names the {from}/{to} date layout; default 2006-01-02.
	DateLayout string `yaml:"date_layout"`
}

// Pagination of a JSON API.
type Pagination struct {
	// Type is "page" (a page-number parameter) or "next" (a next link in the body).
	Type string `yaml:"type"`
	// Param is the page-number parameter (page).
	Param string `yaml:"param"`
	// Start is the first page number (1).
	Start int `yaml:"start"`
	// NextField is the dotted path of the next link in the body (next, links.next…).
	NextField string `yaml:"next_field"`
	// MaxPages bounds a runaway API (1000).
	MaxPages int `yaml:"max_pages"`
}

// Freshness says when a source with no new data is stale.
type Freshness struct {
	Warn  Duration `yaml:"warn"`
	Error Duration `yaml:"error"`
}

// Jobs are the scheduled whole-warehouse jobs.
type Jobs struct {
	Build  *Job `yaml:"build"`
	Export *Job `yaml:"export"`
	Report *Job `yaml:"report"`
}

// Job is one scheduled job.
type Job struct {
	Schedule string `yaml:"schedule"`
	// Out is the output folder (export, report).
	Out string `yaml:"out"`
}

// Duration reads "90s", "2h", "7d".
type Duration time.Duration

// UnmarshalText parses a duration with an optional d (days) unit.
func (d *Duration) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if m := daysRE.FindStringSubmatch(s); m != nil {
		var n int
		fmt.Sscanf(m[1], "%d", &n)
		*d = Duration(time.Duration(n) * 24 * time.Hour)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration (write 90s, 30m, 48h or 7d)", s)
	}
	*d = Duration(v)
	return nil
}

var daysRE = regexp.MustCompile(`^(\d+)d$`)

// Std returns the time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// Defaults.
const (
	DefaultListen     = "127.0.0.1:9464"
	DefaultTimezone   = "Asia/Ho_Chi_Minh"
	DefaultTimeout    = 60 * time.Second
	DefaultRetries    = 3
	DefaultMaxBytes   = 1 << 30
	DefaultWindowDays = 90
	DefaultSettle     = 2 * time.Second
	DefaultWarn       = 48 * time.Hour
	DefaultError      = 7 * 24 * time.Hour
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

// CronParser reads standard five-field cron expressions, with an optional
// leading seconds field, and descriptors such as @daily.
var CronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// LoadConfig reads, decodes strictly, fills defaults and validates a file
// for a command that pulls: every source's token_env and the pii_key_env
// variable must be set. Every problem found is reported at once, each
// with its line.
func LoadConfig(path string) (*Config, error) { return loadConfig(path, true) }

// LoadConfigOffline reads a file as LoadConfig does, for a command that
// pulls nothing (check, status): the secrets' variables need not be set,
// and MissingSecrets lists those that were not.
func LoadConfigOffline(path string) (*Config, error) { return loadConfig(path, false) }

func loadConfig(path string, needSecrets bool) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c := &Config{}
	if err := yaml.UnmarshalWithOptions(data, c, yaml.DisallowUnknownField(), yaml.Strict()); err != nil {
		return nil, &ConfigError{File: path, Problems: []Problem{decodeProblem(err, data)}}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	c.dir = filepath.Dir(abs)
	c.applyDefaults()
	problems := c.Validate()
	secrets, secretVars := c.secretProblems()
	if needSecrets {
		problems = append(problems, secrets...)
	}
	if len(problems) > 0 {
		locate(data, problems)
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
		return nil, &ConfigError{File: path, Problems: problems}
	}
	locate(data, secrets)
	for i, p := range secrets {
		c.missingSecrets = append(c.missingSecrets, MissingSecret{Variable: secretVars[i], Line: p.Line, Path: p.Path})
	}
	return c, nil
}

// MissingSecret is a variable named by token_env or pii_key_env that is
// not set, and where the file names it.
type MissingSecret struct {
	Variable string
	Line     int
	Path     string // e.g. $.sources[0].token_env
}

// MissingSecrets lists the secrets' variables that were not set when
// LoadConfigOffline read the file: the commands that pull (serve, run,
// backfill) refuse to start without them.
func (c *Config) MissingSecrets() []MissingSecret { return c.missingSecrets }

// secretProblems are the secrets' variables that are not set, and their names.
func (c *Config) secretProblems() ([]Problem, []string) {
	var ps []Problem
	var vars []string
	add := func(path, variable string) {
		ps = append(ps, Problem{Path: path, Message: fmt.Sprintf("the environment variable %s is not set", variable)})
		vars = append(vars, variable)
	}
	if c.PIIKeyEnv != "" && os.Getenv(c.PIIKeyEnv) == "" {
		add("$.pii_key_env", c.PIIKeyEnv)
	}
	for i, s := range c.Sources {
		if s.TokenEnv != "" && s.URL != "" && os.Getenv(s.TokenEnv) == "" {
			add(fmt.Sprintf("$.sources[%d].token_env", i), s.TokenEnv)
		}
	}
	return ps, vars
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

func (c *Config) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}

func (c *Config) applyDefaults() {
	if c.Warehouse == "" {
		c.Warehouse = "wardstat.duckdb"
	}
	c.Warehouse = c.resolve(c.Warehouse)
	if c.Publish == "" {
		c.Publish = filepath.Join(filepath.Dir(c.Warehouse), "published", filepath.Base(c.Warehouse))
	}
	c.Publish = c.resolve(c.Publish)
	c.Units = c.resolve(c.Units)
	if c.WorkDir == "" {
		c.WorkDir = filepath.Join(filepath.Dir(c.Warehouse), ".wardstat-work")
	}
	c.WorkDir = c.resolve(c.WorkDir)
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Timezone == "" {
		c.Timezone = DefaultTimezone
	}
	if c.Lang == "" {
		c.Lang = "vi"
	}
	for i := range c.Sources {
		s := &c.Sources[i]
		s.Path = c.resolve(s.Path)
		if s.Format == "" {
			s.Format = "auto"
		}
		if s.Timeout == 0 {
			s.Timeout = Duration(DefaultTimeout)
		}
		if s.Retries == 0 {
			s.Retries = DefaultRetries
		}
		if s.MaxBytes == 0 {
			s.MaxBytes = DefaultMaxBytes
		}
		if s.WindowDays == 0 {
			s.WindowDays = DefaultWindowDays
		}
		if s.Settle == 0 {
			s.Settle = Duration(DefaultSettle)
		}
		if s.Freshness.Warn == 0 {
			s.Freshness.Warn = Duration(DefaultWarn)
		}
		if s.Freshness.Error == 0 {
			s.Freshness.Error = Duration(DefaultError)
		}
		if s.DateLayout == "" {
			s.DateLayout = "2006-01-02"
		}
		if p := s.Pagination; p != nil {
			if p.Param == "" {
				p.Param = "page"
			}
			if p.Start == 0 && p.Type == "page" {
				p.Start = 1
			}
			if p.NextField == "" {
				p.NextField = "next"
			}
			if p.MaxPages == 0 {
				p.MaxPages = 1000
			}
		}
	}
	for _, j := range []*Job{c.Jobs.Export, c.Jobs.Report} {
		if j != nil {
			j.Out = c.resolve(j.Out)
		}
	}
	if c.Jobs.Export != nil && c.Jobs.Export.Out == "" {
		c.Jobs.Export.Out = filepath.Join(filepath.Dir(c.Warehouse), "parquet")
	}
	if c.Jobs.Report != nil && c.Jobs.Report.Out == "" {
		c.Jobs.Report.Out = filepath.Join(filepath.Dir(c.Warehouse), "reports")
	}
}

// PublishGID is the group id of PublishGroup (a name or a number); -1
// when none is named.
func (c *Config) PublishGID() (int, error) {
	if c.PublishGroup == "" {
		return -1, nil
	}
	g, err := user.LookupGroup(c.PublishGroup)
	if err != nil {
		if g, err = user.LookupGroupId(c.PublishGroup); err != nil {
			return -1, err
		}
	}
	return strconv.Atoi(g.Gid)
}

var sourceNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Validate checks everything that can be checked offline and returns every
// problem found (nil when none). Whether the secrets' variables are set is
// not its business: LoadConfig checks them for the commands that pull.
func (c *Config) Validate() []Problem {
	var ps []Problem
	add := func(path, format string, args ...any) {
		p := Problem{Path: path, Message: fmt.Sprintf(format, args...)}
		if vi, ok := viProblems[format]; ok {
			p.VI = fmt.Sprintf(vi, args...)
		}
		ps = append(ps, p)
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		add("$.timezone", "unknown time zone %q (use an IANA name such as Asia/Ho_Chi_Minh)", c.Timezone)
	}
	if c.Lang != "vi" && c.Lang != "en" {
		add("$.lang", "%q: use vi or en", c.Lang)
	}
	if c.Units != "" {
		if _, err := os.Stat(c.Units); err != nil {
			add("$.units", "no unit registry at %s", c.Units)
		}
	}
	if c.PublishGroup != "" {
		if _, err := c.PublishGID(); err != nil {
			add("$.publish_group", "%q is not a group of this machine (see /etc/group)", c.PublishGroup)
		}
	}
	if len(c.Sources) == 0 {
		add("$.sources", "no sources: list at least one ward system to pull from")
	}
	seen := map[string]bool{}
	for i, s := range c.Sources {
		at := fmt.Sprintf("$.sources[%d]", i)
		switch {
		case s.Name == "":
			add(at, "a source needs a name")
		case !sourceNameRE.MatchString(s.Name):
			add(at+".name", "%q: use letters, digits, '.', '_' and '-'", s.Name)
		case seen[s.Name]:
			add(at+".name", "%q is used by an earlier source", s.Name)
		}
		seen[s.Name] = true
		switch {
		case s.URL == "" && s.Path == "":
			add(at, "give either url (an HTTP export) or path (a drop folder or file)")
		case s.URL != "" && s.Path != "":
			add(at+".path", "give either url or path, not both")
		case s.URL != "":
			if !strings.HasPrefix(s.URL, "http://") && !strings.HasPrefix(s.URL, "https://") {
				add(at+".url", "%q: only http:// and https:// URLs are pulled", s.URL)
			}
		}
		if s.TokenEnv != "" && s.URL == "" {
			add(at+".token_env", "a token only makes sense with url")
		}
		if s.Schedule == "" {
			add(at, "a source needs a schedule (a cron expression such as \"0 1 * * *\")")
		} else if _, err := CronParser.Parse(stripTZ(s.Schedule)); err != nil {
			add(at+".schedule", "%q is not a cron expression: %v", s.Schedule, err)
		}
		if f := strings.ToLower(s.Format); f != "auto" && !slices.Contains(ingest.Formats, ingest.Format(f)) {
			add(at+".format", "%q: use "+ingest.FormatChoices("or"), s.Format)
		}
		if s.Retries < 0 || s.Retries > 20 {
			add(at+".retries", "%d: use 0 to 20", s.Retries)
		}
		if s.Freshness.Error.Std() < s.Freshness.Warn.Std() {
			add(at+".freshness", "error (%s) must not be shorter than warn (%s)", s.Freshness.Error.Std(), s.Freshness.Warn.Std())
		}
		if p := s.Pagination; p != nil {
			if s.URL == "" {
				add(at+".pagination", "pagination only makes sense with url")
			}
			if p.Type != "page" && p.Type != "next" {
				add(at+".pagination.type", "%q: use page or next", p.Type)
			}
		}
		for field := range s.Map {
			if !knownField(field) {
				add(at+".map", "%q is not a field", field)
			}
		}
	}
	jobs := map[string]*Job{"build": c.Jobs.Build, "export": c.Jobs.Export, "report": c.Jobs.Report}
	names := make([]string, 0, len(jobs))
	for n := range jobs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		j := jobs[n]
		if j == nil {
			continue
		}
		if j.Schedule == "" {
			add("$.jobs."+n, "a job needs a schedule")
		} else if _, err := CronParser.Parse(stripTZ(j.Schedule)); err != nil {
			add("$.jobs."+n+".schedule", "%q is not a cron expression: %v", j.Schedule, err)
		}
	}
	return ps
}

// stripTZ removes a CRON_TZ= or TZ= prefix, which robfig/cron reads itself.
func stripTZ(spec string) string {
	if strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=") {
		if i := strings.IndexByte(spec, ' '); i > 0 {
			if _, err := time.LoadLocation(spec[strings.IndexByte(spec, '=')+1 : i]); err == nil {
				return strings.TrimSpace(spec[i:])
			}
		}
	}
	return spec
}

// Source returns a source by name.
func (c *Config) Source(name string) (*Source, error) {
	var names []string
	for i := range c.Sources {
		if c.Sources[i].Name == name {
			return &c.Sources[i], nil
		}
		names = append(names, c.Sources[i].Name)
	}
	return nil, fmt.Errorf("no source %q in the configuration; the sources are %s", name, strings.Join(names, ", "))
}

// Location is the schedules' time zone.
func (c *Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.FixedZone("ICT", 7*3600)
	}
	return loc
}

// ErrNoJob is a job name the configuration does not schedule.
var ErrNoJob = errors.New("no such job")

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
