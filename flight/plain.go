package flight

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/ipc"
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
	switch idx := d.Indices().(type) {
	case *array.Uint8:
		data = plainValues(idx.Uint8Values(), d, labels, offsets, data, valid)
	case *array.Uint16:
		data = plainValues(idx.Uint16Values(), d, labels, offsets, data, valid)
	case *array.Uint32:
		data = plainValues(idx.Uint32Values(), d, labels, offsets, data, valid)
	default:
		for j := 0; j < n; j++ {
			if d.IsValid(j) {
				data = append(data, labels[d.GetValueIndex(j)]...)
				if valid != nil {
					bitutil.SetBit(valid, j)
				}
			}
			offsets[j+1] = int32(len(data))
		}
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

// plainValues writes a dictionary column's labels by its indices idx (of
// DuckDB's unsigned types, read without a call per value), NULLs left
// out of valid (nil: none).
func plainValues[T uint8 | uint16 | uint32](idx []T, d *array.Dictionary, labels []string, offsets []int32, data, valid []byte) []byte {
	if valid == nil {
		for j, k := range idx {
			data = append(data, labels[k]...)
			offsets[j+1] = int32(len(data))
		}
		return data
	}
	for j, k := range idx {
		if d.IsValid(j) {
			data = append(data, labels[k]...)
			bitutil.SetBit(valid, j)
		}
		offsets[j+1] = int32(len(data))
	}
	return data
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

// coalesceBytes is the size a worker gathers DuckDB's chunks to before it
// sends them as one batch (under maxMessageBytes, so not cut again).
const coalesceBytes = maxMessageBytes - 256<<10

// coalescer gathers batches of one schema into batches of about
// coalesceBytes.
type coalescer struct {
	recs  []arrow.RecordBatch
	bytes int64
	since time.Time // when the first of recs came
	mem   recycler  // the gathered batches' buffers, used again
}

// coalesceWait is how long rows may wait to be gathered: a statement whose
// rows come slowly still sends them as they come, about.
const coalesceWait = 100 * time.Millisecond

// add takes rec (its reference) and gives the batch gathered so far when
// rec would take it past coalesceBytes (the caller's to release), else nil.
func (c *coalescer) add(rec arrow.RecordBatch) (out arrow.RecordBatch, err error) {
	size := recordBytes(rec)
	if len(c.recs) > 0 && (c.bytes+size > coalesceBytes || time.Since(c.since) > coalesceWait) {
		out, err = c.flush()
	}
	if len(c.recs) == 0 {
		c.since = time.Now()
	}
	c.recs = append(c.recs, rec)
	c.bytes += size
	return out, err
}

// flush gives the batches gathered as one (nil: none), copied together
// when there are several.
func (c *coalescer) flush() (arrow.RecordBatch, error) {
	recs := c.recs
	c.recs, c.bytes = nil, 0
	switch len(recs) {
	case 0:
		return nil, nil
	case 1:
		return recs[0], nil
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	schema := recs[0].Schema()
	cols := make([]arrow.Array, schema.NumFields())
	parts := make([]arrow.Array, len(recs))
	var rows int64
	for _, r := range recs {
		rows += r.NumRows()
	}
	for i := range cols {
		for j, r := range recs {
			parts[j] = r.Column(i)
		}
		col, err := array.Concatenate(parts, &c.mem)
		if err != nil {
			for _, c := range cols[:i] {
				c.Release()
			}
			return nil, fmt.Errorf("gathering batches: %w", err)
		}
		cols[i] = col
	}
	out := array.NewRecordBatch(schema, cols, rows)
	for _, col := range cols {
		col.Release()
	}
	return out, nil
}

// release lets go of what is gathered (a result ended early).
func (c *coalescer) release() {
	for _, r := range c.recs {
		r.Release()
	}
	c.recs, c.bytes = nil, 0
}

// batchWriter writes a result's batches through an IPC writer, gathered
// (coalescer) and cut (splitRecord) to the sizes a default client accepts.
// With refuseBig, a single row over maxRowBytes ends the write (errBigRow):
// a worker's check, which the server's own path leaves to gRPC.
type batchWriter struct {
	wr        *ipc.Writer
	co        coalescer
	refuseBig bool
}

// write sends rec (its reference) cut by splitRecord.
func (b *batchWriter) write(rec arrow.RecordBatch) error {
	for _, part := range splitRecord(rec) {
		if b.refuseBig && part.NumRows() == 1 && recordBytes(part) > maxRowBytes {
			part.Release()
			return errBigRow
		}
		err := b.wr.Write(part)
		part.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// put gathers rec (its reference), writing what it gathered before when
// rec would take it past coalesceBytes.
func (b *batchWriter) put(rec arrow.RecordBatch) error {
	out, err := b.co.add(rec)
	if out != nil {
		err = errors.Join(err, b.write(out))
	}
	return err
}

// flush writes what is gathered.
func (b *batchWriter) flush() error {
	out, err := b.co.flush()
	if out != nil {
		err = errors.Join(err, b.write(out))
	}
	return err
}

// recycler is an allocator that keeps the buffers freed to it for the
// next batches: a worker's gathered batches, written and released one
// after the other, reuse the same few buffers (no garbage to collect, no
// fresh pages to fault in). Buffers are cleared when handed out, as
// Arrow's allocators give them.
type recycler struct {
	mu   sync.Mutex
	free map[int][][]byte // by capacity, a power of two
}

func recycleClass(size int) int {
	c := 4 << 10
	for c < size {
		c <<= 1
	}
	return c
}

func (r *recycler) Allocate(size int) []byte {
	c := recycleClass(size)
	r.mu.Lock()
	if l := r.free[c]; len(l) > 0 {
		b := l[len(l)-1]
		r.free[c] = l[:len(l)-1]
		r.mu.Unlock()
		b = b[:size]
		clear(b)
		return b
	}
	r.mu.Unlock()
	return make([]byte, size, c)
}

func (r *recycler) Reallocate(size int, b []byte) []byte {
	if size <= cap(b) {
		b = b[:size]
		clear(b)
		return b
	}
	nb := r.Allocate(size)
	copy(nb, b)
	r.Free(b)
	return nb
}

func (r *recycler) Free(b []byte) {
	c := cap(b)
	if c < 4<<10 || c&(c-1) != 0 {
		return
	}
	r.mu.Lock()
	if r.free == nil {
		r.free = map[int][][]byte{}
	}
	if len(r.free[c]) < 8 {
		r.free[c] = append(r.free[c], b[:0])
	}
	r.mu.Unlock()
}
