package testkit

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Files built once per test binary (a migrated warehouse: making its
// models and calendar costs most of a second, which every test opening a
// fresh one paid) live in one folder that Main removes at the end.
var templates struct {
	mu    sync.Mutex
	dir   string // "" until Main runs
	files map[string]*template
}

type template struct {
	once sync.Once
	path string
	err  error
}

// Main runs the package's tests (call it from TestMain: os.Exit(testkit.Main(m)))
// and then removes the templates they built.
func Main(m *testing.M) int {
	dir, err := os.MkdirTemp("", "wardstat-templates-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testkit:", err)
		return 1
	}
	templates.mu.Lock()
	templates.dir = dir
	templates.mu.Unlock()
	defer os.RemoveAll(dir)
	return m.Run()
}

// FromTemplate returns the path of a fresh copy, named name in a new
// t.TempDir(), of the file build makes once per test binary under key
// (build is given the path to make it at).
func FromTemplate(t testing.TB, key, name string, build func(path string) error) string {
	t.Helper()
	return TemplateAt(t, key, filepath.Join(t.TempDir(), name), build)
}

// TemplateAt copies to path the file build makes once per test binary
// under key (FromTemplate), making path's folder. Files beside the
// template whose names start with its own ("w.duckdb.wal") are copied too.
func TemplateAt(t testing.TB, key, to string, build func(path string) error) string {
	t.Helper()
	templates.mu.Lock()
	if templates.dir == "" {
		templates.mu.Unlock()
		t.Fatal("testkit templates need the package's TestMain to call testkit.Main")
	}
	if templates.files == nil {
		templates.files = map[string]*template{}
	}
	tp := templates.files[key]
	if tp == nil {
		tp = &template{}
		templates.files[key] = tp
	}
	dir := templates.dir
	templates.mu.Unlock()
	tp.once.Do(func() {
		sub, err := os.MkdirTemp(dir, "t")
		if err != nil {
			tp.err = err
			return
		}
		tp.path = filepath.Join(sub, filepath.Base(to))
		tp.err = build(tp.path)
	})
	if tp.err != nil {
		t.Fatalf("building the template %s: %v", key, tp.err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	matches, err := filepath.Glob(tp.path + "*")
	if err != nil {
		t.Fatal(err)
	}
	for _, from := range matches {
		if fi, err := os.Stat(from); err != nil || fi.IsDir() {
			continue
		}
		CopyFile(t, from, to+from[len(tp.path):])
	}
	return to
}
