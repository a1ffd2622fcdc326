package ingest

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readAll opens a file with our reader and reads it to the end.
func readAll(path string) error {
	r, _, err := Open(path, Options{})
	if err != nil {
		return err
	}
	defer r.Close()
	for {
		if _, err := r.Next(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

// TestHugeJSONValuesAreRefused: a JSON record (or the value a wrapper
// hides its records behind) past the value limit is refused, naming the
// record and the limit, without reading it whole (json.Decoder holds a
// value whole: a 2 GiB string took several GB). The limit is lowered to
// 1 MiB and the attack is a 64 MiB string.
func TestHugeJSONValuesAreRefused(t *testing.T) {
	defer func(v, w int64) { maxJSONValue, streamWrapperBytes = v, w }(maxJSONValue, streamWrapperBytes)
	maxJSONValue, streamWrapperBytes = 1<<20, 512<<10
	huge := strings.Repeat("x", 64<<20)
	rec := `{"MaHoSo":"H08.01-240301-%d","NgayTiepNhan":"01/03/2024","GhiChu":"%s"}`
	one := func(i int, note string) string {
		return strings.Replace(strings.Replace(rec, "%d", string(rune('0'+i)), 1), "%s", note, 1)
	}
	cases := map[string]struct{ body, want string }{
		"array, record 3":       {"[" + one(1, "a") + "," + one(2, "b") + "," + one(3, huge) + "]", "record 3 of the JSON file is longer than 1.0 MiB"},
		"NDJSON, record 2":      {one(1, "a") + "\n" + one(2, huge) + "\n", "record 2 of the JSON file is longer than 1.0 MiB"},
		"a large wrapper":       {`{"status":"` + huge + `","data":[` + one(1, "a") + `]}`, "past wardstat's limit"},
		"a record in a wrapper": {`{"data":[` + one(1, huge) + `]}`, "record 1 of the JSON file is longer than 1.0 MiB"},
		"a string at the top":   {`"` + huge + `"`, "the JSON file holds a single value"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "api.json")
			os.WriteFile(path, []byte(c.body), 0o644)
			var err error
			alloc := allocatedBy(func() { err = readAll(path) })
			if !(errors.Is(err, ErrTooLarge) || errors.Is(err, ErrUnsupported)) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it refused saying %q", err, c.want)
			}
			if alloc > 16<<20 {
				t.Errorf("refusing it allocated %d bytes: the value was read whole", alloc)
			}
		})
	}
}

// TestHugeHTMLIsRefused: an HTML page past the size or tag limit is
// refused, naming the limit (it was cut at 512 MB without a word, and
// parsed into a tree of several GB).
func TestHugeHTMLIsRefused(t *testing.T) {
	defer func(b int64, n int) { maxHTMLBytes, maxHTMLTags = b, n }(maxHTMLBytes, maxHTMLTags)
	maxHTMLBytes, maxHTMLTags = 1<<20, 10_000

	head := "<html><body><table><tr><th>Mã hồ sơ</th><th>Ngày tiếp nhận</th></tr><tr><td>H08.01-240301-0001</td><td>"
	for name, body := range map[string]string{
		"a cell of 2 MiB":    head + strings.Repeat("x", 2<<20) + "</td></tr></table>",
		"20,000 empty cells": head + strings.Repeat("<td>", 20_000) + "</td></tr></table>",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "page.xls")
			os.WriteFile(path, []byte(body), 0o644)
			err := readAll(path)
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "the HTML page is over 1.0 MiB or 10000 tags") {
				t.Errorf("err = %v, want it refused naming the limits", err)
			}
		})
	}
	path := filepath.Join(t.TempDir(), "page.xls")
	os.WriteFile(path, []byte(head+"01/03/2024</td></tr></table>"), 0o644)
	if err := readAll(path); err != nil {
		t.Errorf("a page within the limits: %v", err)
	}
}
