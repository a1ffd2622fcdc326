package pipeline

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"wardstat/ingest"
)

func unwrapString(in string) (string, error) {
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	_, err := unwrapRecords(bufio.NewReader(strings.NewReader(in)), w)
	w.Flush()
	return out.String(), err
}

func TestUnwrapRecords(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"data", `{"status":"ok","data":[{"a":1},{"a":2}],"total":2}`, "{\"a\":1}\n{\"a\":2}\n"},
		{"nested wrapper, arrays of other things skipped", `{"meta":{"tags":["x","[{"],"errors":[],"m":[[{"no":1}]]},"result":{"items":[{"a":"]}"}]}}`,
			"{\"a\":\"]}\"}\n"},
		{"records over several lines, nulls skipped", "\xEF\xBB\xBF{\"data\": [\r\n  {\"a\": 1,\n   \"b\": {\"c\": [1,\n 2]}},\n  null,\n  {\"a\": \"x\\\"y\\n\"}\n]}",
			"{\"a\": 1,    \"b\": {\"c\": [1,  2]}}\n{\"a\": \"x\\\"y\\n\"}\n"},
		{"an empty array before the records", `{"errors":[],"data":[{"a":1}]}`, "{\"a\":1}\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := unwrapString(c.in)
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v\nwant %q", got, err, c.want)
			}
		})
	}
	for _, in := range []string{
		`[{"a":1}]`,                        // not a wrapper
		`{"data":[1,2],"n":3}`,             // no array of objects
		`{"data":[{"a":1},2]}`,             // a record that is not an object
		`{"data":[{"a":"x` + "\n" + `"}]}`, // a raw line break inside a string
		`{"data":[{"a":1}`,                 // cut short
	} {
		if got, err := unwrapString(in); err == nil {
			t.Errorf("%q: got %q, want an error", in, got)
		}
	}
}

// FuzzUnwrapJSON: whenever our reader streams records out of a wrapper,
// unwrapRecords gives the same records, one valid JSON object a line.
func FuzzUnwrapJSON(f *testing.F) {
	seedFiles(f, "../testdata/ingest/*.json")
	f.Add([]byte(`{"meta":{"tags":["x","[{"],"errors":[]},"result":{"items":[{"a":"]}"},null,{"b":[{"c":1}]}]}}`))
	f.Add([]byte("{\"data\": [\n {\"a\": \"\\\\\"},\n {\"a\": 1e3}\n]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		watchdog := time.AfterFunc(5*time.Second, func() { panic("stuck") })
		defer watchdog.Stop()
		if !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) {
			return // the reader walks a wrapper only from its first byte
		}
		want, ok := ingest.StreamedRecords(data)
		got, err := unwrapString(string(data))
		if !ok {
			return // our reader refuses it, and will say why
		}
		if err != nil {
			t.Fatalf("%v; our reader found %d records", err, len(want))
		}
		lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		if got == "" {
			lines = nil
		}
		if len(lines) != len(want) {
			t.Fatalf("%d lines, want %d records:\n%s", len(lines), len(want), got)
		}
		for i, l := range lines {
			rec, err := ingest.DecodeRecord([]byte(l))
			if err != nil || !reflect.DeepEqual(rec, want[i]) {
				t.Fatalf("line %d: %q (%v), want %v", i+1, l, err, want[i])
			}
		}
	})
}

// The copy of the records, which holds applicants' identities in clear,
// is gone once the load is done with it (on Linux, as soon as it is made:
// a crash cannot leave it behind).
func TestUnwrapLeavesNothingBehind(t *testing.T) {
	src := filepath.Join(t.TempDir(), "wrapped.json")
	if err := os.WriteFile(src, []byte(`{"data":[{"ChuHoSo":"Nguyễn Văn A"},{"ChuHoSo":"Trần Thị B"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	records, done, err := unwrapJSON(src, dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(records)
	if err != nil || string(got) != "{\"ChuHoSo\":\"Nguyễn Văn A\"}\n{\"ChuHoSo\":\"Trần Thị B\"}\n" {
		t.Fatalf("%q %v", got, err)
	}
	left, _ := os.ReadDir(dir)
	if runtime.GOOS == "linux" && len(left) > 0 {
		t.Errorf("%d files in the directory while loading, want none", len(left))
	}
	done()
	if left, _ = os.ReadDir(dir); len(left) > 0 {
		t.Errorf("%s left behind", left[0].Name())
	}
}
