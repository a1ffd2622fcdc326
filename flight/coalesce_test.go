package flight

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Batches gathered by a coalescer come out as fewer batches holding every
// row once, in order, NULLs kept, whatever the batches' sizes (one larger
// than coalesceBytes too).
func TestCoalescerKeepsEveryRowInOrder(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	for _, tc := range []struct {
		name  string
		sizes []int // rows of each batch given
		wide  int   // bytes of each text
	}{
		{"small", []int{3, 1, 2}, 5},
		{"chunks", []int{2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 100}, 200},
		{"one large", []int{10, 20000, 10}, 200},
		{"none", nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var co coalescer
			var got []string
			var batches []int64
			take := func(rec arrow.RecordBatch) {
				if rec == nil {
					return
				}
				defer rec.Release()
				batches = append(batches, rec.NumRows())
				n, s := rec.Column(0).(*array.Int64), rec.Column(1).(*array.String)
				for i := 0; i < int(rec.NumRows()); i++ {
					if n.IsNull(i) != s.IsNull(i) {
						t.Fatalf("row %d: NULLs moved", len(got))
					}
					if n.IsNull(i) {
						got = append(got, "NULL")
					} else {
						got = append(got, fmt.Sprint(n.Value(i), s.Value(i)[:8]))
					}
				}
			}
			var want []string
			row := 0
			for _, size := range tc.sizes {
				nb := array.NewInt64Builder(memory.DefaultAllocator)
				sb := array.NewStringBuilder(memory.DefaultAllocator)
				for j := 0; j < size; j++ {
					if row%7 == 3 {
						nb.AppendNull()
						sb.AppendNull()
						want = append(want, "NULL")
					} else {
						text := fmt.Sprintf("%08d", row%100000000)
						for len(text) < tc.wide {
							text += "-"
						}
						nb.Append(int64(row))
						sb.Append(text)
						want = append(want, fmt.Sprint(row, text[:8]))
					}
					row++
				}
				cols := []arrow.Array{nb.NewArray(), sb.NewArray()}
				rec := array.NewRecordBatch(schema, cols, int64(size))
				cols[0].Release()
				cols[1].Release()
				nb.Release()
				sb.Release()
				out, err := co.add(rec)
				if err != nil {
					t.Fatal(err)
				}
				take(out)
			}
			out, err := co.flush()
			if err != nil {
				t.Fatal(err)
			}
			take(out)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("rows differ: got %d, want %d", len(got), len(want))
			}
			if tc.name == "chunks" && len(batches) >= 9 {
				t.Errorf("%d batches for 9 chunks: not gathered", len(batches))
			}
		})
	}
}

// A recycler hands out cleared buffers of the size asked, and gives back
// one freed to it.
func TestRecyclerReusesClearedBuffers(t *testing.T) {
	var r recycler
	b := r.Allocate(5000)
	if len(b) != 5000 || cap(b) != 8<<10 {
		t.Fatalf("len %d cap %d", len(b), cap(b))
	}
	for i := range b {
		b[i] = 0xff
	}
	r.Free(b)
	c := r.Allocate(6000)
	if &c[0] != &b[0] {
		t.Fatal("a freed buffer was not used again")
	}
	for i, v := range c[:cap(c)] {
		if v != 0 {
			t.Fatalf("byte %d not cleared", i)
		}
	}
	d := r.Reallocate(20000, c)
	if len(d) != 20000 {
		t.Fatalf("reallocated to %d", len(d))
	}
}
