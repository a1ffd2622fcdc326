package pipeline

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"wardstat/ingest"
)

// referenceKeys is jsonKeys done the slow way: every record decoded and
// flattened as our reader does. ok is false when data is not records.
func referenceKeys(data []byte) (map[string]bool, bool) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var recs []map[string]any
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '[' {
		if err := d.Decode(&recs); err != nil {
			return nil, false
		}
		if _, err := d.Token(); err != io.EOF {
			return nil, false
		}
	} else {
		for {
			var rec map[string]any
			err := d.Decode(&rec)
			if err == io.EOF {
				break
			}
			if err != nil || rec == nil {
				return nil, false
			}
			recs = append(recs, rec)
		}
	}
	keys := map[string]bool{}
	for _, rec := range recs {
		if rec == nil {
			return nil, false
		}
		for k, v := range ingest.FlattenRecord(rec) {
			keys[k] = keys[k] || v != nil
		}
	}
	return keys, true
}

func TestJSONKeys(t *testing.T) {
	for _, c := range []struct{ name, text string }{
		{"array", `[{"a":1,"b":"x"},{"a":null,"c":{"d":"y","e":null}},{"f":[{"g":1}],"h":"q\"}:,"}]`},
		{"ndjson", "{\"a\":\"x\"}\n{\"b\":{\"c\":true}}\n{\"a\":null}\n"},
		{"escaped key", `[{"Ng\u00e0y":"1","x\\\"y":2}]`},
		{"late key", `[{"a":1},{"a":2},{"a":3,"late":"2024-03-05"}]`},
		{"null only", `[{"a":null},{"a":null}]`},
		{"empty", `[]`},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "f.json")
			if err := os.WriteFile(p, []byte(c.text), 0o644); err != nil {
				t.Fatal(err)
			}
			want, ok := referenceKeys([]byte(c.text))
			if !ok {
				t.Fatal("the reference could not read it")
			}
			got, err := jsonKeys(p)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("got %v %v, want %v", got, err, want)
			}
		})
	}
}

// FuzzJSONKeys: on any file of records, jsonKeys finds every key the slow
// way finds, as valued (more only where a record repeats a key, which
// decoding keeps the last of); on anything else it returns.
func FuzzJSONKeys(f *testing.F) {
	seedFiles(f, "../testdata/ingest/*.json")
	seedFiles(f, "../testdata/ingest/*.ndjson")
	f.Add([]byte(`[{"a":"x\\\\","b":{"c":[1,{"d":"]"}]}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.json")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := jsonKeys(p)
		want, ok := referenceKeys(data)
		if !ok || !bytes.Equal(bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF}), data) {
			return // not records (or with a BOM the reference does not skip)
		}
		if err != nil {
			t.Fatalf("%v, want %v", err, want)
		}
		for k, valued := range want {
			if g, ok := got[k]; !ok || (valued && !g) {
				t.Fatalf("got %v, want at least %v", got, want)
			}
		}
	})
}

func seedFiles(f *testing.F, pattern string) {
	files, _ := filepath.Glob(pattern)
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}
