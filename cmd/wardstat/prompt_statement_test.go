package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPromptStatementsEndWhereTheSplitterSays: at the sql prompt a
// statement typed over two lines with a '-- note' runs whole, and
// recalling it (an arrow, in this session or the next) runs the same
// statement, both columns (it was stored on one line, so the note
// commented out the rest and only a came back); a ';' that ends a line
// inside a string does not cut the statement; a '-- note' after the ';'
// does not keep the prompt waiting.
func TestPromptStatementsEndWhereTheSplitterSays(t *testing.T) {
	db, _ := handcountWarehouse(t)
	home := t.TempDir()
	c := cli("--lang", "en", "--db", db, "sql", "--format", "csv")
	c.Env = append(c.Env, "HOME="+home)
	term := startOnTerminal(t, c)
	term.expect("Read-only warehouse", 10*time.Second)
	term.send("SELECT 1 AS a -- note\r")
	term.send(", 2 AS b;\r")
	term.expect("a,b\n1,2\n(1 rows)", 10*time.Second)
	term.send("\x1b[A\r") // the arrow up: the same statement again
	term.expect("a,b\n1,2\n(1 rows)", 10*time.Second)
	term.send("SELECT length('x;\r")
	term.send("y') AS n;\r")
	term.expect("n\n4\n(1 rows)", 10*time.Second) // x, ;, the line's end, y
	term.send("-- a note before a statement\r")   // waits for its statement
	term.send("SELECT 7 AS c; -- done\r")
	term.expect("c\n7\n(1 rows)", 10*time.Second)
	term.send("\\q\r")
	if _, killed := endsWithin(t, c, time.Now(), 10*time.Second); killed {
		t.Fatal("the prompt did not end on \\q")
	}
	b, _ := os.ReadFile(filepath.Join(home, ".wardstat_history"))
	if !strings.Contains(string(b), "SELECT 1 AS a -- note\n\t, 2 AS b;\n") {
		t.Errorf("history file:\n%s\nwant the statement with its lines", b)
	}

	// The next session recalls it from the file: three arrows up.
	c2 := cli("--lang", "en", "--db", db, "sql", "--format", "csv")
	c2.Env = append(c2.Env, "HOME="+home)
	term2 := startOnTerminal(t, c2)
	term2.expect("Read-only warehouse", 10*time.Second)
	term2.send("\x1b[A\x1b[A\x1b[A\r")
	term2.expect("a,b\n1,2\n(1 rows)", 10*time.Second)
	term2.send("\\q\r")
	if _, killed := endsWithin(t, c2, time.Now(), 10*time.Second); killed {
		t.Fatal("the prompt did not end on \\q")
	}
}
