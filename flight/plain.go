package flight

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// plainSchema is schema with every dictionary-encoded text column
// (DuckDB gives its ENUMs so: channel, online_level, due_source) as
// text, nil when there is none. The Arrow Flight SQL JDBC driver, and so
// DBeaver, shows a dictionary column's indices, not its labels.
func plainSchema(schema *arrow.Schema) *arrow.Schema {
	fields := schema.Fields()
	changed := false
	for i, f := range fields {
		if d, ok := f.Type.(*arrow.DictionaryType); ok && d.ValueType.ID() == arrow.STRING {
			fields[i].Type = arrow.BinaryTypes.String
			changed = true
		}
	}
	if !changed {
		return nil
	}
	md := schema.Metadata()
	return arrow.NewSchema(fields, &md)
}

// plainRecord is rec with its dictionary text columns decoded (each
// value looked up among the ENUM's few labels), in plain's schema.
func plainRecord(plain *arrow.Schema, rec arrow.RecordBatch) arrow.RecordBatch {
	cols := make([]arrow.Array, rec.NumCols())
	for i, col := range rec.Columns() {
		d, ok := col.(*array.Dictionary)
		if !ok || plain.Field(i).Type.ID() != arrow.STRING {
			col.Retain()
			cols[i] = col
			continue
		}
		cols[i] = plainColumn(d)
	}
	out := array.NewRecordBatch(plain, cols, rec.NumRows())
	for _, c := range cols {
		c.Release()
	}
	return out
}

// plainColumn is a dictionary text column as text: its offsets and bytes
// written at once (a builder's append per value costs several times more).
func plainColumn(d *array.Dictionary) arrow.Array {
	dict := d.Dictionary().(*array.String)
	labels := make([]string, dict.Len())
	var each int
	for i := range labels {
		labels[i] = dict.Value(i)
		each = max(each, len(labels[i]))
	}
	n := d.Len()
	offsets := make([]int32, n+1)
	data := make([]byte, 0, n*min(each, 16))
	var valid []byte
	if d.NullN() > 0 {
		valid = make([]byte, bitutil.BytesForBits(int64(n)))
	}
	for j := 0; j < n; j++ {
		if d.IsValid(j) {
			data = append(data, labels[d.GetValueIndex(j)]...)
			if valid != nil {
				bitutil.SetBit(valid, j)
			}
		}
		offsets[j+1] = int32(len(data))
	}
	var validBuf *memory.Buffer
	if valid != nil {
		validBuf = memory.NewBufferBytes(valid)
	}
	data2 := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{validBuf,
		memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(offsets)), memory.NewBufferBytes(data)}, nil, d.NullN(), 0)
	defer data2.Release()
	return array.NewStringData(data2)
}

// maxMessageBytes keeps each batch sent under gRPC's usual 4 MiB limit on
// a received message (Go's and Python's default): a larger one is sent as
// slices of rows. One value larger than that still needs a client that
// accepts larger messages.
const maxMessageBytes = 2 << 20

// splitRecord cuts rec into batches of about maxMessageBytes at most
// (slices share its memory) and releases rec; an empty one gives none.
func splitRecord(rec arrow.RecordBatch) []arrow.RecordBatch {
	n := rec.NumRows()
	if n == 0 {
		rec.Release()
		return nil
	}
	size := recordBytes(rec)
	if size <= maxMessageBytes || n == 1 {
		return []arrow.RecordBatch{rec}
	}
	per := max(1, n*maxMessageBytes/size)
	var parts []arrow.RecordBatch
	for from := int64(0); from < n; from += per {
		parts = append(parts, rec.NewSlice(from, min(from+per, n)))
	}
	rec.Release()
	return parts
}

// recordBytes is the size of a batch's buffers.
func recordBytes(rec arrow.RecordBatch) int64 {
	var n int64
	var add func(d arrow.ArrayData)
	add = func(d arrow.ArrayData) {
		for _, b := range d.Buffers() {
			if b != nil {
				n += int64(b.Len())
			}
		}
		for _, c := range d.Children() {
			add(c)
		}
	}
	for _, col := range rec.Columns() {
		add(col.Data())
	}
	return n
}
