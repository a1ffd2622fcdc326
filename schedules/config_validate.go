package schedules

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"wardstat/ingest"
)

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
	c.lakeProblems(add)
	if len(c.Sources) == 0 && len(c.Lakes) == 0 { // a node that only federates others' lakes pulls nothing
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
	c.validateFlight(add)
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
