package warehouse

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	sqlmodels "wardstat/sql"
)

// TestNoBareStrptime keeps every strptime of the load and the parsing
// macros safe from DuckDB 1.5.6's read past the end of a text (strptimeSQL):
// the text and each format end with chr(31). A bare try_strptime(t, f)
// crashed about one load in twenty under CPU load, so this test fails on
// the first call written without it.
func TestNoBareStrptime(t *testing.T) {
	sources := map[string]string{}
	goFiles, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range goFiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources["warehouse/"+f] = string(b)
	}
	for _, f := range append(sqlmodels.Models(), sqlmodels.Migrations()...) {
		sources[f.Name] = f.Text
	}
	for _, name := range []string{"load/10_due.sql", "load/15_check.sql", "load/20_merge.sql"} {
		sources[name] = sqlmodels.Text(name)
	}
	found := 0
	call := regexp.MustCompile(`(?:^|[^_A-Za-z])(?:try_)?strptime\(`)
	for name, src := range sources {
		for _, loc := range call.FindAllStringIndex(src, -1) {
			args := callArgs(src[loc[1]:])
			if args == nil {
				continue // prose mentioning strptime, not a call
			}
			found++
			if !padded(args[0]) || len(args) < 2 || !formatsPadded(args[1]) {
				line := strings.Count(src[:loc[0]], "\n") + 1
				t.Errorf("%s:%d: strptime(%s) without chr(31) after the text and each format (see strptimeSQL)", name, line, strings.Join(args, ", "))
			}
		}
	}
	if found < 4 {
		t.Fatalf("found %d strptime calls; the scan is broken", found)
	}
}

// callArgs splits the arguments of a call whose "(" was just read, at
// commas outside brackets, quotes and Go format strings; nil when the
// parentheses do not close on a plausible call.
func callArgs(s string) []string {
	depth, start := 0, 0
	var args []string
	inQuote := byte(0)
	for i := 0; i < len(s) && i < 2000; i++ {
		c := s[i]
		switch {
		case inQuote != 0:
			if c == inQuote {
				inQuote = 0
			}
		case c == '\'':
			inQuote = c
		case c == '(' || c == '[':
			depth++
		case c == ']':
			depth--
		case c == ')':
			if depth == 0 {
				return append(args, strings.TrimSpace(s[start:i]))
			}
			depth--
		case c == ',' && depth == 0:
			args = append(args, strings.TrimSpace(s[start:i]))
			start = i + 1
		case c == '\n' && depth == 0 && strings.TrimSpace(s[start:i]) == "":
			return nil
		}
	}
	return nil
}

func padded(arg string) bool { return strings.HasSuffix(arg, "|| chr(31)") }

func formatsPadded(arg string) bool {
	if strings.HasPrefix(arg, "[") && strings.HasSuffix(arg, "]") {
		for _, f := range callArgs(arg[1:len(arg)-1] + ")") {
			if !padded(f) {
				return false
			}
		}
		return true
	}
	return padded(arg)
}

// TestPaddedStrptimeReadsAsBare checks that the chr(31) padding changes no
// result: every fast style and the parsing macros, on texts that fit, texts
// that end where a literal is due (the crash's case) and texts with more.
func TestPaddedStrptimeReadsAsBare(t *testing.T) {
	w := openInternal(t)
	texts := []string{
		"15/03/2024 08:30:05", "15/03/2024 08:30", "15/03/2024", "15/03/2024 ", "15/03/2024 08", "15/03/2024 08:30:05 x",
		"2024-03-15 08:30:05", "2024-03-15T08:30:05", "2024-03-15 08:30", "2024-03-15", "2024-03-1", "20240315083005",
		"15.03.2024 08:30", "08:30 15/03/2024", "08:30:05 15/03/2024", "03/15/2024 08:30:05 PM", "03/15/2024 08:30 AM",
		"15/03/24", "15/03/2024 08:30 SA", "15/03/2024 08:30:05 CH", "15-Mar-2024", "Mar 15, 2024", "15 March 2024",
		"Fri, 15 Mar 2024 08:30:05 GMT", "", " ", "x", "15/03/2024 08:30:", "2024-03-15T",
	}
	var sb strings.Builder
	for i, s := range texts {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(sqlString(s))
	}
	ctx := context.Background()
	for _, style := range fastFormats {
		if !strings.Contains(style, "%") {
			continue
		}
		bare := "try_strptime(v, " + sqlString(style) + ")"
		var diff int
		if err := w.DB().QueryRowContext(ctx, `SELECT count(*) FROM (SELECT unnest([`+sb.String()+`]) AS v) WHERE `+
			styleExpr(style, "v")+` IS DISTINCT FROM `+bare).Scan(&diff); err != nil {
			t.Fatalf("%s: %v", style, err)
		}
		if diff != 0 {
			t.Errorf("style %q: %d texts read otherwise with the padding", style, diff)
		}
	}
	// The full parser still reads its styles.
	var read int
	if err := w.DB().QueryRowContext(ctx, `SELECT count(ws_ts(v)) FROM (SELECT unnest([`+sb.String()+`]) AS v)`).Scan(&read); err != nil {
		t.Fatal(err)
	}
	if read < 18 {
		t.Errorf("ws_ts read %d of the texts; the padding broke it", read)
	}
}
