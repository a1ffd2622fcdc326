package flight

import (
	"strings"
	"testing"
)

// A failing statement's text, with a name and an ID number typed into
// it, never reaches the log: DuckDB echoes the statement after "LINE"
// and quotes literals in its messages.
func TestLogTextKeepsNoStatementText(t *testing.T) {
	for _, m := range []string{
		"Binder Error: Referenced column \"applicant_name\" not found in FROM clause!\nCandidates: \"ward_code\"\n\nLINE 1: SELECT * FROM dossiers WHERE applicant_name = 'Trần Thị Bình' AND cccd = '001099012345'",
		"Conversion Error: Could not convert string 'Trần Thị Bình 001099012345' to INT32",
		"Parser Error: syntax error at or near \"Trần\" LINE 1: SELECT Trần Thị Bình",
	} {
		got := logText(m)
		for _, secret := range []string{"Trần", "Bình", "001099012345", "SELECT"} {
			if strings.Contains(got, secret) {
				t.Errorf("logText(%q) = %q keeps %q", m, got, secret)
			}
		}
		if got == "" {
			t.Errorf("logText(%q) is empty: the log must still say what failed", m)
		}
	}
}
