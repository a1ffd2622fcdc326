package schedules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFlightSection: the flight: section's defaults and paths, and every
// problem with its line; a tokens file others may read is refused.
func TestFlightSection(t *testing.T) {
	t.Setenv(FlightTokenEnv, "")
	f := "../testdata/config/flight/bad.yml"
	_, err := LoadConfig(f)
	want := []string{
		`line 6: flight: the environment variable WARDSTAT_FLIGHT_TOKEN is not set`,
		`line 6: flight.addr: "31337": write HOST:PORT, e.g. 127.0.0.1:31337`,
		`line 7: flight.statement_timeout: give a positive duration, e.g. 10m`,
		`line 8: flight.max_rows: -1: give a positive number`,
		`line 9: flight.tls_cert: no file at `,
	}
	var got []string
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			got = append(got, strings.TrimPrefix(line, f+": "))
		}
	}
	// The TLS pair is one problem of the section.
	if len(got) != len(want)+1 || !strings.Contains(err.Error(), "flight: give both tls_cert and tls_key, or neither") {
		t.Fatalf("got\n%s", strings.Join(got, "\n"))
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || strings.HasPrefix(g, w)
		}
		if !found {
			t.Errorf("no %q in\n%s", w, strings.Join(got, "\n"))
		}
	}

	dir := t.TempDir()
	cfg := filepath.Join(dir, "wardstat.yml")
	b, _ := os.ReadFile("../testdata/config/flight/good.yml")
	os.WriteFile(cfg, b, 0o644)
	tokens := filepath.Join(dir, "tokens.txt")
	os.WriteFile(tokens, []byte("office:0123456789abcdef0123\n"), 0o644)
	os.Chmod(tokens, 0o644)
	if _, err := LoadConfig(cfg); err == nil || !strings.Contains(err.Error(), "line 7: flight.tokens_file: "+tokens+" is readable by its group or others (mode 0644); run chmod 600 "+tokens) {
		t.Errorf("a tokens file others may read: %v", err)
	}
	os.Chmod(tokens, 0o600)
	c, err := LoadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.Flight.Addr != DefaultFlightAddr || c.Flight.TokensFile != tokens || c.Flight.StatementTimeout.Std() != 5*time.Minute || c.Flight.MaxRows != DefaultFlightMaxRows {
		t.Errorf("defaults and paths: %+v", c.Flight)
	}
	if c.Publish != filepath.Join(dir, "data", "published", "w.duckdb") {
		t.Errorf("the endpoint serves %s", c.Publish)
	}
}
