package flight

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// An ENUM column (dictionary-encoded text) goes out as its labels, NULLs
// kept, whatever its index type, its offset in a sliced batch or its
// labels' lengths.
func TestPlainRecordDecodesDictionaries(t *testing.T) {
	for _, tc := range []struct {
		name    string
		index   arrow.DataType
		labels  []string
		values  []*string // nil: NULL
		from, n int64     // the slice decoded
	}{
		{"uint8", arrow.PrimitiveTypes.Uint8, []string{"a", "bb", "ccc"}, texts("bb", "", "a", "ccc", "a"), 0, 5},
		{"nulls", arrow.PrimitiveTypes.Int16, []string{"trực tuyến", "trực tiếp"}, []*string{nil, ptr("trực tiếp"), nil, ptr("trực tuyến")}, 0, 4},
		{"sliced", arrow.PrimitiveTypes.Int32, []string{"x", "yyyyyyyyyyyyyyyyyyyyyyyyyy", ""}, texts("x", "yyyyyyyyyyyyyyyyyyyyyyyyyy", "", "x", "yyyyyyyyyyyyyyyyyyyyyyyyyy"), 1, 3},
		{"empty", arrow.PrimitiveTypes.Uint8, []string{"a"}, nil, 0, 0},
		{"uint8 nulls sliced", arrow.PrimitiveTypes.Uint8, []string{"a", "bb"}, []*string{ptr("a"), nil, ptr("bb"), nil, ptr("a")}, 1, 4},
		{"uint16 sliced", arrow.PrimitiveTypes.Uint16, []string{"p", "qq", "rrr"}, texts("rrr", "p", "qq", "p"), 2, 2},
		{"uint32 nulls", arrow.PrimitiveTypes.Uint32, []string{"u", "vv"}, []*string{nil, ptr("vv"), ptr("u")}, 0, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			typ := &arrow.DictionaryType{IndexType: tc.index, ValueType: arrow.BinaryTypes.String}
			b := array.NewDictionaryBuilder(mem, typ).(*array.BinaryDictionaryBuilder)
			if err := b.InsertStringDictValues(array.NewStringData(labelsData(mem, tc.labels))); err != nil {
				t.Fatal(err)
			}
			for _, v := range tc.values {
				if v == nil {
					b.AppendNull()
				} else if err := b.AppendString(*v); err != nil {
					t.Fatal(err)
				}
			}
			col := b.NewArray()
			b.Release()
			schema := arrow.NewSchema([]arrow.Field{{Name: "e", Type: typ, Nullable: true}}, nil)
			whole := array.NewRecordBatch(schema, []arrow.Array{col}, int64(len(tc.values)))
			col.Release()
			rec := whole.NewSlice(tc.from, tc.from+tc.n)
			whole.Release()
			plain := plainSchema(schema)
			out := plainRecord(plain, rec)
			got := out.Column(0).(*array.String)
			if got.Len() != int(tc.n) {
				t.Fatalf("%d values, want %d", got.Len(), tc.n)
			}
			for i := 0; i < int(tc.n); i++ {
				want := tc.values[tc.from+int64(i)]
				switch {
				case want == nil && !got.IsNull(i):
					t.Errorf("value %d: %q, want NULL", i, got.Value(i))
				case want != nil && (got.IsNull(i) || got.Value(i) != *want):
					t.Errorf("value %d: %q (null %v), want %q", i, got.Value(i), got.IsNull(i), *want)
				}
			}
			if err := got.ValidateFull(); err != nil {
				t.Error(err)
			}
			out.Release()
			rec.Release()
		})
	}
}

func ptr(s string) *string { return &s }

func texts(v ...string) []*string {
	out := make([]*string, len(v))
	for i := range v {
		out[i] = &v[i]
	}
	return out
}

func labelsData(mem memory.Allocator, labels []string) arrow.ArrayData {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.AppendValues(labels, nil)
	a := b.NewStringArray()
	return a.Data()
}
