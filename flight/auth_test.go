package flight

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTokensFile: names and tokens are read line by line; a file its
// group or others may read, a short token, a line without a name and a
// name given twice are refused with the file and line; the variable
// adds one token named env.
func TestTokensFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o600)
		os.Chmod(p, mode)
		return p
	}
	t.Setenv(TokenEnv, "")
	good := write("good.txt", "# analysts\n\nstats-office: 0123456789abcdef01\ngrafana:fedcba9876543210fe\n", 0o600)
	tok, err := LoadTokens(good)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := tok.Name("0123456789abcdef01"); !ok || n != "stats-office" {
		t.Errorf("stats-office: %q %v", n, ok)
	}
	if n, ok := tok.Name("fedcba9876543210fe"); !ok || n != "grafana" {
		t.Errorf("grafana: %q %v", n, ok)
	}
	for _, bad := range []string{"", "0123456789abcdef0", "0123456789abcdef01 ", "stats-office"} {
		if _, ok := tok.Name(bad); ok {
			t.Errorf("%q is accepted", bad)
		}
	}
	for _, tc := range []struct {
		name, text string
		mode       os.FileMode
		want       string
	}{
		{"open.txt", "a:0123456789abcdef01\n", 0o644, "readable by its group or others (mode 0644); run chmod 600"},
		{"group.txt", "a:0123456789abcdef01\n", 0o640, "(mode 0640)"},
		{"short.txt", "a:0123456789abcdef01\nb:short\n", 0o600, "line 2: the token of \"b\" is shorter than 16 characters"},
		{"noname.txt", ":0123456789abcdef01\n", 0o600, "line 1: write name:token"},
		{"twice.txt", "a:0123456789abcdef01\na:0123456789abcdef02\n", 0o600, "line 2: the name \"a\" has two tokens"},
	} {
		_, err := LoadTokens(write(tc.name, tc.text, tc.mode))
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "0123456789abcdef0") {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	t.Setenv(TokenEnv, "from-the-environment-1")
	tok, err = LoadTokens("")
	if err != nil || tok.Len() != 1 {
		t.Fatal(err)
	}
	if n, ok := tok.Name("from-the-environment-1"); !ok || n != "env" {
		t.Errorf("env: %q %v", n, ok)
	}
}
