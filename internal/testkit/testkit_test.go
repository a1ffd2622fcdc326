package testkit

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// A template is built once, and each test gets a copy of its own, with
// the files beside it (a WAL) and their modes.
func TestTemplateIsBuiltOnceAndCopied(t *testing.T) {
	builds := 0
	build := func(path string) error {
		builds++
		if err := os.WriteFile(path, []byte("base"), 0o600); err != nil {
			return err
		}
		return os.WriteFile(path+".wal", []byte("wal"), 0o600)
	}
	a := FromTemplate(t, "kit", "w.db", build)
	if err := os.WriteFile(a, []byte("changed"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := TemplateAt(t, "kit", filepath.Join(t.TempDir(), "sub", "w.db"), build)
	for _, p := range []string{b, b + ".wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", p, fi.Mode().Perm())
		}
	}
	if got, _ := os.ReadFile(b); string(got) != "base" {
		t.Errorf("the second copy holds %q: the first test's change reached it", got)
	}
	if builds != 1 {
		t.Errorf("built %d times, want once", builds)
	}
}

func TestLockedBufferLines(t *testing.T) {
	var b LockedBuffer
	if n := len(b.Lines()); n != 0 {
		t.Errorf("%d lines in an empty buffer", n)
	}
	b.Write([]byte("one\n\ntwo\n"))
	if got := b.Lines(); len(got) != 2 || got[0] != "one" || got[1] != "two" {
		t.Errorf("lines %q", got)
	}
}
