package schedules

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBadConfigsSayWhatAndWhere(t *testing.T) {
	cases := map[string][]string{
		"unknown-key.bad.yml": {`line 4: unknown field "schedul"`},
		"bad-cron.bad.yml": {
			`line 4: sources[0].schedule: "0 25 * * *" is not a cron expression: end of range (25) above maximum (23): 25`,
			`line 5: sources[1].name: "an-binh" is used by an earlier source`,
			`line 6: sources[1].path: give either url or path, not both`,
			`line 8: sources[1].schedule: "@nightly" is not a cron expression: unrecognized descriptor: @nightly`,
		},
		"bad-values.bad.yml": {
			`line 1: lang: "fr": use vi or en`,
			`line 2: timezone: unknown time zone "Mars/Olympus" (use an IANA name such as Asia/Ho_Chi_Minh)`,
			`line 4: sources[0].name: "bad name": use letters, digits, '.', '_' and '-'`,
			`line 5: sources[0].url: "ftp://x.example/export": only http:// and https:// URLs are pulled`,
			`line 7: sources[0].format: "xlsb": use auto, csv, xlsx, xls, json or html`,
			`line 8: sources[0].freshness: error (48h0m0s) must not be shorter than warn (168h0m0s)`,
			`line 9: sources[0].map: "recieved_at" is not a field`,
			`line 11: jobs.build: a job needs a schedule`,
		},
		"bad-duration.bad.yml": {`line 5: "soon" is not a duration (write 90s, 30m, 48h or 7d)`},
		"no-sources.bad.yml":   {`sources: no sources: list at least one ward system to pull from`},
		"bad-group.bad.yml":    {`line 1: publish_group: "no-such-group-wardstat" is not a group of this machine (see /etc/group)`},
		"syntax.bad.yml":       {`line 2: sequence end token ']' not found`},
	}
	files, _ := filepath.Glob("../testdata/config/*.bad.yml")
	if len(files) != len(cases) {
		t.Fatalf("%d bad configs in testdata, %d in this table", len(files), len(cases))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			_, err := LoadConfig(f)
			if err == nil {
				t.Fatal("want an error")
			}
			var got []string
			for _, line := range strings.Split(err.Error(), "\n") {
				got = append(got, strings.TrimPrefix(line, f+": "))
			}
			want := cases[name]
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestGoodConfigDefaultsAndPaths(t *testing.T) {
	c, err := LoadConfig("../testdata/config/good.yml")
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs("../testdata/config")
	if c.Sources[1].Path != filepath.Join(dir, "drop") {
		t.Errorf("paths are relative to the config file: %s", c.Sources[1].Path)
	}
	if c.Publish != filepath.Join(filepath.Dir(c.Warehouse), "published", "wardstat.duckdb") {
		t.Errorf("publish default: %s", c.Publish)
	}
	s := c.Sources[0]
	if s.Timeout.Std() != DefaultTimeout || s.Retries != DefaultRetries || s.Freshness.Warn.Std() != 48*time.Hour || s.Pagination.Start != 1 {
		t.Errorf("defaults: %+v", s)
	}
	if c.Jobs.Report.Out == "" || c.Listen != DefaultListen {
		t.Errorf("job defaults: %+v %s", c.Jobs.Report, c.Listen)
	}
}

// TestSecretsAreForPullsOnly: a configuration whose token and key
// variables are not set loads for the commands that pull nothing, which
// are told what is missing, and is refused, line by line, for those that
// pull.
func TestSecretsAreForPullsOnly(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "wardstat.yml")
	os.WriteFile(p, []byte(`pii_key_env: WARDSTAT_TEST_UNSET_KEY
sources:
  - name: an-binh
    url: https://igate.example.vn/export
    token_env: WARDSTAT_TEST_UNSET_TOKEN
    schedule: "0 1 * * *"
`), 0o644)
	t.Setenv("WARDSTAT_TEST_UNSET_KEY", "")
	t.Setenv("WARDSTAT_TEST_UNSET_TOKEN", "")
	want := []string{
		"line 1: pii_key_env: the environment variable WARDSTAT_TEST_UNSET_KEY is not set",
		"line 5: sources[0].token_env: the environment variable WARDSTAT_TEST_UNSET_TOKEN is not set",
	}
	_, err := LoadConfig(p)
	if err == nil || err.Error() != p+": "+want[0]+"\n"+p+": "+want[1] {
		t.Errorf("a command that pulls needs the secrets: %v", err)
	}
	c, err := LoadConfigOffline(p)
	if err != nil {
		t.Fatalf("a command that pulls nothing needs no secret: %v", err)
	}
	var got []string
	for _, m := range c.MissingSecrets() {
		got = append(got, fmt.Sprintf("line %d: %s: the environment variable %s is not set", m.Line, strings.TrimPrefix(m.Path, "$."), m.Variable))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("missing secrets:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	t.Setenv("WARDSTAT_TEST_UNSET_KEY", "k")
	t.Setenv("WARDSTAT_TEST_UNSET_TOKEN", "t")
	if _, err := LoadConfig(p); err != nil {
		t.Errorf("with the secrets set: %v", err)
	}
}
