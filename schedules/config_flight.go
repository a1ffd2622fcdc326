package schedules

import (
	"net"
	"os"
	"strconv"
	"time"
)

// Flight is the Arrow Flight SQL endpoint that serve starts beside the
// schedules, on the snapshot it publishes (see package flight).
type Flight struct {
	// Addr is HOST:PORT to listen on; default 127.0.0.1:31337.
	Addr string `yaml:"addr"`
	// TokensFile holds one name:token a line, readable by its owner only
	// (relative to the config file). WARDSTAT_FLIGHT_TOKEN adds one.
	TokensFile string `yaml:"tokens_file"`
	// TLSCert and TLSKey are PEM files (both or neither).
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// StatementTimeout stops a query; default 5m.
	StatementTimeout Duration `yaml:"statement_timeout"`
	// MaxRows ends a result past this many rows; default 10,000,000.
	MaxRows int64 `yaml:"max_rows"`
}

// Flight defaults.
const (
	DefaultFlightAddr    = "127.0.0.1:31337"
	DefaultFlightTimeout = 5 * time.Minute
	DefaultFlightMaxRows = 10_000_000
	// FlightTokenEnv holds one token when no tokens_file is given.
	FlightTokenEnv = "WARDSTAT_FLIGHT_TOKEN"
)

func (c *Config) flightDefaults() {
	f := c.Flight
	if f == nil {
		return
	}
	if f.Addr == "" {
		f.Addr = DefaultFlightAddr
	}
	f.TokensFile = c.resolve(f.TokensFile)
	f.TLSCert = c.resolve(f.TLSCert)
	f.TLSKey = c.resolve(f.TLSKey)
	if f.StatementTimeout == 0 {
		f.StatementTimeout = Duration(DefaultFlightTimeout)
	}
	if f.MaxRows == 0 {
		f.MaxRows = DefaultFlightMaxRows
	}
}

// validateFlight adds the flight: section's problems.
func (c *Config) validateFlight(add func(path, format string, args ...any)) {
	f := c.Flight
	if f == nil {
		return
	}
	if host, port, err := net.SplitHostPort(f.Addr); err != nil || host == "" {
		add("$.flight.addr", "%q: write HOST:PORT, e.g. 127.0.0.1:31337", f.Addr)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		add("$.flight.addr", "%q: write HOST:PORT, e.g. 127.0.0.1:31337", f.Addr)
	}
	if f.TokensFile != "" {
		st, err := os.Stat(f.TokensFile)
		switch {
		case err != nil:
			add("$.flight.tokens_file", "no tokens file at %s", f.TokensFile)
		case st.Mode().Perm()&0o077 != 0:
			add("$.flight.tokens_file", "%s is readable by its group or others (mode %04o); run chmod 600 %s", f.TokensFile, st.Mode().Perm(), f.TokensFile)
		}
	}
	if (f.TLSCert == "") != (f.TLSKey == "") {
		add("$.flight", "give both tls_cert and tls_key, or neither")
	}
	for _, p := range []struct{ path, file string }{{"$.flight.tls_cert", f.TLSCert}, {"$.flight.tls_key", f.TLSKey}} {
		if p.file != "" {
			if _, err := os.Stat(p.file); err != nil {
				add(p.path, "no file at %s", p.file)
			}
		}
	}
	if f.StatementTimeout < 0 {
		add("$.flight.statement_timeout", "give a positive duration, e.g. 10m")
	}
	if f.MaxRows < 0 {
		add("$.flight.max_rows", "%d: give a positive number", f.MaxRows)
	}
}

// flightSecretProblem: a flight: section with no tokens_file needs its one
// token in the environment (no token, no data).
func (c *Config) flightSecretProblem() (Problem, bool) {
	if c.Flight == nil || c.Flight.TokensFile != "" || os.Getenv(FlightTokenEnv) != "" {
		return Problem{}, false
	}
	return Problem{Path: "$.flight", Message: "the environment variable " + FlightTokenEnv + " is not set"}, true
}

func init() {
	for en, vi := range map[string]string{
		"%q: write HOST:PORT, e.g. 127.0.0.1:31337":                           "%q: hãy ghi HOST:CỔNG, ví dụ 127.0.0.1:31337",
		"no tokens file at %s":                                                "không có tệp mã truy cập ở %s",
		"%s is readable by its group or others (mode %04o); run chmod 600 %s": "nhóm hoặc người khác đọc được %s (quyền %04o); hãy chạy chmod 600 %s",
		"give both tls_cert and tls_key, or neither":                          "hãy ghi cả tls_cert và tls_key, hoặc không ghi cả hai",
		"no file at %s":                      "không có tệp ở %s",
		"give a positive duration, e.g. 10m": "hãy ghi một khoảng thời gian dương, ví dụ 10m",
		"%d: give a positive number":         "%d: hãy ghi một số dương",
	} {
		viProblems[en] = vi
	}
}
