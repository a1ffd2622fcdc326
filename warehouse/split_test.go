package warehouse

import (
	"reflect"
	"testing"
)

// TestSplitStatements: semicolons cut statements only outside quotes and
// comments; blank and comment-only pieces are left out.
func TestSplitStatements(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"SELECT 1", []string{"SELECT 1"}},
		{"SELECT 1;", []string{"SELECT 1"}},
		{"SELECT 1; SELECT 2", []string{"SELECT 1", "SELECT 2"}},
		{" ; SELECT 1;;\n -- done\n", []string{"SELECT 1"}},
		{"SELECT 'a;b', 'it''s;' ; SELECT 2", []string{"SELECT 'a;b', 'it''s;'", "SELECT 2"}},
		{`SELECT "x;y" FROM t; SELECT E'\';' AS q`, []string{`SELECT "x;y" FROM t`, `SELECT E'\';' AS q`}},
		{"SELECT $$a;b$$, $tag$c;$$;d$tag$; SELECT $1", []string{"SELECT $$a;b$$, $tag$c;$$;d$tag$", "SELECT $1"}},
		{"SELECT 1 -- a; comment\n; /* x; /* nested; */ y; */ SELECT 2", []string{"SELECT 1 -- a; comment", "/* x; /* nested; */ y; */ SELECT 2"}},
		{"-- only a comment; still\n/* and; this */", nil},
		{"SELECT 'unterminated; SELECT 2", []string{"SELECT 'unterminated; SELECT 2"}},
	} {
		if got := SplitStatements(tc.text); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q:\n got %q\nwant %q", tc.text, got, tc.want)
		}
	}
}
