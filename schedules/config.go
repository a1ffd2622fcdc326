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
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/robfig/cron/v3"
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
	// Lakes are other nodes' lakes this one federates (config_lakes.go).
	Lakes []LakeRef `yaml:"lakes"`
	// Flight, when given, is the Arrow Flight SQL endpoint serve starts.
	Flight *Flight `yaml:"flight"`

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
	keepZeroRetries(data, c)
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

// keepZeroRetries undoes the default for a source whose file says
// retries: 0 (no retry), which decodes like a source that says nothing.
func keepZeroRetries(data []byte, c *Config) {
	var given struct {
		Sources []struct {
			Retries *int `yaml:"retries"`
		} `yaml:"sources"`
	}
	if yaml.Unmarshal(data, &given) != nil {
		return
	}
	for i, s := range given.Sources {
		if i < len(c.Sources) && s.Retries != nil && *s.Retries == 0 {
			c.Sources[i].Retries = 0
		}
	}
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
	if p, ok := c.flightSecretProblem(); ok {
		ps = append(ps, p)
		vars = append(vars, FlightTokenEnv)
	}
	return ps, vars
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
	c.resolveLakes()
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
	c.flightDefaults()
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
