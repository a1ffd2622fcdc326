package flight

import (
	"regexp"
	"strings"
)

// quoted is a literal or a quoted name in an error's text.
var quoted = regexp.MustCompile(`'[^']*'|"[^"]*"`)

// logText is an error's text as the log keeps it: its first line, with
// every quoted literal or name hidden and DuckDB's echo of the statement
// ("LINE 1: SELECT …") cut, since an analyst may have typed a person's
// name or number into the statement. The client gets the whole message.
func logText(s string) string {
	if i := strings.Index(s, "LINE "); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(quoted.ReplaceAllString(s, "‹…›"))
}
